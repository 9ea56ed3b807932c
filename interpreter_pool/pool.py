"""The pool: who is waiting, who is on duty, which offers are open, which rooms run.

Every command takes ``now`` and returns the events it caused; nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Callable
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
from interpreter_pool.estimate import HandleTimes, estimate_starts
from interpreter_pool.events import (
    SYSTEM_AWAY_REASONS,
    AwayReason,
    CitizenConnectionLost,
    CitizenReconnected,
    Offer,
    OfferClosed,
    OfferMade,
    PoolEvent,
    RequestEnded,
    Session,
    SessionEnded,
    SessionStarted,
    StaffConnectionLost,
    StaffReconnected,
    StaffStatus,
    StaffStatusChanged,
)
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


def _bucket(entry: QueueEntry, step: float) -> tuple[int, int | None]:
    """What a waiting citizen was last told: their place, and their estimate
    in ``step`` seconds."""
    wait = entry.estimated_wait
    return entry.position, None if wait is None else round(wait / step)


class Pool(RoomCommands):
    """Pairs waiting citizens with qualified staff, first come first served.

    The commands on rooms of more than two (invites, counselors, transfers, a
    supervisor listening in) are in ``RoomCommands``.
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

    def sessions(self) -> list[Session]:
        """Every running session, oldest first."""
        return sorted(self._sessions.values(), key=lambda s: s.started_at)

    def is_held(self, session: Session) -> bool:
        """A party of the session dropped and it waits for them to come back."""
        staff = self._staff.get(session.staff_id)
        by_staff = staff is not None and staff.grace_until is not None
        return by_staff or session.citizen_id in self._citizen_grace

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

    def session_of(self, party_id: str) -> Session | None:
        for session in self._sessions.values():
            if session.has(party_id):
                return session
        return None

    def open_offer(self, staff_id: str) -> Offer | None:
        staff = self._staff.get(staff_id)
        if staff is None or staff.offer_id is None:
            return None
        return self._offers[staff.offer_id]

    def next_deadline(self) -> datetime | None:
        """The earliest moment ``tick`` has something to do."""
        moments = [o.expires_at for o in self._offers.values()]
        for staff in self._staff.values():
            moments += [m for m in (staff.wrap_up_until, staff.grace_until) if m]
        moments += self._citizen_grace.values()
        moments += self._party_deadlines()
        return min(moments, default=None)

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

    def accept(
        self, staff_id: str, offer_id: str, now: datetime, media_node: str = ""
    ) -> list[PoolEvent]:
        """Start the session; ``media_node`` names the process that will hold
        its media room, so any process can reach it."""
        offer = self._require_offer(staff_id, offer_id)
        if offer.room_id is not None:
            return self._accept_join(staff_id, offer, now)
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
            media_node=media_node,
        )
        self._sessions[session.room_id] = session
        staff.offer_id = None
        staff.room_id = session.room_id
        staff.missed = 0
        self._become(staff, StaffStatus.IN_SESSION, now)
        return [SessionStarted(session), self._changed(staff_id)]

    def decline(self, staff_id: str, offer_id: str, now: datetime) -> list[PoolEvent]:
        self._require_offer(staff_id, offer_id)
        self._staff[staff_id].missed = 0
        events = self._close_offer(offer_id, EventKind.DECLINED, now)
        return events + self._settle(now)

    def tick(self, now: datetime) -> list[PoolEvent]:
        """Do what is due: lapse offers, end wrap-ups, end sessions past grace."""
        events: list[PoolEvent] = []
        for offer in [o for o in self._offers.values() if o.expires_at <= now]:
            events += self._close_offer(offer.id, EventKind.OFFER_EXPIRED, now)
            staff = self._staff.get(offer.staff_id)
            if staff is None:
                continue
            staff.missed += 1
            staff.idle_since = now  # to the back of the line for the next offer
            if staff.missed >= self.rules.missed_offers_limit:
                self._become(staff, StaffStatus.AWAY, now, AwayReason.MISSED_OFFERS)
                events.append(self._changed(offer.staff_id))
        for staff_id, staff in list(self._staff.items()):
            if staff.wrap_up_until is not None and staff.wrap_up_until <= now:
                self._finish_wrap_up(staff, now)
                self._become(staff, StaffStatus.AVAILABLE, now)
                staff.idle_since = now
                events.append(self._changed(staff_id))
            if staff.grace_until is not None and staff.grace_until <= now:
                # Only the session's interpreter ends it; a counselor's place
                # lapses with their party (``_lapse_party_graces``).
                held = self._sessions.get(staff.room_id or "")
                if held is not None and held.staff_id == staff_id:
                    events += self._end_session(
                        held.room_id, EndReason.CONNECTION_LOST, Party.INTERPRETER, now
                    )
        for citizen_id, deadline in list(self._citizen_grace.items()):
            session = self.session_of(citizen_id)
            if deadline <= now and session is not None:
                events += self._end_session(
                    session.room_id, EndReason.CONNECTION_LOST, Party.CITIZEN, now
                )
        events += self._lapse_party_graces(now)
        return events + self._settle(now) if events else events

    # -- citizen commands ---------------------------------------------------

    def allow_resume(
        self, citizen_id: str, token_hash: str, connection: str = ""
    ) -> None:
        """Let the holder of the token behind ``token_hash`` come back as this
        citizen while their session lasts (a page reload keeps the session).
        ``connection`` is the citizen's connection now."""
        if self.session_of(citizen_id) is None:
            raise NotInRoom("", citizen_id)
        self._resume[token_hash] = citizen_id
        self._citizen_links.setdefault(citizen_id, set()).add(connection)

    def resume(
        self, token_hash: str, now: datetime, connection: str = ""
    ) -> tuple[str, list[PoolEvent]]:
        """The citizen behind a resume token is back on ``connection``; returns
        their id. Raises NotInRoom when the token is unknown or its session ended.
        """
        citizen_id = self._resume.get(token_hash)
        session = None if citizen_id is None else self.session_of(citizen_id)
        if citizen_id is None or session is None:
            raise NotInRoom("", "resume")
        self._citizen_links.setdefault(citizen_id, set()).add(connection)
        if self._citizen_grace.pop(citizen_id, None) is None:
            return citizen_id, []  # a second tab, or back before the drop was seen
        return citizen_id, [CitizenReconnected(session)]

    def check_can_request(self, citizen_id: str) -> None:
        """Raise if this citizen already waits or is in a session."""
        if self._request_of(citizen_id) is not None or self.session_of(citizen_id):
            raise AlreadyWaiting(citizen_id)

    def request(
        self,
        citizen_id: str,
        case_id: str,
        skill: Skill,
        now: datetime,
        priority: bool = False,
        preferred: str | None = None,
    ) -> list[PoolEvent]:
        """Queue a request; ``priority`` (a reservation due now) goes first.

        A ``preferred`` staff member (the one reserved) gets the offer when
        available; otherwise the request is offered like any other.
        """
        self.check_can_request(citizen_id)
        request = WaitingRequest(
            case_id, citizen_id, skill, now, priority, preferred=preferred
        )
        if priority:
            index = next(
                (i for i, r in enumerate(self._waiting) if not r.priority),
                len(self._waiting),
            )
            self._waiting.insert(index, request)
        else:
            self._waiting.append(request)
        return self._dispatch(now)

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

    def citizen_gone(self, citizen_id: str, now: datetime) -> list[PoolEvent]:
        """Take a request back without a trace: its case was never stored.

        Its open offer is withdrawn and offers move on; no request-ended event,
        since there is no case to end.
        """
        request = self._request_of(citizen_id)
        if request is None:
            return []
        events = [
            e
            for e in self._drop_request(request, EndReason.CITIZEN_CANCELLED, now)
            if not (isinstance(e, RequestEnded) and e.case_id == request.case_id)
        ]
        return events

    def citizen_left(
        self, citizen_id: str, now: datetime, connection: str = ""
    ) -> list[PoolEvent]:
        """A citizen's connection closed: end whatever they had going.

        A citizen in session who holds a resume token has the reconnect grace
        period to come back; while another of their connections is open (a
        reload's new page arrived before the old one left), nothing happens.
        """
        request = self._request_of(citizen_id)
        if request is not None:
            return self._drop_request(
                request, EndReason.CITIZEN_LEFT_WHILE_WAITING, now
            )
        session = self.session_of(citizen_id)
        if session is None:
            return []
        links = self._citizen_links.get(citizen_id)
        if links is not None:
            links.discard(connection)
            if links:
                return []
        resumable = citizen_id in self._resume.values()
        if resumable and self.rules.reconnect_grace > timedelta(0):
            if citizen_id in self._citizen_grace:
                return []
            deadline = now + self.rules.reconnect_grace
            self._citizen_grace[citizen_id] = deadline
            return [CitizenConnectionLost(session, deadline)]
        events = self._end_session(
            session.room_id, EndReason.CONNECTION_LOST, Party.CITIZEN, now
        )
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

    def _require_offer(self, staff_id: str, offer_id: str) -> Offer:
        offer = self._offers.get(offer_id)
        if offer is None:
            raise UnknownOffer(offer_id)
        if offer.staff_id != staff_id:
            raise NotYourOffer(offer_id, staff_id)
        return offer

    def _request_of(self, citizen_id: str) -> WaitingRequest | None:
        return next((r for r in self._waiting if r.citizen_id == citizen_id), None)

    def _request_by_case(self, case_id: str) -> WaitingRequest:
        return next(r for r in self._waiting if r.case_id == case_id)

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

    def _drop_request(
        self, request: WaitingRequest, reason: EndReason, now: datetime
    ) -> list[PoolEvent]:
        events: list[PoolEvent] = []
        if request.offer_id is not None:
            events += self._close_offer(
                request.offer_id, EventKind.OFFER_WITHDRAWN, now
            )
        self._waiting.remove(request)
        events.append(RequestEnded(request.case_id, request.citizen_id, reason, now))
        return events + self._settle(now)

    def _close_offer(
        self, offer_id: str, kind: EventKind, now: datetime
    ) -> list[PoolEvent]:
        offer = self._offers.pop(offer_id)
        request = self._holder(offer) or self._request_by_case(offer.case_id)
        request.offer_id = None
        if kind is EventKind.DECLINED:
            request.declined_by.add(offer.staff_id)
        events: list[PoolEvent] = [OfferClosed(offer, kind, now)]
        staff = self._staff.get(offer.staff_id)
        if staff is not None and staff.offer_id == offer_id:
            staff.offer_id = None
            self._become(staff, StaffStatus.AVAILABLE, now)
            events.append(self._changed(offer.staff_id))
        return events

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

    def _settle(self, now: datetime) -> list[PoolEvent]:
        # Sessions in progress waiting for someone to join come first.
        joins = self._end_exhausted_joins(now) + self._dispatch_joins(now)
        return self._end_exhausted(now) + joins + self._dispatch(now)

    def _end_exhausted(self, now: datetime) -> list[PoolEvent]:
        """End requests that every qualified staff member signed in has declined."""
        events: list[PoolEvent] = []
        for request in list(self._waiting):
            if request.offer_id is not None or not request.declined_by:
                continue
            qualified = {
                s for s, st in self._staff.items() if request.skill in st.skills
            }
            if qualified <= request.declined_by:
                self._waiting.remove(request)
                events.append(
                    RequestEnded(
                        request.case_id,
                        request.citizen_id,
                        EndReason.DECLINED_BY_ALL,
                        now,
                    )
                )
        return events

    def _dispatch(self, now: datetime) -> list[PoolEvent]:
        """Offer each unoffered request, in queue order, to the longest-idle match.

        Only available staff are candidates, so with everyone busy this is one
        pass over the staff, not one per waiting request.
        """
        available = {
            sid: s
            for sid, s in self._staff.items()
            if s.status is StaffStatus.AVAILABLE
        }
        events: list[PoolEvent] = []
        for request in self._waiting:
            if not available:
                break
            if request.offer_id is not None:
                continue
            preferred = request.preferred
            if (
                preferred in available
                and request.skill in available[preferred].skills
                and preferred not in request.declined_by
            ):
                staff_id: str | None = preferred
            else:
                staff_id = pick_longest_idle(
                    (sid, s.idle_since)
                    for sid, s in available.items()
                    if request.skill in s.skills and sid not in request.declined_by
                )
            if staff_id is None:
                continue
            offer = Offer(
                id=self._make_id(),
                case_id=request.case_id,
                staff_id=staff_id,
                skill=request.skill,
                made_at=now,
                expires_at=now + self.rules.offer_timeout,
            )
            self._offers[offer.id] = offer
            request.offer_id = offer.id
            staff = available.pop(staff_id)
            staff.offer_id = offer.id
            self._become(staff, StaffStatus.OFFERED, now)
            events.append(OfferMade(offer))
            events.append(self._changed(staff_id))
        return events
