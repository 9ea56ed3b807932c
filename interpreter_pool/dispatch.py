"""Offers: each waiting request offered to the longest-idle qualified match,
then accepted, declined or lapsed on the clock. Mixed into the Pool; pure like it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from counseling.cases import EndReason, EventKind, Party
from interpreter_pool.errors import NotYourOffer, UnknownOffer
from interpreter_pool.events import (
    AwayReason,
    Offer,
    OfferClosed,
    OfferMade,
    PoolEvent,
    RequestEnded,
    Session,
    SessionStarted,
    StaffStatus,
    StaffStatusChanged,
)
from interpreter_pool.records import (
    JoinRequest,
    PoolRules,
    StaffRecord,
    WaitingRequest,
    pick_longest_idle,
)


class Dispatch:
    """The Pool's offers: made, accepted, declined, lapsed; and its clock."""

    if TYPE_CHECKING:
        rules: PoolRules
        _make_id: Callable[[], str]
        _staff: dict[str, StaffRecord]
        _waiting: list[WaitingRequest]
        _offers: dict[str, Offer]
        _sessions: dict[str, Session]
        _citizen_grace: dict[str, datetime]

        def _changed(self, staff_id: str) -> StaffStatusChanged: ...

        @staticmethod
        def _become(
            staff: StaffRecord,
            status: StaffStatus,
            now: datetime,
            reason: AwayReason | None = None,
        ) -> None: ...

        def _finish_wrap_up(self, staff: StaffRecord, now: datetime) -> None: ...

        def _request_by_case(self, case_id: str) -> WaitingRequest: ...

        def _end_session(
            self, room_id: str, reason: EndReason, by: Party, now: datetime
        ) -> list[PoolEvent]: ...

        def session_of(self, party_id: str) -> Session | None: ...

        # From RoomCommands.
        def _accept_join(
            self, staff_id: str, offer: Offer, now: datetime
        ) -> list[PoolEvent]: ...

        def _holder(self, offer: Offer) -> JoinRequest | None: ...

        def _party_deadlines(self) -> list[datetime]: ...

        def _lapse_party_graces(self, now: datetime) -> list[PoolEvent]: ...

        def _end_exhausted_joins(self, now: datetime) -> list[PoolEvent]: ...

        def _dispatch_joins(self, now: datetime) -> list[PoolEvent]: ...

    # -- read side ----------------------------------------------------------

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

    # -- the clock ----------------------------------------------------------

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

    # -- internals ----------------------------------------------------------

    def _require_offer(self, staff_id: str, offer_id: str) -> Offer:
        offer = self._offers.get(offer_id)
        if offer is None:
            raise UnknownOffer(offer_id)
        if offer.staff_id != staff_id:
            raise NotYourOffer(offer_id, staff_id)
        return offer

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
