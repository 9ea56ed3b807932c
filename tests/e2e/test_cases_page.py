"""The case records page beyond one case: a supervisor's interpreter filter, more
results, no result, a case link through a reload, a language switch and going
back, links to a case that is not there or not the reader's, and late answers for
a search or a case left; each checked against the seeded cases."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from playwright.async_api import Browser, Page, expect

from storage.database import database_url_for_data_dir, open_database
from storage.sql import SqlStaffDirectory
from tests.e2e.checks import switch_language
from tests.e2e.conftest import OpenPage, Site
from tests.e2e.held import Held
from tests.e2e.journeys import INTERPRETER, TALL_DESKTOP, message, sign_in_at
from tests.records_month import SEOUL, SeededCase, generate_month, insert_month

pytestmark = pytest.mark.browser

PAGE_SIZE = 50
ROWS = "#results-body tr"


@dataclass(frozen=True)
class Seeded:
    site: Site
    cases: list[SeededCase]
    kim: str
    emily: str


async def seed(site: Site) -> Seeded:
    """A week of cases (3% of the real volumes) answered by the demo KSL
    interpreter and the demo English counselor."""
    db = await open_database(database_url_for_data_dir(site.server.data_dir))
    first = datetime.now(SEOUL).date() - timedelta(days=6)
    try:
        staff = SqlStaffDirectory(db)
        kim = await staff.by_username("interpreter.ksl")
        emily = await staff.by_username("counselor.en")
        assert kim is not None and emily is not None
        cases = generate_month(11, first, 7, [kim.id, emily.id], scale=0.03)
        await insert_month(db, cases)
    finally:
        await db.close()
    return Seeded(site, cases, kim.id, emily.id)


@pytest.fixture(scope="module")
def seeded(site: Site) -> Seeded:
    return asyncio.run(seed(site))


async def open_cases(page: Page, seeded: Seeded, username: str = "supervisor") -> None:
    await sign_in_at(page, seeded.site.server.url, "/cases", username)
    await expect(page.locator("body")).to_have_attribute("data-state", "search")
    await expect(page.locator(ROWS).first).to_be_visible()


async def shown_ids(page: Page) -> list[str]:
    return [
        str(case_id)
        for case_id in await page.locator(f"{ROWS} button[data-case-id]").evaluate_all(
            "buttons => buttons.map((b) => b.dataset.caseId)"
        )
    ]


async def test_a_supervisor_loads_more_and_filters_by_interpreter(
    seeded: Seeded, browser: Browser, open_page: OpenPage
) -> None:
    assert len(seeded.cases) > 2 * PAGE_SIZE
    page = await open_page(browser, "supervisor", viewport=TALL_DESKTOP, permissions=[])
    await open_cases(page, seeded)
    count = page.locator("#results-count")
    more = page.locator("#more")
    await expect(page.locator(ROWS)).to_have_count(PAGE_SIZE)
    await expect(count).to_have_text(f"{PAGE_SIZE} cases shown.")
    await expect(page.locator("#search-interpreter-field")).to_be_visible()

    await more.click()
    await expect(page.locator(ROWS)).to_have_count(2 * PAGE_SIZE)
    await expect(count).to_have_text(f"{2 * PAGE_SIZE} cases shown.")
    ids = await shown_ids(page)
    assert len(set(ids)) == len(ids), "a case is listed twice"
    # The newest first, and none left out before the oldest shown.
    when = {c.id: c.requested_at for c in seeded.cases}
    shown = [when[i] for i in ids]
    assert shown == sorted(shown, reverse=True)
    assert all(when[c] <= shown[-1] for c in when.keys() - set(ids))
    newest = sorted(seeded.cases, key=lambda c: (c.requested_at, c.id), reverse=True)

    # One interpreter's sign-language cases: all of them, only theirs.
    await page.select_option("#search-interpreter", label=INTERPRETER)
    await page.select_option("#search-service", "sign_language")
    await page.click("#search")
    want = [
        c.id
        for c in newest
        if c.interpreter_id == seeded.kim and c.service == "sign_language"
    ]
    assert 0 < len(want) < PAGE_SIZE
    await expect(page.locator(ROWS)).to_have_count(len(want))
    await expect(more).to_be_hidden()
    assert sorted(await shown_ids(page)) == sorted(want)
    await expect(page.locator(f"{ROWS} td:nth-child(3)")).to_have_text(
        [INTERPRETER] * len(want)
    )


async def test_no_case_matches_in_either_language(
    seeded: Seeded, browser: Browser, open_page: OpenPage
) -> None:
    page = await open_page(browser, "supervisor", viewport=TALL_DESKTOP, permissions=[])
    await open_cases(page, seeded)
    before = min(c.requested_at for c in seeded.cases).astimezone(SEOUL).date()
    await page.fill("#search-from", (before - timedelta(days=30)).isoformat())
    await page.fill("#search-to", (before - timedelta(days=20)).isoformat())
    await page.locator("#search-to").press("Enter")
    count = page.locator("#results-count")
    await expect(count).to_have_text(message("en", "staff.cases.none"))
    await expect(page.locator(ROWS)).to_have_count(0)
    await expect(page.locator("#more")).to_be_hidden()
    await switch_language(page, "ko")
    await expect(count).to_have_text(message("ko", "staff.cases.none"))
    await expect(page.locator("#search")).to_have_text(
        message("ko", "staff.cases.search.submit")
    )


async def test_a_case_link_lasts_through_a_reload_a_language_switch_and_back(
    seeded: Seeded, browser: Browser, open_page: OpenPage
) -> None:
    page = await open_page(browser, "supervisor", viewport=TALL_DESKTOP, permissions=[])
    await open_cases(page, seeded)
    (case_id, *_) = await shown_ids(page)
    await page.locator(f'button[data-case-id="{case_id}"]').click()
    body = page.locator("body")
    await expect(body).to_have_attribute("data-state", "case")
    await expect(page).to_have_url(re.compile(rf"/cases#case={case_id}$"))

    # Reloaded, the link opens the same case at once.
    await page.reload()
    await expect(body).to_have_attribute("data-state", "case")
    await expect(page.locator("#case-heading")).to_be_focused()
    await expect(page.locator("#case-facts")).to_contain_text(case_id)

    await switch_language(page, "ko")
    await expect(page.locator("#back")).to_have_text(message("ko", "staff.cases.back"))
    await expect(page.locator("#facts-heading")).to_have_text(
        message("ko", "staff.case.facts")
    )
    await expect(page.locator("#case-facts dt").first).to_have_text(
        message("ko", "staff.case.service")
    )

    # The browser's back button leaves the case for the list, on the same row.
    await page.go_back()
    await expect(body).to_have_attribute("data-state", "search")
    await expect(page).to_have_url(re.compile(r"/cases$"))
    await expect(page.locator(f'button[data-case-id="{case_id}"]')).to_be_focused()
    await expect(page.locator("#results-count")).to_have_text(
        message("ko", "staff.cases.count").format(count=PAGE_SIZE)
    )


async def test_a_link_to_a_missing_case_or_another_interpreters_case(
    seeded: Seeded, browser: Browser, open_page: OpenPage
) -> None:
    url = seeded.site.server.url
    page = await open_page(
        browser, "interpreter", viewport=TALL_DESKTOP, permissions=[]
    )
    await open_cases(page, seeded, "interpreter.ksl")
    body = page.locator("body")
    error = page.locator("#error")
    await page.goto(f"{url}/cases#case={'0' * 31}f")
    await expect(error).to_have_text(message("en", "staff.cases.open_error.not_found"))
    await expect(body).to_have_attribute("data-state", "search")

    # Another interpreter's case: not shown, and said as missing.
    theirs = next(c for c in seeded.cases if c.interpreter_id == seeded.emily)
    await page.goto(f"{url}/cases#case={theirs.id}")
    await expect(error).to_have_attribute("data-code", re.compile("."))
    await expect(body).to_have_attribute("data-state", "search")
    await expect(page.locator("#case-facts")).not_to_contain_text(theirs.id)

    # One of their own opens, and the message goes.
    mine = next(c for c in seeded.cases if c.interpreter_id == seeded.kim)
    await page.goto(f"{url}/cases#case={mine.id}")
    await expect(body).to_have_attribute("data-state", "case")
    await expect(page.locator("#case-facts")).to_contain_text(mine.id)
    await expect(error).to_have_text("")


def sign_language_cases(seeded: Seeded) -> int:
    """How many seeded cases a sign-language search finds (all on one page)."""
    found = sum(c.service == "sign_language" for c in seeded.cases)
    assert 0 < found < PAGE_SIZE
    return found


async def test_a_late_answer_for_an_earlier_search_is_not_drawn(
    seeded: Seeded, browser: Browser, open_page: OpenPage
) -> None:
    page = await open_page(browser, "supervisor", viewport=TALL_DESKTOP, permissions=[])
    await open_cases(page, seeded)
    count = page.locator("#results-count")
    want = sign_language_cases(seeded)
    shown = message("en", "staff.cases.count").format(count=want)
    # The chat cases are slow to come (a slow network) ...
    slow = Held(page)
    await page.route(re.compile(r"/api/cases/search\?.*service=chat"), slow.hold)
    await page.select_option("#search-service", "chat")
    await page.click("#search")
    # ... and the supervisor searches for sign-language ones before they come.
    await page.select_option("#search-service", "sign_language")
    await page.click("#search")
    await expect(count).to_have_text(shown)
    await slow.release(1)
    await expect(page.locator("#search-service")).to_have_value("sign_language")
    await expect(count).to_have_text(shown)
    await expect(page.locator(ROWS)).to_have_count(want)
    await expect(page.locator(f"{ROWS} td:nth-child(2)")).to_have_text(
        [f"{message('en', 'service.sign_language')} · {message('en', 'language.ksl')}"]
        * want
    )


async def test_a_late_next_page_is_not_added_to_a_new_search(
    seeded: Seeded, browser: Browser, open_page: OpenPage
) -> None:
    page = await open_page(browser, "supervisor", viewport=TALL_DESKTOP, permissions=[])
    await open_cases(page, seeded)
    count = page.locator("#results-count")
    more = page.locator("#more")
    await expect(page.locator(ROWS)).to_have_count(PAGE_SIZE)
    want = sign_language_cases(seeded)
    shown = message("en", "staff.cases.count").format(count=want)
    # The next page of the newest cases is slow to come ...
    slow = Held(page)
    await page.route(re.compile(r"/api/cases/search\?.*cursor="), slow.hold)
    await more.click()
    # ... and the supervisor searches for sign-language cases before it comes.
    await page.select_option("#search-service", "sign_language")
    await page.click("#search")
    await expect(count).to_have_text(shown)
    await slow.release(1)
    await expect(count).to_have_text(shown)
    await expect(page.locator(ROWS)).to_have_count(want)
    await expect(more).to_be_hidden()


async def test_a_case_left_before_it_loads_is_not_drawn(
    seeded: Seeded, browser: Browser, open_page: OpenPage
) -> None:
    page = await open_page(browser, "supervisor", viewport=TALL_DESKTOP, permissions=[])
    await open_cases(page, seeded)
    body = page.locator("body")
    (case_id, *_) = await shown_ids(page)
    # The case is slow to come (a slow network) ...
    slow = Held(page)
    await page.route(re.compile(rf"/api/cases/{case_id}$"), slow.hold)
    await page.locator(f'button[data-case-id="{case_id}"]').click()
    await expect(page).to_have_url(re.compile(rf"/cases#case={case_id}$"))
    # ... and the browser's back button leaves it before it comes.
    await page.go_back()
    await expect(page).to_have_url(re.compile(r"/cases$"))
    # The page has read the hash change once a task of its own has run.
    await page.evaluate("() => new Promise((done) => setTimeout(done))")
    await slow.release(1)
    await expect(body).to_have_attribute("data-state", "search")
    await expect(page).to_have_url(re.compile(r"/cases$"))
    await expect(page.locator(ROWS)).to_have_count(PAGE_SIZE)

    # Asked again, the case opens, and the page's own Back button leaves it.
    await page.unroute(re.compile(rf"/api/cases/{case_id}$"))
    await page.locator(f'button[data-case-id="{case_id}"]').click()
    await expect(body).to_have_attribute("data-state", "case")
    await expect(page.locator("#case-facts")).to_contain_text(case_id)
    await page.locator("#back").click()
    await expect(body).to_have_attribute("data-state", "search")
    await expect(page).to_have_url(re.compile(r"/cases#?$"))


async def test_a_late_answer_for_an_earlier_case_is_not_drawn(
    seeded: Seeded, browser: Browser, open_page: OpenPage
) -> None:
    page = await open_page(browser, "supervisor", viewport=TALL_DESKTOP, permissions=[])
    await open_cases(page, seeded)
    facts = page.locator("#case-facts")
    (first, second, *_) = await shown_ids(page)
    # The first case is slow to come (a slow network) ...
    slow = Held(page)
    await page.route(re.compile(rf"/api/cases/{first}$"), slow.hold)
    await page.locator(f'button[data-case-id="{first}"]').click()
    await expect(page).to_have_url(re.compile(rf"/cases#case={first}$"))
    # ... and the supervisor opens the second before it comes.
    await page.locator(f'button[data-case-id="{second}"]').click()
    await expect(page).to_have_url(re.compile(rf"/cases#case={second}$"))
    await expect(page.locator("body")).to_have_attribute("data-state", "case")
    await expect(facts).to_contain_text(second)
    await slow.release(1)
    await expect(page).to_have_url(re.compile(rf"/cases#case={second}$"))
    await expect(facts).to_contain_text(second)
    await expect(facts).not_to_contain_text(first)
