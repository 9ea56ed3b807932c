"""Combined videos of a case's recordings: composite jobs, one at a time in a worker
thread, with a heartbeat so the jobs of a process that died are failed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

from recording.composite import Composite, Layout, Track, compose
from recording.errors import RecordingError
from recording.keys import RecordingKey
from recording.recorder import FOLDER
from signaling.recording_ports import CompositeJob, JobState, RecordingsError
from storage.composite_jobs import SqlCompositeJobs, StoredJob
from storage.recordings import Recording, RecordingStatus, SqlRecordings

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


class AppComposites:
    """The composite jobs of ``AppRecordings``, on SQL and sealed files.

    A job's row is the truth: any process answers its status, a second request
    for the case returns the queued or running job whichever process holds it
    (a unique partial index, see ``storage.composite_jobs``). The process that
    took the request runs it and refreshes its heartbeat every ``JOB_BEAT``; a
    queued or running job whose beat is older than ``JOB_STALE`` was left by a
    process that died and is failed (its partial file removed) at start-up or
    when it is next read.
    """

    def __init__(
        self,
        recordings: SqlRecordings,
        jobs: SqlCompositeJobs,
        root: Path,
        clock: Callable[[], datetime],
        layout: Layout | None = None,
    ) -> None:
        self._recordings = recordings
        self._jobs = jobs
        self._root = root
        self._clock = clock
        self._layout = layout or Layout()
        self._tasks: set[asyncio.Task[None]] = set()
        self._stop = threading.Event()
        # One composite at a time: it takes a core while it runs.
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="composite")

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

    async def abandon(
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
        await self.abandon(job_id=job_id)
        found = await self._jobs.get(job_id)
        return None if found is None else self._view(found)

    async def composite_jobs(self, case_id: str) -> Sequence[CompositeJob]:
        await self.abandon(case_id=case_id)
        return [self._view(j) for j in await self._jobs.for_case(case_id, LISTED_JOBS)]

    async def request_composite(
        self, case_id: str, staff_id: str, now: datetime, key: RecordingKey
    ) -> CompositeJob:
        await self.abandon(case_id=case_id)
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
        task = asyncio.create_task(self._run(job, rows, key), name="composite")
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
