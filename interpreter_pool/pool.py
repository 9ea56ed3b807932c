"""The pool: who is waiting, who is on duty, which offers are open, which rooms run.

Every command takes ``now`` and returns the events it caused; nothing here does I/O.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from counseling.cases import EndReason, EventKind, Party
from counseling.services import Skill
from interpreter_pool.errors import (
    AlreadyWaiting,
    NotInRoom,
    NotWaiting,
    NotYourOffer,
    StaffBusy,
    UnknownOffer,
    UnknownStaff,
)
from interpreter_pool.events import (
    Offer,
    OfferClosed,
    OfferMade,
    PoolEvent,
    PositionChanged,
    Queued,
    RequestEnded,
    Session,
    SessionEnded,
    SessionStarted,
    StaffStatus,
    StaffStatusChanged,
)


def new_id() -> str:
    """A 128-bit random identifier, hex encoded."""
    return secrets.token_hex(16)


def pick_longest_idle(
    candidates: Iterable[tuple[str, datetime]],
) -> str | None:
    """The staff id idle the longest; ties go to the smaller id, for determinism."""
    best = min(candidates, key=lambda c: (c[1], c[0]), default=None)
    return None if best is None else best[0]


@dataclass(slots=True)
class _Staff:
    skills: frozenset[Skill]
    status: StaffStatus
    idle_since: datetime
    offer_id: str | None = None
    room_id: str | None = None


@dataclass(slots=True)
class _Request:
    case_id: str
    citizen_id: str
    skill: Skill
    asked_at: datetime
    declined_by: set[str] = field(default_factory=set)
    offer_id: str | None = None


class Pool:
    """Pairs waiting citizens with qualified staff, first come first served."""

    def __init__(
        self,
        offer_timeout: timedelta = timedelta(seconds=20),
        make_id: Callable[[], str] = new_id,
    ) -> None:
        if offer_timeout <= timedelta(0):
            raise ValueError("offer_timeout must be positive")
        self._offer_timeout = offer_timeout
        self._make_id = make_id
        self._staff: dict[str, _Staff] = {}
        self._waiting: list[_Request] = []
        self._offers: dict[str, Offer] = {}
        self._sessions: dict[str, Session] = {}

    # -- read side ----------------------------------------------------------

    def staff_status(self, staff_id: str) -> StaffStatus:
        staff = self._staff.get(staff_id)
        return StaffStatus.OFFLINE if staff is None else staff.status

    def position(self, citizen_id: str) -> int | None:
        request = self._request_of(citizen_id)
        return None if request is None else self._position_of(request)

    def session_of(self, party_id: str) -> Session | None:
        for session in self._sessions.values():
            if party_id in (session.citizen_id, session.staff_id):
                return session
        return None

    def open_offer(self, staff_id: str) -> Offer | None:
        staff = self._staff.get(staff_id)
        if staff is None or staff.offer_id is None:
            return None
        return self._offers[staff.offer_id]

    def next_expiry(self) -> datetime | None:
        return min((o.expires_at for o in self._offers.values()), default=None)

    # -- staff commands -----------------------------------------------------

    def staff_online(
        self, staff_id: str, skills: frozenset[Skill], now: datetime
    ) -> list[PoolEvent]:
        """A staff member signed in; they start unavailable until they say so."""
        if staff_id in self._staff:
            return []
        self._staff[staff_id] = _Staff(skills, StaffStatus.UNAVAILABLE, now)
        return [StaffStatusChanged(staff_id, StaffStatus.UNAVAILABLE)]

    def staff_offline(self, staff_id: str, now: datetime) -> list[PoolEvent]:
        """A staff member's last connection closed."""
        staff = self._staff.get(staff_id)
        if staff is None:
            return []
        events: list[PoolEvent] = []
        if staff.offer_id is not None:
            events += self._close_offer(staff.offer_id, EventKind.OFFER_WITHDRAWN, now)
        if staff.room_id is not None:
            events += self._end_session(
                staff.room_id, EndReason.CONNECTION_LOST, Party.INTERPRETER, now
            )
        del self._staff[staff_id]
        events.append(StaffStatusChanged(staff_id, StaffStatus.OFFLINE))
        events += self._end_exhausted(now)
        events += self._dispatch(now)
        return events

    def set_available(
        self, staff_id: str, available: bool, now: datetime
    ) -> list[PoolEvent]:
        staff = self._require_staff(staff_id)
        if staff.status is StaffStatus.IN_SESSION:
            raise StaffBusy(staff_id)
        events: list[PoolEvent] = []
        if available:
            if staff.status is StaffStatus.UNAVAILABLE:
                staff.status = StaffStatus.AVAILABLE
                staff.idle_since = now
                events.append(StaffStatusChanged(staff_id, StaffStatus.AVAILABLE))
        else:
            if staff.offer_id is not None:
                events += self._close_offer(
                    staff.offer_id, EventKind.OFFER_WITHDRAWN, now
                )
            if staff.status is not StaffStatus.UNAVAILABLE:
                staff.status = StaffStatus.UNAVAILABLE
                events.append(StaffStatusChanged(staff_id, StaffStatus.UNAVAILABLE))
        events += self._dispatch(now)
        return events

    def accept(self, staff_id: str, offer_id: str, now: datetime) -> list[PoolEvent]:
        offer = self._require_offer(staff_id, offer_id)
        request = self._request_by_case(offer.case_id)
        staff = self._staff[staff_id]
        del self._offers[offer_id]
        self._waiting.remove(request)
        session = Session(
            room_id=self._make_id(),
            case_id=offer.case_id,
            citizen_id=request.citizen_id,
            staff_id=staff_id,
            skill=offer.skill,
            started_at=now,
        )
        self._sessions[session.room_id] = session
        staff.offer_id = None
        staff.room_id = session.room_id
        staff.status = StaffStatus.IN_SESSION
        events: list[PoolEvent] = [
            SessionStarted(session),
            StaffStatusChanged(staff_id, StaffStatus.IN_SESSION),
        ]
        events += self._positions_after(request)
        return events

    def decline(self, staff_id: str, offer_id: str, now: datetime) -> list[PoolEvent]:
        self._require_offer(staff_id, offer_id)
        events = self._close_offer(offer_id, EventKind.DECLINED, now)
        events += self._end_exhausted(now)
        events += self._dispatch(now)
        return events

    def expire(self, now: datetime) -> list[PoolEvent]:
        """Close every offer whose time ran out, as if its staff member declined."""
        events: list[PoolEvent] = []
        for offer in [o for o in self._offers.values() if o.expires_at <= now]:
            events += self._close_offer(offer.id, EventKind.OFFER_EXPIRED, now)
        if events:
            events += self._end_exhausted(now)
            events += self._dispatch(now)
        return events

    # -- citizen commands ---------------------------------------------------

    def check_can_request(self, citizen_id: str) -> None:
        """Raise if this citizen already waits or is in a session."""
        if self._request_of(citizen_id) is not None or self.session_of(citizen_id):
            raise AlreadyWaiting(citizen_id)

    def request(
        self, citizen_id: str, case_id: str, skill: Skill, now: datetime
    ) -> list[PoolEvent]:
        self.check_can_request(citizen_id)
        request = _Request(case_id, citizen_id, skill, now)
        self._waiting.append(request)
        events: list[PoolEvent] = [
            Queued(case_id, citizen_id, self._position_of(request))
        ]
        events += self._dispatch(now)
        return events

    def cancel(
        self,
        citizen_id: str,
        now: datetime,
        reason: EndReason = EndReason.CITIZEN_CANCELLED,
    ) -> list[PoolEvent]:
        request = self._request_of(citizen_id)
        if request is None:
            raise NotWaiting(citizen_id)
        return self._drop_request(request, reason, now)

    def citizen_left(self, citizen_id: str, now: datetime) -> list[PoolEvent]:
        """A citizen's connection closed: end whatever they had going."""
        request = self._request_of(citizen_id)
        if request is not None:
            return self._drop_request(
                request, EndReason.CITIZEN_LEFT_WHILE_WAITING, now
            )
        session = self.session_of(citizen_id)
        if session is not None:
            events = self._end_session(
                session.room_id, EndReason.CONNECTION_LOST, Party.CITIZEN, now
            )
            return events + self._dispatch(now)
        return []

    # -- either side --------------------------------------------------------

    def hang_up(self, party_id: str, room_id: str, now: datetime) -> list[PoolEvent]:
        session = self._sessions.get(room_id)
        if session is None or party_id not in (session.citizen_id, session.staff_id):
            raise NotInRoom(room_id, party_id)
        by = Party.CITIZEN if party_id == session.citizen_id else Party.INTERPRETER
        events = self._end_session(room_id, EndReason.COMPLETED, by, now)
        return events + self._dispatch(now)

    # -- internals ----------------------------------------------------------

    def _require_staff(self, staff_id: str) -> _Staff:
        staff = self._staff.get(staff_id)
        if staff is None:
            raise UnknownStaff(staff_id)
        return staff

    def _require_offer(self, staff_id: str, offer_id: str) -> Offer:
        offer = self._offers.get(offer_id)
        if offer is None:
            raise UnknownOffer(offer_id)
        if offer.staff_id != staff_id:
            raise NotYourOffer(offer_id, staff_id)
        return offer

    def _request_of(self, citizen_id: str) -> _Request | None:
        return next((r for r in self._waiting if r.citizen_id == citizen_id), None)

    def _request_by_case(self, case_id: str) -> _Request:
        return next(r for r in self._waiting if r.case_id == case_id)

    def _position_of(self, request: _Request) -> int:
        ahead = 0
        for other in self._waiting:
            if other is request:
                return ahead + 1
            if other.skill == request.skill:
                ahead += 1
        raise LookupError(request.case_id)

    def _positions_after(self, gone: _Request) -> list[PoolEvent]:
        """Position updates for requests of the same skill that moved up.

        Call after ``gone`` has left the waiting list.
        """
        return [
            PositionChanged(r.case_id, r.citizen_id, self._position_of(r))
            for r in self._waiting
            if r.skill == gone.skill and r.asked_at >= gone.asked_at
        ]

    def _drop_request(
        self, request: _Request, reason: EndReason, now: datetime
    ) -> list[PoolEvent]:
        events: list[PoolEvent] = []
        if request.offer_id is not None:
            events += self._close_offer(
                request.offer_id, EventKind.OFFER_WITHDRAWN, now
            )
        self._waiting.remove(request)
        events.append(RequestEnded(request.case_id, request.citizen_id, reason, now))
        events += self._positions_after(request)
        events += self._dispatch(now)
        return events

    def _close_offer(
        self, offer_id: str, kind: EventKind, now: datetime
    ) -> list[PoolEvent]:
        offer = self._offers.pop(offer_id)
        request = self._request_by_case(offer.case_id)
        request.offer_id = None
        if kind is not EventKind.OFFER_WITHDRAWN:
            request.declined_by.add(offer.staff_id)
        events: list[PoolEvent] = [OfferClosed(offer, kind, now)]
        staff = self._staff.get(offer.staff_id)
        if staff is not None and staff.offer_id == offer_id:
            staff.offer_id = None
            staff.status = StaffStatus.AVAILABLE
            events.append(StaffStatusChanged(offer.staff_id, StaffStatus.AVAILABLE))
        return events

    def _end_session(
        self, room_id: str, reason: EndReason, by: Party, now: datetime
    ) -> list[PoolEvent]:
        session = self._sessions.pop(room_id)
        events: list[PoolEvent] = [SessionEnded(session, reason, by, now)]
        staff = self._staff.get(session.staff_id)
        if staff is not None and staff.room_id == room_id:
            staff.room_id = None
            staff.status = StaffStatus.AVAILABLE
            staff.idle_since = now
            events.append(StaffStatusChanged(session.staff_id, StaffStatus.AVAILABLE))
        return events

    def _qualified_on_duty(self, skill: Skill) -> set[str]:
        return {sid for sid, s in self._staff.items() if skill in s.skills}

    def _end_exhausted(self, now: datetime) -> list[PoolEvent]:
        """End requests that every qualified staff member on duty has turned down."""
        events: list[PoolEvent] = []
        for request in list(self._waiting):
            if request.offer_id is not None or not request.declined_by:
                continue
            if self._qualified_on_duty(request.skill) <= request.declined_by:
                self._waiting.remove(request)
                events.append(
                    RequestEnded(
                        request.case_id,
                        request.citizen_id,
                        EndReason.DECLINED_BY_ALL,
                        now,
                    )
                )
                events += self._positions_after(request)
        return events

    def _dispatch(self, now: datetime) -> list[PoolEvent]:
        """Offer each unoffered request, oldest first, to the longest-idle match."""
        events: list[PoolEvent] = []
        for request in self._waiting:
            if request.offer_id is not None:
                continue
            staff_id = pick_longest_idle(
                (sid, s.idle_since)
                for sid, s in self._staff.items()
                if s.status is StaffStatus.AVAILABLE
                and request.skill in s.skills
                and sid not in request.declined_by
            )
            if staff_id is None:
                continue
            offer = Offer(
                id=self._make_id(),
                case_id=request.case_id,
                staff_id=staff_id,
                skill=request.skill,
                made_at=now,
                expires_at=now + self._offer_timeout,
            )
            self._offers[offer.id] = offer
            request.offer_id = offer.id
            staff = self._staff[staff_id]
            staff.offer_id = offer.id
            staff.status = StaffStatus.OFFERED
            events.append(OfferMade(offer))
            events.append(StaffStatusChanged(staff_id, StaffStatus.OFFERED))
        return events
