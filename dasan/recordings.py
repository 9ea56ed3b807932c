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
from storage.composite_jobs import SqlCompositeJobs, StoredJob
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
LISTED_JOBS = 20  # a case's latest jobs shown on its page
# The process running a job refreshes its heartbeat this often; a queued or
# running job whose heartbeat is older than JOB_STALE was left by a process
# that died (a stop in order fails its own jobs at once).
JOB_BEAT = timedelta(seconds=2)
JOB_STALE = timedelta(seconds=10)
INTERRUPTED = "composite_interrupted"
INTERRUPTED_MESSAGE = "interrupted by a restart; ask again"
FAILED_MESSAGE = "the combined video could not be made; ask again"


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
        jobs: SqlCompositeJobs,
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
        self._jobs = jobs
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
    #
    # A job's row is the truth: any process answers its status, a second request
    # for the case returns the queued or running job whichever process holds it
    # (a unique partial index, see ``storage.composite_jobs``). The process that
    # took the request runs it and refreshes its heartbeat every ``JOB_BEAT``; a
    # queued or running job whose beat is older than ``JOB_STALE`` was left by a
    # process that died and is failed (its partial file removed) at start-up or
    # when it is next read.

    def _view(self, job: StoredJob) -> CompositeJob:
        return CompositeJob(
            job.id,
            job.case_id,
            JobState(job.state.value),
            job.requested_by,
            job.requested_at,
            job.recording_id,
            job.error,
            job.started_at,
            job.finished_at,
            job.message,
        )

    async def _abandon(
        self, *, case_id: str | None = None, job_id: str | None = None
    ) -> int:
        """Fail the jobs a dead process left, and remove their partial files."""
        now = self._clock()
        left = await self._jobs.abandon(
            now - JOB_STALE,
            now,
            INTERRUPTED,
            INTERRUPTED_MESSAGE,
            case_id=case_id,
            job_id=job_id,
        )
        for job in left:
            if job.path is not None:
                await asyncio.to_thread((self._root / job.path).unlink, missing_ok=True)
            log.warning("composite %s was left by a process that stopped", job.id)
        return len(left)

    async def composite_job(self, job_id: str) -> CompositeJob | None:
        await self._abandon(job_id=job_id)
        found = await self._jobs.get(job_id)
        return None if found is None else self._view(found)

    async def composite_jobs(self, case_id: str) -> Sequence[CompositeJob]:
        await self._abandon(case_id=case_id)
        return [self._view(j) for j in await self._jobs.for_case(case_id, LISTED_JOBS)]

    async def request_composite(
        self, case_id: str, staff_id: str, now: datetime
    ) -> CompositeJob:
        if self._key is None:
            raise RecordingsUnavailable("recording is not configured")
        await self._abandon(case_id=case_id)
        active = await self._jobs.active(case_id)
        if active is not None:
            return self._view(active)
        rows = [
            r
            for r in await self._recordings.for_case(case_id)
            if r.kind in ("audio", "video")
            and r.status in (RecordingStatus.CLOSED, RecordingStatus.RECOVERED)
        ]
        if not rows:
            raise NothingToCombine("this case has no recordings to combine")
        job, queued = await self._jobs.claim(
            secrets.token_hex(16), case_id, staff_id, now
        )
        if not queued:  # another request (maybe another process) was first
            return self._view(job)
        task = asyncio.create_task(self._run(job, rows, self._key), name="composite")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return self._view(job)

    async def _beat(self, job_id: str) -> None:
        while True:
            await asyncio.sleep(JOB_BEAT.total_seconds())
            try:
                await self._jobs.beat([job_id], self._clock())
            except Exception:  # the database is back at the next beat
                log.exception("composite %s: the heartbeat was not written", job_id)

    async def _run(
        self, job: StoredJob, rows: list[Recording], key: RecordingKey
    ) -> None:
        beat = asyncio.create_task(self._beat(job.id), name="composite-beat")
        try:
            await self._compose(job, rows, key)
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat

    async def _compose(
        self, job: StoredJob, rows: list[Recording], key: RecordingKey
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
        started = asyncio.Event()

        def work() -> Composite:
            loop.call_soon_threadsafe(started.set)
            return compose(tracks, key, self._root / path, self._layout, self._stop)

        async def mark_running() -> None:
            await started.wait()
            await self._jobs.start(job.id, self._clock(), path)

        running = asyncio.create_task(mark_running(), name="composite-running")
        try:
            made = await loop.run_in_executor(self._worker, work)
            await running
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
            running.cancel()
            (self._root / path).unlink(missing_ok=True)
            with contextlib.suppress(Exception):
                await asyncio.shield(
                    self._jobs.fail(
                        job.id, self._clock(), INTERRUPTED, INTERRUPTED_MESSAGE
                    )
                )
            raise
        except Exception as exc:
            running.cancel()
            code = exc.code if isinstance(exc, RecordingError) else "composite_failed"
            log.exception("composite %s of case %s failed", job.id, job.case_id)
            (self._root / path).unlink(missing_ok=True)
            await self._jobs.fail(job.id, self._clock(), code, FAILED_MESSAGE)
            return
        await self._jobs.finish(job.id, self._clock(), job.id)
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
        a ``recording_recovered`` event on each one's case; fail the combined
        videos a stopped process left (their beat is old), removing their
        partial files, so their case's page offers to make them again."""
        abandoned = await self._abandon()
        if abandoned:
            log.warning("failed %d combined videos left by a stopped run", abandoned)
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
        rows stay (status ``deleted``) for the audit. Their combined-video
        requests are forgotten. Returns how many files."""
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
        forgotten = await self._jobs.delete_of_erased_cases()
        if forgotten:
            audit_log.info("retention forgot %d combined-video requests", forgotten)
        return deleted


def recording_key(key: bytes | None, demo: bool, data_dir: Path) -> RecordingKey | None:
    """The configured key; with ``--demo`` and none configured, the demo key kept
    in the data folder; otherwise None (recording is refused)."""
    if key is not None:
        return RecordingKey(key)
    return load_or_create_demo_key(data_dir) if demo else None
