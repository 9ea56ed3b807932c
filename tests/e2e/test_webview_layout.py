"""A call from an app's webview (Android WebView, iOS WKWebView): video inline, the
page usable upright and sideways with no sideways scrolling and the controls on
screen, clear of a notch and a home bar (safe-area insets), and the call going on
while the app is in the background."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, CDPSession, Page, ViewportSize, expect

from tests.e2e.checks import check_in
from tests.e2e.conftest import Site
from tests.e2e.journeys import (
    ANDROID_WEBVIEW_UA,
    DESKTOP,
    IOS_WEBVIEW_UA,
    PAGE_VISIBILITY,
    PHONE,
    PHONE_LANDSCAPE,
    accept_offer,
    answer_consent_later,
    ask,
    context,
    in_the_call,
    message,
    open_citizen,
    phone_context,
    sign_in_available,
    turn_on_camera,
)
from tests.e2e.media import decoded_frames, wait_for_frames

pytestmark = pytest.mark.browser

# A phone on its side: the notch on the left, the home bar at the bottom.
LANDSCAPE_INSETS = {"top": 0, "left": 47, "right": 47, "bottom": 21}
PORTRAIT_INSETS = {"top": 47, "left": 0, "right": 0, "bottom": 34}

LAYOUT = """() => {
  const box = (selector) => {
    const r = document.querySelector(selector).getBoundingClientRect();
    return { top: r.top, bottom: r.bottom, left: r.left, right: r.right };
  };
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    innerHeight: window.innerHeight,
    hangUp: box('#hang-up'),
    switchCamera: box('#switch-camera'),
    remote: box('#remote-video'),
    locale: box('#locale'),
    quality: box('#quality'),
    status: box('#status'),
  };
}"""


async def no_sideways_scroll(page: Page) -> None:
    widths = await page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert widths[0] <= widths[1], f"the page scrolls sideways: {widths}"


async def set_insets(cdp: CDPSession, insets: dict[str, int]) -> None:
    """What a notched phone reports as env(safe-area-inset-*) (Chromium's DevTools)."""
    await cdp.send("Emulation.setSafeAreaInsetsOverride", {"insets": insets})


async def check_fits(
    page: Page, viewport: ViewportSize, insets: dict[str, int]
) -> None:
    """Upright or sideways: nothing scrolls sideways, the other person's video and
    the controls are on screen (the page at its top), clear of the insets."""
    await page.set_viewport_size(viewport)
    await page.evaluate("window.scrollTo(0, 0)")
    await no_sideways_scroll(page)
    for selector in ("#hang-up", "#switch-camera"):
        await expect(page.locator(selector)).to_be_in_viewport(ratio=1)
    await expect(page.locator("#remote-video")).to_be_in_viewport(ratio=0.9)
    # Sign language: the advice on your own picture is not under the bar.
    await expect(page.locator("#quality")).to_be_visible()
    await expect(page.locator("#quality")).to_be_in_viewport(ratio=1)
    got = await page.evaluate(LAYOUT)
    width, height = got["innerWidth"], got["innerHeight"]
    quality, hang_up = got["quality"], got["hangUp"]
    assert quality["bottom"] <= hang_up["top"], f"the advice is under the bar: {got}"
    upright = viewport["height"] > viewport["width"]
    for name in ("hangUp", "switchCamera", "remote", "quality", "locale", "status"):
        box = got[name]
        assert box["left"] >= insets["left"], f"{name} under the left inset: {box}"
        assert box["right"] <= width - insets["right"], f"{name} under the right: {box}"
    for name in ("locale", "status"):
        assert got[name]["top"] >= insets["top"], f"{name} under the notch: {got}"
    # Sideways the header gives its row to the call: the language switcher stays,
    # beside the status line, not over it.
    await expect(page.locator("#locale")).to_be_in_viewport(ratio=1)
    if not upright:
        locale, status = got["locale"], got["status"]
        assert status["right"] <= locale["left"], f"the switcher over the status: {got}"
    assert hang_up["bottom"] <= height - insets["bottom"], f"under the home bar: {got}"


@pytest.mark.parametrize(
    "user_agent", [ANDROID_WEBVIEW_UA, IOS_WEBVIEW_UA], ids=["android", "ios"]
)
async def test_a_call_from_an_app_webview(
    site: Site,
    cameras_browser: Browser,
    browser: Browser,
    user_agent: str,
) -> None:
    url = site.server.url
    async with (
        phone_context(
            cameras_browser, locale="ko", viewport=PHONE, user_agent=user_agent
        ) as citizen_ctx,
        context(browser, locale="en", viewport=DESKTOP) as staff_ctx,
    ):
        citizen = await citizen_ctx.new_page()
        await citizen.add_init_script(PAGE_VISIBILITY)
        cdp = await citizen_ctx.new_cdp_session(citizen)
        await open_citizen(citizen, url, "ko")
        assert await citizen.evaluate("navigator.userAgent") == user_agent
        viewport = citizen.locator("meta[name=viewport]")
        await expect(viewport).to_have_attribute(
            "content", "width=device-width, initial-scale=1, viewport-fit=cover"
        )
        # Inline video everywhere (iOS plays full screen without playsinline).
        for video in ("#remote-video", "#local-video"):
            for attribute in ("playsinline", "webkit-playsinline", "autoplay"):
                await expect(citizen.locator(video)).to_have_attribute(attribute, "")
        assert await citizen.locator("#local-video").evaluate("(v) => v.muted")

        for size in (PHONE, PHONE_LANDSCAPE):
            await citizen.set_viewport_size(size)
            await no_sideways_scroll(citizen)
        await citizen.set_viewport_size(PHONE)
        await turn_on_camera(citizen)
        await expect(citizen.locator("#recording-notice")).to_be_visible()
        # The next step has the focus and is on screen, either way up.
        await expect(citizen.locator("#ask")).to_be_focused()
        await expect(citizen.locator("#ask")).to_be_in_viewport(ratio=1)
        await citizen.set_viewport_size(PHONE_LANDSCAPE)
        await no_sideways_scroll(citizen)
        await citizen.locator("#ask").scroll_into_view_if_needed()
        await expect(citizen.locator("#ask")).to_be_in_viewport(ratio=1)
        await citizen.set_viewport_size(PHONE)
        await citizen.click("#ask")

        staff = await staff_ctx.new_page()
        await sign_in_available(staff, url)
        await accept_offer(staff)
        await in_the_call(citizen, staff)
        await answer_consent_later(citizen)
        await wait_for_frames(citizen, at_least=10)
        assert await citizen.locator("#remote-video").evaluate(
            "(v) => !v.paused && document.pictureInPictureElement === null"
        )

        # Upright and sideways, without and with a notch and a home bar.
        none = {"top": 0, "left": 0, "right": 0, "bottom": 0}
        await check_fits(citizen, PHONE, none)
        await check_fits(citizen, PHONE_LANDSCAPE, none)
        await set_insets(cdp, LANDSCAPE_INSETS)
        await check_fits(citizen, PHONE_LANDSCAPE, LANDSCAPE_INSETS)
        await check_in(citizen, "citizen", "in-call-notch", ["ko", "en"])
        await set_insets(cdp, PORTRAIT_INSETS)
        await check_fits(citizen, PHONE, PORTRAIT_INSETS)
        await check_in(citizen, "citizen", "in-call-notch", ["en", "ko"])
        await set_insets(cdp, none)

        # The app goes to the background: the call goes on (video both ways, the
        # chat arrives, and the title says so), and is there on return.
        await citizen.evaluate("window.dasanSetHidden(true)")
        for page in (staff, citizen):
            before = await decoded_frames(page)
            await wait_for_frames(page, at_least=before + 30)
        box = staff.locator("#chat-input")
        await box.fill("Are you still there?")
        await box.press("Enter")
        await expect(citizen.locator("#chat-messages > li")).to_have_count(1)
        await expect(citizen).to_have_title(re.compile(r"^\(!\) "))
        await citizen.evaluate("window.dasanSetHidden(false)")
        await expect(citizen.locator("body")).to_have_attribute("data-state", "call")
        assert await citizen.evaluate("window.dasanCall.pc.connectionState") == (
            "connected"
        )
        await expect(staff.locator("body")).to_have_attribute("data-state", "call")
        await citizen.click("#hang-up")
        await expect(citizen.locator("body")).to_have_attribute("data-state", "ended")


# A larger phone on its side (iPhone 12-15 class), as the consent test measures it.
PHONE_SIDEWAYS = ViewportSize(width=844, height=390)
# The other person's picture stays usable beside the recording question: signing
# needs hands and face at a size one can read (at 640x360 the picture is 164 px
# tall with or without the question; before the side panel it was 96 at 844x390).
MIN_REMOTE_HEIGHT = 150
MIN_REMOTE_WIDTH = 260

CONSENT_LAYOUT = """() => {
  const box = (element) => {
    const r = element.getBoundingClientRect();
    return { top: r.top, bottom: r.bottom, left: r.left, right: r.right,
             width: r.width, height: r.height };
  };
  const dialog = document.querySelector('dialog[open]');
  return {
    innerWidth: window.innerWidth,
    innerHeight: window.innerHeight,
    remote: box(document.querySelector('#remote-video')),
    dialog: dialog ? box(dialog) : null,
    locale: box(document.querySelector('#locale')),
    hangUp: box(document.querySelector('#hang-up')),
  };
}"""


FOCUS_IN_QUESTION = (
    "document.querySelector('dialog[open]')"
    " && document.querySelector('dialog[open]').contains(document.activeElement)"
)


def overlaps(a: dict[str, float], b: dict[str, float]) -> bool:
    return not (
        a["right"] <= b["left"]
        or b["right"] <= a["left"]
        or a["bottom"] <= b["top"]
        or b["bottom"] <= a["top"]
    )


async def test_the_recording_question_sideways_keeps_the_video_usable(
    site: Site,
    browser: Browser,
) -> None:
    url = site.server.url
    async with (
        phone_context(
            browser, locale="en", viewport=PHONE_SIDEWAYS, user_agent=IOS_WEBVIEW_UA
        ) as citizen_ctx,
        context(browser, locale="en", viewport=DESKTOP) as staff_ctx,
    ):
        citizen = await citizen_ctx.new_page()
        cdp = await citizen_ctx.new_cdp_session(citizen)
        await open_citizen(citizen, url, "en")
        await turn_on_camera(citizen)
        await ask(citizen)
        staff = await staff_ctx.new_page()
        await sign_in_available(staff, url)
        await accept_offer(staff)
        await in_the_call(citizen, staff)
        question = citizen.get_by_role("dialog", name=message("en", "consent.title"))
        await expect(question).to_be_visible()
        await citizen.wait_for_function(FOCUS_IN_QUESTION)
        await wait_for_frames(citizen, at_least=10)

        none = {"top": 0, "left": 0, "right": 0, "bottom": 0}
        for viewport, insets in (
            (PHONE_SIDEWAYS, none),
            (PHONE_LANDSCAPE, none),
            (PHONE_SIDEWAYS, LANDSCAPE_INSETS),
        ):
            await citizen.set_viewport_size(viewport)
            await set_insets(cdp, insets)
            await citizen.evaluate("window.scrollTo(0, 0)")
            await no_sideways_scroll(citizen)
            got = await citizen.evaluate(CONSENT_LAYOUT)
            remote, dialog = got["remote"], got["dialog"]
            assert dialog is not None, f"the question closed: {got}"
            where = f"{viewport['width']}x{viewport['height']} {insets}: {got}"
            assert remote["height"] >= MIN_REMOTE_HEIGHT, f"the video shrank: {where}"
            assert remote["width"] >= MIN_REMOTE_WIDTH, f"the video shrank: {where}"
            # The question covers neither the video nor the language switcher
            # nor Hang up, and is whole on screen, clear of the notch.
            for name in ("remote", "locale", "hangUp"):
                assert not overlaps(dialog, got[name]), f"over {name}: {where}"
            assert dialog["top"] >= 0, where
            assert dialog["bottom"] <= got["innerHeight"] - insets["bottom"], where
            assert dialog["left"] >= insets["left"], where
            assert dialog["right"] <= got["innerWidth"] - insets["right"], where
            await expect(question).to_be_in_viewport(ratio=1)
            for answer in ("consent-agree", "consent-decline", "consent-later"):
                await expect(
                    question.locator(f"[data-testid='{answer}']")
                ).to_be_in_viewport(ratio=1)
            await check_in(citizen, "citizen", "consent-sideways", ["en"])
        asked = (await citizen.evaluate(CONSENT_LAYOUT))["remote"]
        await set_insets(cdp, none)

        # By keyboard: from the question to its answers; Escape puts it off and the
        # video takes its room back.
        await citizen.wait_for_function(FOCUS_IN_QUESTION)
        agree = question.locator("[data-testid='consent-agree']")
        for _ in range(3):
            if await agree.evaluate("(button) => button === document.activeElement"):
                break
            await citizen.keyboard.press("Tab")
        await expect(agree).to_be_focused()
        await citizen.keyboard.press("Escape")
        await expect(citizen.locator("dialog[open]")).to_have_count(0)
        await expect(citizen.locator("#remote-video")).to_be_in_viewport(ratio=0.9)
        # The question cost the picture (almost) none of its height.
        await set_insets(cdp, LANDSCAPE_INSETS)
        await citizen.evaluate("window.scrollTo(0, 0)")
        after = (await citizen.evaluate(CONSENT_LAYOUT))["remote"]
        assert asked["height"] >= 0.9 * after["height"], f"{asked} then {after}"
        await set_insets(cdp, none)
        await citizen.click("#hang-up")
        await expect(citizen.locator("body")).to_have_attribute("data-state", "ended")
