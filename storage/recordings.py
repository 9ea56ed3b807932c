"""Recordings of cases and the audit of who accessed them, on SQLite or PostgreSQL.

A recording row exists from the moment its file is created (status
``recording``); closing the file closes the row. At start-up ``recover`` closes
the rows a crash left open (status ``recovered``), asking the caller for each
file's last sealed moment and size (``recording.recovery.recovery_inspector``).
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.database import Database
from storage.errors import DuplicateKey, NotFound
from storage.models import AccessAuditRow, CaseErasureRow, RecordingRow
from storage.types import require_aware


class RecordingStatus(StrEnum):
    RECORDING = "recording"
    CLOSED = "closed"
    RECOVERED = "recovered"  # closed at start-up after a crash
    DELETED = "deleted"  # the file is gone (retention); the row stays for audit


class AccessAction(StrEnum):
    LIST = "list"
    PLAY = "play"
    DOWNLOAD = "download"
    REFUSED = "refused"
    DELETE = "delete"
    COMPOSITE = "composite"  # a combined video was asked for


# A participant's audio or video track, or a whole session combined (one WebM
# with every party side by side and all audio mixed).
KINDS = ("audio", "video", "composite")


@dataclass(frozen=True, slots=True)
class Recording:
    """One participant track of a case; ``path`` is relative to the data folder."""

    id: str
    case_id: str
    party_role: str  # citizen, interpreter, guest, ...
    party_id: str | None
    kind: str
    codec: str
    path: str
    started_at: datetime
    ended_at: datetime | None = None
    status: RecordingStatus = RecordingStatus.RECORDING
    bytes: int = 0

    def __post_init__(self) -> None:
        require_aware(started_at=self.started_at, ended_at=self.ended_at)
        if self.kind not in KINDS:
            raise ValueError(
                f"a recording is audio or video (or composite), not {self.kind!r}"
            )
        if self.path.startswith("/") or ".." in self.path.split("/"):
            raise ValueError("a recording's path is relative to the data folder")
        if self.bytes < 0:
            raise ValueError("bytes must not be negative")


@dataclass(frozen=True, slots=True)
class AccessEntry:
    """One access to recordings (or an attempt): who, when, what, from where."""

    at: datetime
    action: AccessAction
    staff_id: str | None
    role: str | None
    case_id: str | None
    recording_id: str | None = None
    client_address: str | None = None
    id: str = ""

    def __post_init__(self) -> None:
        require_aware(at=self.at)


def _recording(row: RecordingRow) -> Recording:
    return Recording(
        row.id,
        row.case_id,
        row.party_role,
        row.party_id,
        row.kind,
        row.codec,
        row.path,
        row.started_at,
        row.ended_at,
        RecordingStatus(row.status),
        row.bytes,
    )


def _entry(row: AccessAuditRow) -> AccessEntry:
    return AccessEntry(
        row.at,
        AccessAction(row.action),
        row.staff_id,
        row.role,
        row.case_id,
        row.recording_id,
        row.client_address,
        row.id,
    )


# When the file was last sealed and its size; ``None`` when there is no file.
FileState = tuple[datetime | None, int]


class SqlRecordings:
    """The ``recordings`` table."""

    def __init__(self, db: Database) -> None:
        self._sessions = db.sessions

    async def add(self, recording: Recording) -> None:
        """Store a new file's row; ``NotFound`` for an unknown case."""
        row = RecordingRow(
            id=recording.id,
            case_id=recording.case_id,
            party_role=recording.party_role,
            party_id=recording.party_id,
            kind=recording.kind,
            codec=recording.codec,
            path=recording.path,
            started_at=recording.started_at,
            ended_at=recording.ended_at,
            status=recording.status.value,
            bytes=recording.bytes,
        )
        try:
            async with self._sessions.begin() as session:
                if await session.get(RecordingRow, recording.id) is not None:
                    raise DuplicateKey("recording", recording.id)
                session.add(row)
        except IntegrityError as exc:
            text = str(exc.orig).lower()
            if "foreign" in text:
                raise NotFound("case", recording.case_id) from exc
            raise DuplicateKey("recording", recording.id) from exc

    async def get(self, recording_id: str) -> Recording | None:
        async with self._sessions.begin() as session:
            row = await session.get(RecordingRow, recording_id)
            return None if row is None else _recording(row)

    async def for_case(self, case_id: str) -> Sequence[Recording]:
        """A case's recordings, oldest first (deleted ones too: the audit)."""
        async with self._sessions.begin() as session:
            rows = await session.scalars(
                select(RecordingRow)
                .where(RecordingRow.case_id == case_id)
                .order_by(RecordingRow.started_at, RecordingRow.kind, RecordingRow.id)
            )
            return [_recording(r) for r in rows]

    async def _end(
        self,
        recording_id: str,
        status: RecordingStatus,
        ended_at: datetime,
        size: int,
        only_from: tuple[RecordingStatus, ...],
    ) -> Recording:
        require_aware(ended_at=ended_at)
        async with self._sessions.begin() as session:
            row = await session.get(RecordingRow, recording_id, with_for_update=True)
            if row is None:
                raise NotFound("recording", recording_id)
            if RecordingStatus(row.status) in only_from:
                row.status = status.value
                row.ended_at = max(ended_at, row.started_at)
                row.bytes = size
            return _recording(row)

    async def close(
        self, recording_id: str, ended_at: datetime, size: int
    ) -> Recording:
        """The file was closed; a row no longer ``recording`` is left as it is."""
        return await self._end(
            recording_id,
            RecordingStatus.CLOSED,
            ended_at,
            size,
            (RecordingStatus.RECORDING,),
        )

    async def mark_deleted(self, recording_id: str) -> Recording:
        """The file was deleted (retention); the row stays, status ``deleted``."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(RecordingRow)
                .where(RecordingRow.id == recording_id)
                .values(status=RecordingStatus.DELETED.value, bytes=0)
            )
            row = await session.get(RecordingRow, recording_id)
            if row is None:
                raise NotFound("recording", recording_id)
            return _recording(row)

    async def of_erased_cases(self, limit: int = 500) -> Sequence[Recording]:
        """Files still kept of cases whose personal fields retention erased."""
        erased = exists().where(CaseErasureRow.case_id == RecordingRow.case_id)
        async with self._sessions.begin() as session:
            rows = await session.scalars(
                select(RecordingRow)
                .where(
                    erased,
                    RecordingRow.status.in_(
                        (RecordingStatus.CLOSED.value, RecordingStatus.RECOVERED.value)
                    ),
                )
                .order_by(RecordingRow.started_at, RecordingRow.id)
                .limit(limit)
            )
            return [_recording(r) for r in rows]

    async def unfinished(self) -> Sequence[Recording]:
        async with self._sessions.begin() as session:
            rows = await session.scalars(
                select(RecordingRow)
                .where(RecordingRow.status == RecordingStatus.RECORDING.value)
                .order_by(RecordingRow.started_at, RecordingRow.id)
            )
            return [_recording(r) for r in rows]

    async def recover(
        self,
        inspect: Callable[[str], Awaitable[FileState]],
        only: Callable[[Recording], Awaitable[bool]] | None = None,
    ) -> list[Recording]:
        """Close every row left ``recording`` by a crash (at start-up, before
        anything records): ``inspect(path)`` closes the file and says when its
        last chunk was sealed. ``only`` picks the rows to close (with several
        processes: those whose case has ended). Returns the recovered recordings."""
        recovered = []
        for recording in await self.unfinished():
            if only is not None and not await only(recording):
                continue
            last_sealed, size = await inspect(recording.path)
            recovered.append(
                await self._end(
                    recording.id,
                    RecordingStatus.RECOVERED,
                    last_sealed or recording.started_at,
                    size,
                    (RecordingStatus.RECORDING,),
                )
            )
        return recovered


def _append(session: AsyncSession, entry: AccessEntry) -> AccessEntry:
    """Add ``entry``'s row to ``session``; returns it with its new random id."""
    entry_id = entry.id or secrets.token_hex(16)
    session.add(
        AccessAuditRow(
            id=entry_id,
            at=entry.at,
            staff_id=entry.staff_id,
            role=entry.role,
            action=entry.action.value,
            case_id=entry.case_id,
            recording_id=entry.recording_id,
            client_address=entry.client_address,
        )
    )
    return replace(entry, id=entry_id)


