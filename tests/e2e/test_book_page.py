"""The citizen's booking page beyond one booking: a language with no free time, a
new choice hiding the old times (and a late answer for it), the keyboard, a refused
contact, a time taken meanwhile, a language switch (dates too), a calendar file that
fails, an unreachable service and a link that is no reservation; each checked on
the page and in what the server stores."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from contextlib import closing
from datetime import datetime

import pytest
from playwright.async_api import Browser, Page, Route, expect

from tests.e2e.checks import switch_language
from tests.e2e.conftest import OpenPage, Site
from tests.e2e.journeys import PHONE, message

pytestmark = pytest.mark.browser

# Five citizen bookings per address are allowed: this module makes four.
SLOTS = "#slot-list input[type=radio]"
ENGLISH_DATE = re.compile(r"[A-Z][a-z]{2}, [A-Z][a-z]{2} \d")
KOREAN_DATE = re.compile(r"\d+월 \d+일")
# Counts the answers the page has read (Response.json): a wait for one to be read
# that needs no sleep, whether or not the page shows anything for it.
COUNT_ANSWERS_READ = """() => {
  const json = Response.prototype.json;
  window.answersRead = 0;
  Response.prototype.json = async function () {
    try {
      return await json.call(this);
    } finally {
      window.answersRead += 1;
    }
  };
}"""


def stored(site: Site) -> list[tuple[str, str, str, str | None]]:
    """(language, status, start, citizen name) of every reservation stored."""
    with closing(sqlite3.connect(site.server.data_dir / "dasan.db")) as db:
        rows = db.execute(
            "SELECT language, status, start_at, citizen_name FROM reservations"
            " ORDER BY start_at"
        ).fetchall()
    return [(str(lang), str(s), str(t), n) for lang, s, t, n in rows]


def same_moment(offset_iso: str, stored_utc: str) -> bool:
    """A slot's start (with its offset) is the stored start (UTC, no offset)."""
    return datetime.fromisoformat(offset_iso) == datetime.fromisoformat(
        stored_utc + "+00:00"
    )


async def open_booking(page: Page, site: Site) -> None:
    await page.goto(f"{site.server.url}/book")
    await expect(page.locator("#service")).to_have_value("sign_language")
    await expect(page.locator("#show-slots")).to_have_text("Show free times")


async def show_free_times(page: Page) -> list[str]:
    """Ask for the free times; the start of each one offered."""
    await page.click("#show-slots")
    await expect(page.locator("#slots")).to_be_visible()
    await expect(page.locator("#show-slots")).to_be_enabled()
    return [
        str(value)
        for value in await page.locator(SLOTS).evaluate_all(
            "inputs => inputs.map((i) => i.value)"
        )
    ]


async def test_a_language_without_free_times_says_so_and_a_new_choice_hides_old_times(
    site: Site, browser: Browser, open_page: OpenPage
) -> None:
    page = await open_page(browser, "citizen", viewport=PHONE, permissions=[])
    await open_booking(page, site)
    # Sign language has one language: no language to choose.
    await expect(page.locator("#language-field")).to_be_hidden()
    await page.select_option("#service", "foreign_language")
    await expect(page.locator("#language-field")).to_be_visible()

    # Nobody speaks Mongolian in the demo: no time, said in words, nothing to fill.
    await page.select_option("#language", "mn")
    assert await show_free_times(page) == []
    await expect(page.locator("#slots-empty")).to_have_text(
        message("en", "booking.slots.none")
    )
    # The note takes the focus, so a screen reader reads it out.
    await expect(page.locator("#slots-empty")).to_be_focused()
    await expect(page.locator("#details")).to_be_hidden()

    # Another language hides the old answer until asked again.
    await page.select_option("#language", "en")
    await expect(page.locator("#slots")).to_be_hidden()
    starts = await show_free_times(page)
    assert starts, "the demo English counselor has free times"
    await expect(page.locator("#slots-empty")).to_be_hidden()
    await expect(page.locator(SLOTS).first).to_be_focused()
    await expect(page.locator("#details")).to_be_visible()

    # Another service too, and sign language again has no language field.
    await page.select_option("#service", "sign_language")
    await expect(page.locator("#slots")).to_be_hidden()
    await expect(page.locator("#details")).to_be_hidden()
    await expect(page.locator("#language-field")).to_be_hidden()
    await expect(page.locator("#language")).to_have_value("ksl")
    assert not [r for r in stored(site) if r[0] == "mn"]


