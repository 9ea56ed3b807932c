"""Retention in SQL: erase the personal fields of old cases (wrap-up summary,
satisfaction comment, chat) and reservations (name, contact, notes), keep their
anonymous figures, and log each erasure by id to ``dasan.audit``."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from counseling.cases import CaseStatus
from counseling.records import RetentionReport
from storage.models import (
    CaseErasureRow,
    CaseFeedbackRow,
    CaseMessageRow,
    CaseRow,
    CaseWrapupRow,
    ReservationRow,
)
from storage.types import require_aware

audit = logging.getLogger("dasan.audit")

RETENTION_BATCH = 500
"""Cases erased per transaction: a long backlog never holds one huge transaction."""


async def apply_retention(
    sessions: async_sessionmaker[AsyncSession], now: datetime, days: int
) -> RetentionReport:
    """Erase the personal fields of ended cases requested before ``now - days``
    and of reservations that ended before then; log each erasure."""
    require_aware(now=now)
    if days < 1:
        raise ValueError(f"days must be 1 or more, got {days}")
    cutoff = now - timedelta(days=days)
    report = RetentionReport()
    while True:
        batch = await _erase_cases(sessions, cutoff, now)
        if batch.cases == 0:
            break
        report = _add(report, batch)
    reservations = await _erase_reservations(sessions, cutoff)
    return _add(report, RetentionReport(reservations=reservations))


async def _erase_cases(
    sessions: async_sessionmaker[AsyncSession], cutoff: datetime, now: datetime
) -> RetentionReport:
    erased = exists().where(CaseErasureRow.case_id == CaseRow.id)
    due = (
        select(CaseRow.id)
        .where(
            CaseRow.requested_at < cutoff,
            CaseRow.status == CaseStatus.ENDED.value,
            ~erased,
        )
        .order_by(CaseRow.requested_at, CaseRow.id)
        .limit(RETENTION_BATCH)
    )
    async with sessions.begin() as session:
        ids = list((await session.scalars(due)).all())
        if not ids:
            return RetentionReport()
        counted = select(CaseMessageRow.case_id, func.count()).where(
            CaseMessageRow.case_id.in_(ids)
        )
        messages: dict[str, int] = {
            case_id: count
            for case_id, count in await session.execute(
                counted.group_by(CaseMessageRow.case_id)
            )
        }
        summaries = set(
            await session.scalars(
                update(CaseWrapupRow)
                .where(
                    CaseWrapupRow.case_id.in_(ids),
                    CaseWrapupRow.summary.is_not(None),
                )
                .values(summary=None)
                .returning(CaseWrapupRow.case_id)
            )
        )
        comments = set(
            await session.scalars(
                update(CaseFeedbackRow)
                .where(
                    CaseFeedbackRow.case_id.in_(ids),
                    CaseFeedbackRow.comment.is_not(None),
                )
                .values(comment=None)
                .returning(CaseFeedbackRow.case_id)
            )
        )
        await session.execute(
            delete(CaseMessageRow).where(CaseMessageRow.case_id.in_(ids))
        )
        await session.execute(
            insert(CaseErasureRow),
            [
                {
                    "case_id": case_id,
                    "erased_at": now,
                    "messages": messages.get(case_id, 0),
                    "summary": case_id in summaries,
                    "comment": case_id in comments,
                }
                for case_id in ids
            ],
        )
    # Logged once committed: ids and counts only, never the erased text.
    for case_id in ids:
        audit.info(
            "retention erased case %s: summary %s, comment %s, %d chat messages",
            case_id,
            "erased" if case_id in summaries else "none",
            "erased" if case_id in comments else "none",
            messages.get(case_id, 0),
        )
    return RetentionReport(
        cases=len(ids),
        summaries=len(summaries),
        comments=len(comments),
        messages=sum(messages.values()),
    )


async def _erase_reservations(
    sessions: async_sessionmaker[AsyncSession], cutoff: datetime
) -> int:
    query = (
        update(ReservationRow)
        .where(
            ReservationRow.end_at < cutoff,
            or_(
                ReservationRow.citizen_name.is_not(None),
                ReservationRow.citizen_contact.is_not(None),
                ReservationRow.notes.is_not(None),
            ),
        )
        .values(citizen_name=None, citizen_contact=None, notes=None)
        .returning(ReservationRow.id)
    )
    async with sessions.begin() as session:
        ids = list(await session.scalars(query))
    for reservation_id in ids:
        audit.info(
            "retention erased the citizen's details of reservation %s",
            reservation_id,
        )
    return len(ids)


def _add(a: RetentionReport, b: RetentionReport) -> RetentionReport:
    return RetentionReport(
        cases=a.cases + b.cases,
        summaries=a.summaries + b.summaries,
        comments=a.comments + b.comments,
        messages=a.messages + b.messages,
        reservations=a.reservations + b.reservations,
    )
