"""The citizen page for sign language in headless Chromium: advice on the
citizen's own picture (in their language), the warning when their video is too
jerky to sign, how the browser sends video, and the satisfaction question."""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from tests.e2e.checks import check, switch_language
from tests.e2e.journeys import (
    DESKTOP,
    PHONE,
    context,
    put_through,
    sign_in_available,
    turn_on_camera,
)
from tests.e2e.media import send_chat

pytestmark = pytest.mark.browser

# The page waits about 5 s of low frame rate before it warns, 2 s before it clears.
WARNING_DEADLINE_MS = 30_000
DB_DEADLINE_S = 10.0

# Replaces the camera with a canvas the test paints: `window.dasanCamera` sets
# its picture ('dark', 'backlit' or 'lit') and how many frames a second it paints.
# Every frame gets a little noise, as a real sensor does, so each one is new.
CANVAS_CAMERA = """
(() => {
  const camera = { picture: __PICTURE__, fps: __FPS__, timer: null };
  window.dasanCamera = camera;
  const canvas = document.createElement('canvas');
  canvas.width = 640;
  canvas.height = 360;
  const g = canvas.getContext('2d');
  let tick = 0;
  function paint() {
    tick += 1;
    const { width, height } = canvas;
    if (camera.picture === 'dark') {
      g.fillStyle = 'rgb(12, 12, 14)';
      g.fillRect(0, 0, width, height);
      g.fillStyle = 'rgb(30, 28, 26)';
      g.fillRect(width * 0.35, height * 0.15, width * 0.3, height * 0.85);
    } else if (camera.picture === 'backlit') {
      g.fillStyle = 'rgb(235, 235, 230)'; // a window behind the signer
      g.fillRect(0, 0, width, height);
      g.fillStyle = 'rgb(35, 30, 28)'; // the signer, dark against it
      g.fillRect(width * 0.36, height * 0.06, width * 0.28, height * 0.94);
    } else {
      g.fillStyle = 'rgb(120, 130, 140)';
      g.fillRect(0, 0, width, height);
      for (let x = 0; x < width; x += 40) {
        g.fillStyle = x % 80 ? 'rgb(40, 60, 90)' : 'rgb(220, 200, 170)';
        g.fillRect(x, (tick * 7 + x) % height, 20, 60); // moving bars: hands
      }
    }
    for (let i = 0; i < 400; i += 1) {
      const v = Math.floor(Math.random() * 40);
      g.fillStyle = `rgb(${v}, ${v}, ${v})`;
      g.fillRect(Math.random() * width, Math.random() * height, 2, 2);
    }
  }
  camera.setFps = (fps) => {
    camera.fps = fps;
    clearInterval(camera.timer);
    camera.timer = setInterval(paint, 1000 / fps);
  };
  const stream = canvas.captureStream();
  camera.setFps(camera.fps);
  paint();
  const video = () => new MediaStream(stream.getVideoTracks());
  navigator.mediaDevices.getUserMedia = async () => video();
})();
"""

VIDEO_SENDER = """() => {
  const sender = window.dasanCall.pc
    .getSenders()
    .find((s) => s.track && s.track.kind === 'video');
  const params = sender.getParameters();
  return {
    degradationPreference: params.degradationPreference,
    encodings: params.encodings.map((e) => ({
      maxFramerate: e.maxFramerate,
      priority: e.priority,
      networkPriority: e.networkPriority,
    })),
    codecs: params.codecs.map((c) => ({
      mimeType: c.mimeType,
      fmtp: c.sdpFmtpLine || '',
    })),
  };
}"""


def canvas_camera(picture: str, fps: int = 30) -> str:
    assert picture in {"dark", "backlit", "lit"}
    return CANVAS_CAMERA.replace("__PICTURE__", json.dumps(picture)).replace(
        "__FPS__", str(int(fps))
    )