async def test_a_citizen_books_a_later_time_with_the_keyboard(
    site: Site, browser: Browser, open_page: OpenPage
) -> None:
    page = await open_page(
        browser,
        "citizen",
        viewport=PHONE,
        permissions=["clipboard-read", "clipboard-write"],
    )
    await open_booking(page, site)
    starts = await show_free_times(page)
    assert len(starts) >= 2
    # The first time is chosen and focused; the arrow key chooses the next one.
    await expect(page.locator(SLOTS).first).to_be_focused()
    await page.keyboard.press("ArrowDown")
    await expect(page.locator(SLOTS).nth(1)).to_be_checked()

    await page.get_by_label("Your name (optional)").fill("Choi Yuna")
    contact = page.get_by_label("Phone or e-mail (optional)")
    await contact.fill("call me maybe")
    await contact.press("Enter")
    error = page.locator("#book-error")
    await expect(error).to_have_attribute("data-code", "invalid_contact")
    await expect(error).to_have_text(message("en", "booking.error.invalid_contact"))
    await expect(contact).to_have_attribute("aria-invalid", "true")
    await expect(contact).to_be_focused()
    assert not [r for r in stored(site) if r[3] == "Choi Yuna"]

    # Corrected and sent with Enter: booked at the time chosen, the mark gone.
    await contact.fill("choi@example.org")
    await contact.press("Enter")
    booked = page.locator("#booked")
    await expect(booked).to_be_visible()
    await expect(booked).to_be_focused()
    await expect(page.locator("#booking-form")).to_be_hidden()
    await expect(contact).not_to_have_attribute("aria-invalid", "true")
    (mine,) = [r for r in stored(site) if r[3] == "Choi Yuna"]
    assert mine[:2] == ("ksl", "booked")
    assert same_moment(starts[1], mine[2])

    link = await page.locator("#join-link").input_value()
    assert re.fullmatch(rf"{re.escape(site.server.url)}/#join=[\w-]{{40,}}", link)
    await page.get_by_role("button", name="Copy link").click()
    await expect(page.locator("#booked-note")).to_have_text(
        message("en", "booking.done.copied")
    )
    assert await page.evaluate("navigator.clipboard.readText()") == link


async def test_a_time_taken_meanwhile_is_no_longer_offered(
    site: Site, browser: Browser, open_page: OpenPage
) -> None:
    page = await open_page(browser, "citizen", viewport=PHONE, permissions=[])
    await open_booking(page, site)
    await page.select_option("#service", "foreign_language")
    await page.select_option("#language", "en")
    starts = await show_free_times(page)
    assert len(starts) >= 3
    await page.locator(SLOTS).nth(1).check()
    await page.get_by_label("Your name (optional)").fill("Late Comer")
    # Someone else books that time while this citizen reads (the second time
    # offered, never one that could pass meanwhile).
    taken = starts[1]
    response = await page.request.post(
        f"{site.server.url}/api/bookings",
        data={"service": "foreign_language", "language": "en", "start": taken},
    )
    assert response.status == 201

    await page.get_by_role("button", name="Book this time").click()
    # The times are asked again: the taken one is gone, nothing was stored for it.
    await expect(page.locator(f'{SLOTS}[value="{taken}"]')).to_have_count(0)
    await expect(page.locator(f'{SLOTS}[value="{starts[2]}"]')).to_have_count(1)
    assert not [r for r in stored(site) if r[3] == "Late Comer"]
    # The reason stays in view under the new times, the first of them chosen and
    # focused (a second press books it instead of "Choose a time first").
    error = page.locator("#book-error")
    await expect(error).to_have_text(message("en", "booking.error.slot_taken"))
    await expect(error).to_have_attribute(
        "data-code", re.compile(r"^(slot_taken|no_interpreter_free)$")
    )
    await expect(page.locator(SLOTS).first).to_be_checked()
    await expect(page.locator(SLOTS).first).to_be_focused()

    later = page.locator(SLOTS).last
    await later.check()
    await page.get_by_role("button", name="Book this time").click()
    await expect(page.locator("#booked")).to_be_visible()
    await expect(error).to_have_text("")
    await expect(error).not_to_have_attribute("data-code", re.compile("."))
    (mine,) = [r for r in stored(site) if r[3] == "Late Comer"]
    assert same_moment(str(await later.get_attribute("value")), mine[2])


