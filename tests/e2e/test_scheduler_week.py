"""The scheduler page beyond booking: moving between weeks, a new join link, the
two-press cancel, changing and removing a shift, the shift form's refusals, the
page in Korean, and signing out; each checked on the page, after a reload and in
the API."""

from __future__ import annotations

import asyncio
import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, Locator, Page, Route, expect

from tests.e2e.checks import switch_language
from tests.e2e.conftest import OpenPage, Site
from tests.e2e.journeys import INTERPRETER, TALL_DESKTOP, message, sign_in_at

pytestmark = pytest.mark.browser

SEOUL = ZoneInfo("Asia/Seoul")
JOIN_LINK = re.compile(r"/#join=[\w-]{40,}$")


def span(start: str, end: str) -> str:
    """Two times as the page joins them, with an en dash."""
    return f"{start}\u2013{end}"


# The demo interpreter works 09:00-18:00 (Seoul) on each of the coming 14 days.
DEMO_SHIFT = span("09:00", "18:00")


def words(locale: str, key: str, **params: object) -> str:
    """The page's message `key` in `locale`, its {placeholders} filled."""
    return message(locale, key).format(**params)


def today() -> date:
    return datetime.now(SEOUL).date()


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def day_label(day: date) -> str:
    """A day as the page writes it in English: "Fri, 11/27"."""
    return f"{day:%a}, {day.month}/{day.day}"


def week_label(monday: date) -> str:
    return words(
        "en",
        "scheduler.week.label",
        **{"from": day_label(monday), "to": day_label(monday + timedelta(days=6))},
    )


def kim(page: Page) -> Locator:
    """The demo interpreter's row in the week shown."""
    return page.locator("#week-body tr", has_text=INTERPRETER)


def kim_on(page: Page, day: date) -> Locator:
    """The demo interpreter's cell for `day` (in the week shown)."""
    return kim(page).locator("td").nth(day.weekday())


async def open_scheduler(page: Page, url: str, password: str) -> None:
    await sign_in_at(page, url, "/scheduler", "scheduler", password)
    await expect(page.locator("body")).to_have_attribute("data-state", "schedule")
    await expect(kim(page)).to_be_visible()


async def show_week_of(page: Page, day: date) -> None:
    """Step forward from this week to the week holding `day`."""
    label = page.locator("#week-label")
    monday = monday_of(today())
    await expect(label).to_have_text(week_label(monday))
    while monday < monday_of(day):
        monday += timedelta(days=7)
        await page.click("#week-next")
        await expect(label).to_have_text(week_label(monday))


async def api_json(page: Page, method: str, url: str, **body: Any) -> tuple[int, Any]:
    """Ask the API as the page's signed-in user: (status, JSON answer)."""
    response = await page.request.fetch(url, method=method, data=body if body else None)
    return response.status, await response.json()


async def shifts_of_kim(page: Page, url: str, day: date) -> list[tuple[str, str]]:
    """(start, end) of the demo interpreter's shifts on `day`, as the API has them."""
    status, week = await api_json(
        page, "GET", f"{url}/api/schedule?start={day.isoformat()}&days=1"
    )
    assert status == 200
    (person,) = [i for i in week["interpreters"] if i["display_name"] == INTERPRETER]
    return [
        (s["start"][11:16], s["end"][11:16])
        for s in week["shifts"]
        if s["staff_id"] == person["id"]
    ]


async def book(page: Page, day: date, time: str, name: str) -> str:
    """Book `day` at `time` with the demo interpreter; the join link it shows."""
    await page.fill("#book-date", day.isoformat())
    await page.fill("#book-time", time)
    await page.select_option("#book-staff", label=INTERPRETER)
    await page.fill("#book-name", name)
    await page.click("#book-submit")
    link = page.locator("#book-result input")
    await expect(link).to_have_value(JOIN_LINK)
    # The week of the booking is shown next.
    await expect(page.locator("#week-label")).to_have_text(week_label(monday_of(day)))
    return await link.input_value()


