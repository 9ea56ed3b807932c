"""The supervisor's live dashboard in headless Chromium against the real server: a
citizen's request shows up in the queues and ticks, the long-wait alert, the
interpreter's state and the session after an answer, today's figures from the
test's own cases, who may see the page, and axe-core in Korean and English on a
phone and a desktop."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, Locator, Page, expect

from tests.e2e.checks import check_in
from tests.e2e.conftest import OpenPage
from tests.e2e.journeys import (
    INTERPRETER,
    MEDIA,
    PHONE,
    TALL_DESKTOP,
    ask_for_chat,
    open_dashboard,
    sign_in_to_console,
)

pytestmark = pytest.mark.browser

# A push reaches the page within about a second of a change; the figures follow
# the pushes at most every 10 s.
PUSH_DEADLINE_MS = 10_000
FIGURES_DEADLINE_MS = 30_000


def queue_row(page: Page, queue: str) -> Locator:
    return page.locator(f'#queues-body tr[data-queue="{queue}"]')


async def test_a_supervisor_watches_the_center_live(
    server_url: str, demo_password: str, browser: Browser, open_page: OpenPage
) -> None:
    supervisor = await open_page(
        browser, "supervisor", viewport=TALL_DESKTOP, permissions=[]
    )
    staff = await open_page(browser, "staff", viewport=TALL_DESKTOP, permissions=MEDIA)
    citizen = await open_page(browser, "citizen", viewport=PHONE, permissions=[])

    await open_dashboard(supervisor, server_url, demo_password)
    # Nothing has happened today on this fresh server: nobody waits, no request.
    await expect(supervisor.locator("#queues-empty")).to_have_text("Nobody is waiting.")
    await expect(supervisor.locator("#queues")).to_be_hidden()
    requests = supervisor.locator('#today-tiles [data-figure="requests"] dd')
    await expect(requests).to_have_text("0")
    await expect(supervisor.locator("#limit-seconds")).to_have_value("120")
    await expect(supervisor.locator("#staff-links a")).to_have_text(
        ["Statistics", "Cases"]
    )

    # The interpreter signs in, not yet taking calls: a row with state and reason.
    await sign_in_to_console(staff, server_url, password=demo_password)
    kim = supervisor.locator("#staff-body tr", has_text=INTERPRETER)
    await expect(kim).to_have_attribute("data-status", "away", timeout=PUSH_DEADLINE_MS)
    await expect(kim.locator("td").nth(0)).to_contain_text("Away")
    await expect(kim.locator("td").nth(1)).to_contain_text("not ready")
    in_state = kim.locator("td").nth(2).locator(".tick")
    shown = await in_state.inner_text()
    await expect(in_state).not_to_have_text(shown)  # time in state ticks up

    # A citizen asks for a chat: the queue appears, and its wait grows.
    await ask_for_chat(citizen, server_url)
    chat = queue_row(supervisor, "chat/ko")
    await expect(chat).to_be_visible(timeout=PUSH_DEADLINE_MS)
    await expect(chat.locator("th")).to_contain_text("Text chat counseling")
    await expect(chat.locator("td").nth(0)).to_contain_text("Korean")
    await expect(chat.locator("td").nth(1)).to_contain_text("1")
    wait = chat.locator(".tick")
    shown = await wait.inner_text()
    await expect(wait).not_to_have_text(shown)
    await expect(
        supervisor.locator('#now-tiles [data-figure="waiting"] dd')
    ).to_have_text("1")
    # Two minutes have not passed: no alert yet.
    await expect(supervisor.locator("#wait-alert")).to_be_empty()
    await expect(chat).to_have_attribute("data-over", "false")

    # Today's figures count the request (the case is stored as the citizen asks).
    await expect(requests).to_have_text("1", timeout=FIGURES_DEADLINE_MS)
    await expect(
        supervisor.locator("#chart-requests svg[role='img'] desc")
    ).to_contain_text("requests 1,")

    # A limit that is not whole seconds from 1 to 3600 is refused and changes nothing.
    await supervisor.fill("#limit-seconds", "0")
    await supervisor.click("#limit-set")
    await expect(supervisor.locator("#limit-problem")).to_have_text(
        "Enter whole seconds from 1 to 3600."
    )
    await expect(supervisor.locator("#limit-seconds")).to_have_attribute(
        "aria-invalid", "true"
    )
    await expect(supervisor.locator("#limit-seconds")).to_be_focused()
    await expect(supervisor.locator("#wait-alert")).to_be_empty()

    # One second: the wait has passed it, so the alert shows, in words.
    await supervisor.fill("#limit-seconds", "1")
    await supervisor.click("#limit-set")
    alert = supervisor.locator("#wait-alert")
    await expect(alert).to_have_attribute("role", "alert")
    await expect(alert).to_have_text(
        re.compile(r"^Waiting longer than 0:01: Text chat counseling · Korean$")
    )
    await expect(chat).to_have_attribute("data-over", "true")
    await expect(chat.locator(".badge.over")).to_have_text("Over the alert time")
    await expect(supervisor.locator("#limit-problem")).to_be_empty()

    # The limit is remembered in this browser.
    await supervisor.reload()
    await expect(supervisor.locator("body")).to_have_attribute(
        "data-state", "dashboard"
    )
    await expect(supervisor.locator("#limit-seconds")).to_have_value("1")
    await expect(alert).to_contain_text(
        "Text chat counseling", timeout=PUSH_DEADLINE_MS
    )
    await expect(requests).to_have_text("1")

    await check_in(supervisor, "supervisor", "alert", ["en", "ko"])
    await supervisor.set_viewport_size(PHONE)
    await check_in(supervisor, "supervisor", "alert", ["ko", "en"])
    width = await supervisor.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "the dashboard must not scroll sideways on a phone"
    await supervisor.set_viewport_size(TALL_DESKTOP)

    # The interpreter answers: their state changes, the session appears with
    # them in it, and the line and the alert are gone.
    await staff.click("#available")
    await expect(staff.locator("#offer")).to_be_visible()
    await staff.click("#accept")
    await expect(staff.locator("body")).to_have_attribute("data-state", "call")
    await expect(citizen.locator("body")).to_have_attribute("data-state", "call")

    await expect(kim).to_have_attribute(
        "data-status", "in_session", timeout=PUSH_DEADLINE_MS
    )
    await expect(kim.locator("td").nth(0)).to_contain_text("In session")
    session = supervisor.locator("#sessions-body tr")
    await expect(session).to_have_count(1, timeout=PUSH_DEADLINE_MS)
    await expect(session.locator("th")).to_contain_text(INTERPRETER)
    await expect(session.locator("td").nth(0)).to_contain_text("Text chat counseling")
    await expect(session.locator("td").nth(1)).to_contain_text("Korean")
    await expect(session.locator("td").nth(3)).to_contain_text("Connected")
    duration = session.locator(".tick")
    shown = await duration.inner_text()
    await expect(duration).not_to_have_text(shown)
    await expect(supervisor.locator("#queues-empty")).to_be_visible()
    await expect(alert).to_be_empty()
    await expect(supervisor.locator("body")).to_have_attribute("data-alert", "off")
    await expect(
        supervisor.locator('#today-tiles [data-figure="answered"] dd')
    ).to_have_text(re.compile(r"^1 \(100%\)$"), timeout=FIGURES_DEADLINE_MS)

    await check_in(supervisor, "supervisor", "session", ["ko", "en"])
    await supervisor.set_viewport_size(PHONE)
    await check_in(supervisor, "supervisor", "session", ["en", "ko"])
    # Korean, too: the same session, its words in Korean.
    await expect(session.locator("td").nth(0)).to_contain_text("문자 채팅 상담")


async def test_who_may_see_the_dashboard(
    server_url: str, demo_password: str, browser: Browser, open_page: OpenPage
) -> None:
    page = await open_page(browser, "visitor", viewport=PHONE, permissions=[])
    # Signed out: the sign-in form, and nothing of the center.
    await page.goto(f"{server_url}/supervisor")
    await expect(page.locator("body")).to_have_attribute("data-state", "login")
    await expect(page.locator("#username")).to_be_focused()
    await expect(page.locator("[data-view='dashboard']")).to_be_hidden()
    await check_in(page, "supervisor", "signed-out", ["en", "ko"])
    await page.locator("#locale").select_option("en")

    # An interpreter is told it is for supervisors, and where their pages are.
    await page.fill("#username", "interpreter.ksl")
    await page.fill("#password", demo_password)
    await page.press("#password", "Enter")
    await expect(page.locator("body")).to_have_attribute("data-state", "denied")
    await expect(page.locator("#denied-text")).to_have_text(
        f"The live dashboard is for supervisors. {INTERPRETER}, your pages are:"
    )
    links = page.locator("#denied-links a")
    await expect(links).to_have_text(["Interpreter console", "Cases"])
    await expect(links.first).to_have_attribute("href", "/staff")
    await expect(page.locator("[data-view='dashboard']")).to_be_hidden()
    await check_in(page, "supervisor", "denied", ["en", "ko"])

    # Signing out brings the form back; a supervisor gets in.
    await page.click("#logout")
    await expect(page.locator("body")).to_have_attribute("data-state", "login")
    await page.fill("#username", "supervisor")
    await page.fill("#password", demo_password)
    await page.press("#password", "Enter")
    await expect(page.locator("body")).to_have_attribute("data-state", "dashboard")
    await expect(page.locator("body")).to_have_attribute("data-connection", "live")
    await expect(page.locator("#staff-empty")).to_be_visible(timeout=PUSH_DEADLINE_MS)
    await check_in(page, "supervisor", "empty", ["ko", "en"])