async def test_the_free_times_follow_a_language_switch(
    site: Site, browser: Browser, open_page: OpenPage
) -> None:
    page = await open_page(browser, "citizen", viewport=PHONE, permissions=[])
    await open_booking(page, site)
    await page.select_option("#service", "foreign_language")
    starts = await show_free_times(page)
    assert len(starts) >= 3
    third = page.locator(SLOTS).nth(2)
    await third.check()
    label = page.locator("#slot-list label").nth(2)
    await expect(label).to_contain_text(ENGLISH_DATE)

    await switch_language(page, "ko")
    # The times are written again in Korean; the choices are kept.
    await expect(label).to_contain_text(KOREAN_DATE)
    await expect(third).to_be_checked()
    await expect(page.locator("#service")).to_have_value("foreign_language")
    await expect(page.locator("#service option:checked")).to_have_text(
        message("ko", "service.foreign_language")
    )
    await expect(page.locator("#language option:checked")).to_have_text(
        message("ko", "language.en")
    )
    await expect(page.locator("#book")).to_have_text(message("ko", "booking.submit"))

    # Reloaded, the page stays in Korean (remembered), the old answer gone.
    await page.reload()
    await expect(page.locator("html")).to_have_attribute("lang", "ko")
    await expect(page.locator("#show-slots")).to_have_text(
        message("ko", "booking.slots.show")
    )
    await expect(page.locator("#slots")).to_be_hidden()


async def test_an_unreachable_service_is_said_and_the_next_try_works(
    site: Site, browser: Browser, open_page: OpenPage
) -> None:
    page = await open_page(browser, "citizen", viewport=PHONE, permissions=[])
    await open_booking(page, site)
    await page.route("**/api/slots?*", lambda route: route.abort())
    await page.click("#show-slots")
    error = page.locator("#error")
    await expect(error).to_have_attribute("data-code", "unreachable")
    await expect(error).to_have_text(message("en", "booking.error.unreachable"))
    await expect(page.locator("#show-slots")).to_be_enabled()
    await expect(page.locator("#status")).to_have_text("")
    await expect(page.locator("#slots")).to_be_hidden()

    await page.unroute("**/api/slots?*")
    assert await show_free_times(page)
    await expect(error).to_have_text("")
    await expect(error).not_to_have_attribute("data-code", re.compile("."))


async def test_a_link_that_is_no_reservation_says_so(
    site: Site, browser: Browser, open_page: OpenPage
) -> None:
    page = await open_page(browser, "citizen", viewport=PHONE, permissions=[])
    await page.goto(f"{site.server.url}/book#join={'A' * 43}")
    detail = page.locator("#reservation-detail")
    await expect(detail).to_have_attribute("data-code", "join_token_unknown")
    await expect(detail).to_have_text(message("en", "booking.error.join_token_unknown"))
    await expect(page.locator("#reservation-join")).to_be_hidden()
    # The citizen can still book from here.
    await expect(page.locator("#booking-form")).to_be_visible()
    assert await show_free_times(page)