async def test_a_scheduler_moves_between_weeks(
    browser: Browser, open_page: OpenPage, site: Site, demo_password: str
) -> None:
    url = site.server.url
    page = await open_page(browser, "scheduler", viewport=TALL_DESKTOP, permissions=[])
    await open_scheduler(page, url, demo_password)
    this_monday = monday_of(today())
    label = page.locator("#week-label")
    marked_today = page.locator("#week-head th[aria-current='date']")
    await expect(label).to_have_text(week_label(this_monday))
    await expect(marked_today).to_have_text(day_label(today()))

    # Next week: every day of it has the demo interpreter's shift, none is today.
    await page.get_by_role("button", name=message("en", "scheduler.week.next")).click()
    await expect(label).to_have_text(week_label(this_monday + timedelta(days=7)))
    await expect(marked_today).to_have_count(0)
    shift = words("en", "scheduler.week.shift", span=DEMO_SHIFT)
    await expect(kim(page).locator("button.item-shift")).to_have_text([shift] * 7)

    # Two weeks back: last week, before any shift was seeded.
    previous = page.get_by_role("button", name=message("en", "scheduler.week.previous"))
    await previous.click()
    await expect(label).to_have_text(week_label(this_monday))
    await previous.click()
    await expect(label).to_have_text(week_label(this_monday - timedelta(days=7)))
    await expect(page.locator("#week-body button.item-shift")).to_have_count(0)
    await expect(kim(page)).to_be_visible()

    # "This week" comes back to today.
    await page.get_by_role("button", name=message("en", "scheduler.week.this")).click()
    await expect(label).to_have_text(week_label(this_monday))
    await expect(marked_today).to_have_text(day_label(today()))


async def test_a_late_answer_for_an_earlier_week_is_not_drawn(
    browser: Browser, open_page: OpenPage, site: Site, demo_password: str
) -> None:
    url = site.server.url
    page = await open_page(browser, "scheduler", viewport=TALL_DESKTOP, permissions=[])
    await open_scheduler(page, url, demo_password)
    next_monday = monday_of(today()) + timedelta(days=7)
    label = page.locator("#week-label")
    shifts = kim(page).locator("button.item-shift")
    shift = words("en", "scheduler.week.shift", span=DEMO_SHIFT)
    forward = page.get_by_role("button", name=message("en", "scheduler.week.next"))
    back = page.get_by_role("button", name=message("en", "scheduler.week.previous"))
    released = asyncio.Event()

    async def hold(route: Route) -> None:
        await released.wait()
        await route.continue_()

    # The week after next is slow to come (a slow network) ...
    late_week = rf"/api/schedule\?start={(next_monday + timedelta(days=7))}&"
    await page.route(re.compile(late_week), hold)
    await forward.click()
    await expect(shifts).to_have_text([shift] * 7)
    await forward.click()
    # ... and the scheduler steps back to next week before it comes.
    await back.click()
    await expect(label).to_have_text(week_label(next_monday))
    await expect(shifts).to_have_text([shift] * 7)
    async with page.expect_response(re.compile(late_week)) as late:
        released.set()
    await (await late.value).finished()
    # The page has read the late answer once a task of its own has run.
    await page.evaluate("() => new Promise((done) => setTimeout(done))")
    await expect(label).to_have_text(week_label(next_monday))
    await expect(shifts).to_have_text([shift] * 7)


