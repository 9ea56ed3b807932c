"""Retention on SQLite and PostgreSQL: old cases lose their personal fields
(wrap-up summary, satisfaction comment, chat) and reservations their citizen's
details, statistics stay the same, and each erasure is logged by id only; the
daily job runs at start-up."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from counseling.cases import Case, EndReason, Party
from counseling.chat import ChatMessage
from counseling.records import FeedbackInvite, RetentionReport
from counseling.staff import StaffAccount, StaffRole
from counseling.statistics import Granularity, StatsQuery, StatsRange
from storage.database import database_url_for_data_dir, open_database
from storage.models import CaseErasureRow, ReservationRow
from storage.sql import SqlCaseRepository, SqlChatLog
from tests.integration.conftest import AppServer, runtime, start_server
from tests.integration.record_stores import (
    KSL,
    NOW,
    Stores,
    answered_case,
    draft,
    seeded_month,
    stores,
)
from tests.records_month import SEOUL, insert_month

__all__ = ["stores"]  # a fixture used here
DEADLINE_S = 10.0


async def test_retention_erases_personal_fields_and_keeps_statistics(
    stores: Stores, caplog: pytest.LogCaptureFixture
) -> None:
    cases = seeded_month(0.05)
    await insert_month(stores.db, cases)
    kim = StaffAccount(
        "k" * 32, "kim.s", "Kim Suhwa", StaffRole.INTERPRETER, frozenset({KSL}), "x"
    )
    await stores.staff.add(kim)
    personal = ["홍길동 010-9876-5432", "민원인 상세 진술", "친절했어요 홍길동"]
    old, recent = NOW - timedelta(days=25), NOW - timedelta(days=5)
    for case_id, when in (("a" * 32, old), ("b" * 32, recent)):
        await answered_case(stores, case_id, kim.id, when)
        await stores.records.save_wrapup(
            case_id, draft(summary=personal[1]), kim.id, when
        )
        await stores.chat.append(
            ChatMessage(case_id, 0, when, Party.CITIZEN, None, personal[0])
        )
        invite = FeedbackInvite.new(when)
        await stores.records.issue_feedback(
            case_id, invite.token_hash, invite.expires_at
        )
        await stores.records.give_feedback(invite.token_hash, 5, personal[2], when)
    async with stores.db.sessions.begin() as session:
        for rid, end in (("r" * 32, old), ("s" * 32, recent)):
            session.add(
                ReservationRow(
                    id=rid, service="sign_language", language="ksl", staff_id=kim.id,
                    start_at=end - timedelta(minutes=30), end_at=end, status="claimed",
                    join_token_hash=rid * 2, citizen_name="홍길동",
                    citizen_contact="010-9876-5432", notes=personal[1], booked_by=None,
                    created_at=end - timedelta(days=3), revision=0,
                    claimed_at=None, closed_at=None,
                )
            )  # fmt: skip
    query = StatsQuery(
        StatsRange(date(2026, 3, 1), date(2026, 4, 10), Granularity.DAY, SEOUL)
    )
    before = await stores.records.statistics(query)

    with caplog.at_level(logging.INFO, logger="dasan.audit"):
        report = await stores.records.apply_retention(NOW, 20)

    cutoff = NOW - timedelta(days=20)
    old_ended = [c for c in cases if c.requested_at < cutoff and c.status == "ended"]
    assert report.cases == len(old_ended) + 1
    assert report.summaries == sum(c.category is not None for c in old_ended) + 1
    assert (report.comments, report.messages, report.reservations) == (1, 1, 1)
    assert await stores.records.statistics(query) == before

    erased, kept = (
        await stores.records.record("a" * 32),
        await stores.records.record("b" * 32),
    )
    assert (
        erased.wrapup
        and erased.wrapup.summary is None
        and erased.wrapup.category == "transport"
    )
    assert (
        erased.feedback
        and erased.feedback.comment is None
        and erased.feedback.score == 5
    )
    assert erased.erased_at == NOW and kept.erased_at is None
    assert await stores.chat.transcript("a" * 32) == []
    assert kept.wrapup and kept.wrapup.summary == personal[1]
    assert kept.feedback and kept.feedback.comment == personal[2]
    assert [m.text for m in await stores.chat.transcript("b" * 32)] == [personal[0]]
    async with stores.db.sessions.begin() as session:
        result = await session.execute(
            select(ReservationRow.id, ReservationRow.citizen_name)
        )
        names = {rid: name for rid, name in result}
        erasures = await session.scalar(
            select(func.count()).select_from(CaseErasureRow)
        )
    assert names == {"r" * 32: None, "s" * 32: "홍길동"}
    assert erasures == report.cases

    # Each erasure is logged, by id, without the erased words.
    lines = [r.getMessage() for r in caplog.records if r.name == "dasan.audit"]
    assert len(lines) == report.cases + 1
    assert any("a" * 32 in line and "1 chat messages" in line for line in lines)
    assert any("r" * 32 in line for line in lines)
    assert not [
        line
        for line in lines
        for word in ("홍길동", "010-9876", "진술", "seeded summary")
        if word in line
    ]

    # A second pass finds nothing left to erase.
    assert await stores.records.apply_retention(NOW, 20) == RetentionReport()


async def test_the_retention_job_runs_at_start_up(
    aiohttp_server: AppServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="dasan.audit")
    db = await open_database(database_url_for_data_dir(tmp_path))
    old = datetime.now(UTC) - timedelta(days=40)
    try:
        case = Case.open("a" * 32, KSL, old)
        case.offer("k" * 32, old)
        case.answer("k" * 32, old + timedelta(seconds=9))
        case.end(EndReason.COMPLETED, Party.CITIZEN, old + timedelta(minutes=5))
        await SqlCaseRepository(db).add(case)
        line = ChatMessage(case.id, 0, old, Party.CITIZEN, None, "제 주소는 비밀")
        await SqlChatLog(db).append(line)
    finally:
        await db.close()

    server = await start_server(aiohttp_server, tmp_path, retention_days=30)

    deadline = time.monotonic() + DEADLINE_S
    while await runtime(server).chat.transcript(case.id):
        assert time.monotonic() < deadline, "the retention job never ran"
        await asyncio.sleep(0.05)
    audit = [r.getMessage() for r in caplog.records if r.name == "dasan.audit"]
    assert any(case.id in line and "1 chat messages" in line for line in audit)
    assert (await runtime(server).cases.get(case.id)) == case  # the case stays
