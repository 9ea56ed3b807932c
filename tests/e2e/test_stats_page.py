"""The statistics page beyond one week's figures: who may see it, signing out and
reloading, a filter's own figures in either language, a range with no case, a too
long range, a failed request and a late answer; each checked against the seeded
cases."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from playwright.async_api import Browser, Locator, Page, expect

from storage.database import database_url_for_data_dir, open_database
from storage.sql import SqlStaffDirectory
from tests.e2e.checks import switch_language
from tests.e2e.conftest import DEMO_PASSWORD, OpenPage, Site
from tests.e2e.held import Held
from tests.e2e.journeys import TALL_DESKTOP, message, sign_in_at
from tests.records_month import (
    SEOUL,
    SeededCase,
    expected,
    generate_month,
    insert_month,
)

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Week:
    site: Site
    cases: list[SeededCase]
    first: date
    last: date


async def seed(site: Site) -> Week:
    """A week of cases (3% of the real volumes) of the demo KSL interpreter."""
    db = await open_database(database_url_for_data_dir(site.server.data_dir))
    last = datetime.now(SEOUL).date()
    first = last - timedelta(days=6)
    try:
        kim = await SqlStaffDirectory(db).by_username("interpreter.ksl")
        assert kim is not None
        cases = generate_month(23, first, 7, [kim.id], scale=0.03)
        await insert_month(db, cases)
    finally:
        await db.close()
    return Week(site, cases, first, last)


@pytest.fixture(scope="module")
def week(site: Site) -> Week:
    return asyncio.run(seed(site))


def requests(week: Week, **only: str) -> int:
    """The week's requests (the seeded truth), only the cases matching `only`."""
    figures = expected(week.cases, week.first, week.last, None, only=only or None)
    return int(figures[(None,)]["requests"])


def total_requests(page: Page) -> Locator:
    """The "Requests" cell of the table's total line."""
    return page.locator("#figures-foot tr td").first


async def open_stats(page: Page, week: Week) -> None:
    await sign_in_at(page, week.site.server.url, "/stats", "supervisor")
    await expect(page.locator("body")).to_have_attribute("data-state", "stats")
    await expect(page.locator("#stats-from")).to_have_value(week.first.isoformat())


async def test_only_a_supervisor_sees_the_statistics_until_signing_out(
    week: Week, browser: Browser, open_page: OpenPage
) -> None:
    url = week.site.server.url
    page = await open_page(browser, "staff", viewport=TALL_DESKTOP, permissions=[])
    body = page.locator("body")
    error = page.locator("#error")
    await sign_in_at(page, url, "/stats", "supervisor", "not the password")
    await expect(error).to_have_attribute("data-code", "bad_credentials")
    await expect(error).to_have_text(message("en", "staff.login.bad_credentials"))
    await expect(body).to_have_attribute("data-state", "login")

    await sign_in_at(page, url, "/stats", "interpreter.ksl", DEMO_PASSWORD)
    await expect(error).to_have_text(message("en", "staff.stats.not_allowed"))
    await expect(body).to_have_attribute("data-state", "login")
    await expect(page.locator("#figures-body tr")).to_have_count(0)

    await open_stats(page, week)
    await expect(page.locator("#who")).to_contain_text("Signed in as")
    await expect(error).to_have_text("")
    # A reload keeps the supervisor signed in.
    await page.reload()
    await expect(body).to_have_attribute("data-state", "stats")
    await expect(total_requests(page)).to_have_text(f"{requests(week):,}")

    await page.get_by_role("button", name="Sign out").click()
    await expect(body).to_have_attribute("data-state", "login")
    await expect(page.locator("#username")).to_be_focused()
    await expect(page.locator("#logout")).to_be_hidden()
    await page.reload()
    await expect(body).to_have_attribute("data-state", "login")
    answer = await page.request.get(f"{url}/api/statistics")
    assert answer.status == 401


async def test_a_filter_shows_its_own_figures_in_either_language(
    week: Week, browser: Browser, open_page: OpenPage
) -> None:
    page = await open_page(browser, "staff", viewport=TALL_DESKTOP, permissions=[])
    await open_stats(page, week)
    await expect(total_requests(page)).to_have_text(f"{requests(week):,}")

    await page.select_option("#stats-service", "sign_language")
    await page.locator("#stats-to").press("Enter")  # the keyboard shows them too
    want = requests(week, service="sign_language")
    assert want != requests(week)
    await expect(total_requests(page)).to_have_text(f"{want:,}")
    await expect(page.locator("#csv")).to_have_attribute(
        "href", re.compile(r"[?&]service=sign_language(&|$)")
    )
    await expect(page.locator("#breakdown-body tr")).to_have_count(1)

    # In Korean: the same figures and filter, the words Korean.
    await switch_language(page, "ko")
    await expect(page.locator("#stats-service")).to_have_value("sign_language")
    await expect(page.locator("#stats-service option:checked")).to_have_text(
        message("ko", "service.sign_language")
    )
    await expect(page.locator("#figures-head th").nth(1)).to_have_text(
        message("ko", "staff.stats.column.requests")
    )
    await expect(page.locator("#figures-foot th")).to_have_text(
        message("ko", "staff.stats.total")
    )
    await expect(total_requests(page)).to_have_text(f"{want:,}")
    await expect(page.locator("#show")).to_have_text(message("ko", "staff.stats.show"))