async def test_a_new_join_link_and_a_cancel_in_two_presses(
    browser: Browser, open_page: OpenPage, site: Site, demo_password: str
) -> None:
    url = site.server.url
    page = await open_page(browser, "scheduler", viewport=TALL_DESKTOP, permissions=[])
    await open_scheduler(page, url, demo_password)
    day = today() + timedelta(days=3)
    first_link = await book(page, day, "11:00", "Choi Yuna")
    booked = kim_on(page, day).locator("button.item-reservation", has_text="Choi Yuna")
    await expect(booked).to_have_count(1)
    reservation_id = await booked.get_attribute("data-id")
    detail = page.locator("#selected-detail")
    result = page.locator("#selected-result")

    await booked.click()
    await expect(booked).to_have_attribute("aria-pressed", "true")
    await expect(detail).to_contain_text(
        words(
            "en",
            "scheduler.selected.status",
            status=message("en", "scheduler.status_name.booked"),
        )
    )

    # A new link: shown once, different, and the old one no longer opens anything.
    await page.get_by_role("button", name=message("en", "scheduler.link.new")).click()
    new_link_input = result.get_by_label(message("en", "scheduler.link.label"))
    await expect(new_link_input).to_have_value(JOIN_LINK)
    await expect(result).to_contain_text(message("en", "scheduler.link.hint"))
    new_link = await new_link_input.input_value()
    # The link's words follow the page's language, like everything else on it.
    await switch_language(page, "ko")
    await expect(
        result.get_by_label(message("ko", "scheduler.link.label"))
    ).to_have_value(new_link)
    await expect(result).to_contain_text(message("ko", "scheduler.link.hint"))
    await expect(result.get_by_role("button")).to_have_text(
        message("ko", "scheduler.link.copy")
    )
    await switch_language(page, "en")
    await expect(new_link_input).to_have_value(new_link)
    assert new_link != first_link
    old_token = first_link.split("#join=", 1)[1]
    new_token = new_link.split("#join=", 1)[1]
    status, answer = await api_json(page, "POST", f"{url}/api/join", token=old_token)
    assert (status, answer["error"]["code"]) == (404, "join_token_unknown")
    status, answer = await api_json(page, "POST", f"{url}/api/join", token=new_token)
    assert (status, answer["status"]) == (200, "booked")

    # The first press only asks again; nothing is cancelled yet.
    cancel = page.locator("#cancel-reservation")
    await expect(cancel).to_have_text(message("en", "scheduler.cancel.submit"))
    await cancel.click()
    await expect(cancel).to_have_text(message("en", "scheduler.cancel.confirm"))
    await expect(result).not_to_contain_text(message("en", "scheduler.cancel.done"))
    reservation_url = f"{url}/api/reservations/{reservation_id}"
    status, stored = await api_json(page, "GET", reservation_url)
    assert (status, stored["status"]) == (200, "booked")
    # Unanswered, the question goes away after CONFIRM_MS (5 s) and a press asks again.
    await expect(cancel).to_have_text(
        message("en", "scheduler.cancel.submit"), timeout=10_000
    )
    await cancel.click()
    await expect(cancel).to_have_text(message("en", "scheduler.cancel.confirm"))
    status, stored = await api_json(page, "GET", reservation_url)
    assert (status, stored["status"]) == (200, "booked")

    # The second press cancels: said, shown in the week, nothing left to change.
    await cancel.click()
    await expect(result).to_have_text(message("en", "scheduler.cancel.done"))
    cancelled = message("en", "scheduler.status_name.cancelled")
    await expect(detail).to_contain_text(
        words("en", "scheduler.selected.status", status=cancelled)
    )
    await expect(booked).to_contain_text(cancelled)
    await expect(booked).to_have_css("text-decoration-line", "line-through")
    for control in ("#move-submit", "#cancel-reservation", "#new-link"):
        await expect(page.locator(control)).to_be_disabled()
    await expect(cancel).to_have_text(message("en", "scheduler.cancel.submit"))
    status, stored = await api_json(page, "GET", reservation_url)
    assert (status, stored["status"]) == (200, "cancelled")
    status, answer = await api_json(page, "POST", f"{url}/api/join", token=new_token)
    assert (status, answer["error"]["code"]) == (410, "join_token_expired")

    # A reload shows it cancelled still.
    await page.reload()
    await expect(kim(page)).to_be_visible()
    await show_week_of(page, day)
    await expect(booked).to_contain_text(cancelled)


