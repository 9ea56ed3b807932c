"""The SQL record program: wrap-ups, satisfaction, search, statistics, the Open311
export and retention, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from counseling.case_search import CaseListing, CasePage, CaseSearch, SearchCursor
from counseling.cases import CaseStatus
from counseling.records import (
    COMMENT_MAX,
    CaseErased,
    CaseNotAnswered,
    CaseNotFound,
    CaseRecord,
    Disposition,
    Feedback,
    FeedbackExpired,
    FeedbackTokenUnknown,
    FeedbackUsed,
    RetentionReport,
    Wrapup,
    WrapupDraft,
    check_score,
    clean_note,
)
from counseling.staff import StaffRole
from counseling.statistics import Statistics, StatsQuery
from storage import record_stats
from storage.database import Database
from storage.models import (
    CaseErasureRow,
    CaseFeedbackRow,
    CaseRow,
    CaseWrapupRow,
    StaffAccountRow,
)
from storage.record_retention import apply_retention
from storage.types import require_aware


def _wrapup(row: CaseWrapupRow) -> Wrapup:
    return Wrapup(
        case_id=row.case_id,
        category=row.category,
        summary=row.summary,
        disposition=Disposition(row.disposition),
        forwarded_to=row.forwarded_to,
        follow_up_owner=row.follow_up_owner,
        written_by=row.written_by,
        written_at=row.written_at,
        updated_at=row.updated_at,
    )


def _feedback(row: CaseFeedbackRow) -> Feedback:
    return Feedback(
        row.case_id, row.score, row.comment, row.answered_at, row.expires_at
    )


_LISTING = (
    CaseRow.id,
    CaseRow.service,
    CaseRow.language,
    CaseRow.channel,
    CaseRow.status,
    CaseRow.requested_at,
    CaseRow.answered_at,
    CaseRow.ended_at,
    CaseRow.interpreter_id,
    StaffAccountRow.display_name,
    CaseRow.end_reason,
    CaseRow.wait_seconds,
    CaseRow.handle_seconds,
    CaseWrapupRow.category,
    CaseWrapupRow.disposition,
    CaseFeedbackRow.score,
)


def _listings(*extra: Any) -> Select[*tuple[Any, ...]]:
    """Cases with their interpreter's name, wrap-up and score (outer joins)."""
    return (
        select(*_LISTING, *extra)
        .select_from(CaseRow)
        .outerjoin(StaffAccountRow, StaffAccountRow.id == CaseRow.interpreter_id)
        .outerjoin(CaseWrapupRow, CaseWrapupRow.case_id == CaseRow.id)
        .outerjoin(CaseFeedbackRow, CaseFeedbackRow.case_id == CaseRow.id)
    )


def _listing(values: Sequence[Any]) -> CaseListing:
    return CaseListing(*values[: len(_LISTING)])


def _conditions(filters: CaseSearch) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if filters.start is not None:
        where.append(CaseRow.requested_at >= filters.start)
    if filters.end is not None:
        where.append(CaseRow.requested_at < filters.end)
    if filters.service is not None:
        where.append(CaseRow.service == filters.service.value)
    if filters.language is not None:
        where.append(CaseRow.language == filters.language.value)
    if filters.interpreter_id is not None:
        where.append(CaseRow.interpreter_id == filters.interpreter_id)
    if filters.category is not None:
        where.append(CaseWrapupRow.category == filters.category)
    if filters.disposition is not None:
        where.append(CaseWrapupRow.disposition == filters.disposition.value)
    return where


async def _answered_case(session: AsyncSession, case_id: str) -> CaseRow:
    row = await session.get(CaseRow, case_id)
    if row is None:
        raise CaseNotFound(case_id)
    if row.answered_at is None:
        raise CaseNotAnswered(case_id)
    return row


