"""The steps the e2e tests share, as a person takes them: a citizen asks, an
interpreter signs in and answers, a call connects. What the tests see of the
media is in media.py, the accessibility checks in checks.py."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page, ViewportSize, expect

from tests.e2e.conftest import ACTION_TIMEOUT_MS, DEMO_PASSWORD, REPO
from tests.e2e.media import MEDIA_DEADLINE_MS, wait_for_frames

PHONE = ViewportSize(width=360, height=640)
PHONE_LANDSCAPE = ViewportSize(width=640, height=360)
DESKTOP = ViewportSize(width=1280, height=800)
# The record, dashboard and scheduler pages are seen (and pictured) taller.
TALL_DESKTOP = ViewportSize(width=1280, height=900)
LAPTOP = ViewportSize(width=1024, height=700)
MEDIA = ["camera", "microphone"]
# Poll on a timer: a page behind another window gets no animation frames.
POLL_MS = 100
KSL_INTERPRETER = "interpreter.ksl"
INTERPRETER = "Kim Suhwa"

CATALOGS = REPO / "web_client" / "static" / "i18n"
# What a browser reports as its language, per catalog: the page must pick it.
BROWSER_LOCALE = {
    "ko": "ko-KR",
    "en": "en-US",
    "zh": "zh-CN",
    "ja": "ja-JP",
    "vi": "vi-VN",
    "mn": "mn-MN",
}

# Lets a test hide the page as if the reader switched to another tab or app.
PAGE_VISIBILITY = """(() => {
  let hidden = false;
  Object.defineProperty(Document.prototype, 'hidden', {
    configurable: true,
    get: () => hidden,
  });
  Object.defineProperty(Document.prototype, 'visibilityState', {
    configurable: true,
    get: () => (hidden ? 'hidden' : 'visible'),
  });
  window.dasanSetHidden = (value) => {
    hidden = value;
    document.dispatchEvent(new Event('visibilitychange'));
  };
})();"""


# A chat message is stored with the case before it is sent on: with three browsers
# on two cores it may take longer than expect's 5 s.
CHAT_DEADLINE_MS = 20_000

# An app's embedded browser: Android System WebView (the "; wv)" token) and an
# iOS app's WKWebView (no "Safari/" token).
ANDROID_WEBVIEW_UA = (
    "Mozilla/5.0 (Linux; Android 14; SM-S918N Build/UP1A.231005.007; wv) "
    "AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/156.0.0.0 "
    "Mobile Safari/537.36"
)
IOS_WEBVIEW_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) "
    "AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"
)


def message(locale: str, key: str) -> str:
    """The page's own words for `key` in `locale` (its i18n catalog)."""
    catalog = json.loads((CATALOGS / f"{locale}.json").read_text(encoding="utf-8"))
    text = catalog[key]
    assert isinstance(text, str)
    return text


@asynccontextmanager
async def context(
    browser: Browser,
    *,
    locale: str,
    viewport: ViewportSize,
    permissions: Sequence[str] = MEDIA,
    **options: Any,
) -> AsyncIterator[BrowserContext]:
    """A fresh profile whose browser language is `locale` (a catalog code);
    `options` go to `new_context` as they are (a user agent, touch)."""
    ctx = await browser.new_context(
        viewport=viewport,
        locale=BROWSER_LOCALE[locale],
        permissions=list(permissions),
        **options,
    )
    ctx.set_default_timeout(ACTION_TIMEOUT_MS)
    try:
        yield ctx
    finally:
        await ctx.close()


@asynccontextmanager
async def phone_context(
    browser: Browser,
    *,
    locale: str,
    viewport: ViewportSize,
    user_agent: str,
    permissions: Sequence[str] = MEDIA,
) -> AsyncIterator[BrowserContext]:
    """A touch phone whose browser is an app's webview (`user_agent`)."""
    async with context(
        browser,
        locale=locale,
        viewport=viewport,
        permissions=permissions,
        user_agent=user_agent,
        is_mobile=True,
        has_touch=True,
    ) as ctx:
        yield ctx


# -- the staff console -----------------------------------------------------------------


async def sign_in_to_console(
    staff: Page,
    url: str,
    username: str = KSL_INTERPRETER,
    password: str = DEMO_PASSWORD,
) -> None:
    """Sign `username` in on the staff console; they are there, not yet available."""
    await staff.goto(f"{url}/staff")
    await staff.fill("#username", username)
    await staff.fill("#password", password)
    await staff.click("#login")
    await expect(staff.locator("body")).to_have_attribute("data-state", "idle")


async def become_available(staff: Page) -> None:
    await staff.click("#available")
    await expect(staff.locator("#available")).to_have_attribute("aria-pressed", "true")


async def sign_in_available(
    staff: Page, url: str, username: str = KSL_INTERPRETER
) -> None:
    """Sign `username` in on the staff console and make them available."""
    await sign_in_to_console(staff, url, username)
    await become_available(staff)


async def sign_in_and_take_calls(
    staff: Page, url: str, password: str = DEMO_PASSWORD
) -> None:
    """The KSL interpreter signs in (in English), joins the pool away ("not
    ready"), and chooses to start taking calls."""
    await sign_in_to_console(staff, url, KSL_INTERPRETER, password)
    await expect(staff.locator("#status")).to_contain_text("not taking calls yet")
    await expect(staff.locator("#available")).to_have_attribute("aria-pressed", "false")
    await become_available(staff)
    await expect(staff.locator("#status")).to_contain_text("You are available")


async def sign_in_at(
    page: Page, url: str, path: str, username: str, password: str = DEMO_PASSWORD
) -> None:
    """Sign in on the form a staff page (`path`) shows first, with the keyboard."""
    await page.goto(f"{url}{path}")
    await expect(page.locator("body")).to_have_attribute("data-state", "login")
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.press("#password", "Enter")