async def test_a_range_without_cases_and_a_too_long_range(
    week: Week, browser: Browser, open_page: OpenPage
) -> None:
    page = await open_page(browser, "staff", viewport=TALL_DESKTOP, permissions=[])
    await open_stats(page, week)
    # A month before the seeded week: no case, zero requests, dashes for shares.
    empty_to = week.first - timedelta(days=20)
    empty_from = empty_to - timedelta(days=2)
    await page.fill("#stats-from", empty_from.isoformat())
    await page.fill("#stats-to", empty_to.isoformat())
    await page.click("#show")
    await expect(page.locator("#range-label")).to_contain_text(empty_from.isoformat())
    tiles = page.locator("#tiles dd")
    await expect(tiles.first).to_have_text("0")
    await expect(tiles.nth(1)).to_have_text("—")
    await expect(page.locator("#figures-body tr")).to_have_count(0)
    await expect(page.locator("#breakdown-body tr")).to_have_count(0)

    # Per hour, at most 31 days: refused in words, the last figures kept.
    await page.select_option("#stats-by", "hour")
    await page.fill("#stats-from", (week.last - timedelta(days=40)).isoformat())
    await page.fill("#stats-to", week.last.isoformat())
    await page.click("#show")
    error = page.locator("#error")
    await expect(error).to_have_attribute("data-code", "range_too_long")
    await expect(error).to_have_text(message("en", "staff.stats.error.range_too_long"))
    await expect(page.locator("#range-label")).to_contain_text(empty_from.isoformat())

    # Per day, the same range is allowed, and the error goes.
    await page.select_option("#stats-by", "day")
    await page.click("#show")
    await expect(error).to_have_text("")
    await expect(total_requests(page)).to_have_text(f"{requests(week):,}")


async def test_a_failed_request_is_said_and_the_next_try_works(
    week: Week, browser: Browser, open_page: OpenPage
) -> None:
    page = await open_page(browser, "staff", viewport=TALL_DESKTOP, permissions=[])
    await open_stats(page, week)
    await expect(total_requests(page)).to_have_text(f"{requests(week):,}")
    await page.route("**/api/statistics?*", lambda route: route.abort())
    await page.select_option("#stats-channel", "chat")
    await page.click("#show")
    error = page.locator("#error")
    await expect(error).to_have_attribute("data-code", "unreachable")
    await expect(error).to_contain_text("The figures could not be loaded")
    await expect(page.locator("#status")).to_have_text("")
    await expect(total_requests(page)).to_have_text(f"{requests(week):,}")

    await page.unroute("**/api/statistics?*")
    await page.click("#show")
    await expect(total_requests(page)).to_have_text(
        f"{requests(week, channel='chat'):,}"
    )
    await expect(error).to_have_text("")


async def test_a_late_answer_for_earlier_filters_is_not_drawn(
    week: Week, browser: Browser, open_page: OpenPage
) -> None:
    page = await open_page(browser, "staff", viewport=TALL_DESKTOP, permissions=[])
    await open_stats(page, week)
    await expect(total_requests(page)).to_have_text(f"{requests(week):,}")
    want = requests(week, service="sign_language")
    assert want != requests(week, service="chat")
    # The chat figures are slow to come (a slow network) ...
    slow = Held(page)
    await page.route(re.compile(r"/api/statistics\?.*service=chat"), slow.hold)
    await page.select_option("#stats-service", "chat")
    await page.click("#show")
    # ... and the supervisor asks for the sign-language ones before they come.
    await page.select_option("#stats-service", "sign_language")
    await page.click("#show")
    await expect(total_requests(page)).to_have_text(f"{want:,}")
    await slow.release(2)  # the figures and their breakdown
    # The table, the breakdown and the CSV are still those of the filter shown.
    await expect(page.locator("#stats-service")).to_have_value("sign_language")
    await expect(total_requests(page)).to_have_text(f"{want:,}")
    await expect(page.locator("#breakdown-body th")).to_have_text(
        [f"{message('en', 'service.sign_language')} · {message('en', 'language.ksl')}"]
    )
    await expect(page.locator("#csv")).to_have_attribute(
        "href", re.compile(r"[?&]service=sign_language(&|$)")
    )
    await expect(page.locator("#status")).to_have_text("")