async def open_citizen(page: Page, url: str) -> None:
    await page.goto(url)
    await expect(page.locator("body")).to_have_attribute("data-state", "choose")
    await expect(page.locator("#status")).not_to_be_empty()


async def a_sign_language_call(citizen: Page, staff: Page, url: str) -> None:
    """The interpreter is available; the citizen (in the browser's language, its
    camera on) asks and is put through."""
    await sign_in_available(staff, url)
    await open_citizen(citizen, url)
    await turn_on_camera(citizen)
    await put_through(citizen, staff)


# -- advice on the picture -------------------------------------------------------------


async def test_advice_for_sign_language_video_only(
    server_url: str, browser: Browser
) -> None:
    """The fake camera is well lit: a calm line under the preview, for sign
    language only, in the page's language."""
    async with context(browser, locale="en", viewport=PHONE) as ctx:
        citizen = await ctx.new_page()
        await open_citizen(citizen, server_url)
        advice = citizen.locator("#quality")
        await expect(advice).to_be_hidden()
        await turn_on_camera(citizen)

        await expect(advice).to_be_visible()
        await expect(advice).to_have_attribute("role", "status")
        await expect(advice).to_have_attribute("aria-live", "polite")
        await expect(advice).to_have_attribute("data-advice", "ok")
        await expect(advice).to_have_text("Your picture looks good.")
        # Under the preview, not over it.
        stage = await citizen.locator(".stage").bounding_box()
        line = await advice.bounding_box()
        assert stage is not None
        assert line is not None
        assert line["y"] >= stage["y"] + stage["height"] - 1

        # Not for a foreign-language call, and not for text chat.
        await citizen.select_option("#service", "foreign_language")
        await expect(advice).to_be_hidden()
        await expect(advice).to_be_empty()
        await citizen.select_option("#service", "chat")
        await expect(citizen.locator("#start-camera")).to_be_hidden()
        await expect(advice).to_be_hidden()

        # Back to sign language: the advice again, and in Korean when switched.
        await citizen.select_option("#service", "sign_language")
        await expect(advice).to_have_text("Your picture looks good.")
        await switch_language(citizen, "ko")
        await expect(advice).to_have_text("화면이 잘 보입니다.")


async def test_a_chat_citizen_never_sees_picture_advice(
    server_url: str, browser: Browser
) -> None:
    async with context(browser, locale="en", viewport=PHONE) as ctx:
        citizen = await ctx.new_page()
        await open_citizen(citizen, server_url)
        await citizen.select_option("#service", "chat")
        await expect(citizen.locator("#ask")).to_be_enabled()
        await citizen.click("#ask")
        await expect(citizen.locator("body")).to_have_attribute("data-state", "waiting")
        await expect(citizen.locator("#quality")).to_be_hidden()
        await expect(citizen.locator("#quality")).to_be_empty()
        await expect(citizen.locator("#quality")).not_to_have_attribute(
            "data-advice", re.compile(".")
        )


@pytest.mark.parametrize(
    ("browser_locale", "chosen", "first", "then"),
    [
        ("ko", "ja", "화면이 너무 어둡습니다.", "画面が暗すぎます。"),
        ("vi", "mn", "Hình quá tối.", "Хэт харанхуй байна."),
    ],
    ids=["ko-then-ja", "vi-then-mn"],
)
async def test_a_dark_camera_is_told_to_add_light(
    server_url: str,
    browser: Browser,
    browser_locale: str,
    chosen: str,
    first: str,
    then: str,
) -> None:
    async with context(browser, locale=browser_locale, viewport=PHONE) as ctx:
        citizen = await ctx.new_page()
        await citizen.add_init_script(canvas_camera("dark"))
        await open_citizen(citizen, server_url)
        await turn_on_camera(citizen)
        advice = citizen.locator("#quality")
        await expect(advice).to_have_attribute("data-advice", "too_dark")
        await expect(advice).to_contain_text(first)
        # The citizen picks another language: the advice follows.
        await switch_language(citizen, chosen)
        await expect(advice).to_contain_text(then)
        await expect(advice).to_have_attribute("data-advice", "too_dark")