async def open_dashboard(page: Page, url: str, password: str = DEMO_PASSWORD) -> None:
    """The supervisor signs in on the live dashboard, which goes live."""
    await sign_in_at(page, url, "/supervisor", "supervisor", password)
    body = page.locator("body")
    await expect(body).to_have_attribute("data-state", "dashboard")
    await expect(body).to_have_attribute("data-connection", "live")
    await expect(page.locator("#status")).to_have_text(
        "Live: changes appear as they happen."
    )


async def accept_offer(staff: Page) -> None:
    await expect(staff.locator("#offer")).to_be_visible()
    await staff.click("#accept")


# -- the citizen page ------------------------------------------------------------------


async def open_citizen(page: Page, url: str, locale: str) -> None:
    """The start page, in `locale`, ready to choose a service."""
    await page.goto(url)
    await expect(page.locator("#locale")).to_have_value(locale)
    await expect(page.locator("body")).to_have_attribute("data-state", "choose")
    await expect(page.locator("#ask")).to_have_attribute("data-i18n", re.compile("."))


async def turn_on_camera(citizen: Page, service: str = "sign_language") -> None:
    await citizen.select_option("#service", service)
    await citizen.click("#start-camera")
    await expect(citizen.locator("body")).to_have_attribute("data-camera", "on")


async def ask(citizen: Page) -> None:
    """Ask (camera or voice already on), and wait in line."""
    await citizen.click("#ask")
    await expect(citizen.locator("body")).to_have_attribute("data-state", "waiting")


async def ask_for_an_interpreter(citizen: Page) -> None:
    """Sign language with the (fake) camera on, then ask."""
    await turn_on_camera(citizen)
    await ask(citizen)


async def ask_for_chat(citizen: Page, url: str) -> None:
    """From a phone, without ever turning on a camera."""
    await citizen.goto(url)
    await citizen.select_option("#service", "chat")
    await expect(citizen.locator("#language")).to_be_hidden()
    await expect(citizen.locator("#start-camera")).to_be_hidden()
    await expect(citizen.locator("#camera-note")).to_contain_text("No camera is needed")
    button = citizen.locator("#ask")
    await expect(button).to_have_text("Start a chat")
    await expect(button).to_be_enabled()
    await button.click()
    await expect(citizen.locator("body")).to_have_attribute("data-state", "waiting")


async def answer_consent_later(page: Page) -> None:
    """Put off the recording question, if the session asked it (it stands above the
    video until answered). Called once the media is connected, well after the
    question arrives with the session's start."""
    later = page.locator("dialog[open] [data-testid='consent-later']")
    if await later.count():
        await later.click()
        await expect(page.locator("dialog[open]")).to_have_count(0)


# -- into a call -----------------------------------------------------------------------


async def connected(page: Page) -> None:
    """The page's peer connection is connected."""
    await page.wait_for_function(
        "window.dasanCall && window.dasanCall.pc.connectionState === 'connected'",
        timeout=MEDIA_DEADLINE_MS,
        polling=POLL_MS,
    )


async def media_connected(page: Page) -> None:
    """Connected, and the other person's picture has a size."""
    await connected(page)
    await page.wait_for_function(
        "document.querySelector('#remote-video').videoWidth > 0",
        timeout=MEDIA_DEADLINE_MS,
        polling=POLL_MS,
    )


async def in_the_call(*pages: Page) -> None:
    """Each page is in the call, its media connected."""
    for page in pages:
        await expect(page.locator("body")).to_have_attribute("data-state", "call")
        await connected(page)


async def put_through(citizen: Page, staff: Page) -> None:
    """The citizen (camera or voice on) asks; the available staff member sees the
    offer and accepts; both are in the call, media connected."""
    await ask(citizen)
    await accept_offer(staff)
    await in_the_call(citizen, staff)


async def start_a_sign_language_call(
    staff: Page, citizen: Page, url: str, password: str = DEMO_PASSWORD
) -> None:
    """The KSL interpreter takes calls; the citizen asks with the camera on; the
    interpreter accepts and both pages are in the call (in English)."""
    await sign_in_and_take_calls(staff, url, password)
    await citizen.goto(url)
    await turn_on_camera(citizen)
    await expect(citizen.locator("#ask")).to_be_enabled()
    await citizen.click("#ask")
    await accept_offer(staff)
    for page in (citizen, staff):
        await expect(page.locator("body")).to_have_attribute("data-state", "call")


async def in_a_call(citizen: Page, staff: Page, url: str) -> None:
    """The citizen (sign language, camera on, a page the test can hide) with the
    KSL interpreter, the recording question put off, video reaching the console."""
    await citizen.add_init_script(PAGE_VISIBILITY)
    await open_citizen(citizen, url, "en")
    await turn_on_camera(citizen)
    await sign_in_available(staff, url)
    await put_through(citizen, staff)
    await answer_consent_later(citizen)
    await wait_for_frames(staff, at_least=10)


@asynccontextmanager
async def a_call_in_progress(
    browser: Browser, url: str
) -> AsyncIterator[tuple[Page, Page]]:
    """A citizen on a phone in a call with the KSL interpreter at a desktop, both
    in English (`in_a_call`); yields the citizen's page and the console."""
    async with (
        context(browser, locale="en", viewport=PHONE) as citizen_ctx,
        context(browser, locale="en", viewport=DESKTOP) as staff_ctx,
    ):
        citizen = await citizen_ctx.new_page()
        staff = await staff_ctx.new_page()
        await in_a_call(citizen, staff, url)
        yield citizen, staff
