"""A whole sign-language call in two headless Chromiums, and the camera explanations."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from tests.e2e.conftest import OpenPage
from tests.e2e.journeys import (
    DESKTOP,
    MEDIA,
    PHONE,
    media_connected,
    sign_in_and_take_calls,
    start_a_sign_language_call,
)
from tests.e2e.media import (
    MEDIA_DEADLINE_MS,
    decoded_frames,
    send_chat,
    wait_for_frames,
)

pytestmark = pytest.mark.browser

DB_DEADLINE_S = 10.0
# Sign language needs at least 20 frames a second (EN 301 549), measured over a
# window of this many seconds of decoded remote video.
MIN_FPS = 20.0
FPS_WINDOW_S = 2.0
# Decoded remote video frames and the moment of the report (ms).
FRAMES_DECODED_AT = """async () => {
  let frames = 0;
  let at = 0;
  (await window.dasanCall.pc.getStats()).forEach((stat) => {
    if (stat.type === 'inbound-rtp' && stat.kind === 'video') {
      frames += stat.framesDecoded || 0;
      at = Math.max(at, stat.timestamp);
    }
  });
  return [frames, at];
}"""


async def assert_video_flows(page: Page) -> None:
    """Connected, the remote picture has a size, and frames keep being decoded."""
    await media_connected(page)
    await wait_for_frames(page, at_least=1)
    before = await decoded_frames(page)
    await asyncio.sleep(2)
    after = await decoded_frames(page)
    assert after > before, f"no video frames decoded in 2 s ({before} -> {after})"
    await wait_for_frame_rate(page, at_least=MIN_FPS)


async def wait_for_frame_rate(
    page: Page, at_least: float, deadline_s: float = MEDIA_DEADLINE_MS / 1000
) -> float:
    """Poll getStats until the remote video decodes ``at_least`` frames a second
    over ``FPS_WINDOW_S`` (by the reports' own clock); fail at the deadline."""
    deadline = time.monotonic() + deadline_s
    window_ms = FPS_WINDOW_S * 1000
    samples: list[tuple[int, float]] = []
    best = 0.0
    while True:
        reported = await page.evaluate(FRAMES_DECODED_AT)
        frames, at = int(reported[0]), float(reported[1])
        samples.append((frames, at))
        # Keep the newest sample that is at least a window old, and all after it.
        while len(samples) > 1 and at - samples[1][1] >= window_ms:
            samples.pop(0)
        old_frames, old_at = samples[0]
        if at - old_at >= window_ms:
            rate = (frames - old_frames) * 1000 / (at - old_at)
            if rate >= at_least:
                return rate
            best = max(best, rate)
        assert time.monotonic() < deadline, (
            f"remote video never reached {at_least} fps in {deadline_s} s "
            f"(best {best:.1f} fps over {FPS_WINDOW_S} s)"
        )
        await asyncio.sleep(0.2)


def read_only_case(database: Path) -> dict[str, Any] | None:
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        db.row_factory = sqlite3.Row
        rows = db.execute("SELECT * FROM cases").fetchall()
    assert len(rows) <= 1, f"expected one case, found {len(rows)}"
    return dict(rows[0]) if rows else None


async def ended_case(database: Path) -> dict[str, Any]:
    """The test's one case, once it has ended (the write may trail the notice)."""
    deadline = time.monotonic() + DB_DEADLINE_S
    while True:
        case = await asyncio.to_thread(read_only_case, database)
        if case is not None and case["ended_at"] is not None:
            return case
        assert time.monotonic() < deadline, f"the case never ended: {case}"
        await asyncio.sleep(0.1)


async def test_sign_language_call_from_a_phone(
    server_url: str,
    database: Path,
    demo_password: str,
    browser: Browser,
    open_page: OpenPage,
) -> None:
    staff = await open_page(browser, "staff", viewport=DESKTOP, permissions=MEDIA)
    citizen = await open_page(browser, "citizen", viewport=PHONE, permissions=MEDIA)
    await sign_in_and_take_calls(staff, server_url, demo_password)

    # The citizen asks for a sign-language interpreter from a phone-sized screen.
    await citizen.goto(server_url)
    await citizen.select_option("#service", "sign_language")
    await expect(citizen.locator("#language")).to_be_hidden()
    await citizen.click("#start-camera")
    await expect(citizen.locator("body")).to_have_attribute("data-camera", "on")
    await citizen.wait_for_function(
        "document.querySelector('#local-video').videoWidth > 0"
    )
    await expect(citizen.locator("#ask")).to_have_text("Ask for an interpreter")
    await citizen.click("#ask")
    await expect(citizen.locator("body")).to_have_attribute("data-state", "waiting")
    await expect(citizen.locator("#position")).to_have_text(
        re.compile(r"You are (next|number \d+) in line")
    )
    await expect(citizen.locator("#estimate")).to_have_text(
        re.compile(r"Expected wait: (less than a minute|about \d+ min)")
    )
    await expect(citizen.locator("#cancel")).to_be_visible()

    # The interpreter sees the offer with its countdown and accepts.
    offer = staff.locator("#offer")
    await expect(offer).to_be_visible()
    await expect(offer).to_contain_text("Sign-language video counseling")
    await expect(offer).to_contain_text("Korean Sign Language")
    await expect(staff.locator("#offer-countdown")).to_have_text(
        re.compile(r"\d+ s left to answer")
    )
    await staff.click("#accept")

    # Video flows both ways through the media server.
    for page in (citizen, staff):
        await expect(page.locator("body")).to_have_attribute("data-state", "call")
        await assert_video_flows(page)
    await expect(citizen.locator("#status")).to_contain_text("You are in a session")
    await expect(citizen.locator("#hang-up")).to_be_visible()

    # The citizen hangs up; both sides say so. The interpreter gets wrap-up time
    # for notes, and ends it by becoming available again.
    await citizen.click("#hang-up")
    for page in (citizen, staff):
        await expect(page.locator("body")).to_have_attribute("data-state", "ended")
        await expect(page.locator("#status")).to_contain_text("The session has ended")
    await expect(citizen.locator("#again")).to_be_visible()
    await expect(staff.locator("#notice")).to_have_text("The citizen hung up.")
    await expect(staff.locator("#status")).to_contain_text("Wrap-up time")
    await staff.click("#available")
    await expect(staff.locator("#available")).to_have_attribute("aria-pressed", "true")
    await expect(staff.locator("#status")).to_contain_text("You are available")

    # The counseling record has the whole life cycle.
    case = await ended_case(database)
    for column in ("requested_at", "offered_at", "answered_at", "ended_at"):
        assert case[column] is not None, f"{column} missing in {case}"
    assert case["end_reason"] == "completed"
    assert case["interpreter_id"]
    assert case["wait_seconds"] is not None
    assert case["wait_seconds"] >= 0
    assert case["handle_seconds"] is not None
    assert case["handle_seconds"] >= 0


async def test_interpreter_reload_rejoins_the_session(
    server_url: str,
    demo_password: str,
    browser: Browser,
    open_page: OpenPage,
) -> None:
    staff = await open_page(browser, "staff", viewport=DESKTOP, permissions=MEDIA)
    citizen = await open_page(browser, "citizen", viewport=PHONE, permissions=MEDIA)
    await start_a_sign_language_call(staff, citizen, server_url, demo_password)
    for page in (citizen, staff):
        await assert_video_flows(page)

    # A reload drops the interpreter's connection; the session is held for them,
    # the console rejoins the room, and media flows both ways again.
    await staff.reload()
    await expect(staff.locator("body")).to_have_attribute("data-state", "call")
    await assert_video_flows(staff)
    await expect(citizen.locator("body")).to_have_attribute("data-state", "call")
    # The citizen's same peer connection shows the interpreter's new camera.
    more = await decoded_frames(citizen) + 10
    await wait_for_frames(citizen, at_least=more, deadline_s=10)


async def test_citizen_reload_takes_up_the_session_with_chat(
    server_url: str,
    demo_password: str,
    browser: Browser,
    open_page: OpenPage,
) -> None:
    staff = await open_page(browser, "staff", viewport=DESKTOP, permissions=MEDIA)
    citizen = await open_page(browser, "citizen", viewport=PHONE, permissions=MEDIA)
    await start_a_sign_language_call(staff, citizen, server_url, demo_password)
    for page in (citizen, staff):
        await assert_video_flows(page)
    message = "Can you see my hands?"
    await send_chat(citizen, message)
    await expect(staff.locator("#chat-messages > li")).to_have_count(1)

    # A deaf citizen's reload must not lose the interpreter or the conversation.
    before = await decoded_frames(staff)
    await citizen.reload()
    await expect(citizen.locator("body")).to_have_attribute("data-state", "call")
    await expect(citizen.locator("#chat-messages > li")).to_have_count(1)
    await expect(citizen.locator("#chat-messages")).to_contain_text(message)
    await assert_video_flows(citizen)
    await expect(staff.locator("body")).to_have_attribute("data-state", "call")
    await expect(staff.locator("#status")).to_contain_text("In a session")
    # The interpreter's same peer connection shows the citizen's camera again.
    await wait_for_frames(staff, at_least=before + 10, deadline_s=10)


async def test_refused_camera_says_how_to_allow_it(
    server_url: str, asking_browser: Browser, open_page: OpenPage
) -> None:
    citizen = await open_page(asking_browser, "citizen", viewport=PHONE, permissions=[])
    await citizen.goto(server_url)
    await citizen.click("#start-camera")

    error = citizen.locator("#error")
    await expect(error).to_have_attribute("data-code", "media.denied")
    await expect(error).to_contain_text("Camera access was refused")
    await expect(error).to_contain_text("Allow")
    await expect(citizen.locator("#ask")).to_be_disabled()
    await expect(citizen.locator("body")).to_have_attribute("data-camera", "off")


async def test_browser_without_webrtc_is_told_so(
    server_url: str, browser: Browser, open_page: OpenPage
) -> None:
    citizen = await open_page(browser, "citizen", viewport=PHONE, permissions=[])
    await citizen.add_init_script("delete window.RTCPeerConnection;")
    await citizen.goto(server_url)

    error = citizen.locator("#error")
    await expect(error).to_have_attribute("data-code", "media.unsupported")
    await expect(error).to_contain_text("cannot make video calls")
    await expect(citizen.locator("#start-camera")).to_be_disabled()


async def test_wrong_password_is_explained(
    server_url: str, browser: Browser, open_page: OpenPage
) -> None:
    staff = await open_page(browser, "staff", viewport=DESKTOP, permissions=[])
    await staff.goto(f"{server_url}/staff")
    await staff.fill("#username", "interpreter.ksl")
    await staff.fill("#password", "not-the-password")
    await staff.click("#login")

    await expect(staff.locator("#error")).to_contain_text("Wrong user name or password")
    await expect(staff.locator("body")).to_have_attribute("data-state", "login")
