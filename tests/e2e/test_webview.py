"""The citizen page where video cannot work (the camera refused, no camera, a
webview without WebRTC): what to do and what else to do (a text chat, a booking,
voice only for a foreign language), checked by axe in two languages each; the
recording notice before asking, in all six languages; and the page's helpers for
webviews, run in the browser."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from tests.e2e.checks import check_in, switch_language
from tests.e2e.conftest import Site
from tests.e2e.journeys import (
    ANDROID_WEBVIEW_UA,
    DESKTOP,
    IOS_WEBVIEW_UA,
    PHONE,
    accept_offer,
    context,
    message,
    open_citizen,
    phone_context,
    put_through,
    sign_in_available,
)
from tests.e2e.media import MEDIA_DEADLINE_MS, wait_for_frames

pytestmark = pytest.mark.browser

LOCALES = ("ko", "en", "zh", "ja", "vi", "mn")

# A webview built without WebRTC: no peer connections, no camera API at all.
NO_WEBRTC = """(() => {
  delete window.RTCPeerConnection;
  delete window.webkitRTCPeerConnection;
  delete Navigator.prototype.mediaDevices;
})();"""

# Received audio at the staff console: bytes of inbound audio RTP.
AUDIO_BYTES_RECEIVED = """async () => {
  let bytes = 0;
  (await window.dasanCall.pc.getStats()).forEach((stat) => {
    if (stat.type === 'inbound-rtp' && stat.kind === 'audio') {
      bytes += stat.bytesReceived || 0;
    }
  });
  return bytes;
}"""


async def wait_for_audio(page: Page, at_least: int) -> None:
    """Poll getStats until ``at_least`` bytes of remote audio have arrived."""
    deadline = time.monotonic() + MEDIA_DEADLINE_MS / 1000
    while (received := int(await page.evaluate(AUDIO_BYTES_RECEIVED))) < at_least:
        assert time.monotonic() < deadline, f"only {received} of {at_least} bytes"
        await asyncio.sleep(0.2)


async def expect_help(page: Page, *, voice: bool, chat: bool = True) -> None:
    """The "other ways" panel with its options, and a booking link for the service."""
    help_ = page.locator("#camera-help")
    await expect(help_).to_be_visible()
    await expect(help_.get_by_role("heading", level=2)).not_to_be_empty()
    voice_button = page.locator("#voice-only")
    if voice:
        await expect(voice_button).to_be_visible()
        await expect(voice_button).to_have_attribute("aria-describedby", "voice-note")
    else:
        await expect(voice_button).to_be_hidden()
    chat_button = page.locator("#chat-instead")
    if chat:
        await expect(chat_button).to_be_visible()
    href = f"/book?service={await page.locator('#service').input_value()}"
    if await page.locator("#language-field").is_visible():
        href += f"&language={await page.locator('#language').input_value()}"
    await expect(page.locator("#book-instead")).to_have_attribute("href", href)


# -- the camera refused -------------------------------------------------------------


async def test_a_refused_camera_says_what_to_do_and_offers_chat_or_booking(
    site: Site,
    asking_browser: Browser,
) -> None:
    async with context(
        asking_browser, locale="ko", viewport=PHONE, permissions=[]
    ) as ctx:
        citizen = await ctx.new_page()
        await open_citizen(citizen, site.server.url, "ko")
        await citizen.select_option("#service", "sign_language")
        await expect(citizen.locator("#camera-help")).to_be_hidden()
        await citizen.click("#start-camera")
        error = citizen.locator("#error")
        await expect(error).to_have_attribute("data-code", "media.denied")
        await expect(error).to_have_text(message("ko", "media.denied"))
        # Sign language is seen, not heard: no "voice only"; a chat or a booking.
        await expect_help(citizen, voice=False)
        await expect(citizen.locator("#chat-instead")).to_have_text(
            message("ko", "camera_help.chat")
        )
        await check_in(citizen, "citizen", "camera-denied", ["ko", "vi"])
        await expect(citizen.locator("#camera-help h2")).to_have_text(
            message("vi", "camera_help.heading")
        )
        await expect(error).to_have_text(message("vi", "media.denied"))

        # A foreign-language caller may go on by voice (this refusal took the
        # microphone too, so that fails and says so, and the other ways stay).
        await citizen.select_option("#service", "foreign_language")
        await expect_help(citizen, voice=True)
        await citizen.click("#voice-only")
        await expect(error).to_have_attribute("data-code", "camera_help.voice.failed")
        await expect(citizen.locator("#ask")).to_be_disabled()
        await expect(citizen.locator("#chat-instead")).to_be_visible()

        # The chat button asks for the text chat counseling at once.
        await citizen.click("#chat-instead")
        await expect(citizen.locator("body")).to_have_attribute("data-state", "waiting")
        await expect(citizen.locator("#service")).to_have_value("chat")
        await expect(citizen.locator("#cancel")).to_be_focused()
        await citizen.click("#cancel")
        await expect(citizen.locator("body")).to_have_attribute("data-state", "choose")
        # Text chat needs no camera: nothing to offer instead.
        await expect(citizen.locator("#camera-help")).to_be_hidden()


# -- no camera at all ---------------------------------------------------------------


async def test_no_camera_lets_a_foreign_language_caller_talk_by_voice(
    site: Site,
    no_camera_browser: Browser,
    browser: Browser,
) -> None:
    """Decision: a foreign-language session is spoken, so without a camera the
    citizen may go on by voice (they see and hear the counselor, who hears them);
    sign language is not offered voice, since the picture is the language."""
    url = site.server.url
    async with (
        context(no_camera_browser, locale="en", viewport=PHONE) as citizen_ctx,
        context(browser, locale="en", viewport=DESKTOP) as staff_ctx,
    ):
        citizen = await citizen_ctx.new_page()
        await open_citizen(citizen, url, "en")
        await citizen.select_option("#service", "sign_language")
        await citizen.click("#start-camera")
        error = citizen.locator("#error")
        await expect(error).to_have_attribute("data-code", "media.not_found")
        await expect_help(citizen, voice=False)
        await check_in(citizen, "citizen", "no-camera", ["en", "mn"])

        await switch_language(citizen, "en")
        await citizen.select_option("#service", "foreign_language")
        await citizen.select_option("#language", "en")
        await expect_help(citizen, voice=True)
        await expect(citizen.locator("#camera-help [data-part='intro']")).to_have_text(
            message("en", "camera_help.intro.foreign_language")
        )
        await citizen.click("#voice-only")
        await expect(citizen.locator("body")).to_have_attribute("data-camera", "voice")
        await expect(citizen.locator("#camera-note")).to_have_text(
            message("en", "camera_help.voice.on")
        )
        await expect(citizen.locator("#camera-help")).to_be_hidden()
        await expect(citizen.locator("#ask")).to_be_focused()
        await check_in(citizen, "citizen", "voice-only", ["en", "mn"])
        await switch_language(citizen, "en")

        staff = await staff_ctx.new_page()
        await sign_in_available(staff, url, "counselor.en")
        await put_through(citizen, staff)
        # The citizen sees the counselor; the counselor hears the citizen.
        await wait_for_frames(citizen, at_least=10)
        await wait_for_audio(staff, at_least=4000)
        await expect(citizen.locator("#local-video")).to_be_hidden()
        await expect(citizen.locator("#switch-camera")).to_be_hidden()
        await citizen.click("#hang-up")
        await expect(citizen.locator("body")).to_have_attribute("data-state", "ended")


# -- a webview without WebRTC -------------------------------------------------------


async def test_a_webview_without_webrtc_offers_a_text_chat(
    site: Site,
    browser: Browser,
) -> None:
    url = site.server.url
    async with (
        phone_context(
            browser,
            locale="ko",
            viewport=PHONE,
            user_agent=ANDROID_WEBVIEW_UA,
            permissions=[],
        ) as citizen_ctx,
        context(browser, locale="ko", viewport=DESKTOP) as staff_ctx,
    ):
        citizen = await citizen_ctx.new_page()
        await citizen.add_init_script(NO_WEBRTC)
        await open_citizen(citizen, url, "ko")
        error = citizen.locator("#error")
        await expect(error).to_have_attribute("data-code", "media.unsupported")
        # Said the webview's way: open the page in the phone's browser.
        await expect(error).to_have_text(message("ko", "media.unsupported.webview"))
        await expect(citizen.locator("#start-camera")).to_be_disabled()
        await expect_help(citizen, voice=False)
        # No WebRTC, no voice either, whatever the service.
        await citizen.select_option("#service", "foreign_language")
        await expect_help(citizen, voice=False)
        await citizen.select_option("#service", "sign_language")
        await check_in(citizen, "citizen", "no-webrtc", ["ko", "zh"])
        await expect(error).to_have_text(message("zh", "media.unsupported.webview"))

        # The chat needs only this page's connection: it works here.
        staff = await staff_ctx.new_page()
        await sign_in_available(staff, url)
        await citizen.click("#chat-instead")
        await accept_offer(staff)
        await expect(citizen.locator("body")).to_have_attribute("data-state", "call")
        await expect(citizen.locator("body")).to_have_attribute("data-channel", "chat")
        box = citizen.locator("#chat-input")
        await box.fill("카메라 없이 상담하고 싶습니다.")
        await box.press("Enter")
        await expect(staff.locator("#chat-messages > li")).to_have_count(1)
        await check_in(citizen, "citizen", "no-webrtc-chat", ["zh", "ko"])
        await citizen.click("#hang-up")
        await expect(citizen.locator("body")).to_have_attribute("data-state", "ended")


# -- before asking: what will happen -----------------------------------------------


async def test_the_recording_notice_is_there_before_asking_in_every_language(
    site: Site,
    browser: Browser,
) -> None:
    async with context(browser, locale="ko", viewport=PHONE) as ctx:
        citizen = await ctx.new_page()
        await open_citizen(citizen, site.server.url, "ko")
        notice = citizen.locator("#recording-notice")
        for locale in LOCALES:
            await switch_language(citizen, locale)
            await citizen.select_option("#service", "sign_language")
            await expect(notice).to_be_visible()
            await expect(notice).to_have_text(
                message(locale, "citizen.recording_notice")
            )
            await expect(notice).to_be_in_viewport()
            await citizen.select_option("#service", "chat")
            await expect(notice).to_have_text(
                message(locale, "citizen.recording_notice.chat")
            )
        # Every language says it in its own words, and mentions asking first.
        texts = {message(locale, "citizen.recording_notice") for locale in LOCALES}
        assert len(texts) == len(LOCALES)


# -- the page's webview helpers, in the browser ----------------------------------


HELPERS = """async (uas) => {
  const media = await import('/static/js/media.js');
  const cameras = await import('/static/js/cameras.js');
  const help = await import('/static/js/camera_help.js');
  const kind = ([name, ua]) => [name, media.webviewKind(ua)];
  const next = cameras.nextCameraConstraints;
  return {
    kinds: Object.fromEntries(Object.entries(uas).map(kind)),
    deniedInApp: media.problemMessage('denied', 'android'),
    deniedInBrowser: media.problemMessage('denied', null),
    busyInApp: media.problemMessage('busy', 'ios'),
    phone: next({ deviceId: 'b', facing: 'user' }, ['a', 'b']),
    webcams: next({ deviceId: 'b', facing: null }, ['a', 'b', 'c']),
    oneCamera: next({ deviceId: 'a', facing: null }, ['a']),
    signDenied: help.alternatives('denied', 'sign_language'),
    foreignMissing: help.alternatives('not_found', 'foreign_language'),
    foreignNoWebRtc: help.alternatives('unsupported', 'foreign_language'),
    reserved: help.alternatives('denied', 'sign_language', { reserved: true }),
    chat: help.alternatives('denied', 'chat'),
  };
}"""


async def test_webview_helpers(
    site: Site,
    browser: Browser,
) -> None:
    user_agents = {
        "android_webview": ANDROID_WEBVIEW_UA,
        "ios_webview": IOS_WEBVIEW_UA,
        "chrome_android": ANDROID_WEBVIEW_UA.replace("; wv", "").replace(
            "Version/4.0 ", ""
        ),
        "safari_ios": IOS_WEBVIEW_UA + " Safari/604.1",
        "kakaotalk": IOS_WEBVIEW_UA + " KAKAOTALK 10.4.5",
        "desktop": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36",
    }
    async with context(browser, locale="en", viewport=PHONE, permissions=[]) as ctx:
        page = await ctx.new_page()
        await open_citizen(page, site.server.url, "en")
        got: dict[str, Any] = await page.evaluate(HELPERS, user_agents)
    assert got["kinds"] == {
        "android_webview": "android",
        "ios_webview": "ios",
        "chrome_android": None,
        "safari_ios": None,
        "kakaotalk": "in_app",
        "desktop": None,
    }
    assert got["deniedInApp"] == "media.denied.webview"
    assert got["deniedInBrowser"] == "media.denied"
    assert got["busyInApp"] == "media.busy"
    # A phone turns to the other side first, then tries the next camera listed;
    # computers go round their webcams; one camera has nothing to switch to.
    first, second = got["phone"]
    assert first["facingMode"] == {"exact": "environment"} and "deviceId" not in first
    assert second["deviceId"] == {"exact": "a"} and "facingMode" not in second
    assert first["frameRate"] == second["frameRate"] == {"ideal": 30}
    [webcam] = got["webcams"]
    assert webcam["deviceId"] == {"exact": "c"} and "facingMode" not in webcam
    assert got["oneCamera"] == []
    assert got["signDenied"] == {"voice": False, "chat": True, "book": True}
    assert got["foreignMissing"] == {"voice": True, "chat": True, "book": True}
    assert got["foreignNoWebRtc"] == {"voice": False, "chat": True, "book": True}
    assert got["reserved"] == {"voice": False, "chat": False, "book": False}
    assert got["chat"] == {"voice": False, "chat": False, "book": False}
