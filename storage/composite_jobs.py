"""Combined-video requests on SQLite or PostgreSQL: every process reads where a job
stands, and one left behind by a process that died is found by its old heartbeat.

At most one job per case is queued or running. Two processes asked at the same
moment both try to insert; the unique partial index on ``case_id`` (where the
state is queued or running) lets one insert through and refuses the other
(PostgreSQL makes the second insert wait for the first transaction, SQLite
serializes writers), which then returns the job that won.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import delete, exists, select, update
from sqlalchemy.exc import IntegrityError

from storage.database import Database
from storage.errors import NotFound
from storage.models import CaseErasureRow, CompositeJobRow
from storage.types import require_aware

CLAIM_TRIES = 5  # an insert refused by a job that finished at once is tried again


class CompositeState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


ACTIVE = (CompositeState.QUEUED.value, CompositeState.RUNNING.value)


@dataclass(frozen=True, slots=True)
class StoredJob:
    """One combined-video request; ``path`` (relative to the data folder) is
    where its file is written once it runs."""

    id: str
    case_id: str
    requested_by: str
    requested_at: datetime
    state: CompositeState
    started_at: datetime | None = None
    finished_at: datetime | None = None
    path: str | None = None
    recording_id: str | None = None
    error: str | None = None
    message: str | None = None

    def __post_init__(self) -> None:
        require_aware(
            requested_at=self.requested_at,
            started_at=self.started_at,
            finished_at=self.finished_at,
        )


def _job(row: CompositeJobRow) -> StoredJob:
    return StoredJob(
        row.id,
        row.case_id,
        row.requested_by,
        row.requested_at,
        CompositeState(row.state),
        row.started_at,
        row.finished_at,
        row.path,
        row.recording_id,
        row.error,
        row.message,
    )


class SqlCompositeJobs:
    """The ``composite_jobs`` table."""

    def __init__(self, db: Database) -> None:
        self._sessions = db.sessions

    async def claim(
        self, job_id: str, case_id: str, requested_by: str, now: datetime
    ) -> tuple[StoredJob, bool]:
        """Queue a new job for the case, or return the one queued or running
        already (on any process); True when the new one was queued."""
        require_aware(now=now)
        for _ in range(CLAIM_TRIES):
            try:
                async with self._sessions.begin() as session:
                    row = CompositeJobRow(
                        id=job_id,
                        case_id=case_id,
                        requested_by=requested_by,
                        requested_at=now,
                        beat_at=now,
                        state=CompositeState.QUEUED.value,
                    )
                    session.add(row)
                    await session.flush()
                    return _job(row), True
            except IntegrityError as exc:
                if "foreign" in str(exc.orig).lower():
                    raise NotFound("case", case_id) from exc
            active = await self.active(case_id)
            if active is not None:
                return active, False
        raise RuntimeError(f"no job could be queued for case {case_id}")

    async def active(self, case_id: str) -> StoredJob | None:
        async with self._sessions.begin() as session:
            row = await session.scalar(
                select(CompositeJobRow).where(
                    CompositeJobRow.case_id == case_id,
                    CompositeJobRow.state.in_(ACTIVE),
                )
            )
            return None if row is None else _job(row)

    async def get(self, job_id: str) -> StoredJob | None:
        async with self._sessions.begin() as session:
            row = await session.get(CompositeJobRow, job_id)
            return None if row is None else _job(row)

    async def for_case(self, case_id: str, limit: int = 20) -> Sequence[StoredJob]:
        """A case's jobs, newest first, at most ``limit``."""
        async with self._sessions.begin() as session:
            rows = await session.scalars(
                select(CompositeJobRow)
                .where(CompositeJobRow.case_id == case_id)
                .order_by(CompositeJobRow.requested_at.desc(), CompositeJobRow.id)
                .limit(limit)
            )
            return [_job(r) for r in rows]

    async def _change(
        self, job_id: str, states: Sequence[str], **values: object
    ) -> bool:
        async with self._sessions.begin() as session:
            done = await session.execute(
                update(CompositeJobRow)
                .where(CompositeJobRow.id == job_id, CompositeJobRow.state.in_(states))
                .values(**values)
            )
            return bool(getattr(done, "rowcount", 0))

    async def start(self, job_id: str, now: datetime, path: str) -> bool:
        """The worker took the job and writes ``path``; False if it is no longer
        queued (failed as left behind meanwhile)."""
        require_aware(now=now)
        return await self._change(
            job_id,
            (CompositeState.QUEUED.value,),
            state=CompositeState.RUNNING.value,
            started_at=now,
            beat_at=now,
            path=path,
        )

    async def beat(self, job_ids: Sequence[str], now: datetime) -> None:
        """The jobs are alive on this process."""
        require_aware(now=now)
        if not job_ids:
            return
        async with self._sessions.begin() as session:
            await session.execute(
                update(CompositeJobRow)
                .where(
                    CompositeJobRow.id.in_(job_ids), CompositeJobRow.state.in_(ACTIVE)
                )
                .values(beat_at=now)
            )

    async def finish(self, job_id: str, now: datetime, recording_id: str) -> bool:
        require_aware(now=now)
        return await self._change(
            job_id,
            ACTIVE,
            state=CompositeState.DONE.value,
            finished_at=now,
            recording_id=recording_id,
        )

    async def fail(self, job_id: str, now: datetime, code: str, message: str) -> bool:
        require_aware(now=now)
        return await self._change(
            job_id,
            ACTIVE,
            state=CompositeState.FAILED.value,
            finished_at=now,
            error=code,
            message=message,
        )

    async def abandon(
        self,
        beat_before: datetime,
        now: datetime,
        code: str,
        message: str,
        *,
        case_id: str | None = None,
        job_id: str | None = None,
    ) -> list[StoredJob]:
        """Fail the queued or running jobs whose process stopped beating before
        ``beat_before`` (of one case or one job when given); returns them, so
        their partial files can be removed. Each row is failed by one caller."""
        require_aware(beat_before=beat_before, now=now)
        query = select(CompositeJobRow).where(
            CompositeJobRow.state.in_(ACTIVE), CompositeJobRow.beat_at < beat_before
        )
        if case_id is not None:
            query = query.where(CompositeJobRow.case_id == case_id)
        if job_id is not None:
            query = query.where(CompositeJobRow.id == job_id)
        async with self._sessions.begin() as session:
            left = list(await session.scalars(query))
        failed = []
        for row in left:
            # Conditional on the state and the old beat: a job that beat since,
            # or that another process failed first, is left alone.
            async with self._sessions.begin() as session:
                done = await session.execute(
                    update(CompositeJobRow)
                    .where(
                        CompositeJobRow.id == row.id,
                        CompositeJobRow.state.in_(ACTIVE),
                        CompositeJobRow.beat_at < beat_before,
                    )
                    .values(
                        state=CompositeState.FAILED.value,
                        finished_at=now,
                        error=code,
                        message=message,
                    )
                )
            if getattr(done, "rowcount", 0):
                failed.append(_job(row))
        return failed

    async def delete_of_erased_cases(self) -> int:
        """Forget the jobs of cases whose personal fields retention erased."""
        erased = exists().where(CaseErasureRow.case_id == CompositeJobRow.case_id)
        async with self._sessions.begin() as session:
            done = await session.execute(delete(CompositeJobRow).where(erased))
            return int(getattr(done, "rowcount", 0) or 0)
