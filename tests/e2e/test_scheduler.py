"""The scheduler page and the citizen's booking page in headless Chromium."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, Page, ViewportSize, expect

from tests.e2e.conftest import OpenPage
from tests.e2e.journeys import INTERPRETER, PHONE, TALL_DESKTOP

pytestmark = pytest.mark.browser

SEOUL = ZoneInfo("Asia/Seoul")
AXE = (
    Path(__file__).resolve().parents[2] / "web_client/node_modules/axe-core/axe.min.js"
)
AXE_RUN = """async () => (await window.axe.run(document, {
  runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa', 'best-practice']},
  resultTypes: ['violations'],
})).violations
  .filter((v) => v.impact === 'serious' || v.impact === 'critical')
  .map((v) => `${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(' '))}`)"""


async def assert_accessible(page: Page) -> None:
    """No serious or critical axe-core violation (WCAG 2.1 AA and best practice)."""
    if not await page.evaluate("typeof window.axe === 'object'"):
        await page.add_script_tag(path=AXE)
    assert await page.evaluate(AXE_RUN) == []


def stored_reservations(database: Path) -> list[tuple[str, str, str | None]]:
    """(status, start, citizen name) of every reservation in the server's SQLite."""
    with closing(sqlite3.connect(database)) as db:
        rows = db.execute(
            "SELECT status, start_at, citizen_name FROM reservations ORDER BY start_at"
        ).fetchall()
    return [(str(s), str(t), n) for s, t, n in rows]


async def sign_in(page: Page, server_url: str, password: str) -> None:
    await page.goto(f"{server_url}/scheduler")
    await page.fill("#username", "scheduler")
    await page.fill("#password", password)
    await page.press("#password", "Enter")  # the keyboard signs in too
    await expect(page.locator("body")).to_have_attribute("data-state", "schedule")
    await expect(page.locator("#week-body th[scope=row]").first).to_be_visible()


@pytest.mark.parametrize("viewport", [TALL_DESKTOP, PHONE], ids=["desktop", "phone"])
async def test_a_scheduler_books_and_sees_a_conflict(
    browser: Browser,
    open_page: OpenPage,
    server_url: str,
    demo_password: str,
    database: Path,
    viewport: ViewportSize,
) -> None:
    page = await open_page(browser, "scheduler", viewport=viewport, permissions=[])
    await sign_in(page, server_url, demo_password)
    # The demo interpreter works 09:00-18:00 (Seoul) for the coming two weeks.
    day = (datetime.now(SEOUL) + timedelta(days=2)).date()

    await page.select_option("#book-service", "sign_language")
    await page.fill("#book-date", day.isoformat())
    await page.fill("#book-time", "10:00")
    await page.select_option("#book-staff", label=INTERPRETER)
    await page.get_by_label("Citizen's name (optional)").fill("Lee Minsu")
    await page.get_by_label("Phone or e-mail (optional)").fill("010-1234-5678")
    await page.get_by_role("button", name="Book", exact=True).click()

    result = page.locator("#book-result")
    await expect(result).to_contain_text("Booked:")
    await expect(result.locator("input")).to_have_value(
        re.compile(r"/#join=[\w-]{40,}$")
    )
    # The week of the booking shows it in the interpreter's row, on that day.
    row = page.locator("#week-body tr", has_text=INTERPRETER)
    booked = row.locator("button.item-reservation", has_text="Lee Minsu")
    await expect(booked).to_have_count(1)
    await expect(booked).to_contain_text("10:00")
    assert [(s, n) for s, _, n in stored_reservations(database)] == [
        ("booked", "Lee Minsu")
    ]

    # The same slot again: refused, with the conflict said in words, nothing stored.
    await page.get_by_label("Citizen's name (optional)").fill("Park Jiwoo")
    await page.fill("#book-time", "10:15")
    await page.get_by_role("button", name="Book", exact=True).click()
    error = page.locator("#book-error")
    await expect(error).to_have_attribute("data-code", "slot_taken")
    await expect(error).to_contain_text("already has a reservation at that time")
    await expect(page.locator("#book-time")).to_have_attribute("aria-invalid", "true")
    assert len(stored_reservations(database)) == 1
    await assert_accessible(page)

    # Choosing the reservation (keyboard only) offers to move it.
    await booked.focus()
    await page.keyboard.press("Enter")
    await expect(page.locator("#selected")).to_be_visible()
    await expect(page.locator("#selected-detail")).to_contain_text("Lee Minsu")
    await page.fill("#move-time", "14:00")
    await page.locator("#move-time").press("Enter")
    await expect(page.locator("#selected-result")).to_contain_text("moved")
    await expect(booked).to_contain_text("14:00")
    if viewport == PHONE:
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], "the page itself must not scroll sideways"


async def test_a_citizen_books_from_the_booking_page(
    browser: Browser,
    open_page: OpenPage,
    server_url: str,
    database: Path,
) -> None:
    page = await open_page(browser, "citizen", viewport=PHONE, permissions=[])
    await page.goto(f"{server_url}/book")
    await page.get_by_label("Which counseling do you need?").select_option(
        "sign_language"
    )
    await page.get_by_role("button", name="Show free times").click()
    first = page.locator("#slot-list input[type=radio]").first
    await expect(first).to_be_checked()
    start = await first.get_attribute("value")
    assert start is not None
    await page.get_by_label("Phone or e-mail (optional)").fill("not a phone")
    await page.get_by_role("button", name="Book this time").click()
    await expect(page.locator("#book-error")).to_have_attribute(
        "data-code", "invalid_contact"
    )
    assert stored_reservations(database) == []

    await page.get_by_label("Phone or e-mail (optional)").fill("010-9876-5432")
    await page.get_by_role("button", name="Book this time").click()
    await expect(page.locator("#booked")).to_be_visible()
    link = page.locator("#join-link")
    await assert_accessible(page)
    await expect(link).to_have_value(
        re.compile(rf"^{re.escape(server_url)}/#join=[\w-]{{40,}}$")
    )
    async with page.expect_download() as download_info:
        await page.get_by_role("button", name="Add to my calendar (.ics)").click()
    download = await download_info.value
    assert download.suggested_filename.endswith(".ics")
    path = await download.path()
    ics = await asyncio.to_thread(Path(path).read_text)
    assert "BEGIN:VEVENT" in ics
    assert "#join=" in ics
    ((status, stored_start, name),) = stored_reservations(database)
    assert (status, name) == ("booked", None)
    assert datetime.fromisoformat(start) == datetime.fromisoformat(
        stored_start + "+00:00"
    )

    # The link opens the reservation again on the booking page.
    token = (await link.input_value()).split("#join=", 1)[1]
    await page.goto(f"{server_url}/book#join={token}")
    await expect(page.locator("#reservation-detail")).to_contain_text("You can join")
