"""The record pages in headless Chromium: a supervisor reads the statistics of a
seeded week (table, charts, CSV), a staff member finds a case and opens it
(timeline, transcript, wrap-up, satisfaction), and axe-core finds no serious or
critical problem on either page."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, ViewportSize, expect

from counseling.cases import Case, EndReason, EventKind, Party, party_detail
from counseling.chat import ChatMessage
from counseling.records import (
    DEFAULT_TAXONOMY,
    Disposition,
    FeedbackInvite,
    WrapupDraft,
)
from counseling.services import Language, Service, Skill
from storage.database import database_url_for_data_dir, open_database
from storage.records import SqlCaseRecords
from storage.sql import SqlCaseRepository, SqlChatLog, SqlStaffDirectory
from tests.e2e.checks import check_in
from tests.e2e.conftest import OpenPage
from tests.e2e.journeys import PHONE, TALL_DESKTOP, sign_in_at
from tests.records_month import (
    SEOUL,
    SeededCase,
    expected,
    generate_month,
    insert_month,
)

pytestmark = pytest.mark.browser

KSL = Skill(Service.SIGN_LANGUAGE, Language.KSL)
CHAT_LINES = (
    "전입신고는 어디서 하나요?",
    "가까운 주민센터나 정부24에서 할 수 있습니다.",
)
SUMMARY = "전입신고 방법 안내, 주민센터 연결"


@dataclass(frozen=True)
class Seeded:
    week: list[SeededCase]
    case: Case
    first: str
    last: str


async def seed(database: Path) -> Seeded:
    """A week of cases at 3% of the real volumes, and one full case of the demo
    sign-language interpreter: timeline, chat, wrap-up and a rating."""
    db = await open_database(database_url_for_data_dir(database.parent))
    today = datetime.now(SEOUL).date()
    first = today - timedelta(days=6)
    try:
        kim = await SqlStaffDirectory(db).by_username("interpreter.ksl")
        assert kim is not None
        week = generate_month(11, first, 7, [kim.id], scale=0.03)
        await insert_month(db, week)
        at = datetime.now(UTC) - timedelta(hours=2)
        case = Case.open("c" * 32, KSL, at)
        case.offer(kim.id, at + timedelta(seconds=3))
        case.answer(kim.id, at + timedelta(seconds=41))
        case.end(EndReason.COMPLETED, Party.CITIZEN, at + timedelta(minutes=7))
        await SqlCaseRepository(db).add(case)
        for seq, (sender, text) in enumerate(
            zip((Party.CITIZEN, Party.INTERPRETER), CHAT_LINES, strict=True)
        ):
            who = kim.id if sender is Party.INTERPRETER else None
            message = ChatMessage(
                case.id, seq, at + timedelta(minutes=1 + seq), sender, who, text
            )
            await SqlChatLog(db).append(message)
        records = SqlCaseRecords(db)
        draft = WrapupDraft.create(
            DEFAULT_TAXONOMY,
            "documents",
            SUMMARY,
            Disposition.FORWARDED,
            forwarded_to="주민센터",
        )
        await records.save_wrapup(case.id, draft, kim.id, at + timedelta(minutes=8))
        invite = FeedbackInvite.new(at + timedelta(minutes=7))
        await records.issue_feedback(case.id, invite.token_hash, invite.expires_at)
        await records.give_feedback(
            invite.token_hash, 5, "친절했어요", at + timedelta(minutes=9)
        )
    finally:
        await db.close()
    return Seeded(week, case, first.isoformat(), today.isoformat())


def stored_summary(database: Path, case_id: str) -> str | None:
    with closing(sqlite3.connect(database)) as db:
        row = db.execute(
            "SELECT summary FROM case_wrapups WHERE case_id = ?", (case_id,)
        ).fetchone()
    return None if row is None else str(row[0])


async def test_a_supervisor_reads_the_statistics_of_a_seeded_week(
    browser: Browser,
    open_page: OpenPage,
    server_url: str,
    demo_password: str,
    database: Path,
) -> None:
    seeded = await seed(database)
    page = await open_page(browser, "supervisor", viewport=TALL_DESKTOP, permissions=[])
    await sign_in_at(page, server_url, "/stats", "supervisor", demo_password)
    await expect(page.locator("body")).to_have_attribute("data-state", "stats")
    await expect(page.locator("#stats-from")).to_have_value(seeded.first)

    # The table: one row a day, and the week's total; the figures are the seeded ones.
    rows = page.locator("#figures-body tr")
    await expect(rows).to_have_count(7)
    first_day = datetime.fromisoformat(seeded.first).date()
    want = expected(
        [*seeded.week, _as_seeded(seeded.case)],
        first_day,
        first_day + timedelta(days=6),
        None,
    )[(None,)]
    total = page.locator("#figures-foot tr")
    await expect(total.locator("td").first).to_have_text(f"{want['requests']:,}")
    await expect(page.locator("#tiles")).to_contain_text(f"{want['requests']:,}")
    # The charts: bars for the volumes, lines for the waits, five score bars.
    await expect(page.locator("#chart-volume svg[role=img] rect").first).to_be_visible()
    assert await page.locator("#chart-volume svg rect").count() >= 7
    assert await page.locator("#chart-wait svg path").count() == 2
    await expect(page.locator("#chart-satisfaction svg rect")).to_have_count(5)
    await expect(page.locator("#breakdown-body tr")).to_have_count(
        len({(c.service, c.language) for c in seeded.week})
    )
    await check_in(page, "stats", "week", ["en", "ko"])

    # The CSV holds the same day lines and the total.
    async with page.expect_download() as download_info:
        await page.locator("#csv").click()
    download = await download_info.value
    assert download.suggested_filename.endswith(".csv")
    saved = Path(await download.path())
    text = await asyncio.to_thread(saved.read_text, encoding="utf-8-sig")
    lines = list(csv.DictReader(io.StringIO(text)))
    assert (
        lines[-1]["bucket"] == "total"
        and int(lines[-1]["requests"]) == want["requests"]
    )
    assert len(lines) == 8

    # Per hour, one day: the table and the charts follow.
    await page.select_option("#stats-by", "hour")
    await page.fill("#stats-from", seeded.first)
    await page.fill("#stats-to", seeded.first)
    await page.locator("#show").click()
    hours = {
        c.requested_at.astimezone(SEOUL).hour
        for c in seeded.week
        if c.requested_at.astimezone(SEOUL).date() == first_day
    }
    await expect(rows).to_have_count(len(hours))
    await check_in(page, "stats", "hour", ["ko"])

    # A reversed range is refused in words.
    await page.fill("#stats-from", seeded.last)
    await page.fill("#stats-to", seeded.first)
    await page.locator("#show").click()
    await expect(page.locator("#error")).to_have_attribute(
        "data-code", "range_reversed"
    )


def _as_seeded(case: Case) -> SeededCase:
    return SeededCase(
        id=case.id,
        service=case.skill.service.value,
        language=case.skill.language.value,
        channel=case.channel,
        requested_at=case.requested_at,
        answered_at=case.answered_at,
        ended_at=case.ended_at,
        end_reason=None if case.end_reason is None else case.end_reason.value,
        interpreter_id=case.interpreter_id,
        score=5,
        asked=True,
        category="documents",
        disposition="forwarded",
    )


@pytest.mark.parametrize("viewport", [TALL_DESKTOP, PHONE], ids=["desktop", "phone"])
async def test_an_interpreter_finds_a_case_and_opens_it(
    browser: Browser,
    open_page: OpenPage,
    server_url: str,
    demo_password: str,
    database: Path,
    viewport: ViewportSize,
) -> None:
    seeded = await seed(database)
    page = await open_page(browser, "interpreter", viewport=viewport, permissions=[])
    await sign_in_at(page, server_url, "/cases", "interpreter.ksl", demo_password)
    await expect(page.locator("body")).to_have_attribute("data-state", "search")
    await expect(page.locator("#results-body tr").first).to_be_visible()
    await expect(
        page.locator("#search-interpreter-field")
    ).to_be_hidden()  # own cases only
    await check_in(page, "cases", "results", ["en", "ko"])

    await page.select_option("#search-category", "documents")
    await page.select_option("#search-disposition", "forwarded")
    await page.locator("#search").click()
    opened = page.locator(f'button[data-case-id="{seeded.case.id}"]')
    await expect(opened).to_be_visible()
    week_hits = [
        c
        for c in seeded.week
        if c.category == "documents" and c.disposition == "forwarded"
    ]
    await expect(page.locator("#results-body tr")).to_have_count(
        min(50, len(week_hits) + 1)
    )

    await opened.click()
    await expect(page.locator("body")).to_have_attribute("data-state", "case")
    await expect(page).to_have_url(re.compile(rf"#case={seeded.case.id}$"))
    await expect(page.locator("#case-heading")).to_be_focused()
    await expect(page.locator("#case-timeline li")).to_have_count(4)
    await expect(page.locator("#case-transcript li")).to_have_text(
        [re.compile(re.escape(line)) for line in CHAT_LINES]
    )
    await expect(page.locator("#case-wrapup")).to_contain_text(SUMMARY)
    await expect(page.locator("#case-feedback")).to_contain_text("친절했어요")
    await check_in(page, "cases", "case", ["ko", "en"])

    # The interpreter who answered corrects the wrap-up; it is stored.
    form = page.locator("form.wrapup")
    await expect(form).to_have_attribute("data-ready", "true")
    await expect(form.locator("select")).to_have_value("documents")
    await form.get_by_label("Summary").fill(SUMMARY + " (정정)")
    await form.get_by_role("button", name="Save the wrap-up").click()
    await expect(form.locator(".saved")).to_have_text("The wrap-up is saved.")
    await expect(page.locator("#case-wrapup")).to_contain_text(SUMMARY + " (정정)")
    assert stored_summary(database, seeded.case.id) == SUMMARY + " (정정)"

    # Follow-up without naming who: refused in words, nothing stored.
    await form.get_by_label("Follow-up needed").check()
    await form.get_by_role("button", name="Save the wrap-up").click()
    await expect(form.locator(".problem")).to_have_attribute(
        "data-code", "invalid_field"
    )
    await expect(form.get_by_label("Who follows up")).to_have_attribute(
        "aria-invalid", "true"
    )
    assert stored_summary(database, seeded.case.id) == SUMMARY + " (정정)"
    await check_in(page, "cases", "case-refused", ["en"])

    await page.locator("#back").click()
    await expect(page.locator("body")).to_have_attribute("data-state", "search")
    await expect(opened).to_be_focused()
    if viewport == PHONE:
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], "the page itself must not scroll sideways"


async def seed_three_way(database: Path) -> Case:
    """A sign-language case that became a three-way session: the interpreter asks
    for a welfare counselor, who joins and leaves; a guest comes in with an invite;
    a hand-over is asked, withdrawn, asked again and done."""
    db = await open_database(database_url_for_data_dir(database.parent))
    try:
        staff = SqlStaffDirectory(db)
        people = [
            await staff.by_username(name)
            for name in ("interpreter.ksl", "counselor.welfare", "counselor.en")
        ]
        kim, lee, emily = (p.id for p in people if p is not None)
        assert len({kim, lee, emily}) == 3
        at = datetime.now(UTC) - timedelta(hours=1)
        step = iter(range(1, 100))

        def t() -> datetime:
            return at + timedelta(seconds=10 * next(step))

        case = Case.open("e" * 32, KSL, at)
        case.offer(kim, t())
        case.answer(kim, t())
        case.note(EventKind.CONSENT_GIVEN, t(), None, party_detail(Party.CITIZEN))
        case.note(EventKind.COUNSELOR_REQUESTED, t(), kim, "welfare")
        case.note(EventKind.PARTY_JOINED, t(), lee, party_detail(Party.COUNSELOR))
        case.note(EventKind.INVITE_CREATED, t(), kim, "f" * 32)
        guest = party_detail(Party.GUEST, "guest-ref-1")
        case.note(EventKind.INVITE_USED, t(), detail=f"{'f' * 32}:guest-ref-1")
        case.note(EventKind.PARTY_JOINED, t(), None, guest)
        case.note(EventKind.PARTY_LEFT, t(), lee, party_detail(Party.COUNSELOR))
        case.note(EventKind.TRANSFER_REQUESTED, t(), None, kim)
        case.note(EventKind.JOIN_REQUEST_CANCELLED, t(), kim, "transfer")
        case.note(EventKind.TRANSFER_REQUESTED, t(), emily, kim)
        case.transfer(kim, emily, t())
        case.note(EventKind.PARTY_LEFT, t(), None, guest)
        case.end(EndReason.COMPLETED, Party.INTERPRETER, t())
        await SqlCaseRepository(db).add(case)
    finally:
        await db.close()
    return case


KIM = "Kim Suhwa"
LEE = "Lee Bokji"
EMILY = "Emily Park"
THREE_WAY_EN = [
    "Requested",
    f"Offered to {KIM}",
    f"Answered by {KIM}",
    "Citizen agreed to the recording",
    f"{KIM} asked for a counselor of Welfare",
    f"Counselor {LEE} joined the session",
    f"{KIM} made a guest invite link",
    "A guest came in through an invite link",
    "Guest joined the session",
    f"Counselor {LEE} left the session",
    f"{KIM} asked to hand the session over to another interpreter",
    f"{KIM} withdrew the request to hand the session over",
    f"{KIM} asked to hand the session over to {EMILY}",
    f"Handed over from {KIM} to {EMILY}",
    "Guest left the session",
    "Ended: Completed",
]


async def test_a_supervisor_reads_a_three_way_session_in_words(
    browser: Browser,
    open_page: OpenPage,
    server_url: str,
    demo_password: str,
    database: Path,
) -> None:
    case = await seed_three_way(database)
    page = await open_page(browser, "supervisor", viewport=TALL_DESKTOP, permissions=[])
    await sign_in_at(page, server_url, "/cases", "supervisor", demo_password)
    await expect(page.locator("body")).to_have_attribute("data-state", "search")
    await page.goto(f"{server_url}/cases#case={case.id}")
    await expect(page.locator("body")).to_have_attribute("data-state", "case")
    lines = page.locator("#case-timeline li span")
    await expect(lines).to_have_text(THREE_WAY_EN)
    timeline = await page.locator("#case-timeline").inner_text()
    assert "guest-ref-1" not in timeline and "f" * 32 not in timeline
    assert "staff.event" not in timeline
    await check_in(page, "cases", "three-way", ["ko"])
    await expect(lines.nth(5)).to_have_text(f"상담사 {LEE} 상담 참여")
    await expect(lines.nth(13)).to_have_text(f"{KIM}에게서 {EMILY}에게 상담 이관")


MOUNT_FEEDBACK = """async (token) => {
  const { FeedbackForm } = await import('/static/js/feedback.js');
  const box = document.createElement('div');
  box.id = 'feedback-box';
  document.querySelector('main').append(box);
  new FeedbackForm(box, {
    token,
    onDone: (how) => { document.body.dataset.feedback = how; },
  });
}"""


async def test_a_citizen_rates_the_session_in_their_language(
    browser: Browser, open_page: OpenPage, server_url: str, database: Path
) -> None:
    """The satisfaction form the citizen page shows when a session ends."""
    db = await open_database(database_url_for_data_dir(database.parent))
    try:
        answered = Case.open("d" * 32, KSL, datetime.now(UTC) - timedelta(minutes=9))
        answered.offer("x" * 32, answered.requested_at)
        answered.answer("x" * 32, answered.requested_at + timedelta(seconds=5))
        answered.end(EndReason.COMPLETED, Party.CITIZEN, datetime.now(UTC))
        await SqlCaseRepository(db).add(answered)
        invite = FeedbackInvite.new(datetime.now(UTC))
        await SqlCaseRecords(db).issue_feedback(
            answered.id, invite.token_hash, invite.expires_at
        )
    finally:
        await db.close()
    page = await open_page(browser, "citizen", viewport=PHONE, permissions=[])
    await page.goto(server_url)
    await page.locator("#locale").select_option("vi")
    await expect(page.locator("html")).to_have_attribute("lang", "vi")
    await page.evaluate(MOUNT_FEEDBACK, invite.token)
    form = page.locator("#feedback-box")
    await expect(form.get_by_role("heading")).to_have_text(
        "Buổi tư vấn của bạn thế nào?"
    )

    await form.get_by_role("button", name="Gửi").click()
    await expect(form.locator(".error")).to_have_text("Vui lòng chọn điểm trước.")
    await check_in(page, "citizen", "feedback", ["vi", "ko"])
    await form.get_by_text("만족", exact=True).click()  # the big "4" button
    await expect(form.locator("input[value='4']")).to_be_checked()
    await form.get_by_label("더 하실 말씀이 있나요? (선택)").fill("수어가 잘 보였어요")
    await form.get_by_role("button", name="보내기").click()

    await expect(page.locator("body")).to_have_attribute("data-feedback", "sent")
    await expect(form.locator(".thanks")).to_have_text("응답해 주셔서 감사합니다.")
    await expect(form.locator(".thanks")).to_be_focused()
    with closing(sqlite3.connect(database)) as stored:
        row = stored.execute(
            "SELECT score, comment FROM case_feedback WHERE case_id = ?",
            (answered.id,),
        ).fetchone()
    assert tuple(row) == (4, "수어가 잘 보였어요")