class SqlCaseRecords:
    """``CaseRecords`` in ``case_wrapups``, ``case_feedback`` and ``case_erasures``."""

    def __init__(self, db: Database) -> None:
        self._sessions = db.sessions

    # -- wrap-ups --------------------------------------------------------------------

    async def save_wrapup(
        self, case_id: str, draft: WrapupDraft, staff_id: str, now: datetime
    ) -> Wrapup:
        require_aware(now=now)
        try:
            return await self._save_wrapup(case_id, draft, staff_id, now)
        except IntegrityError:
            # Another writer stored the first wrap-up meanwhile: rewrite it.
            return await self._save_wrapup(case_id, draft, staff_id, now)

    async def _save_wrapup(
        self, case_id: str, draft: WrapupDraft, staff_id: str, now: datetime
    ) -> Wrapup:
        async with self._sessions.begin() as session:
            await _answered_case(session, case_id)
            if await session.get(CaseErasureRow, case_id) is not None:
                raise CaseErased(case_id)
            row = await session.get(CaseWrapupRow, case_id, with_for_update=True)
            if row is None:
                row = CaseWrapupRow(
                    case_id=case_id, written_by=staff_id, written_at=now
                )
                session.add(row)
            row.category = draft.category
            row.summary = draft.summary
            row.disposition = draft.disposition.value
            row.forwarded_to = draft.forwarded_to
            row.follow_up_owner = draft.follow_up_owner
            row.updated_at = now
            await session.flush()
            return _wrapup(row)

    async def get_wrapup(self, case_id: str) -> Wrapup | None:
        async with self._sessions.begin() as session:
            row = await session.get(CaseWrapupRow, case_id)
            return None if row is None else _wrapup(row)

    async def record(self, case_id: str) -> CaseRecord:
        async with self._sessions.begin() as session:
            wrapup = await session.get(CaseWrapupRow, case_id)
            feedback = (
                await session.scalars(
                    select(CaseFeedbackRow).where(CaseFeedbackRow.case_id == case_id)
                )
            ).first()
            erasure = await session.get(CaseErasureRow, case_id)
            return CaseRecord(
                case_id,
                None if wrapup is None else _wrapup(wrapup),
                None if feedback is None else _feedback(feedback),
                None if erasure is None else erasure.erased_at,
            )

    # -- satisfaction ------------------------------------------------------------------

    async def issue_feedback(
        self, case_id: str, token_hash: str, expires_at: datetime
    ) -> None:
        require_aware(expires_at=expires_at)
        async with self._sessions.begin() as session:
            await _answered_case(session, case_id)
            query = (
                select(CaseFeedbackRow)
                .where(CaseFeedbackRow.case_id == case_id)
                .with_for_update()
            )
            earlier = (await session.scalars(query)).first()
            if earlier is not None:
                if earlier.answered_at is not None:
                    raise FeedbackUsed
                await session.delete(earlier)
                await session.flush()
            session.add(
                CaseFeedbackRow(
                    token_hash=token_hash, case_id=case_id, expires_at=expires_at
                )
            )

    async def give_feedback(
        self, token_hash: str, score: int, comment: str | None, now: datetime
    ) -> Feedback:
        require_aware(now=now)
        score = check_score(score)
        comment = clean_note(comment, "comment", COMMENT_MAX)
        # One conditional update: of two answers racing, exactly one lands.
        query = (
            update(CaseFeedbackRow)
            .where(
                CaseFeedbackRow.token_hash == token_hash,
                CaseFeedbackRow.answered_at.is_(None),
                CaseFeedbackRow.expires_at > now,
            )
            .values(score=score, comment=comment, answered_at=now)
            .returning(CaseFeedbackRow.case_id, CaseFeedbackRow.expires_at)
        )
        async with self._sessions.begin() as session:
            done = (await session.execute(query)).first()
            if done is not None:
                return Feedback(done.case_id, score, comment, now, done.expires_at)
            row = await session.get(CaseFeedbackRow, token_hash)
            if row is None:
                raise FeedbackTokenUnknown
            if row.answered_at is not None:
                raise FeedbackUsed
            raise FeedbackExpired

    # -- finding cases -----------------------------------------------------------------

    async def search(
        self, filters: CaseSearch, limit: int, cursor: SearchCursor | None
    ) -> CasePage:
        if not 1 <= limit <= 1000:
            raise ValueError(f"limit must be 1-1000, got {limit}")
        where = _conditions(filters)
        if cursor is not None:
            where.append(
                or_(
                    CaseRow.requested_at < cursor.requested_at,
                    and_(
                        CaseRow.requested_at == cursor.requested_at,
                        CaseRow.id < cursor.case_id,
                    ),
                )
            )
        query = (
            _listings()
            .where(*where)
            .order_by(CaseRow.requested_at.desc(), CaseRow.id.desc())
            .limit(limit + 1)
        )
        async with self._sessions.begin() as session:
            found = [_listing(row) for row in await session.execute(query)]
        more = len(found) > limit
        found = found[:limit]
        last = found[-1] if more else None
        return CasePage(
            tuple(found),
            None if last is None else SearchCursor(last.requested_at, last.id),
        )

    async def open311(
        self,
        start: datetime,
        end: datetime,
        limit: int,
        category: str | None = None,
        closed: bool | None = None,
    ) -> Sequence[tuple[CaseListing, Wrapup | None]]:
        require_aware(start=start, end=end)
        where = [CaseRow.requested_at >= start, CaseRow.requested_at < end]
        if category is not None:
            where.append(CaseWrapupRow.category == category)
        if closed is not None:
            ended = CaseRow.status == CaseStatus.ENDED.value
            where.append(ended if closed else ~ended)
        query = (
            _listings(CaseWrapupRow)
            .where(*where)
            .order_by(CaseRow.requested_at, CaseRow.id)
            .limit(limit)
        )
        async with self._sessions.begin() as session:
            return [
                (_listing(row), None if row[-1] is None else _wrapup(row[-1]))
                for row in await session.execute(query)
            ]

    async def interpreters(self) -> Sequence[tuple[str, str]]:
        query = (
            select(StaffAccountRow.id, StaffAccountRow.display_name)
            .where(StaffAccountRow.role == StaffRole.INTERPRETER.value)
            .order_by(StaffAccountRow.display_name, StaffAccountRow.id)
        )
        async with self._sessions.begin() as session:
            return [(row.id, row.display_name) for row in await session.execute(query)]

    async def statistics(self, query: StatsQuery) -> Statistics:
        async with self._sessions.begin() as session:
            return await record_stats.statistics(session, query)

    # -- retention ---------------------------------------------------------------------

    async def apply_retention(self, now: datetime, days: int) -> RetentionReport:
        return await apply_retention(self._sessions, now, days)
