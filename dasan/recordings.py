"""The recordings of cases as the routes see them: the stored rows, the sealed
files read with the key, the access audit, composite jobs in a worker thread,
start-up recovery and retention. Built by the composition root."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import secrets
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from counseling.cases import CaseEvent, CaseStatus, EventKind
from counseling.ports import CaseRepository
from recording.composite import Composite, Layout, Track, compose
from recording.errors import RecordingError
from recording.keys import RecordingKey, load_or_create_demo_key
from recording.playback import ChunkIndexes, PlaintextFile
from recording.recorder import FOLDER
from recording.recovery import recovery_inspector
from signaling.recording_ports import (
    AuditAction,
    AuditRecord,
    CompositeJob,
    JobState,
    RecordingGone,
    RecordingInfo,
    RecordingsError,
    RecordingsUnavailable,
)
from storage.recordings import (
    AccessAction,
    AccessEntry,
    Recording,
    RecordingStatus,
    SqlAccessAudit,
    SqlRecordings,
)

log = logging.getLogger(__name__)
audit_log = logging.getLogger("dasan.audit")

COMPOSITE_CODEC = "vp8+opus"
COMPOSITE_ROLE = "session"
KEPT_JOBS = 200  # finished jobs remembered for their status


class NothingToCombine(RecordingsError):
    """The case has no audio or video recording to combine."""

    code = "no_recordings"
    status = 409


def _info(recording: Recording) -> RecordingInfo:
    return RecordingInfo(
        recording.id,
        recording.case_id,
        recording.party_role,
        recording.kind,
        recording.codec,
        recording.started_at,
        recording.ended_at,
        recording.status.value,
        recording.bytes,
        recording.path,
    )


def _record(entry: AccessEntry) -> AuditRecord:
    return AuditRecord(
        entry.at,
        AuditAction(entry.action.value),
        entry.staff_id,
        entry.role,
        entry.case_id,
        entry.recording_id,
        entry.client_address,
        entry.id,
    )


def _entry(record: AuditRecord) -> AccessEntry:
    return AccessEntry(
        record.at,
        AccessAction(record.action.value),
        record.staff_id,
        record.role,
        record.case_id,
        record.recording_id,
        record.client_address,
    )


class AppRecordings:
    """``signaling.recording_ports.RecordingLibrary`` on SQL and sealed files."""

    def __init__(
        self,
        recordings: SqlRecordings,
        audit: SqlAccessAudit,
        cases: CaseRepository,
        key: RecordingKey | None,
        root: Path,
        clock: Callable[[], datetime],
        layout: Layout | None = None,
    ) -> None:
        self._recordings = recordings
        self._audit = audit
        self._cases = cases
        self._key = key
        self._root = root
        self._clock = clock
        self._layout = layout or Layout()
        # Chunk indexes of the files being played: a seeking player's ranges
        # do not walk the file again.
        self._indexes = ChunkIndexes()
        self._jobs: dict[str, CompositeJob] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._stop = threading.Event()
        # One composite at a time: it takes a core while it runs.
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="composite")

    @property
    def configured(self) -> bool:
        return self._key is not None

    # -- rows and files ----------------------------------------------------------

    async def for_case(self, case_id: str) -> Sequence[RecordingInfo]:
        return [_info(r) for r in await self._recordings.for_case(case_id)]

    async def get(self, recording_id: str) -> RecordingInfo | None:
        found = await self._recordings.get(recording_id)
        return None if found is None else _info(found)

    def open_plain(self, recording: RecordingInfo) -> tuple[BinaryIO, int]:
        if self._key is None:
            raise RecordingsUnavailable("recording is not configured")
        if not recording.playable:
            raise RecordingGone(f"recording {recording.id} is {recording.status}")
        try:
            plain = PlaintextFile(self._root / recording.path, self._key, self._indexes)
        except FileNotFoundError:
            raise RecordingGone(
                f"the file of recording {recording.id} is gone"
            ) from None
        except RecordingError as exc:
            log.error("recording %s cannot be read: %s", recording.id, exc.code)
            raise RecordingGone(f"recording {recording.id} cannot be read") from None
        return io.BufferedReader(plain, buffer_size=256 * 1024), plain.size

    # -- the access audit ----------------------------------------------------------

    async def audit(self, record: AuditRecord) -> None:
        await self._audit.record(_entry(record))

    async def audit_once(self, record: AuditRecord, window: timedelta) -> bool:
        written = await self._audit.record_unless_recent(_entry(record), window)
        return written is not None

    async def audit_entries(
        self,
        case_id: str | None,
        since: datetime | None,
        until: datetime | None,
        limit: int,
    ) -> Sequence[AuditRecord]:
        found = await self._audit.entries(
            case_id=case_id, since=since, until=until, limit=limit
        )
        return [_record(e) for e in found]

    # -- composites ----------------------------------------------------------------

    def composite_job(self, job_id: str) -> CompositeJob | None:
        return self._jobs.get(job_id)

    def composite_jobs(self, case_id: str) -> Sequence[CompositeJob]:
        return [j for j in self._jobs.values() if j.case_id == case_id]

    async def request_composite(
        self, case_id: str, staff_id: str, now: datetime
    ) -> CompositeJob:
        if self._key is None:
            raise RecordingsUnavailable("recording is not configured")
        for job in self._jobs.values():
            if job.case_id == case_id and job.state in (
                JobState.QUEUED,
                JobState.RUNNING,
            ):
                return job
        rows = [
            r
            for r in await self._recordings.for_case(case_id)
            if r.kind in ("audio", "video")
            and r.status in (RecordingStatus.CLOSED, RecordingStatus.RECOVERED)
        ]
        if not rows:
            raise NothingToCombine("this case has no recordings to combine")
        job = CompositeJob(
            secrets.token_hex(16), case_id, JobState.QUEUED, staff_id, now
        )
        self._jobs[job.id] = job
        self._forget_old_jobs()
        task = asyncio.create_task(self._run(job, rows, self._key), name="composite")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    def _forget_old_jobs(self) -> None:
        finished = [
            j.id
            for j in self._jobs.values()
            if j.state in (JobState.DONE, JobState.FAILED)
        ]
        for job_id in finished[: max(0, len(self._jobs) - KEPT_JOBS)]:
            del self._jobs[job_id]

    def _set(self, job_id: str, **changes: object) -> None:
        job = self._jobs.get(job_id)
        if job is not None:
            self._jobs[job_id] = replace(job, **changes)  # type: ignore[arg-type]

    def _running(self, job_id: str) -> None:
        self._set(job_id, state=JobState.RUNNING)

    async def _run(
        self, job: CompositeJob, rows: list[Recording], key: RecordingKey
    ) -> None:
        start = min(r.started_at for r in rows)
        tracks = [
            Track(
                self._root / r.path,
                r.kind,
                r.party_role,
                r.party_id or r.party_role,
                (r.started_at - start).total_seconds(),
            )
            for r in rows
        ]
        path = f"{FOLDER}/{start:%Y-%m-%d}/{job.id}.composite.webm.sealed"
        loop = asyncio.get_running_loop()

        def work() -> Composite:
            loop.call_soon_threadsafe(self._running, job.id)
            return compose(tracks, key, self._root / path, self._layout, self._stop)

        try:
            made = await loop.run_in_executor(self._worker, work)
            await self._recordings.add(
                Recording(
                    job.id,
                    job.case_id,
                    COMPOSITE_ROLE,
                    None,
                    "composite",
                    COMPOSITE_CODEC,
                    path,
                    start,
                    start + timedelta(seconds=made.duration),
                    RecordingStatus.CLOSED,
                    made.size,
                )
            )
        except asyncio.CancelledError:
            self._set(job.id, state=JobState.FAILED, error="composite_stopped")
            raise
        except Exception as exc:
            code = exc.code if isinstance(exc, RecordingError) else "composite_failed"
            log.exception("composite %s of case %s failed", job.id, job.case_id)
            self._set(job.id, state=JobState.FAILED, error=code)
            (self._root / path).unlink(missing_ok=True)
            return
        self._set(job.id, state=JobState.DONE, recording_id=job.id)
        audit_log.info("composite %s of case %s is ready", job.id, job.case_id)

    async def close(self) -> None:
        """Stop a composite in progress (its file is removed) and the worker."""
        self._stop.set()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._worker.shutdown(wait=True)

    # -- start-up recovery and retention -----------------------------------------

    async def recover(self) -> int:
        """Close the files a crash left open (of cases that have ended) and put
        a ``recording_recovered`` event on each one's case."""
        if self._key is None:
            left = await self._recordings.unfinished()
            if left:
                log.warning("%d recordings left open: no key to close them", len(left))
            return 0

        async def ended(recording: Recording) -> bool:
            case = await self._cases.get(recording.case_id)
            return case is None or case.status is CaseStatus.ENDED

        recovered = await self._recordings.recover(
            recovery_inspector(self._root, self._key), ended
        )
        now = self._clock()
        for recording in recovered:
            case = await self._cases.get(recording.case_id)
            if case is None:
                continue
            stored = len(case.events)
            case.events.append(
                CaseEvent(now, EventKind.RECORDING_RECOVERED, detail=recording.id)
            )
            await self._cases.save(case, stored)
            audit_log.info(
                "recording %s of case %s was recovered (%d bytes)",
                recording.id,
                recording.case_id,
                recording.bytes,
            )
        return len(recovered)

    async def apply_retention(self) -> int:
        """Delete the files of cases whose personal fields retention erased; the
        rows stay (status ``deleted``) for the audit. Returns how many."""
        deleted = 0
        while batch := await self._recordings.of_erased_cases():
            for recording in batch:
                path = self._root / recording.path
                await asyncio.to_thread(path.unlink, missing_ok=True)
                await self._recordings.mark_deleted(recording.id)
                await self._audit.record(
                    AccessEntry(
                        self._clock(),
                        AccessAction.DELETE,
                        None,
                        None,
                        recording.case_id,
                        recording.id,
                    )
                )
                audit_log.info(
                    "retention deleted recording %s of case %s",
                    recording.id,
                    recording.case_id,
                )
                deleted += 1
        return deleted


def recording_key(key: bytes | None, demo: bool, data_dir: Path) -> RecordingKey | None:
    """The configured key; with ``--demo`` and none configured, the demo key kept
    in the data folder; otherwise None (recording is refused)."""
    if key is not None:
        return RecordingKey(key)
    return load_or_create_demo_key(data_dir) if demo else None
