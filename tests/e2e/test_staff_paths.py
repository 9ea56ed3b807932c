"""The interpreter console's less travelled paths: the keyboard focus kept on
Available through presses, a declined offer and a session's end; a wrap-up
changed after saving listed to finish later; away reasons in two tabs (a new
reason chosen while away is sent, and each tab's menu shows the one held)."""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, WebSocketRoute, expect

from tests.e2e.conftest import OpenPage, Site
from tests.e2e.journeys import (
    DESKTOP,
    MEDIA,
    PHONE,
    ask_for_chat,
    sign_in_and_take_calls,
    sign_in_to_console,
)

pytestmark = pytest.mark.browser

FIRST = "등본 발급 안내"
MORE = "등본 발급 안내, 주민센터 연결"


class HeldLine:
    """The console's socket through Playwright, what the server sends held back
    while `holding`, as on a slow line, until `release` sends it on in order."""

    def __init__(self) -> None:
        self.holding = False
        self.held: list[str | bytes] = []
        self.page: WebSocketRoute | None = None

    async def route(self, page: WebSocketRoute) -> None:
        self.page = page
        server = page.connect_to_server()
        server.on_message(self.from_server)

    def from_server(self, message: str | bytes) -> None:
        assert self.page is not None
        if self.holding:
            self.held.append(message)
        else:
            self.page.send(message)

    def release(self) -> None:
        assert self.page is not None
        self.holding = False
        for message in self.held:
            self.page.send(message)
        self.held.clear()


