"""The interpreter console in headless Chromium against the real server: answering
with Alt+A and Alt+X, the wrap-up form after a session (stored when saved, gone
when the next offer comes, listed to finish later when left unsaved), and the
links to the other staff pages each role gets."""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, expect

from tests.e2e.checks import check_in
from tests.e2e.conftest import OpenPage
from tests.e2e.journeys import (
    DESKTOP,
    MEDIA,
    PHONE,
    ask_for_an_interpreter,
    ask_for_chat,
    sign_in_and_take_calls,
)

pytestmark = pytest.mark.browser

SUMMARY = "주민등록등본 발급 방법 안내, 주민센터 연결"
DEPARTMENT = "역삼1동 주민센터"


def stored(database: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        return db.execute(sql, args).fetchall()


async def test_alt_a_accepts_and_the_wrap_up_is_stored(
    server_url: str,
    database: Path,
    demo_password: str,
    browser: Browser,
    open_page: OpenPage,
) -> None:
    staff = await open_page(browser, "staff", viewport=DESKTOP, permissions=MEDIA)
    citizen = await open_page(browser, "citizen", viewport=PHONE, permissions=MEDIA)
    await sign_in_and_take_calls(staff, server_url, demo_password)

    # The buttons show their shortcuts, and say them to assistive technology.
    await citizen.goto(server_url)
    await ask_for_an_interpreter(citizen)
    await expect(staff.locator("#offer")).to_be_visible()
    accept = staff.locator("#accept")
    decline = staff.locator("#decline")
    await expect(accept).to_have_text(re.compile(r"^\s*Accept\s*Alt\+A\s*$"))
    await expect(accept).to_have_attribute("aria-keyshortcuts", "Alt+A")
    await expect(decline).to_have_text(re.compile(r"^\s*Decline\s*Alt\+X\s*$"))
    await expect(decline).to_have_attribute("aria-keyshortcuts", "Alt+X")
    await expect(staff.get_by_role("button", name="Accept", exact=True)).to_be_visible()

    # Alt+A accepts from anywhere on the page, not only from the focused button.
    await staff.locator("#away-reason").focus()
    await staff.keyboard.press("Alt+KeyA")
    for page in (staff, citizen):
        await expect(page.locator("body")).to_have_attribute("data-state", "call")

    # The session ends: the wrap-up form of this case appears.
    await citizen.click("#hang-up")
    await expect(staff.locator("body")).to_have_attribute("data-state", "ended")
    form = staff.locator("#wrapup-slot form.wrapup")
    await expect(form).to_have_attribute("data-ready", "true")
    case_id = await form.get_attribute("data-case-id")
    assert case_id is not None
    assert stored(database, "SELECT id FROM cases") == [(case_id,)]
    await expect(form.get_by_role("heading")).to_have_text("Wrap-up")
    await check_in(staff, "staff", "wrap-up", ["ko", "en"])

    await form.get_by_label("Category").select_option("documents")
    await form.get_by_label("Summary").fill(SUMMARY)
    await form.get_by_label("Forwarded to a department").check()
    await form.get_by_label("Department it was forwarded to").fill(DEPARTMENT)
    await form.get_by_role("button", name="Save the wrap-up").click()
    await expect(form.locator(".saved")).to_have_text("The wrap-up is saved.")

    # Stored: the record says so, and so does the database.
    response = await staff.request.get(f"{server_url}/api/cases/{case_id}/record")
    assert response.ok, await response.text()
    wrapup = (await response.json())["wrapup"]
    assert wrapup["category"] == "documents"
    assert wrapup["summary"] == SUMMARY
    assert wrapup["disposition"] == "forwarded"
    assert wrapup["forwarded_to"] == DEPARTMENT
    assert stored(
        database,
        "SELECT category, summary, forwarded_to FROM case_wrapups WHERE case_id = ?",
        case_id,
    ) == [("documents", SUMMARY, DEPARTMENT)]

    # Available again: the form stays until the next citizen's offer takes it away.
    await staff.click("#available")
    await expect(staff.locator("#available")).to_have_attribute("aria-pressed", "true")
    await expect(form).to_be_visible()
    await ask_for_chat(citizen, server_url)
    await expect(staff.locator("#offer")).to_be_visible()
    await expect(staff.locator("#wrapup-slot")).to_be_empty()
    await expect(staff.locator("#wrapup-pending")).to_be_hidden()  # it was saved

    # Alt+X declines.
    await staff.keyboard.press("Alt+KeyX")
    await expect(staff.locator("#offer")).to_be_hidden()
    await expect(staff.locator("#notice")).to_have_text("You declined the request.")


async def test_an_unsaved_wrap_up_is_listed_when_the_next_offer_comes(
    server_url: str,
    database: Path,
    demo_password: str,
    browser: Browser,
    open_page: OpenPage,
) -> None:
    staff = await open_page(browser, "staff", viewport=PHONE, permissions=MEDIA)
    citizen = await open_page(browser, "citizen", viewport=PHONE, permissions=[])
    await sign_in_and_take_calls(staff, server_url, demo_password)

    await ask_for_chat(citizen, server_url)
    await expect(staff.locator("#offer")).to_be_visible()
    await staff.keyboard.press("Alt+KeyA")
    await expect(staff.locator("body")).to_have_attribute("data-state", "call")
    await staff.click("#hang-up")
    form = staff.locator("#wrapup-slot form.wrapup")
    await expect(form).to_have_attribute("data-ready", "true")
    case_id = await form.get_attribute("data-case-id")
    await form.get_by_label("Summary").fill("메모 작성 중")  # typed, never saved

    await staff.click("#available")
    await ask_for_chat(citizen, server_url)
    await expect(staff.locator("#offer")).to_be_visible()
    await expect(staff.locator("#wrapup-slot")).to_be_empty()
    pending = staff.locator("#wrapup-pending")
    await expect(pending).to_be_visible()
    await expect(pending.get_by_role("heading")).to_have_text("Wrap-ups not saved yet")
    link = pending.locator("a")
    await expect(link).to_have_count(1)
    await expect(link).to_have_attribute("href", f"/cases#case={case_id}")
    await expect(link).to_have_attribute("target", "_blank")
    await expect(link).to_have_text(
        re.compile(
            r"^Text chat counseling · Korean, ended at \d\d:\d\d: write the wrap-up "
            r"\(opens in a new tab\)$"
        )
    )
    assert (
        stored(database, "SELECT summary FROM case_wrapups WHERE case_id = ?", case_id)
        == []
    )
    await check_in(staff, "staff", "wrap-up-pending", ["en", "ko"])

    await staff.keyboard.press("Alt+KeyX")
    await expect(staff.locator("#offer")).to_be_hidden()
    await expect(pending).to_be_visible()  # still to write, until signing out


async def test_each_role_gets_links_to_its_pages(
    server_url: str, demo_password: str, browser: Browser, open_page: OpenPage
) -> None:
    page = await open_page(browser, "staff", viewport=PHONE, permissions=[])
    names = page.locator("#staff-links a > span:first-child")
    links = page.locator("#staff-links a")
    expected = {
        "supervisor": (
            ["Live dashboard", "Statistics", "Cases"],
            ["/supervisor", "/stats", "/cases"],
        ),
        "scheduler": (["Reservations"], ["/scheduler"]),
        "interpreter.ksl": (["Cases"], ["/cases"]),
    }
    await page.goto(f"{server_url}/staff")
    for username, (texts, hrefs) in expected.items():
        await expect(page.locator("body")).to_have_attribute("data-state", "login")
        await expect(page.locator("#staff-links")).to_be_hidden()
        await page.fill("#username", username)
        await page.fill("#password", demo_password)
        await page.click("#login")
        await expect(page.locator("body")).to_have_attribute("data-state", "idle")
        await expect(names).to_have_text(texts)
        for n, href in enumerate(hrefs):
            await expect(links.nth(n)).to_have_attribute("href", href)
            await expect(links.nth(n)).to_have_attribute("target", "_blank")
        if username == "supervisor":
            await check_in(page, "staff", "supervisor-links", ["en", "ko"])
            await page.locator("#locale").select_option("en")
        await page.click("#logout")
