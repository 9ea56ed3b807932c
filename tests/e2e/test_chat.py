"""Text chat in headless Chromium: a chat-only session without any camera, chat
beside a video call, and the 1,000-character limit."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import time
from contextlib import closing
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from tests.e2e.conftest import OpenPage
from tests.e2e.journeys import (
    DESKTOP,
    INTERPRETER,
    MEDIA,
    PHONE,
    ask_for_chat,
    connected,
    sign_in_and_take_calls,
    start_a_sign_language_call,
)

pytestmark = pytest.mark.browser

MAX_CHAT_LENGTH = 1000
DB_DEADLINE_S = 10.0

# Count what a page asks of WebRTC and the camera, from before its own scripts run.
COUNT_MEDIA_USE = """
(() => {
  const use = { peerConnections: 0, cameraRequests: 0 };
  window.dasanMediaUse = use;
  const NativePeerConnection = window.RTCPeerConnection;
  if (typeof NativePeerConnection === 'function') {
    window.RTCPeerConnection = class extends NativePeerConnection {
      constructor(...args) {
        super(...args);
        use.peerConnections += 1;
      }
    };
  }
  const devices = navigator.mediaDevices;
  if (devices && typeof devices.getUserMedia === 'function') {
    const getUserMedia = devices.getUserMedia.bind(devices);
    devices.getUserMedia = (constraints) => {
      use.cameraRequests += 1;
      return getUserMedia(constraints);
    };
  }
})();
"""


async def media_use(page: Page) -> dict[str, int]:
    use = await page.evaluate("window.dasanMediaUse")
    assert isinstance(use, dict)
    return {str(key): int(value) for key, value in use.items()}


async def start_chat_session(
    staff: Page, citizen: Page, server_url: str, password: str
) -> None:
    await sign_in_and_take_calls(staff, server_url, password)
    await ask_for_chat(citizen, server_url)
    offer = staff.locator("#offer")
    await expect(offer).to_contain_text("Text chat counseling")
    await expect(offer).to_contain_text("Korean")
    await staff.click("#accept")
    for page in (citizen, staff):
        await expect(page.locator("body")).to_have_attribute("data-state", "call")
        await expect(page.locator("body")).to_have_attribute("data-channel", "chat")
        await expect(page.locator("#chat")).to_be_visible()
        await expect(page.locator("#chat-empty")).to_be_visible()


async def write(page: Page, *lines: str) -> None:
    """Type a message (Shift+Enter between lines) and send it with Enter."""
    box = page.get_by_role("textbox", name="Your message")
    await box.fill(lines[0])
    for line in lines[1:]:
        await box.press("Shift+Enter")
        await box.press_sequentially(line)
    await box.press("Enter")
    await expect(box).to_have_value("")


async def expect_transcript(page: Page, *messages: tuple[str, str]) -> None:
    """Exactly these (sender label, text) messages, in this order, once each."""
    items = page.locator("#chat-messages > li")
    await expect(items.locator(".chat-text")).to_have_text([m[1] for m in messages])
    await expect(items.locator(".chat-sender")).to_have_text([m[0] for m in messages])
    for index, (_, text) in enumerate(messages):
        item = items.nth(index)
        # Line breaks are kept (to_have_text folds whitespace, so read it exactly).
        assert await item.locator(".chat-text").text_content() == text
        time_ = item.locator("time")
        await expect(time_).to_have_attribute(
            "datetime", re.compile(r"^\d{4}-\d\d-\d\dT")
        )
        await expect(time_).to_have_text(re.compile(r"\d\d:\d\d"))


def read_transcript(database: Path) -> list[tuple[str, str]]:
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        rows = db.execute(
            "SELECT sender, text FROM case_messages ORDER BY case_id, seq"
        ).fetchall()
    return [(str(sender), str(text)) for sender, text in rows]


async def stored_transcript(database: Path, count: int) -> list[tuple[str, str]]:
    deadline = time.monotonic() + DB_DEADLINE_S
    while len(rows := await asyncio.to_thread(read_transcript, database)) < count:
        assert time.monotonic() < deadline, f"only {len(rows)} messages stored"
        await asyncio.sleep(0.1)
    return rows


async def test_chat_session_without_a_camera(
    server_url: str,
    database: Path,
    demo_password: str,
    browser: Browser,
    open_page: OpenPage,
) -> None:
    staff = await open_page(browser, "staff", viewport=DESKTOP, permissions=MEDIA)
    citizen = await open_page(browser, "citizen", viewport=PHONE, permissions=[])
    for page in (staff, citizen):
        await page.add_init_script(COUNT_MEDIA_USE)
    await start_chat_session(staff, citizen, server_url, demo_password)

    # Text only: no video on either side, and the log announces politely.
    for page in (citizen, staff):
        await expect(page.locator("#remote-video")).to_be_hidden()
        await expect(page.locator("#local-video")).to_be_hidden()
        await expect(page.locator("#chat-log")).to_have_attribute("role", "log")
        await expect(page.locator("#chat-log")).to_have_attribute("aria-live", "polite")
    await expect(citizen.locator("#status")).to_contain_text(
        f"You are chatting with {INTERPRETER}"
    )
    await expect(staff.locator("#status")).to_contain_text("In a text chat")
    # Who is in the session, though no media connects in a text chat.
    parties = staff.locator("#room-parties > li")
    await expect(parties).to_have_count(2)
    await expect(staff.locator("#room-parties [data-role='citizen']")).to_have_count(1)

    question = "Hello, I have a question about my water bill."
    await citizen.get_by_role("textbox", name="Your message").fill(question)
    await expect(citizen.locator("#chat-counter")).to_have_text(
        f"{len(question)} / 1,000"
    )
    await citizen.get_by_role("textbox", name="Your message").press("Enter")
    answer = ("Hello, I can help.", "What is your customer number?")
    await expect(staff.locator("#chat-messages > li")).to_have_count(1)
    await write(staff, *answer)
    answer_text = "\n".join(answer)

    await expect_transcript(citizen, ("You", question), (INTERPRETER, answer_text))
    await expect_transcript(staff, ("Citizen", question), ("You", answer_text))

    # Nobody touched WebRTC or the camera for this session.
    for page in (citizen, staff):
        assert (await media_use(page))["peerConnections"] == 0
        assert await page.evaluate("window.dasanCall") is None
    assert (await media_use(citizen))["cameraRequests"] == 0

    # A reload of the console rejoins the session and shows the transcript again.
    await staff.reload()
    await expect(staff.locator("body")).to_have_attribute("data-state", "call")
    await expect(staff.locator("body")).to_have_attribute("data-channel", "chat")
    await expect_transcript(staff, ("Citizen", question), ("You", answer_text))
    await write(citizen, "12-345-678")
    await expect_transcript(
        staff, ("Citizen", question), ("You", answer_text), ("Citizen", "12-345-678")
    )
    assert (await media_use(staff))["peerConnections"] == 0

    # "End chat" ends it on both sides; the transcript stays readable.
    await expect(citizen.locator("#hang-up")).to_have_text("End chat")
    await citizen.click("#hang-up")
    for page in (citizen, staff):
        await expect(page.locator("body")).to_have_attribute("data-state", "ended")
        await expect(page.locator("#chat-form")).to_be_hidden()
        await expect(page.locator("#chat-messages > li")).to_have_count(3)
        await expect(page.locator("#chat-note")).to_contain_text(
            "The session has ended"
        )
    await expect(staff.locator("#notice")).to_have_text("The citizen hung up.")
    assert await media_use(citizen) == {"peerConnections": 0, "cameraRequests": 0}

    # The counseling record keeps the transcript.
    assert await stored_transcript(database, 3) == [
        ("citizen", question),
        ("interpreter", answer_text),
        ("citizen", "12-345-678"),
    ]


async def test_chat_beside_a_video_call(
    server_url: str, demo_password: str, browser: Browser, open_page: OpenPage
) -> None:
    staff = await open_page(browser, "staff", viewport=DESKTOP, permissions=MEDIA)
    citizen = await open_page(browser, "citizen", viewport=PHONE, permissions=MEDIA)
    await start_a_sign_language_call(staff, citizen, server_url, demo_password)
    for page in (citizen, staff):
        await expect(page.locator("body")).to_have_attribute("data-channel", "video")
        await connected(page)

    # Below the video on a phone, beside it on a desktop.
    citizen_stage = await citizen.locator(".stage").bounding_box()
    citizen_chat = await citizen.locator("#chat").bounding_box()
    assert citizen_stage and citizen_chat
    assert citizen_chat["y"] >= citizen_stage["y"] + citizen_stage["height"]
    staff_stage = await staff.locator(".stage").bounding_box()
    staff_chat = await staff.locator("#chat").bounding_box()
    assert staff_stage and staff_chat
    assert staff_chat["x"] >= staff_stage["x"] + staff_stage["width"]

    await write(citizen, "Can you see my hands?")
    await expect(staff.locator("#chat-messages > li")).to_have_count(1)
    await write(staff, "Yes, clearly.")
    await expect_transcript(
        citizen, ("You", "Can you see my hands?"), (INTERPRETER, "Yes, clearly.")
    )
    await expect_transcript(
        staff, ("Citizen", "Can you see my hands?"), ("You", "Yes, clearly.")
    )


async def test_an_over_long_message_is_not_sent(
    server_url: str, demo_password: str, browser: Browser, open_page: OpenPage
) -> None:
    staff = await open_page(browser, "staff", viewport=DESKTOP, permissions=MEDIA)
    citizen = await open_page(browser, "citizen", viewport=PHONE, permissions=[])
    await start_chat_session(staff, citizen, server_url, demo_password)
    box = citizen.get_by_role("textbox", name="Your message")
    send = citizen.get_by_role("button", name="Send")

    # The page refuses it: the counter turns red and neither Send nor Enter sends.
    await box.fill("가" * (MAX_CHAT_LENGTH + 1))
    counter = citizen.locator("#chat-counter")
    await expect(counter).to_have_text("1,001 / 1,000")
    await expect(counter).to_have_attribute("data-over", "true")
    await expect(box).to_have_attribute("aria-invalid", "true")
    await expect(citizen.locator("#chat-note")).to_contain_text("too long")
    await expect(send).to_be_disabled()
    await box.press("Enter")
    await expect(box).to_have_value("가" * (MAX_CHAT_LENGTH + 1))

    # Sent anyway (past the page's check), the server refuses it and the page says so.
    refused = await citizen.evaluate(
        "(n) => window.dasanChat.send('x'.repeat(n))", MAX_CHAT_LENGTH + 1
    )
    assert refused is False
    note = citizen.locator("#chat-note")
    await expect(note).to_have_attribute("data-code", "invalid_payload")
    await expect(note).to_contain_text("The message was not sent")
    await expect(note).to_contain_text("longer than 1,000 characters")

    # Exactly at the limit it goes through, whole.
    await box.press("Backspace")
    await expect(counter).to_have_text("1,000 / 1,000")
    await expect(counter).to_have_attribute("data-over", "false")
    await send.click()
    await expect(box).to_have_value("")
    await expect(counter).to_have_text("0 / 1,000")
    for page in (citizen, staff):
        await expect(page.locator("#chat-messages > li")).to_have_count(1)
        await expect(page.locator("#chat-messages .chat-text")).to_have_text(
            "가" * MAX_CHAT_LENGTH
        )
