"""What the recording routes need (the composition root supplies it), and who
may play a case's recordings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import BinaryIO, ClassVar, Protocol

from counseling.cases import Case
from counseling.staff import StaffAccount, StaffRole

MEDIA_TYPES = {
    ("audio", "opus"): "audio/webm",
    ("video", "vp8"): "video/webm",
    ("video", "h264"): "video/x-matroska",
    ("composite", "vp8+opus"): "video/webm",
}
SUFFIXES = {"audio/webm": "webm", "video/webm": "webm", "video/x-matroska": "mkv"}


class RecordingsError(Exception):
    """Root of the recording routes' refusals; ``code`` is stable."""

    code: ClassVar[str] = "recording_failed"
    status: ClassVar[int] = 500


class RecordingsUnavailable(RecordingsError):
    """No recording key is configured: nothing is recorded or played."""

    code = "recording_unavailable"
    status = 409


class RecordingGone(RecordingsError):
    """The file was deleted (retention) or cannot be read."""

    code = "recording_gone"
    status = 410


@dataclass(frozen=True, slots=True)
class RecordingInfo:
    """One recording of a case as the routes show it (never its path)."""

    id: str
    case_id: str
    party_role: str
    kind: str  # audio, video or composite
    codec: str
    started_at: datetime
    ended_at: datetime | None
    status: str  # recording, closed, recovered, deleted
    bytes: int
    path: str

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES.get((self.kind, self.codec), "application/octet-stream")

    @property
    def playable(self) -> bool:
        return self.status in ("closed", "recovered")


class AuditAction(StrEnum):
    LIST = "list"
    PLAY = "play"
    DOWNLOAD = "download"
    COMPOSITE = "composite"
    REFUSED = "refused"
    DELETE = "delete"


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One access to recordings, or a refused attempt: who, when, what, from where."""

    at: datetime
    action: AuditAction
    staff_id: str | None
    role: str | None
    case_id: str | None
    recording_id: str | None = None
    client_address: str | None = None
    id: str = ""


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class CompositeJob:
    """A request for a session's combined video; ``recording_id`` once done."""

    id: str
    case_id: str
    state: JobState
    requested_by: str
    requested_at: datetime
    recording_id: str | None = None
    error: str | None = None  # a stable code when failed
    started_at: datetime | None = None
    finished_at: datetime | None = None
    message: str | None = None  # plain words when failed, no personal data


class RecordingLibrary(Protocol):
    """The recordings of cases, their files, the access audit and composite jobs."""

    @property
    def configured(self) -> bool:
        """False when no key is set: nothing is recorded, nothing plays."""
        ...

    async def for_case(self, case_id: str) -> Sequence[RecordingInfo]: ...

    async def get(self, recording_id: str) -> RecordingInfo | None: ...

    def open_plain(self, recording: RecordingInfo) -> tuple[BinaryIO, int]:
        """The decrypted container, seekable, and its length (blocking: call it
        in a thread). Raises ``RecordingsUnavailable`` or ``RecordingGone``."""
        ...

    async def audit(self, record: AuditRecord) -> None: ...

    async def audit_once(self, record: AuditRecord, window: timedelta) -> bool:
        """Write ``record`` unless the same account already has a row of the same
        action on the same recording less than ``window`` before it, in storage
        (so it holds across processes). True when written."""
        ...

    async def audit_entries(
        self,
        case_id: str | None,
        since: datetime | None,
        until: datetime | None,
        limit: int,
    ) -> Sequence[AuditRecord]: ...

    async def request_composite(
        self, case_id: str, staff_id: str, now: datetime
    ) -> CompositeJob:
        """Queue (or return the one already queued or running, by whichever
        process) a composite of the case's tracks. Raises
        ``RecordingsUnavailable``."""
        ...

    async def composite_job(self, job_id: str) -> CompositeJob | None:
        """The job as stored: any process answers for it."""
        ...

    async def composite_jobs(self, case_id: str) -> Sequence[CompositeJob]:
        """The case's latest jobs, newest first, as stored."""
        ...


def may_access_recordings(account: StaffAccount, case: Case) -> bool:
    """Supervisors, and interpreters or counselors who were in the session;
    schedulers never."""
    if account.role is StaffRole.SUPERVISOR:
        return True
    if account.role is not StaffRole.INTERPRETER:
        return False
    if case.interpreter_id == account.id:
        return True
    return any(p.staff_id == account.id for p in case.participants())