async def test_light_from_behind_is_named(server_url: str, browser: Browser) -> None:
    async with context(browser, locale="en", viewport=PHONE) as ctx:
        citizen = await ctx.new_page()
        await citizen.add_init_script(canvas_camera("backlit"))
        await open_citizen(citizen, server_url)
        await turn_on_camera(citizen)
        advice = citizen.locator("#quality")
        await expect(advice).to_have_attribute("data-advice", "backlit")
        await expect(advice).to_have_text(
            "The light is behind you, so your face is dark. "
            "Turn so the light is in front of you."
        )
        # The light is fixed: the advice says so.
        await citizen.evaluate("window.dasanCamera.picture = 'lit'")
        await expect(advice).to_have_attribute("data-advice", "ok")
        await expect(advice).to_have_text("Your picture looks good.")


# -- frame rate ------------------------------------------------------------------------


async def test_jerky_video_is_warned_and_the_warning_clears(
    server_url: str, browser: Browser
) -> None:
    """A camera at 8 frames a second in a sign-language call: a visible warning that
    blocks nothing; back at 30, it goes. The sender is set up for sign language."""
    async with (
        context(browser, locale="en", viewport=PHONE) as citizen_ctx,
        context(browser, locale="en", viewport=DESKTOP) as staff_ctx,
    ):
        staff = await staff_ctx.new_page()
        citizen = await citizen_ctx.new_page()
        await citizen.add_init_script(canvas_camera("lit", fps=8))
        await a_sign_language_call(citizen, staff, server_url)

        sender: dict[str, Any] = await citizen.evaluate(VIDEO_SENDER)
        assert sender["degradationPreference"] == "maintain-framerate", sender
        assert sender["encodings"], sender
        for encoding in sender["encodings"]:
            assert encoding["maxFramerate"] == 30, sender
            assert encoding["priority"] == "high", sender
            assert encoding["networkPriority"] == "high", sender
        pictures = [c for c in sender["codecs"] if not c["mimeType"].endswith("/rtx")]
        assert pictures, sender
        for codec in pictures:
            assert "x-google-min-bitrate=300" in codec["fmtp"], sender

        warning = citizen.locator("#smoothness")
        await expect(warning).to_be_visible(timeout=WARNING_DEADLINE_MS)
        await expect(warning).to_have_attribute("role", "status")
        await expect(warning).to_contain_text(
            "Your video is not smooth enough for sign language."
        )
        # Nothing is blocked: the chat and the hang-up button still work.
        await expect(citizen.locator("#hang-up")).to_be_enabled()
        await send_chat(citizen, "Hello")
        await expect(staff.locator("#chat-messages > li")).to_have_count(1)

        await citizen.evaluate("window.dasanCamera.setFps(30)")
        await expect(warning).to_be_hidden(timeout=WARNING_DEADLINE_MS)
        await expect(warning).to_be_empty()


# -- satisfaction ----------------------------------------------------------------------


def stored_feedback(database: Path) -> list[dict[str, Any]]:
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        db.row_factory = sqlite3.Row
        rows = db.execute(
            "SELECT case_id, score, comment, answered_at FROM case_feedback"
        ).fetchall()
    return [dict(row) for row in rows]


async def answered_feedback(database: Path) -> dict[str, Any]:
    """The one feedback row, once the answer is stored."""
    deadline = time.monotonic() + DB_DEADLINE_S
    while True:
        rows = await asyncio.to_thread(stored_feedback, database)
        assert len(rows) <= 1, f"expected one feedback row, found {rows}"
        if rows and rows[0]["answered_at"] is not None:
            return rows[0]
        assert time.monotonic() < deadline, f"no answer was stored: {rows}"
        await asyncio.sleep(0.1)


