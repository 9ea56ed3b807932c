"""The recordings of cases as the routes see them: the stored rows, the sealed
files read with the key, the access audit, composite jobs (``dasan.composites``),
start-up recovery and retention. Built by the composition root."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from counseling.cases import CaseEvent, CaseStatus, EventKind
from counseling.ports import CaseRepository
from dasan.composites import AppComposites
from recording.composite import Layout
from recording.errors import RecordingError
from recording.keys import RecordingKey, load_or_create_demo_key
from recording.playback import ChunkIndexes, PlaintextFile
from recording.recovery import recovery_inspector
from signaling.recording_ports import (
    AuditAction,
    AuditRecord,
    CompositeJob,
    RecordingGone,
    RecordingInfo,
    RecordingsUnavailable,
)
from storage.composite_jobs import SqlCompositeJobs
from storage.recordings import (
    AccessAction,
    AccessEntry,
    Recording,
    SqlAccessAudit,
    SqlRecordings,
)

log = logging.getLogger(__name__)
audit_log = logging.getLogger("dasan.audit")


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
        # Chunk indexes of the files being played: a seeking player's ranges
        # do not walk the file again.
        self._indexes = ChunkIndexes()
        self._jobs = jobs
        self._composites = AppComposites(recordings, jobs, root, clock, layout)

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

    # -- composites (``dasan.composites``) -------------------------------------------

    async def composite_job(self, job_id: str) -> CompositeJob | None:
        return await self._composites.composite_job(job_id)

    async def composite_jobs(self, case_id: str) -> Sequence[CompositeJob]:
        return await self._composites.composite_jobs(case_id)

    async def request_composite(
        self, case_id: str, staff_id: str, now: datetime
    ) -> CompositeJob:
        if self._key is None:
            raise RecordingsUnavailable("recording is not configured")
        return await self._composites.request_composite(
            case_id, staff_id, now, self._key
        )

    async def close(self) -> None:
        """Stop a composite in progress (its file is removed) and the worker."""
        await self._composites.close()

    # -- start-up recovery and retention -----------------------------------------

    async def recover(self) -> int:
        """Close the files a crash left open (of cases that have ended) and put
        a ``recording_recovered`` event on each one's case; fail the combined
        videos a stopped process left (their beat is old), removing their
        partial files, so their case's page offers to make them again."""
        abandoned = await self._composites.abandon()
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
