"""The queue as waiting citizens see it: their place and estimated wait.
Mixed into the Pool; reads only, except that it remembers what each was told."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from counseling.services import Skill
from interpreter_pool.estimate import HandleTimes, estimate_starts
from interpreter_pool.events import Session, StaffStatus
from interpreter_pool.records import QueueEntry, StaffRecord, WaitingRequest


def _bucket(entry: QueueEntry, step: float) -> tuple[int, int | None]:
    """What a waiting citizen was last told: their place, and their estimate
    in ``step`` seconds."""
    wait = entry.estimated_wait
    return entry.position, None if wait is None else round(wait / step)


class QueueView:
    """The Pool's queue positions and wait estimates."""

    if TYPE_CHECKING:
        queue_seq: int
        _staff: dict[str, StaffRecord]
        _waiting: list[WaitingRequest]
        _sessions: dict[str, Session]
        _times: HandleTimes

        def _request_of(self, citizen_id: str) -> WaitingRequest | None: ...

        def next_deadline(self) -> datetime | None: ...

    # -- read side ----------------------------------------------------------

    def position(self, citizen_id: str) -> int | None:
        request = self._request_of(citizen_id)
        return None if request is None else self._position_of(request)

    def queue(self, now: datetime) -> list[QueueEntry]:
        """Every waiting citizen with their position and estimated wait."""
        return [entry for _, entry in self._entries(now)]

    def queue_entry(self, citizen_id: str, now: datetime) -> QueueEntry | None:
        """One waiting citizen's entry, as ``queue`` would give it."""
        request = self._request_of(citizen_id)
        if request is None:
            return None
        return next(e for r, e in self._entries(now, request.skill) if r is request)

    def queues(self) -> list[tuple[Skill, int, datetime]]:
        """Each skill waited on: how many wait, and since when the first one."""
        found: dict[Skill, tuple[int, datetime]] = {}
        for r in self._waiting:
            count, oldest = found.get(r.skill, (0, r.asked_at))
            found[r.skill] = (count + 1, min(oldest, r.asked_at))
        return [(skill, n, oldest) for skill, (n, oldest) in found.items()]

    def estimate_for_new(self, skill: Skill, now: datetime) -> float | None:
        """Seconds a request for ``skill`` made now would wait; None: nobody on duty."""
        if not any(r.skill == skill for r in self._waiting) and any(
            s.status is StaffStatus.AVAILABLE and skill in s.skills
            for s in self._staff.values()
        ):
            return 0.0  # what the estimate below gives, without playing it
        waiting = sum(1 for r in self._waiting if r.skill == skill)
        turnaround = self._times.handle(skill) + self._times.wrap_up(skill)
        starts = estimate_starts(self._free_in(skill, now), waiting + 1, turnaround)
        return starts[-1] if starts else None

    def queue_changes(self, now: datetime, step: float) -> list[QueueEntry]:
        """Entries whose position or estimate (in ``step`` seconds) changed since
        they were last returned here: what waiting citizens should be told, as
        round ``queue_seq``."""
        changed: list[QueueEntry] = []
        for request, entry in self._entries(now):
            bucket = _bucket(entry, step)
            if request.told != bucket:
                request.told = bucket
                changed.append(entry)
        if changed:
            self.queue_seq += 1
        return changed

    def needs_tick(self, now: datetime, step: float) -> bool:
        """Whether ``tick`` or ``queue_changes`` would do anything now; reads
        only, so a timer can ask a snapshot before it takes the lock."""
        deadline = self.next_deadline()
        if deadline is not None and deadline <= now:
            return True
        return any(r.told != _bucket(e, step) for r, e in self._entries(now))

    # -- internals ----------------------------------------------------------

    def _position_of(self, request: WaitingRequest) -> int:
        ahead = 0
        for other in self._waiting:
            if other is request:
                return ahead + 1
            if other.skill == request.skill:
                ahead += 1
        raise LookupError(request.case_id)

    def _entries(
        self, now: datetime, only: Skill | None = None
    ) -> list[tuple[WaitingRequest, QueueEntry]]:
        """Each waiting request (for ``only`` that skill) with its queue entry."""
        by_skill: dict[Skill, list[WaitingRequest]] = {}
        for request in self._waiting:
            if only is None or request.skill == only:
                by_skill.setdefault(request.skill, []).append(request)
        entries: list[tuple[WaitingRequest, QueueEntry]] = []
        for skill, waiting in by_skill.items():
            turnaround = self._times.handle(skill) + self._times.wrap_up(skill)
            starts = estimate_starts(
                self._free_in(skill, now), len(waiting), turnaround
            )
            for index, request in enumerate(waiting):
                entry = QueueEntry(
                    request.case_id,
                    request.citizen_id,
                    skill,
                    index + 1,
                    starts[index] if starts else None,
                )
                entries.append((request, entry))
        return entries

    def _free_in(self, skill: Skill, now: datetime) -> list[float]:
        """Seconds until each qualified staff member on duty is free."""
        free: list[float] = []
        for staff in self._staff.values():
            if skill not in staff.skills or staff.status is StaffStatus.AWAY:
                continue
            if staff.status is StaffStatus.IN_SESSION and staff.room_id is not None:
                session = self._sessions[staff.room_id]
                busy = (
                    self._times.handle(session.skill)
                    - (now - session.started_at).total_seconds()
                )
                free.append(max(0.0, busy) + self._times.wrap_up(session.skill))
            elif staff.status is StaffStatus.WRAP_UP and staff.wrap_up_until:
                free.append((staff.wrap_up_until - now).total_seconds())
            else:
                free.append(0.0)
        return free
