"""The case page's recordings in headless Chromium: a session recorded from real
aiortc peers into the server's data folder, listed on the case page; the video
plays (videoWidth > 0, time advancing) through the audited play route; the
interpreter asks for a combined video by keyboard and it appears; a supervisor
reads the audit; axe-core finds no serious or critical problem."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from counseling.cases import Case, EndReason, Party
from counseling.services import Language, Service, Skill
from recording.keys import load_or_create_demo_key
from storage.database import database_url_for_data_dir, open_database
from storage.recordings import SqlAccessAudit, SqlRecordings
from storage.sql import SqlCaseRepository, SqlStaffDirectory
from tests.e2e.checks import check_in
from tests.e2e.conftest import OpenPage, RunningServer
from tests.e2e.held import Held
from tests.e2e.journeys import TALL_DESKTOP, sign_in_at
from tests.recorded_session import record_session, store_session

pytestmark = pytest.mark.browser

KSL = Skill(Service.SIGN_LANGUAGE, Language.KSL)
CASE_ID = "d" * 32
COMBINE_TIMEOUT_MS = 120_000


async def seed(data_dir: Path) -> None:
    """A case answered by the demo interpreter, with a recorded call (the
    server's own demo key seals it, as the server would)."""
    key = load_or_create_demo_key(data_dir)
    files = await record_session(data_dir, key, 3.0)
    db = await open_database(database_url_for_data_dir(data_dir))
    try:
        kim = await SqlStaffDirectory(db).by_username("interpreter.ksl")
        assert kim is not None
        at = min(f.started_at for f in files) - timedelta(seconds=30)
        case = Case.open(CASE_ID, KSL, at)
        case.offer(kim.id, at + timedelta(seconds=2))
        case.answer(kim.id, at + timedelta(seconds=20))
        case.end(EndReason.COMPLETED, Party.CITIZEN, datetime.now(UTC))
        await SqlCaseRepository(db).add(case)
        await store_session(SqlRecordings(db), case.id, files)
    finally:
        await db.close()


async def audit_actions(data_dir: Path) -> list[str]:
    db = await open_database(database_url_for_data_dir(data_dir))
    try:
        return [e.action.value for e in await SqlAccessAudit(db).entries()]
    finally:
        await db.close()


async def open_case(page: Page) -> None:
    await page.goto(page.url.split("#")[0] + f"#case={CASE_ID}")
    await expect(page.locator("body")).to_have_attribute("data-state", "case")
    await expect(page.locator("#recordings-list li")).to_have_count(4)


async def test_the_case_page_plays_its_recordings_and_makes_a_combined_video(
    browser: Browser,
    open_page: OpenPage,
    server: RunningServer,
    demo_password: str,
) -> None:
    await seed(server.data_dir)
    page = await open_page(
        browser, "interpreter", viewport=TALL_DESKTOP, permissions=[]
    )
    await sign_in_at(page, server.url, "/cases", "interpreter.ksl", demo_password)
    await expect(page.locator("body")).to_have_attribute("data-state", "search")
    await open_case(page)
    assert await page.locator("#audit-card").is_hidden()
    await check_in(page, "cases", "recordings", ["en", "ko"])

    video = page.locator("#recordings-list li[data-kind=video] video").first
    await expect(video).to_have_attribute("aria-label", re.compile(".+"))
    await video.evaluate("v => { v.muted = true; return v.play(); }")
    await page.wait_for_function(
        "v => v.videoWidth > 0 && v.currentTime > 0.5", arg=await video.element_handle()
    )
    download = page.locator("#recordings-list li[data-kind=audio] a.download").first
    assert (await download.get_attribute("href") or "").endswith("/download")

    # The combined video, asked for from the keyboard.
    combine = page.locator("#recordings-combine")
    await combine.focus()
    await page.keyboard.press("Enter")
    await expect(
        page.locator("#recordings-list li[data-kind=composite]")
    ).to_have_count(1, timeout=COMBINE_TIMEOUT_MS)
    await expect(page.locator("#recordings-combine-status")).to_have_attribute(
        "data-i18n", "staff.recordings.combine.done"
    )
    combined = page.locator("#recordings-list li[data-kind=composite] video")
    await combined.evaluate("v => { v.muted = true; return v.play(); }")
    await page.wait_for_function(
        "v => v.videoWidth === 960 && v.currentTime > 0.5",
        arg=await combined.element_handle(),
    )
    actions = await audit_actions(server.data_dir)
    assert {"list", "play", "composite"} <= set(actions)


async def test_a_supervisor_reads_the_audit_and_a_scheduler_sees_nothing(
    browser: Browser,
    open_page: OpenPage,
    server: RunningServer,
    demo_password: str,
) -> None:
    await seed(server.data_dir)
    page = await open_page(browser, "supervisor", viewport=TALL_DESKTOP, permissions=[])
    await sign_in_at(page, server.url, "/cases", "supervisor", demo_password)
    await expect(page.locator("body")).to_have_attribute("data-state", "search")
    await open_case(page)
    await expect(page.locator("#audit-card")).to_be_visible()
    # Opening the case listed its recordings: that list is the first entry.
    await expect(page.locator("#audit-body tr")).to_have_count(1)
    await expect(page.locator("#audit-body tr td").first).to_have_text("Listed")
    await check_in(page, "cases", "audit", ["ko", "en"])

    # A reversed range is refused and writes nothing; a play is listed.
    reversed_range = "/api/recordings/audit?from=2026-03-05&to=2026-03-01"
    refused = await page.evaluate(
        f"async () => (await fetch('{reversed_range}')).status"
    )
    assert refused == 400
    video = page.locator("#recordings-list li[data-kind=video] video").first
    await video.evaluate("v => { v.muted = true; return v.play(); }")
    await page.wait_for_function(
        "v => v.videoWidth > 0", arg=await video.element_handle()
    )
    await page.focus("#audit-from")
    await page.keyboard.press("Enter")  # the form submits from the keyboard
    await expect(
        page.locator("#audit-body tr td", has_text="Played").first
    ).to_be_visible()
    await expect(page.locator("#audit-body tr").last).to_contain_text("Listed")

    # The whole audit is slow to come; the supervisor narrows it to tomorrow on
    # (nothing yet) before it does: the late answer is not drawn over that.
    slow = Held(page)
    await page.route(re.compile(r"/api/recordings/audit\?.*from=2000-01-01"), slow.hold)
    await page.fill("#audit-from", "2000-01-01")
    await page.keyboard.press("Enter")
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    await page.fill("#audit-from", tomorrow)
    await page.keyboard.press("Enter")
    await expect(page.locator("#audit-body tr")).to_have_count(0)
    await slow.release(1)
    await expect(page.locator("#audit-body tr")).to_have_count(0)

    scheduler = await open_page(
        browser, "scheduler", viewport=TALL_DESKTOP, permissions=[]
    )
    await scheduler.goto(f"{server.url}/cases")
    await scheduler.fill("#username", "scheduler")
    await scheduler.fill("#password", demo_password)
    await scheduler.press("#password", "Enter")
    # Signed in, the page tells a scheduler the records are not theirs.
    await expect(scheduler.locator("#error")).to_have_attribute(
        "data-code", "staff.cases.not_allowed"
    )
    status = await scheduler.evaluate(
        f"async () => (await fetch('/api/cases/{CASE_ID}/recordings')).status"
    )
    assert status == 403
    assert "refused" in await audit_actions(server.data_dir)