async def test_a_late_answer_for_an_earlier_choice_is_not_shown(
    site: Site, browser: Browser, open_page: OpenPage
) -> None:
    page = await open_page(browser, "citizen", viewport=PHONE, permissions=[])
    await open_booking(page, site)
    await page.select_option("#service", "foreign_language")
    await page.select_option("#language", "mn")
    release = asyncio.Event()

    async def hold(route: Route) -> None:
        await release.wait()
        await route.continue_()

    # The (empty) Mongolian answer is held until the citizen has chosen again.
    await page.route("**/api/slots?service=foreign_language&language=mn&*", hold)
    await page.evaluate(COUNT_ANSWERS_READ)
    try:
        await page.click("#show-slots")
        await expect(page.locator("#status")).to_have_text(
            message("en", "booking.slots.loading")
        )
        await page.select_option("#service", "sign_language")
        await expect(page.locator("#slots")).to_be_hidden()
    finally:
        release.set()
    await page.wait_for_function("() => window.answersRead >= 1")
    # Read, and not shown under sign language.
    await expect(page.locator("#slots")).to_be_hidden()
    await expect(page.locator("#slots-empty")).to_be_hidden()
    await expect(page.locator("#status")).to_have_text("")
    assert await show_free_times(page), "the demo has sign language interpreters"
    await expect(page.locator("#slots-empty")).to_be_hidden()
    await expect(page.locator("#details")).to_be_visible()


async def test_dates_follow_a_switch_and_a_failed_calendar_file_keeps_the_booking(
    site: Site, browser: Browser, open_page: OpenPage
) -> None:
    page = await open_page(browser, "citizen", viewport=PHONE, permissions=[])
    await open_booking(page, site)
    # The last time offered: never one that could pass meanwhile.
    starts = await show_free_times(page)
    assert starts
    await page.locator(SLOTS).last.check()
    await page.get_by_label("Your name (optional)").fill("Lang Switcher")
    await page.get_by_role("button", name="Book this time").click()
    when = page.locator("#booked-when")
    await expect(when).to_contain_text(ENGLISH_DATE)
    (mine,) = [r for r in stored(site) if r[3] == "Lang Switcher"]
    assert same_moment(starts[-1], mine[2])

    # The calendar file fails: the booking still stands, and the note says so.
    await page.route(
        "**/api/join/calendar.ics", lambda route: route.fulfill(status=500)
    )
    await page.get_by_role("button", name="Add to my calendar (.ics)").click()
    note = page.locator("#booked-note")
    await expect(note).to_have_text(message("en", "booking.done.ics_failed"))

    await switch_language(page, "ko")
    await expect(when).to_contain_text(KOREAN_DATE)
    await expect(when).not_to_contain_text(ENGLISH_DATE)
    await expect(note).to_have_text(message("ko", "booking.done.ics_failed"))

    # The reservation opened from its link follows a switch too.
    link = await page.locator("#join-link").input_value()
    token = link.split("#join=", 1)[1]
    await page.goto(f"{site.server.url}/book#join={token}")
    detail = page.locator("#reservation-detail")
    await expect(detail).to_contain_text(KOREAN_DATE)
    await switch_language(page, "en")
    await expect(detail).to_contain_text(ENGLISH_DATE)
    await expect(detail).not_to_contain_text(KOREAN_DATE)


async def test_a_link_cut_short_is_no_reservation_either(
    site: Site, browser: Browser, open_page: OpenPage
) -> None:
    page = await open_page(browser, "citizen", viewport=PHONE, permissions=[])
    # Too short for a join token: the server refuses its shape, not its lookup.
    await page.goto(f"{site.server.url}/book#join={'A' * 12}")
    detail = page.locator("#reservation-detail")
    await expect(detail).to_have_attribute("data-code", "join_token_unknown")
    await expect(detail).to_have_text(message("en", "booking.error.join_token_unknown"))
    await expect(page.locator("#reservation-join")).to_be_hidden()
