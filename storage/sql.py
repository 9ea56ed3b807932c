"""SQL adapters for the core's ports: cases with their timelines, staff, logins."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from counseling.cases import Case, CaseEvent, CaseStatus, EndReason, EventKind, Party
from counseling.chat import ChatMessage
from counseling.departments import parse_skills, skill_texts
from counseling.services import Language, Service, Skill
from counseling.staff import LoginSession, StaffAccount, StaffRole
from storage.database import Database
from storage.errors import DuplicateKey, NotFound, StaleCase
from storage.models import (
    CaseEventRow,
    CaseMessageRow,
    CaseRow,
    LoginSessionRow,
    StaffAccountRow,
)
from storage.types import require_aware, require_aware_case


def _write_case(row: CaseRow, case: Case) -> None:
    row.service = case.skill.service.value
    row.language = case.skill.language.value
    row.channel = case.channel
    row.status = case.status.value
    row.requested_at = case.requested_at
    row.offered_at = case.offered_at
    row.answered_at = case.answered_at
    row.ended_at = case.ended_at
    row.interpreter_id = case.interpreter_id
    row.end_reason = None if case.end_reason is None else case.end_reason.value
    row.ended_by = None if case.ended_by is None else case.ended_by.value
    row.wait_seconds = case.wait_seconds
    row.handle_seconds = case.handle_seconds


def _case_values(case: Case) -> dict[str, object]:
    """The columns ``_write_case`` sets, for an UPDATE statement."""
    row = CaseRow(id=case.id)
    _write_case(row, case)
    return {
        column: getattr(row, column)
        for column in (
            "service",
            "language",
            "channel",
            "status",
            "requested_at",
            "offered_at",
            "answered_at",
            "ended_at",
            "interpreter_id",
            "end_reason",
            "ended_by",
            "wait_seconds",
            "handle_seconds",
        )
    }


def _event_row(case_id: str, seq: int, event: CaseEvent) -> CaseEventRow:
    return CaseEventRow(
        case_id=case_id,
        seq=seq,
        at=event.at,
        kind=event.kind.value,
        staff_id=event.staff_id,
        detail=event.detail,
    )


def _read_case(row: CaseRow) -> Case:
    return Case(
        id=row.id,
        skill=Skill(Service(row.service), Language(row.language)),
        requested_at=row.requested_at,
        channel=row.channel,
        status=CaseStatus(row.status),
        offered_at=row.offered_at,
        answered_at=row.answered_at,
        ended_at=row.ended_at,
        interpreter_id=row.interpreter_id,
        end_reason=None if row.end_reason is None else EndReason(row.end_reason),
        ended_by=None if row.ended_by is None else Party(row.ended_by),
        events=[
            CaseEvent(e.at, EventKind(e.kind), e.staff_id, e.detail) for e in row.events
        ],
    )


class SqlCaseRepository:
    """Cases in ``cases``; each timeline event is an append-only ``case_events`` row."""

    def __init__(self, db: Database) -> None:
        self._sessions = db.sessions

    async def add(self, case: Case) -> None:
        require_aware_case(case)
        try:
            # One round trip: a duplicate id fails the insert itself.
            async with self._sessions.begin() as session:
                row = CaseRow(id=case.id)
                _write_case(row, case)
                row.events = [
                    _event_row(case.id, seq, event)
                    for seq, event in enumerate(case.events)
                ]
                session.add(row)
        except IntegrityError:
            raise DuplicateKey("case", case.id) from None

    async def save(self, case: Case, stored_events: int | None = None) -> None:
        """Write the case's fields and append the events not stored yet.

        With ``stored_events`` known, one UPDATE and the new rows; an event
        position taken meanwhile fails the insert (StaleCase), as does a case
        that is not stored.
        """
        require_aware_case(case)
        if stored_events is not None:
            await self._append(case, stored_events)
            return
        try:
            async with self._sessions.begin() as session:
                row = await session.get(CaseRow, case.id, with_for_update=True)
                if row is None:
                    row = CaseRow(id=case.id)
                    session.add(row)
                    stored = 0
                else:
                    stored = await _count_events(session, case.id)
                if len(case.events) < stored:
                    raise StaleCase(case.id)
                _write_case(row, case)
                session.add_all(
                    _event_row(case.id, seq, case.events[seq])
                    for seq in range(stored, len(case.events))
                )
        except IntegrityError:
            # Another writer inserted this case or these event positions first.
            raise StaleCase(case.id) from None

    async def _append(self, case: Case, stored: int) -> None:
        if not 0 <= stored <= len(case.events):
            raise StaleCase(case.id)
        values = _case_values(case)
        try:
            async with self._sessions.begin() as session:
                result = await session.execute(
                    update(CaseRow).where(CaseRow.id == case.id).values(**values)
                )
                if result.rowcount != 1:  # type: ignore[attr-defined]
                    raise StaleCase(case.id)
                session.add_all(
                    _event_row(case.id, seq, case.events[seq])
                    for seq in range(stored, len(case.events))
                )
        except IntegrityError:
            raise StaleCase(case.id) from None

    async def get(self, case_id: str) -> Case | None:
        async with self._sessions.begin() as session:
            row = await session.get(
                CaseRow, case_id, options=[selectinload(CaseRow.events)]
            )
            return None if row is None else _read_case(row)

    async def recent(self, limit: int) -> Sequence[Case]:
        """The ``limit`` most recently requested cases, newest first (ties by id)."""
        if limit < 0:
            raise ValueError(f"limit must not be negative, got {limit}")
        query = (
            select(CaseRow)
            .options(selectinload(CaseRow.events))
            .order_by(CaseRow.requested_at.desc(), CaseRow.id.desc())
            .limit(limit)
        )
        async with self._sessions.begin() as session:
            return [_read_case(row) for row in await session.scalars(query)]

    async def unfinished(self) -> Sequence[Case]:
        """Cases that have not ended, oldest first."""
        query = (
            select(CaseRow)
            .options(selectinload(CaseRow.events))
            .where(CaseRow.status != CaseStatus.ENDED.value)
            .order_by(CaseRow.requested_at, CaseRow.id)
        )
        async with self._sessions.begin() as session:
            return [_read_case(row) for row in await session.scalars(query)]


async def _count_events(session: AsyncSession, case_id: str) -> int:
    query = select(func.count()).where(CaseEventRow.case_id == case_id)
    return (await session.scalar(query)) or 0


def _read_account(row: StaffAccountRow) -> StaffAccount:
    skills, departments = parse_skills(row.skills)
    return StaffAccount(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=StaffRole(row.role),
        skills=skills,
        password_hash=row.password_hash,
        departments=departments,
    )


class SqlStaffDirectory:
    """Staff accounts in ``staff_accounts``; usernames are unique."""

    def __init__(self, db: Database) -> None:
        self._sessions = db.sessions

    async def add(self, account: StaffAccount) -> None:
        taken = or_(
            StaffAccountRow.id == account.id,
            StaffAccountRow.username == account.username,
        )
        try:
            async with self._sessions.begin() as session:
                existing = (
                    await session.scalars(select(StaffAccountRow).where(taken))
                ).first()
                if existing is not None:
                    if existing.username == account.username:
                        raise DuplicateKey("username", account.username)
                    raise DuplicateKey("staff id", account.id)
                session.add(
                    StaffAccountRow(
                        id=account.id,
                        username=account.username,
                        display_name=account.display_name,
                        role=account.role.value,
                        skills=skill_texts(account.skills, account.departments),
                        password_hash=account.password_hash,
                    )
                )
        except IntegrityError:
            raise DuplicateKey("username", account.username) from None

    async def by_username(self, username: str) -> StaffAccount | None:
        query = select(StaffAccountRow).where(StaffAccountRow.username == username)
        async with self._sessions.begin() as session:
            row = (await session.scalars(query)).first()
            return None if row is None else _read_account(row)

    async def get(self, staff_id: str) -> StaffAccount | None:
        async with self._sessions.begin() as session:
            row = await session.get(StaffAccountRow, staff_id)
            return None if row is None else _read_account(row)

    async def set_password_hash(self, staff_id: str, password_hash: str) -> None:
        query = (
            update(StaffAccountRow)
            .where(StaffAccountRow.id == staff_id)
            .values(password_hash=password_hash)
            .returning(StaffAccountRow.id)
        )
        async with self._sessions.begin() as session:
            if (await session.scalars(query)).first() is None:
                raise NotFound("staff account", staff_id)


def _read_login(row: LoginSessionRow) -> LoginSession:
    return LoginSession(row.token_hash, row.staff_id, row.created_at, row.expires_at)


class SqlLoginSessions:
    """Signed-in browsers in ``login_sessions``, keyed by the hash of their token."""

    def __init__(self, db: Database) -> None:
        self._sessions = db.sessions

    async def add(self, login: LoginSession) -> None:
        require_aware(created_at=login.created_at, expires_at=login.expires_at)
        try:
            async with self._sessions.begin() as session:
                if await session.get(StaffAccountRow, login.staff_id) is None:
                    raise NotFound("staff account", login.staff_id)
                if await session.get(LoginSessionRow, login.token_hash) is not None:
                    raise DuplicateKey("login session", login.token_hash)
                session.add(
                    LoginSessionRow(
                        token_hash=login.token_hash,
                        staff_id=login.staff_id,
                        created_at=login.created_at,
                        expires_at=login.expires_at,
                    )
                )
        except IntegrityError:
            raise DuplicateKey("login session", login.token_hash) from None

    async def get(self, token_hash: str) -> LoginSession | None:
        async with self._sessions.begin() as session:
            row = await session.get(LoginSessionRow, token_hash)
            return None if row is None else _read_login(row)

    async def remove(self, token_hash: str) -> None:
        """Forget the session; removing one that is not stored does nothing."""
        query = delete(LoginSessionRow).where(LoginSessionRow.token_hash == token_hash)
        async with self._sessions.begin() as session:
            await session.execute(query)

    async def purge_expired(self, now: datetime) -> int:
        """Delete sessions whose ``expires_at`` is at or before ``now``; count them."""
        require_aware(now=now)
        query = (
            delete(LoginSessionRow)
            .where(LoginSessionRow.expires_at <= now)
            .returning(LoginSessionRow.token_hash)
        )
        async with self._sessions.begin() as session:
            return len((await session.scalars(query)).all())


class SqlChatLog:
    """Case transcripts in ``case_messages``; a taken position is refused."""

    def __init__(self, db: Database) -> None:
        self._sessions = db.sessions

    async def append(self, message: ChatMessage) -> None:
        try:
            async with self._sessions.begin() as session:
                session.add(
                    CaseMessageRow(
                        case_id=message.case_id,
                        seq=message.seq,
                        at=message.at,
                        sender=message.sender.value,
                        sender_id=message.sender_id,
                        text=message.text,
                    )
                )
        except IntegrityError:
            raise DuplicateKey(
                "chat message", f"{message.case_id}#{message.seq}"
            ) from None

    async def transcript(self, case_id: str) -> Sequence[ChatMessage]:
        query = (
            select(CaseMessageRow)
            .where(CaseMessageRow.case_id == case_id)
            .order_by(CaseMessageRow.seq)
        )
        async with self._sessions.begin() as session:
            return [
                ChatMessage(
                    row.case_id,
                    row.seq,
                    row.at,
                    Party(row.sender),
                    row.sender_id,
                    row.text,
                )
                for row in await session.scalars(query)
            ]
