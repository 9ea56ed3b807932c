"""Accessibility in headless Chromium: axe-core on every page and state in two
languages, phone and desktop sizes, the keyboard alone, and visual cues that need
no sound. Each check saves a screenshot (docs/screenshots/ with `make screenshots`)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import Browser, Page, ViewportSize, expect

from counseling.hours import CalendarException
from storage.hours_file import save_exceptions
from tests.around_the_clock import open_around_the_clock
from tests.e2e.checks import check, check_in
from tests.e2e.conftest import DEMO_PASSWORD, Site
from tests.e2e.journeys import (
    DESKTOP,
    INTERPRETER,
    PAGE_VISIBILITY,
    PHONE,
    PHONE_LANDSCAPE,
    ask_for_an_interpreter,
    context,
    media_connected,
    open_citizen,
    sign_in_available,
    sign_in_to_console,
    turn_on_camera,
)

pytestmark = pytest.mark.browser


# -- by keyboard ----------------------------------------------------------------------


async def tab_to(page: Page, selector: str, *, most: int = 40) -> None:
    """Press Tab until `selector` has the focus (and fail if it never gets it)."""
    target = page.locator(selector)
    for _ in range(most):
        if await target.evaluate("(el) => el === document.activeElement"):
            return
        await page.keyboard.press("Tab")
    raise AssertionError(f"{selector} never got the focus in {most} presses of Tab")


async def choose_by_keyboard(page: Page, selector: str, value: str) -> None:
    """Move a focused <select> to `value` with the arrow keys."""
    select = page.locator(selector)
    for key in ("ArrowUp",) * 6 + ("ArrowDown",) * 6:
        if await select.input_value() == value:
            return
        await page.keyboard.press(key)
    assert await select.input_value() == value, f"{selector} never reached {value}"


# -- the citizen page ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("viewport", "other"),
    [(PHONE, "vi"), (DESKTOP, "zh"), (PHONE_LANDSCAPE, "vi")],
    ids=["phone", "desktop", "landscape"],
)
async def test_citizen_page_before_the_call(
    site: Site, browser: Browser, viewport: ViewportSize, other: str
) -> None:
    """Initial, camera on and waiting in line; the browser's language is chosen
    first, the switcher changes it, and the choice is remembered."""
    url = site.server.url
    async with context(browser, locale=other, viewport=viewport) as ctx:
        citizen = await ctx.new_page()
        await open_citizen(citizen, url, other)  # picked from the browser's language
        await expect(citizen.locator("html")).to_have_attribute(
            "lang", "zh-Hans" if other == "zh" else other
        )
        options = citizen.locator("#locale option")
        await expect(options).to_have_text(
            ["한국어", "English", "简体中文", "日本語", "Tiếng Việt", "Монгол хэл"]
        )
        await check_in(citizen, "citizen", "initial", [other, "ko"])

        # The choice outlives a reload.
        await citizen.reload()
        await expect(citizen.locator("#locale")).to_have_value("ko")
        await expect(citizen.locator("html")).to_have_attribute("lang", "ko")

        await turn_on_camera(citizen)
        await expect(citizen.locator("#local-video")).to_have_attribute(
            "playsinline", ""
        )
        await check_in(citizen, "citizen", "camera", ["ko", other])

        await citizen.click("#ask")  # nobody is on duty: the citizen waits
        await expect(citizen.locator("body")).to_have_attribute("data-state", "waiting")
        await expect(citizen.locator("#position")).not_to_be_empty()
        await expect(citizen.locator("#cancel")).to_be_focused()
        await check_in(citizen, "citizen", "waiting", [other, "ko"])

        await citizen.click("#cancel")
        await expect(citizen.locator("body")).to_have_attribute("data-state", "choose")


async def test_citizen_page_when_the_service_is_closed(
    site: Site, browser: Browser
) -> None:
    today = datetime.now(UTC).date()
    closure = CalendarException(
        first_day=today - timedelta(days=1),
        last_day=today + timedelta(days=1),
        reason="시설 점검으로 휴무합니다",
    )
    save_exceptions(site.hours_file, (closure,))
    try:
        async with context(browser, locale="mn", viewport=PHONE) as ctx:
            citizen = await ctx.new_page()
            await open_citizen(citizen, site.server.url, "mn")
            hours = citizen.locator("#service-hours")
            await expect(hours).to_have_attribute("data-open", "false")
            await expect(hours).to_contain_text("Одоо хаалттай")
            await check_in(citizen, "citizen", "closed", ["mn", "ko"])
            await expect(hours).to_contain_text("지금은 상담 시간이 아닙니다")

            # Asking anyway (a chat needs no camera) is refused, in the reader's words.
            await citizen.select_option("#service", "chat")
            await citizen.click("#ask")
            error = citizen.locator("#error")
            await expect(error).to_have_attribute("data-code", "service_closed")
            await expect(error).to_contain_text("다음 상담 시작")
            await check_in(citizen, "citizen", "closed-refused", ["ko", "mn"])
            await expect(error).to_contain_text("Дараа нээгдэх цаг")
            # The opening time was written again in Mongolian, not left in Korean.
            await expect(error).not_to_contain_text(re.compile("[가-힣]"))
    finally:
        open_around_the_clock(site.hours_file)


async def test_citizen_page_with_a_refused_camera(
    site: Site, asking_browser: Browser
) -> None:
    async with context(
        asking_browser, locale="ko", viewport=PHONE, permissions=[]
    ) as ctx:
        citizen = await ctx.new_page()
        await open_citizen(citizen, site.server.url, "ko")
        await citizen.select_option("#service", "sign_language")
        await citizen.click("#start-camera")
        error = citizen.locator("#error")
        await expect(error).to_have_attribute("data-code", "media.denied")
        await expect(error).to_contain_text("카메라 사용이 거부되었습니다")
        await check_in(citizen, "citizen", "camera-error", ["ko", "ja"])
        await expect(error).to_contain_text("カメラの使用が拒否されました")


# -- a whole call: the staff console and the citizen page ------------------------------


async def test_staff_console_and_a_call_with_visual_cues(
    site: Site, browser: Browser
) -> None:
    url = site.server.url
    async with (
        context(browser, locale="ko", viewport=DESKTOP) as staff_ctx,
        context(browser, locale="ja", viewport=PHONE) as citizen_ctx,
    ):
        staff = await staff_ctx.new_page()
        citizen = await citizen_ctx.new_page()
        await citizen.add_init_script(PAGE_VISIBILITY)
        await staff.add_init_script(PAGE_VISIBILITY)

        # Signed out: the staff console speaks Korean and English only.
        await staff.goto(f"{url}/staff")
        await expect(staff.locator("body")).to_have_attribute("data-state", "login")
        await expect(staff.locator("#locale option")).to_have_text(
            ["한국어", "English"]
        )
        await check_in(staff, "staff", "signed-out", ["ko", "en"])
        await sign_in_available(staff, url)
        await check_in(staff, "staff", "signed-in", ["en", "ko"])

        # An incoming offer is seen: a flashing card, the title, the focus on Accept.
        await open_citizen(citizen, url, "ja")
        await ask_for_an_interpreter(citizen)
        offer = staff.locator("#offer")
        await expect(offer).to_be_visible()
        await expect(staff).to_have_title(re.compile(r"^\(!\) "))
        await expect(staff.locator("#accept")).to_be_focused()
        assert await offer.evaluate("(el) => getComputedStyle(el).animationName") == (
            "offer-flash"
        )
        await check_in(staff, "staff", "offered", ["ko", "en"])

        # Someone answered: the citizen, on another tab, sees it in the title.
        await citizen.evaluate("window.dasanSetHidden(true)")
        await staff.click("#accept")
        await expect(citizen).to_have_title(f"(!) {INTERPRETER} が応答しました")
        await citizen.evaluate("window.dasanSetHidden(false)")
        await expect(citizen).to_have_title("手話・チャット・外国語相談")
        for page in (citizen, staff):
            await expect(page.locator("body")).to_have_attribute("data-state", "call")
            await media_connected(page)
        await expect(citizen.locator("#remote-video")).to_have_attribute(
            "playsinline", ""
        )
        await check_in(staff, "staff", "in-call", ["en", "ko"])
        await check_in(citizen, "citizen", "in-call", ["ja", "ko"])
        # The phone turned sideways: the other person and the hang-up button fit.
        await citizen.set_viewport_size(PHONE_LANDSCAPE)
        await expect(citizen.locator("#remote-video")).to_be_in_viewport()
        await check_in(citizen, "citizen", "in-call", ["ja", "ko"])
        await citizen.set_viewport_size(PHONE)

        # A chat message is seen: highlighted, a "new message" button while the
        # list is below the video, and the title while the page is hidden.
        await citizen.evaluate("window.dasanSetHidden(true)")
        box = staff.locator("#chat-input")
        await box.fill("수어가 잘 보입니다.")
        await box.press("Enter")
        message = citizen.locator("#chat-messages > li").last
        await expect(message).to_have_class(re.compile(r"\bfresh\b"))
        await expect(citizen.locator("#chat-alert")).to_be_visible()
        await expect(citizen.locator("#chat-alert")).to_have_text(
            f"새 메시지: {INTERPRETER}"
        )
        await expect(citizen).to_have_title(f"(!) 새 메시지: {INTERPRETER}")
        await citizen.evaluate("window.dasanSetHidden(false)")
        await expect(citizen).to_have_title("수어·채팅·외국어 상담")
        await check_in(citizen, "citizen", "chat-message", ["ko", "ja"])

        # The session ends: both sides see it (and the title says so when hidden).
        await staff.evaluate("window.dasanSetHidden(true)")
        await citizen.click("#hang-up")
        await expect(staff.locator("#notice")).not_to_be_empty()
        await expect(staff).to_have_title(re.compile(r"^\(!\) "))
        for page in (citizen, staff):
            await expect(page.locator("body")).to_have_attribute("data-state", "ended")
        cue = re.compile(r"\bcue\b")  # the line that says so stands out a moment
        await expect(citizen.locator("#status")).to_have_class(cue)
        await expect(staff.locator("#notice")).to_have_class(cue)
        await expect(citizen.locator("#again")).to_be_focused()
        await check_in(citizen, "citizen", "ended", ["ja", "ko"])
        await check_in(staff, "staff", "ended", ["ko", "en"])


async def test_staff_console_on_a_phone(site: Site, browser: Browser) -> None:
    async with context(browser, locale="en", viewport=PHONE) as ctx:
        staff = await ctx.new_page()
        await staff.goto(f"{site.server.url}/staff")
        await expect(staff.locator("body")).to_have_attribute("data-state", "login")
        await check_in(staff, "staff", "signed-out", ["en", "ko"])
        await sign_in_to_console(staff, site.server.url)
        await expect(staff.locator("#status")).not_to_be_empty()
        await check_in(staff, "staff", "signed-in", ["ko", "en"])


async def test_keyboard_alone(site: Site, browser: Browser) -> None:
    """A citizen chooses a service, turns on the camera and asks, and the
    interpreter signs in, becomes available and accepts, with keys only."""
    url = site.server.url
    async with (
        context(browser, locale="en", viewport=DESKTOP) as staff_ctx,
        context(browser, locale="en", viewport=PHONE) as citizen_ctx,
    ):
        staff = await staff_ctx.new_page()
        citizen = await citizen_ctx.new_page()

        await staff.goto(f"{url}/staff")
        await expect(staff.locator("#username")).to_be_focused()
        await staff.keyboard.type("interpreter.ksl")
        await staff.keyboard.press("Tab")
        await expect(staff.locator("#password")).to_be_focused()
        await staff.keyboard.type(DEMO_PASSWORD)
        await staff.keyboard.press("Enter")
        await expect(staff.locator("body")).to_have_attribute("data-state", "idle")
        await tab_to(staff, "#available")
        await staff.keyboard.press("Space")
        await expect(staff.locator("#available")).to_have_attribute(
            "aria-pressed", "true"
        )

        await open_citizen(citizen, url, "en")
        await tab_to(citizen, "#service")
        await choose_by_keyboard(citizen, "#service", "chat")
        await expect(citizen.locator("#start-camera")).to_be_hidden()
        await choose_by_keyboard(citizen, "#service", "sign_language")
        await expect(citizen.locator("#ask")).to_be_disabled()
        await tab_to(citizen, "#start-camera")
        await citizen.keyboard.press("Enter")
        await expect(citizen.locator("body")).to_have_attribute("data-camera", "on")
        await expect(citizen.locator("#ask")).to_be_focused()  # the next step
        await citizen.keyboard.press("Enter")
        await expect(citizen.locator("body")).to_have_attribute("data-state", "waiting")

        await expect(staff.locator("#accept")).to_be_focused()
        await staff.keyboard.press("Enter")
        for page in (citizen, staff):
            await expect(page.locator("body")).to_have_attribute("data-state", "call")

        # The chat and the hang-up button are reached by Tab, too.
        await tab_to(citizen, "#chat-input")
        await citizen.keyboard.type("Hello")
        await citizen.keyboard.press("Enter")
        await expect(staff.locator("#chat-messages > li")).to_have_count(1)
        await tab_to(citizen, "#hang-up")
        await citizen.keyboard.press("Enter")
        await expect(citizen.locator("body")).to_have_attribute("data-state", "ended")
        await expect(citizen.locator("#again")).to_be_focused()
        await check(citizen, "citizen", "ended-keyboard")
