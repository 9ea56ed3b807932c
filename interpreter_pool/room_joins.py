"""Counselors and transfers: requests to join a running room, offered to
staff like a citizen's request. Mixed into the Pool through RoomCommands; pure."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from counseling.cases import EventKind, Party
from counseling.services import Skill
from interpreter_pool.errors import JoinPending, NoJoinRequest, StaffUnavailable
from interpreter_pool.events import (
    JoinRequested,
    JoinRequestEnded,
    Offer,
    OfferMade,
    PartyJoined,
    PoolEvent,
    RoomParty,
    Session,
    SessionTransferred,
    StaffStatus,
    StaffStatusChanged,
)
from interpreter_pool.records import (
    JoinRequest,
    PoolRules,
    StaffRecord,
    pick_longest_idle,
)


class RoomJoins:
    """The Pool's counselor and transfer requests, and their offers."""

    if TYPE_CHECKING:
        rules: PoolRules
        _make_id: Callable[[], str]
        _staff: dict[str, StaffRecord]
        _sessions: dict[str, Session]
        _offers: dict[str, Offer]
        _joins: list[JoinRequest]

        def _changed(self, staff_id: str) -> StaffStatusChanged: ...

        @staticmethod
        def _become(
            staff: StaffRecord,
            status: StaffStatus,
            now: datetime,
            reason: None = None,
        ) -> None: ...

        def _close_offer(
            self, offer_id: str, kind: EventKind, now: datetime
        ) -> list[PoolEvent]: ...

        def _settle(self, now: datetime) -> list[PoolEvent]: ...

        # From RoomCommands.
        def pending_joins(self, room_id: str) -> list[JoinRequest]: ...

        def _managed(self, actor: str, supervisor: bool, room_id: str) -> Session: ...

        def _check_room(
            self, session: Session, publishes: bool, joining: JoinRequest | None = None
        ) -> None: ...

        def _put(self, session: Session) -> Session: ...

        def _release(
            self,
            staff_id: str,
            staff: StaffRecord,
            skill: Skill,
            now: datetime,
            wrap_up: bool,
        ) -> list[PoolEvent]: ...

    # -- commands -----------------------------------------------------------

    def request_counselor(
        self,
        actor: str,
        supervisor: bool,
        room_id: str,
        department: str,
        now: datetime,
    ) -> list[PoolEvent]:
        """Offer a counselor of ``department`` a place in the room."""
        session = self._managed(actor, supervisor, room_id)
        self._check_no_join(session)
        self._check_room(session, publishes=True)
        self._joins.append(
            JoinRequest(
                room_id,
                session.case_id,
                "counselor",
                session.skill,
                now,
                actor,
                department=department,
            )
        )
        requested = JoinRequested(session, "counselor", actor, department, None, now)
        return [requested, *self._settle(now)]

    def request_transfer(
        self,
        actor: str,
        supervisor: bool,
        room_id: str,
        to_staff: str | None,
        now: datetime,
    ) -> list[PoolEvent]:
        """Offer the session to ``to_staff`` (None: the longest-idle qualified
        interpreter); they join, and the present interpreter leaves once they
        are connected (``finish_transfer``)."""
        session = self._managed(actor, supervisor, room_id)
        self._check_no_join(session)
        if to_staff is not None:
            staff = self._staff.get(to_staff)
            if (
                staff is None
                or session.has(to_staff)
                or staff.status is not StaffStatus.AVAILABLE
                or session.skill not in staff.skills
            ):
                raise StaffUnavailable(to_staff)
        self._check_room(session, publishes=True)
        self._joins.append(
            JoinRequest(
                room_id,
                session.case_id,
                "transfer",
                session.skill,
                now,
                actor,
                only=to_staff,
            )
        )
        requested = JoinRequested(session, "transfer", actor, None, to_staff, now)
        return [requested, *self._settle(now)]

    def cancel_join(
        self, actor: str, supervisor: bool, room_id: str, now: datetime
    ) -> list[PoolEvent]:
        """Withdraw the room's pending counselor or transfer request; an offer
        open for it is withdrawn and its staff member is free again. Raises
        NoJoinRequest when none is pending (a transfer already accepted is
        no longer pending)."""
        session = self._managed(actor, supervisor, room_id)
        joins = self.pending_joins(room_id)
        if not joins:
            raise NoJoinRequest(room_id)
        events: list[PoolEvent] = []
        for join in joins:
            if join.offer_id is not None:
                events += self._close_offer(
                    join.offer_id, EventKind.OFFER_WITHDRAWN, now
                )
            self._joins.remove(join)
            events.append(JoinRequestEnded(session, join.kind, "cancelled", now, actor))
        return events + self._settle(now)

    def finish_transfer(
        self, room_id: str, staff_id: str, now: datetime
    ) -> list[PoolEvent]:
        """The incoming interpreter is connected: the session is theirs, and the
        one who handed it over leaves for wrap-up. Nothing if not incoming."""
        session = self._sessions.get(room_id)
        if session is None or session.incoming != staff_id:
            return []
        old = session.staff_id
        parties = tuple(p for p in session.parties if p.party_id != staff_id)
        session = self._put(
            replace(session, parties=parties, incoming=None, staff_id=staff_id)
        )
        events: list[PoolEvent] = [SessionTransferred(session, old, now)]
        staff = self._staff.get(old)
        if staff is not None and staff.room_id == room_id:
            events += self._release(old, staff, session.skill, now, wrap_up=True)
        return events

    # -- internals used by the Pool ----------------------------------------------

    def _accept_join(
        self, staff_id: str, offer: Offer, now: datetime
    ) -> list[PoolEvent]:
        join = next(j for j in self._joins if j.offer_id == offer.id)
        session = self._sessions[join.room_id]
        self._check_room(session, publishes=True, joining=join)
        del self._offers[offer.id]
        self._joins.remove(join)
        staff = self._staff[staff_id]
        staff.offer_id = None
        staff.room_id = session.room_id
        staff.missed = 0
        self._become(staff, StaffStatus.IN_SESSION, now)
        role = Party.COUNSELOR if join.kind == "counselor" else Party.INTERPRETER
        party = RoomParty(staff_id, role, True, False, now, staff.name)
        incoming = staff_id if join.kind == "transfer" else session.incoming
        session = self._put(
            replace(session, parties=(*session.parties, party), incoming=incoming)
        )
        events: list[PoolEvent] = [PartyJoined(session, party), self._changed(staff_id)]
        if join.kind == "transfer" and session.skill.service.channel == "chat":
            events += self.finish_transfer(session.room_id, staff_id, now)
        return events

    def _holder(self, offer: Offer) -> JoinRequest | None:
        """The join request an offer was made for (None: a citizen's request)."""
        if offer.room_id is None:
            return None
        return next(j for j in self._joins if j.offer_id == offer.id)

    def _can_take(self, join: JoinRequest, staff_id: str, staff: StaffRecord) -> bool:
        session = self._sessions.get(join.room_id)
        if session is None or session.has(staff_id):
            return False
        if join.only is not None:
            return staff_id == join.only
        if join.kind == "counselor":
            return join.department in staff.departments
        return join.skill in staff.skills

    def _end_exhausted_joins(self, now: datetime) -> list[PoolEvent]:
        events: list[PoolEvent] = []
        for join in list(self._joins):
            if join.offer_id is not None or not join.declined_by:
                continue
            able = {s for s, st in self._staff.items() if self._can_take(join, s, st)}
            if able <= join.declined_by:
                self._joins.remove(join)
                session = self._sessions[join.room_id]
                events.append(
                    JoinRequestEnded(session, join.kind, "declined_by_all", now)
                )
        return events

    def _dispatch_joins(self, now: datetime) -> list[PoolEvent]:
        """Offer each unoffered join request to the longest-idle one who can take it."""
        events: list[PoolEvent] = []
        for join in self._joins:
            if join.offer_id is not None:
                continue
            staff_id = pick_longest_idle(
                (sid, s.idle_since)
                for sid, s in self._staff.items()
                if s.status is StaffStatus.AVAILABLE
                and sid not in join.declined_by
                and self._can_take(join, sid, s)
            )
            if staff_id is None:
                continue
            offer = Offer(
                id=self._make_id(),
                case_id=join.case_id,
                staff_id=staff_id,
                skill=join.skill,
                made_at=now,
                expires_at=now + self.rules.offer_timeout,
                room_id=join.room_id,
                purpose=join.kind,
                department=join.department,
            )
            self._offers[offer.id] = offer
            join.offer_id = offer.id
            staff = self._staff[staff_id]
            staff.offer_id = offer.id
            self._become(staff, StaffStatus.OFFERED, now)
            events += [OfferMade(offer), self._changed(staff_id)]
        return events

    # -- helpers ------------------------------------------------------------

    def _check_no_join(self, session: Session) -> None:
        if session.incoming is not None or self.pending_joins(session.room_id):
            raise JoinPending(session.room_id)