async def test_the_citizen_rates_the_session_by_keyboard_on_a_phone(
    server_url: str, database: Path, browser: Browser
) -> None:
    """The interpreter hangs up; a Vietnamese citizen on a phone answers 4 with a
    comment using the keyboard alone; it is stored and the form thanks them."""
    comment = "Phiên dịch viên rất tận tình."
    async with (
        context(browser, locale="vi", viewport=PHONE) as citizen_ctx,
        context(browser, locale="ko", viewport=DESKTOP) as staff_ctx,
    ):
        staff = await staff_ctx.new_page()
        citizen = await citizen_ctx.new_page()
        await a_sign_language_call(citizen, staff, server_url)
        # The picture advice keeps running during the call, now with the
        # server's check too: the fake camera films no face.
        await expect(citizen.locator("#quality")).to_have_attribute(
            "data-advice", "no_face"
        )
        await expect(citizen.locator("#quality")).to_have_text(
            "Không thấy mặt bạn. Hãy nhìn thẳng vào camera."
        )

        await staff.click("#hang-up")
        await expect(citizen.locator("body")).to_have_attribute("data-state", "ended")
        await expect(citizen.locator("#quality")).to_be_hidden()
        form = citizen.locator("#feedback .feedback")
        await expect(form).to_be_visible()
        await expect(form.get_by_role("heading")).to_have_text(
            "Buổi tư vấn của bạn thế nào?"
        )
        await expect(citizen.locator("#again")).to_be_focused()
        await check(citizen, "citizen", "ended-feedback")

        # Tab from "ask again" into the scores, arrows to 4, Tab to the comment.
        await citizen.keyboard.press("Tab")
        await expect(citizen.locator("#feedback input[value='1']")).to_be_focused()
        for _ in range(3):
            await citizen.keyboard.press("ArrowRight")
        await expect(citizen.locator("#feedback input[value='4']")).to_be_checked()
        await citizen.keyboard.press("Tab")
        await expect(citizen.locator("#feedback textarea")).to_be_focused()
        await citizen.keyboard.type(comment)
        await citizen.keyboard.press("Tab")
        await expect(citizen.locator("#feedback button[type='submit']")).to_be_focused()
        await citizen.keyboard.press("Enter")

        thanks = form.locator(".thanks")
        await expect(thanks).to_have_text("Cảm ơn bạn đã trả lời.")
        await expect(thanks).to_be_focused()
        await expect(form.locator("form")).to_be_hidden()
        row = await answered_feedback(database)
        assert row["score"] == 4
        assert row["comment"] == comment
        await check(citizen, "citizen", "ended-feedback-sent")

        # Asking again takes the question away.
        await citizen.click("#again")
        await expect(citizen.locator("body")).to_have_attribute("data-state", "choose")
        await expect(citizen.locator("#feedback .feedback")).to_have_count(0)


async def test_the_form_follows_the_citizens_own_hang_up(
    server_url: str, browser: Browser
) -> None:
    """Whichever arrives first, the hang-up's answer or the end notice, the
    question is asked once; "No, thanks" leaves the focus on "ask again"."""
    async with (
        context(browser, locale="ko", viewport=PHONE) as citizen_ctx,
        context(browser, locale="en", viewport=DESKTOP) as staff_ctx,
    ):
        staff = await staff_ctx.new_page()
        citizen = await citizen_ctx.new_page()
        await a_sign_language_call(citizen, staff, server_url)
        await citizen.click("#hang-up")
        await expect(citizen.locator("body")).to_have_attribute("data-state", "ended")
        form = citizen.locator("#feedback .feedback")
        await expect(form).to_have_count(1)
        await expect(form.get_by_role("heading")).to_have_text("상담은 어떠셨나요?")
        await form.get_by_role("button", name="건너뛰기").click()
        await expect(form).to_be_hidden()
        await expect(citizen.locator("#again")).to_be_focused()