async def test_a_shift_is_added_changed_and_removed(
    browser: Browser, open_page: OpenPage, site: Site, demo_password: str
) -> None:
    url = site.server.url
    page = await open_page(browser, "scheduler", viewport=TALL_DESKTOP, permissions=[])
    await open_scheduler(page, url, demo_password)
    day = today() + timedelta(days=30)  # past the demo shifts: nobody works then
    submit = page.locator("#shift-submit")
    remove = page.get_by_role("button", name=message("en", "scheduler.shift.remove"))
    result = page.locator("#shift-result")
    await expect(submit).to_have_text(message("en", "scheduler.shift.add"))
    await expect(remove).to_be_hidden()

    # Added: the week of that day is shown, with the shift in it.
    await page.select_option("#shift-staff", label=INTERPRETER)
    await page.fill("#shift-date", day.isoformat())
    await page.fill("#shift-start", "09:00")
    await page.fill("#shift-end", "18:00")
    await submit.click()
    await expect(result).to_have_text(message("en", "scheduler.shift.saved"))
    await expect(page.locator("#week-label")).to_have_text(week_label(monday_of(day)))
    shift = kim_on(page, day).locator("button.item-shift")
    await expect(shift).to_have_text(
        words("en", "scheduler.week.shift", span=DEMO_SHIFT)
    )
    assert await shifts_of_kim(page, url, day) == [("09:00", "18:00")]
    # The form still adds: another shift is one date away, nothing to undo.
    await expect(submit).to_have_text(message("en", "scheduler.shift.add"))
    await expect(remove).to_be_hidden()
    await expect(shift).to_have_attribute("aria-pressed", "false")

    # Choosing it fills the form; the interpreter is fixed, the times change.
    await shift.click()
    await expect(shift).to_have_attribute("aria-pressed", "true")
    await expect(result).to_be_empty()
    await expect(submit).to_have_text(message("en", "scheduler.shift.save"))
    await expect(remove).to_be_visible()
    await expect(page.locator("#shift-staff")).to_be_disabled()
    await expect(page.locator("#shift-date")).to_have_value(day.isoformat())
    await expect(page.locator("#shift-start")).to_have_value("09:00")
    await expect(page.locator("#shift-end")).to_have_value("18:00")
    await page.fill("#shift-start", "13:00")
    await page.fill("#shift-end", "17:00")
    await submit.click()
    await expect(result).to_have_text(message("en", "scheduler.shift.saved"))
    shorter = words("en", "scheduler.week.shift", span=span("13:00", "17:00"))
    await expect(shift).to_have_text(shorter)
    assert await shifts_of_kim(page, url, day) == [("13:00", "17:00")]

    # After a reload the week shows the changed shift.
    await page.reload()
    await expect(kim(page)).to_be_visible()
    await show_week_of(page, day)
    await expect(shift).to_have_text(shorter)

    # Removed: gone from the week and the API, and the form adds again.
    await shift.click()
    await remove.click()
    await expect(result).to_have_text(message("en", "scheduler.shift.removed"))
    await expect(shift).to_have_count(0)
    await expect(remove).to_be_hidden()
    await expect(submit).to_have_text(message("en", "scheduler.shift.add"))
    await expect(page.locator("#shift-staff")).to_be_enabled()
    assert await shifts_of_kim(page, url, day) == []


async def test_two_shifts_added_one_after_the_other_are_both_kept(
    browser: Browser, open_page: OpenPage, site: Site, demo_password: str
) -> None:
    url = site.server.url
    page = await open_page(browser, "scheduler", viewport=TALL_DESKTOP, permissions=[])
    await open_scheduler(page, url, demo_password)
    day = today() + timedelta(days=40)  # a day no other test uses
    result = page.locator("#shift-result")
    await page.select_option("#shift-staff", label=INTERPRETER)
    await page.fill("#shift-date", day.isoformat())
    for start, end in (("08:00", "12:00"), ("13:00", "17:00")):
        await page.fill("#shift-start", start)
        await page.fill("#shift-end", end)
        await page.click("#shift-submit")
        await expect(result).to_have_text(message("en", "scheduler.shift.saved"))
        await expect(kim_on(page, day).locator("button.item-shift")).to_contain_text(
            [words("en", "scheduler.week.shift", span=span(start, end))]
        )
    shifts = kim_on(page, day).locator("button.item-shift")
    await expect(shifts).to_have_text(
        [
            words("en", "scheduler.week.shift", span=span("08:00", "12:00")),
            words("en", "scheduler.week.shift", span=span("13:00", "17:00")),
        ]
    )
    assert await shifts_of_kim(page, url, day) == [
        ("08:00", "12:00"),
        ("13:00", "17:00"),
    ]