class SqlAccessAudit:
    """The ``access_audit`` table: append-only, read by supervisors."""

    def __init__(self, db: Database) -> None:
        self._sessions = db.sessions

    async def record(self, entry: AccessEntry) -> AccessEntry:
        """Append ``entry``; returns it with its new 128-bit random id."""
        async with self._sessions.begin() as session:
            return _append(session, entry)

    async def record_unless_recent(
        self, entry: AccessEntry, window: timedelta
    ) -> AccessEntry | None:
        """Append ``entry`` unless the same account already has a row of the same
        action on the same recording less than ``window`` before ``entry.at``;
        returns the row written, or None. Two requests at the same instant may
        both write (read committed): the audit errs towards a row too many."""
        if window <= timedelta(0):
            raise ValueError("window must be positive")
        if entry.staff_id is None or entry.recording_id is None:
            return await self.record(entry)
        recent = (
            select(AccessAuditRow.id)
            .where(
                AccessAuditRow.at > entry.at - window,  # the index on ``at``
                AccessAuditRow.at <= entry.at,
                AccessAuditRow.staff_id == entry.staff_id,
                AccessAuditRow.recording_id == entry.recording_id,
                AccessAuditRow.action == entry.action.value,
            )
            .limit(1)
        )
        async with self._sessions.begin() as session:
            if await session.scalar(recent) is not None:
                return None
            return _append(session, entry)

    async def entries(
        self,
        *,
        case_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 200,
    ) -> Sequence[AccessEntry]:
        """Newest first, at most ``limit`` (1-1000)."""
        if not 1 <= limit <= 1000:
            raise ValueError("limit must be 1-1000")
        require_aware(since=since, until=until)
        query = select(AccessAuditRow)
        if case_id is not None:
            query = query.where(AccessAuditRow.case_id == case_id)
        if since is not None:
            query = query.where(AccessAuditRow.at >= since)
        if until is not None:
            query = query.where(AccessAuditRow.at < until)
        query = query.order_by(AccessAuditRow.at.desc(), AccessAuditRow.id).limit(limit)
        async with self._sessions.begin() as session:
            return [_entry(r) for r in await session.scalars(query)]