def stored(site: Site, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    database: Path = site.server.data_dir / "dasan.db"
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        return db.execute(sql, args).fetchall()


async def chat_session_ended_by_citizen(staff: Page, citizen: Page, url: str) -> str:
    """A citizen's text chat, accepted with Alt+A and hung up by the citizen: the
    console shows the wrap-up form; returns its case id."""
    await ask_for_chat(citizen, url)
    await expect(staff.locator("#offer")).to_be_visible()
    await staff.keyboard.press("Alt+KeyA")
    await expect(staff.locator("body")).to_have_attribute("data-state", "call")
    await citizen.click("#hang-up")
    await expect(staff.locator("body")).to_have_attribute("data-state", "ended")
    form = staff.locator("#wrapup-slot form.wrapup")
    await expect(form).to_have_attribute("data-ready", "true")
    case_id = await form.get_attribute("data-case-id")
    assert case_id
    return case_id


async def test_the_keyboard_focus_stays_on_the_way_to_the_next_call(
    site: Site, browser: Browser, open_page: OpenPage
) -> None:
    url = site.server.url
    staff = await open_page(browser, "staff", viewport=DESKTOP, permissions=MEDIA)
    citizen = await open_page(browser, "citizen", viewport=PHONE, permissions=[])
    line = HeldLine()
    await staff.route_web_socket(re.compile(r"/socket\.io/"), line.route)
    await sign_in_to_console(staff, url)
    available = staff.locator("#available")
    await expect(staff.locator("body")).to_have_attribute("data-presence", "away")

    # Enter on Available: the button is busy (disabled) while the server answers
    # slowly, and has the focus again after (a second Enter would go nowhere).
    await available.focus()
    line.holding = True
    await staff.keyboard.press("Enter")
    await expect(available).to_be_disabled()
    await staff.evaluate("() => new Promise((done) => requestAnimationFrame(done))")
    line.release()
    await expect(available).to_have_attribute("aria-pressed", "true")
    await expect(available).to_be_focused()
    await expect(staff.locator("#status")).to_have_text(
        "You are available. Waiting for a call…"
    )

    # An offer takes the focus to Accept; Alt+X declines it, and the focus comes
    # back to Available instead of being lost with the card.
    await ask_for_chat(citizen, url)
    await expect(staff.locator("#accept")).to_be_focused()
    await staff.keyboard.press("Alt+KeyX")
    await expect(staff.locator("#offer")).to_be_hidden()
    await expect(staff.locator("#notice")).to_have_text("You declined the request.")
    await expect(available).to_be_focused()
    await expect(available).to_have_attribute("aria-pressed", "true")

    # Accept with Enter, hang up with Enter: the session is over, the focus is on
    # Available (enabled once the wrap-up status comes), and Enter takes calls again.
    await ask_for_chat(citizen, url)
    await expect(staff.locator("#accept")).to_be_focused()
    await staff.keyboard.press("Enter")
    await expect(staff.locator("body")).to_have_attribute("data-state", "call")
    await staff.locator("#hang-up").focus()
    await staff.keyboard.press("Enter")
    await expect(staff.locator("body")).to_have_attribute("data-state", "ended")
    await expect(staff.locator("#notice")).to_have_text("You hung up.")
    await expect(staff.locator("body")).to_have_attribute("data-presence", "wrap_up")
    await expect(available).to_be_focused()
    case_id = await staff.locator("#wrapup-slot form.wrapup").get_attribute(
        "data-case-id"
    )
    await staff.keyboard.press("Enter")
    await expect(available).to_have_attribute("aria-pressed", "true")
    await expect(staff.locator("body")).to_have_attribute("data-presence", "available")
    await expect(available).to_be_focused()
    # The server holds the session as ended by the interpreter.
    assert stored(site, "SELECT ended_by FROM cases WHERE id = ?", case_id) == [
        ("interpreter",)
    ]

    # The citizen hangs up this time: the focus goes to Available again.
    await chat_session_ended_by_citizen(staff, citizen, url)
    await expect(staff.locator("#notice")).to_have_text("The citizen hung up.")
    await expect(available).to_be_focused()


async def test_a_wrap_up_changed_after_saving_is_listed_to_finish_later(
    site: Site, browser: Browser, open_page: OpenPage
) -> None:
    url = site.server.url
    staff = await open_page(browser, "staff", viewport=DESKTOP, permissions=MEDIA)
    citizen = await open_page(browser, "citizen", viewport=PHONE, permissions=[])
    await sign_in_and_take_calls(staff, url)
    case_id = await chat_session_ended_by_citizen(staff, citizen, url)
    form = staff.locator("#wrapup-slot form.wrapup")
    summary = form.get_by_label("Summary")

    # The first save does not reach the server: the form says so, nothing is stored.
    await form.get_by_label("Category").select_option("documents")
    await summary.fill(FIRST)
    await staff.route("**/api/cases/*/wrapup", lambda route: route.abort())
    await form.get_by_role("button", name="Save the wrap-up").click()
    await expect(form.locator(".problem")).not_to_be_empty()
    await expect(form.locator(".saved")).to_be_empty()
    assert stored(site, "SELECT 1 FROM case_wrapups WHERE case_id = ?", case_id) == []

    # Saved on the second try; then the summary is changed and not saved again.
    await staff.unroute("**/api/cases/*/wrapup")
    await form.get_by_role("button", name="Save the wrap-up").click()
    await expect(form.locator(".saved")).to_have_text("The wrap-up is saved.")
    await expect(form.locator(".problem")).to_be_empty()
    await summary.fill(MORE)

    # The next citizen's offer takes the form away: the change is not lost in
    # silence, the case is listed to finish later (the server has the first save).
    await staff.click("#available")
    await expect(staff.locator("#available")).to_have_attribute("aria-pressed", "true")
    await ask_for_chat(citizen, url)
    await expect(staff.locator("#offer")).to_be_visible()
    await expect(staff.locator("#wrapup-slot")).to_be_empty()
    link = staff.locator("#wrapup-pending a")
    await expect(link).to_have_count(1)
    await expect(link).to_have_attribute("href", f"/cases#case={case_id}")
    assert stored(
        site, "SELECT summary FROM case_wrapups WHERE case_id = ?", case_id
    ) == [(FIRST,)]

    # Korean mid-offer: the offer, its countdown, the tab title and the list follow.
    await staff.locator("#locale").select_option("ko")
    await expect(staff.locator("#offer-heading")).to_have_text("새 상담 신청")
    await expect(staff.locator("#offer-what")).to_have_text("문자 채팅 상담 · 한국어")
    await expect(staff.locator("#offer-countdown")).to_have_text(
        re.compile(r"^응답까지 \d+초 남음$")
    )
    await expect(staff).to_have_title("(!) 새 상담 신청")
    await expect(staff.locator("#wrapup-pending h2")).not_to_have_text(
        "Wrap-ups not saved yet"
    )
    await expect(link).to_have_text(re.compile(r"^문자 채팅 상담 · 한국어"))
    await staff.keyboard.press("Alt+KeyX")
    await expect(staff.locator("#notice")).to_have_text("신청을 거절했습니다.")
    await expect(link).to_have_count(1)


async def test_away_with_a_reason_is_what_a_second_tab_shows(
    site: Site, browser: Browser, open_page: OpenPage
) -> None:
    url = site.server.url
    staff = await open_page(browser, "staff", viewport=DESKTOP, permissions=MEDIA)
    await sign_in_and_take_calls(staff, url)

    # Away for a meeting: the console says so, in English, then in Korean.
    await staff.select_option("#away-reason", "meeting")
    await staff.click("#available")
    await expect(staff.locator("#available")).to_have_attribute("aria-pressed", "false")
    await expect(staff.locator("#status")).to_have_text("You are away (meeting).")
    await expect(staff.locator("#presence")).to_have_text("Status: away (meeting)")
    await staff.locator("#locale").select_option("ko")
    await expect(staff.locator("#status")).to_have_text("자리 비움 상태입니다 (회의).")
    await expect(staff.locator("#presence")).to_have_text("상태: 자리 비움 (회의)")
    await expect(staff.locator("#away-reason option:checked")).to_have_text("회의")

    # A second tab of the same sign-in shows what the server holds, in Korean.
    second = await staff.context.new_page()
    await second.goto(f"{url}/staff")
    await expect(second.locator("body")).to_have_attribute("data-state", "idle")
    await expect(second.locator("#locale")).to_have_value("ko")
    await expect(second.locator("#presence")).to_have_text("상태: 자리 비움 (회의)")
    await expect(second.locator("#available")).to_have_attribute(
        "aria-pressed", "false"
    )
    await expect(second.locator("#away-reason option:checked")).to_have_text("회의")

    # Another reason chosen while away is sent at once; both tabs show it.
    await second.select_option("#away-reason", "meal")
    for tab in (second, staff):
        await expect(tab.locator("#presence")).to_have_text("상태: 자리 비움 (식사)")
    await expect(staff.locator("#away-reason option:checked")).to_have_text("식사")

    # Available from the second tab: the first follows.
    await second.click("#available")
    await expect(second.locator("#available")).to_have_attribute("aria-pressed", "true")
    await expect(staff.locator("#available")).to_have_attribute("aria-pressed", "true")
    await expect(staff.locator("body")).to_have_attribute("data-presence", "available")
    await second.close()