async def test_the_shift_form_refuses_in_words_in_either_language(
    browser: Browser, open_page: OpenPage, site: Site, demo_password: str
) -> None:
    url = site.server.url
    page = await open_page(browser, "scheduler", viewport=TALL_DESKTOP, permissions=[])
    await open_scheduler(page, url, demo_password)
    error = page.locator("#shift-error")
    day = today() + timedelta(days=7)

    # No start time: refused on the page, the field marked, nothing stored.
    await page.select_option("#shift-staff", label=INTERPRETER)
    await page.fill("#shift-date", day.isoformat())
    await page.fill("#shift-start", "")
    await page.click("#shift-submit")
    await expect(error).to_have_attribute("data-code", "missing_time")
    await expect(error).to_have_text(message("en", "scheduler.error.missing_time"))
    await expect(page.locator("#shift-start")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#shift-start")).to_be_focused()
    assert await shifts_of_kim(page, url, day) == [("09:00", "18:00")]

    # Over the interpreter's own shift: the server's refusal, said in words.
    await page.fill("#shift-start", "10:00")
    await page.fill("#shift-end", "12:00")
    await page.click("#shift-submit")
    await expect(error).to_have_attribute("data-code", "shift_overlap")
    await expect(error).to_have_text(message("en", "scheduler.error.shift_overlap"))
    await expect(page.locator("#shift-start")).to_have_attribute(
        "aria-errormessage", "shift-error"
    )
    assert await shifts_of_kim(page, url, day) == [("09:00", "18:00")]

    # A shift that holds a reservation cannot be removed.
    booked_day = today() + timedelta(days=2)
    await book(page, booked_day, "14:00", "Han Jisu")
    await kim_on(page, booked_day).locator("button.item-shift").click()
    await page.click("#shift-remove")
    await expect(error).to_have_attribute("data-code", "shift_has_reservations")
    await expect(error).to_have_text(
        message("en", "scheduler.error.shift_has_reservations")
    )
    assert await shifts_of_kim(page, url, booked_day) == [("09:00", "18:00")]

    # In Korean, the refusal shown and the week are in Korean.
    await switch_language(page, "ko")
    await expect(error).to_have_text(
        message("ko", "scheduler.error.shift_has_reservations")
    )
    await expect(page.locator("#week-head th").first).to_have_text(
        message("ko", "scheduler.week.interpreter")
    )
    await expect(page.locator("#week-label")).to_contain_text("주간")
    await expect(kim_on(page, booked_day).locator("button.item-shift")).to_have_text(
        words("ko", "scheduler.week.shift", span=DEMO_SHIFT)
    )
    await expect(page.locator("#shift-submit")).to_have_text(
        message("ko", "scheduler.shift.save")
    )
    await expect(page.locator("#book-submit")).to_have_text(
        message("ko", "scheduler.book.submit")
    )
    # Kept after a reload.
    await page.reload()
    await expect(page.locator("#locale")).to_have_value("ko")
    await expect(page.locator("#week-head th").first).to_have_text(
        message("ko", "scheduler.week.interpreter")
    )


async def test_signing_out_of_the_scheduler(
    browser: Browser, open_page: OpenPage, site: Site, demo_password: str
) -> None:
    url = site.server.url
    page = await open_page(browser, "scheduler", viewport=TALL_DESKTOP, permissions=[])
    await open_scheduler(page, url, demo_password)
    await expect(page.locator("#who")).not_to_be_empty()

    await page.get_by_role("button", name=message("en", "staff.logout")).click()
    await expect(page.locator("body")).to_have_attribute("data-state", "login")
    await expect(page.locator("#username")).to_be_focused()
    await expect(page.locator("#who")).to_be_empty()
    await expect(page.locator("#logout")).to_be_hidden()
    await expect(page.locator("#week-body")).to_be_hidden()

    # Signed out on the server too: a reload asks again, the API refuses.
    await page.reload()
    await expect(page.locator("body")).to_have_attribute("data-state", "login")
    status, answer = await api_json(
        page, "GET", f"{url}/api/schedule?start={today().isoformat()}&days=7"
    )
    assert status == 401, answer
