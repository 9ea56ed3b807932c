"""The pool: who is waiting, who is on duty, which offers are open, which rooms run.

Every command takes ``now`` and returns the events it caused; nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from counseling.cases import EndReason, EventKind, Party
from counseling.services import Skill
from interpreter_pool.citizens import CitizenCommands
from interpreter_pool.dispatch import Dispatch
from interpreter_pool.errors import (
    NotInRoom,
    StaffBusy,
    UnknownStaff,
)
from interpreter_pool.estimate import HandleTimes
from interpreter_pool.events import (
    SYSTEM_AWAY_REASONS,
    AwayReason,
    Offer,
    PoolEvent,
    Session,
    SessionEnded,
    StaffConnectionLost,
    StaffReconnected,
    StaffStatus,
    StaffStatusChanged,
)
from interpreter_pool.queue_view import QueueView
from interpreter_pool.records import (
    Invite,
    JoinRequest,
    PoolRules,
    QueueEntry,
    StaffRecord,
    WaitingRequest,
    new_id,
    pick_longest_idle,
)
from interpreter_pool.rooms import RoomCommands

__all__ = ["Pool", "PoolRules", "QueueEntry", "new_id", "pick_longest_idle"]


class Pool(QueueView, Dispatch, RoomCommands, CitizenCommands):
    """Pairs waiting citizens with qualified staff, first come first served.

    Queue positions and wait estimates are in ``QueueView``; offers, their
    acceptance and the clock (``tick``) in ``Dispatch``; the commands on rooms
    of more than two (invites, counselors, transfers, a supervisor listening
    in) in ``RoomCommands``; the citizens' requests, leaving and resuming in
    ``CitizenCommands``.
    """

    def __init__(
        self, rules: PoolRules | None = None, make_id: Callable[[], str] = new_id
    ) -> None:
        self.rules = rules or PoolRules()
        self._make_id = make_id
        self._staff: dict[str, StaffRecord] = {}
        self._waiting: list[WaitingRequest] = []
        self._offers: dict[str, Offer] = {}
        self._sessions: dict[str, Session] = {}
        # Citizens of a session whose connection dropped: until when they may
        # come back, and the hashes of the tokens that let them.
        self._citizen_grace: dict[str, datetime] = {}
        self._resume: dict[str, str] = {}
        self._citizen_links: dict[str, set[str]] = {}
        # Grows with each round of queue changes: citizens told out of order
        # (notices go out after the pool is let go) keep the newest.
        self.queue_seq = 0
        # Requests to join a running session, and guest invites by token hash.
        self._joins: list[JoinRequest] = []
        self._invites: dict[str, Invite] = {}
        self._times = HandleTimes(
            self.rules.default_handle.total_seconds(),
            self.rules.wrap_up.total_seconds(),
        )

    # -- read side ----------------------------------------------------------

    def staff_status(self, staff_id: str) -> StaffStatus:
        staff = self._staff.get(staff_id)
        return StaffStatus.OFFLINE if staff is None else staff.status

    def presence(self, staff_id: str) -> StaffStatusChanged | None:
        """The staff member's current state, as the event that set it."""
        staff = self._staff.get(staff_id)
        if staff is None:
            return None
        return StaffStatusChanged(staff_id, staff.status, staff.since, staff.reason)

    def everyone(self) -> list[StaffStatusChanged]:
        return [p for sid in sorted(self._staff) if (p := self.presence(sid))]

    def live_cases(self) -> set[str]:
        """Cases the pool holds: waiting, offered or in session."""
        waiting = {r.case_id for r in self._waiting}
        return waiting | {x.case_id for x in self._sessions.values()}

    def name_of(self, staff_id: str) -> str:
        staff = self._staff.get(staff_id)
        return "" if staff is None else staff.name

    def sessions(self) -> list[Session]:
        """Every running session, oldest first."""
        return sorted(self._sessions.values(), key=lambda s: s.started_at)

    def is_held(self, session: Session) -> bool:
        """A party of the session dropped and it waits for them to come back."""
        staff = self._staff.get(session.staff_id)
        by_staff = staff is not None and staff.grace_until is not None
        return by_staff or session.citizen_id in self._citizen_grace

    def session_of(self, party_id: str) -> Session | None:
        for session in self._sessions.values():
            if session.has(party_id):
                return session
        return None

    # -- staff commands -----------------------------------------------------

    def staff_online(
        self,
        staff_id: str,
        skills: frozenset[Skill],
        now: datetime,
        connection: str = "",
        name: str = "",
        departments: frozenset[str] = frozenset(),
    ) -> list[PoolEvent]:
        """A staff member opened a connection (a tab); new ones start away.
        ``departments``: whose counselor they can be (the counselor queue)."""
        staff = self._staff.get(staff_id)
        if staff is not None:
            staff.connections.add(connection)
            if staff.grace_until is not None and staff.room_id is not None:
                staff.grace_until = None
                back = self._helper_back(staff_id, staff.room_id)
                return back or [StaffReconnected(self._sessions[staff.room_id])]
            return []
        self._staff[staff_id] = StaffRecord(
            skills,
            StaffStatus.AWAY,
            now,
            now,
            AwayReason.NOT_READY,
            name,
            {connection},
            departments=departments,
        )
        return [self._changed(staff_id)]

    def staff_offline(
        self, staff_id: str, now: datetime, connection: str = ""
    ) -> list[PoolEvent]:
        """A staff member closed a connection; the last one takes them off duty."""
        staff = self._staff.get(staff_id)
        if staff is None:
            return []
        staff.connections.discard(connection)
        if staff.connections:
            return []
        events: list[PoolEvent] = self._helper_gone(staff_id, now)
        if staff.room_id is not None:
            if self.rules.reconnect_grace > timedelta(0):
                if staff.grace_until is None:
                    staff.grace_until = now + self.rules.reconnect_grace
                    session = self._sessions[staff.room_id]
                    events.append(StaffConnectionLost(session, staff.grace_until))
                return events
            staff.grace_until = now
            return self._end_session(
                staff.room_id, EndReason.CONNECTION_LOST, Party.INTERPRETER, now
            ) + self._settle(now)
        if staff.offer_id is not None:
            events += self._close_offer(staff.offer_id, EventKind.OFFER_WITHDRAWN, now)
        events += self._remove_staff(staff_id)
        return events + self._settle(now)

    def set_presence(
        self,
        staff_id: str,
        status: StaffStatus,
        now: datetime,
        reason: AwayReason | None = None,
    ) -> list[PoolEvent]:
        """Available, or away with a reason; ends wrap-up when set available."""
        if status is StaffStatus.AWAY:
            if reason is None or reason in SYSTEM_AWAY_REASONS:
                raise ValueError("away needs a reason a person can choose")
        elif status is not StaffStatus.AVAILABLE:
            raise ValueError(f"cannot set yourself {status.value}")
        staff = self._require_staff(staff_id)
        if staff.status is StaffStatus.IN_SESSION:
            raise StaffBusy(staff_id)
        events: list[PoolEvent] = []
        if status is StaffStatus.AVAILABLE:
            if staff.status in (StaffStatus.AWAY, StaffStatus.WRAP_UP):
                self._finish_wrap_up(staff, now)
                self._become(staff, StaffStatus.AVAILABLE, now)
                staff.idle_since = now
                staff.missed = 0
                events.append(self._changed(staff_id))
        else:
            if staff.offer_id is not None:
                events += self._close_offer(
                    staff.offer_id, EventKind.OFFER_WITHDRAWN, now
                )
            if staff.status is not StaffStatus.AWAY or staff.reason is not reason:
                self._finish_wrap_up(staff, now)
                self._become(staff, StaffStatus.AWAY, now, reason)
                events.append(self._changed(staff_id))
        return events + self._settle(now)

    # -- either side --------------------------------------------------------

    def hang_up(self, party_id: str, room_id: str, now: datetime) -> list[PoolEvent]:
        """The citizen or the interpreter ends the session; anyone else leaves."""
        session = self._sessions.get(room_id)
        if session is not None and session.party(party_id) is not None:
            return self.leave_room(party_id, room_id, now)
        if session is None or party_id not in (session.citizen_id, session.staff_id):
            raise NotInRoom(room_id, party_id)
        by = Party.CITIZEN if party_id == session.citizen_id else Party.INTERPRETER
        events = self._end_session(room_id, EndReason.COMPLETED, by, now)
        return events + self._settle(now)

    # -- internals ----------------------------------------------------------

    def _changed(self, staff_id: str) -> StaffStatusChanged:
        staff = self._staff[staff_id]
        return StaffStatusChanged(staff_id, staff.status, staff.since, staff.reason)

    @staticmethod
    def _become(
        staff: StaffRecord,
        status: StaffStatus,
        now: datetime,
        reason: AwayReason | None = None,
    ) -> None:
        staff.status = status
        staff.since = now
        staff.reason = reason

    def _finish_wrap_up(self, staff: StaffRecord, now: datetime) -> None:
        if staff.wrap_up_until is not None and staff.wrap_up_skill is not None:
            self._times.add_wrap_up(
                staff.wrap_up_skill, (now - staff.since).total_seconds()
            )
        staff.wrap_up_until = None
        staff.wrap_up_skill = None

    def _remove_staff(self, staff_id: str) -> list[PoolEvent]:
        staff = self._staff.pop(staff_id)
        return [StaffStatusChanged(staff_id, StaffStatus.OFFLINE, staff.since)]

    def _require_staff(self, staff_id: str) -> StaffRecord:
        staff = self._staff.get(staff_id)
        if staff is None:
            raise UnknownStaff(staff_id)
        return staff

    def _end_session(
        self, room_id: str, reason: EndReason, by: Party, now: datetime
    ) -> list[PoolEvent]:
        session = self._sessions.pop(room_id)
        extras = self._room_closed(session, now)
        self._citizen_grace.pop(session.citizen_id, None)
        self._citizen_links.pop(session.citizen_id, None)
        self._resume = {
            h: c for h, c in self._resume.items() if c != session.citizen_id
        }
        self._times.add_handle(
            session.skill, (now - session.started_at).total_seconds()
        )
        events: list[PoolEvent] = [SessionEnded(session, reason, by, now), *extras]
        staff = self._staff.get(session.staff_id)
        if staff is None or staff.room_id != room_id:
            return events
        staff.room_id = None
        if staff.grace_until is not None:  # gone, and did not come back
            return events + self._remove_staff(session.staff_id)
        if self.rules.wrap_up > timedelta(0):
            self._become(staff, StaffStatus.WRAP_UP, now)
            staff.wrap_up_until = now + self.rules.wrap_up
            staff.wrap_up_skill = session.skill
        else:
            self._become(staff, StaffStatus.AVAILABLE, now)
            staff.idle_since = now
        events.append(self._changed(session.staff_id))
        return events
