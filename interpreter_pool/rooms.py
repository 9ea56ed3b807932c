"""Rooms of more than two: guests by invite, counselors and transfers through
offers, a supervisor listening in. Mixed into the Pool; pure like it.

Here the room itself: who is in it, who leaves, the checks every way in shares.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from counseling.cases import EventKind
from counseling.services import Skill
from interpreter_pool.errors import (
    NotAllowed,
    NotInRoom,
    RoomFull,
    UnknownParty,
)
from interpreter_pool.events import (
    JoinRequestEnded,
    LeaveReason,
    PartyLeft,
    PoolEvent,
    RoomParty,
    Session,
    StaffStatus,
    StaffStatusChanged,
)
from interpreter_pool.records import (
    Invite,
    JoinRequest,
    PoolRules,
    StaffRecord,
)
from interpreter_pool.room_connections import RoomConnections
from interpreter_pool.room_guests import RoomGuests
from interpreter_pool.room_joins import RoomJoins

# As the media server holds them: five parties, four of them publishing.
MAX_PARTIES = 5
MAX_PUBLISHERS = 4


class RoomCommands(RoomGuests, RoomJoins, RoomConnections):
    """The Pool's commands on the parties of a running session.

    Guests by invite and a supervisor listening in are in ``RoomGuests``;
    counselors and transfers through offers in ``RoomJoins``; parties whose
    connection dropped in ``RoomConnections``.
    """

    if TYPE_CHECKING:
        rules: PoolRules
        _staff: dict[str, StaffRecord]
        _sessions: dict[str, Session]
        _joins: list[JoinRequest]
        _invites: dict[str, Invite]

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

    # -- read side ----------------------------------------------------------

    def room(self, room_id: str) -> Session | None:
        return self._sessions.get(room_id)

    def pending_joins(self, room_id: str) -> list[JoinRequest]:
        return [j for j in self._joins if j.room_id == room_id]

    def invites(self, room_id: str) -> list[Invite]:
        return [i for i in self._invites.values() if i.room_id == room_id]

    # -- commands -----------------------------------------------------------

    def remove_party(
        self,
        actor: str,
        supervisor: bool,
        room_id: str,
        party_id: str,
        now: datetime,
    ) -> list[PoolEvent]:
        """Take someone (not the citizen or the interpreter) out of the room."""
        session = self._managed(actor, supervisor, room_id)
        party = session.party(party_id)
        if party is None:
            raise UnknownParty(room_id)
        return self._leave(session, party, "removed", now) + self._settle(now)

    def leave_room(
        self,
        party_id: str,
        room_id: str,
        now: datetime,
        reason: LeaveReason = "left",
    ) -> list[PoolEvent]:
        """A counselor, guest, supervisor or incoming interpreter leaves."""
        session = self._session(room_id, party_id)
        party = session.party(party_id)
        if party is None:
            raise NotInRoom(room_id, party_id)
        return self._leave(session, party, reason, now) + self._settle(now)

    # -- internals used by the Pool ----------------------------------------------

    def _room_closed(self, session: Session, now: datetime) -> list[PoolEvent]:
        """The session ended: its join requests and invites go, its other staff
        are free again."""
        events: list[PoolEvent] = []
        for join in self.pending_joins(session.room_id):
            if join.offer_id is not None:
                events += self._close_offer(
                    join.offer_id, EventKind.OFFER_WITHDRAWN, now
                )
            self._joins.remove(join)
            events.append(JoinRequestEnded(session, join.kind, "session_ended", now))
        self._invites = {
            h: i for h, i in self._invites.items() if i.room_id != session.room_id
        }
        for party in session.parties:
            staff = self._staff.get(party.party_id)
            if staff is not None and staff.room_id == session.room_id:
                events += self._release(
                    party.party_id, staff, session.skill, now, wrap_up=False
                )
        return events

    # -- helpers ------------------------------------------------------------

    def _session(self, room_id: str, party_id: str) -> Session:
        session = self._sessions.get(room_id)
        if session is None:
            raise NotInRoom(room_id, party_id)
        return session

    def _managed(self, actor: str, supervisor: bool, room_id: str) -> Session:
        """The room, if ``actor`` may manage it: its interpreter or a supervisor."""
        session = self._session(room_id, actor)
        if actor != session.staff_id and not supervisor:
            raise NotAllowed(room_id, actor)
        return session

    def _check_room(
        self, session: Session, publishes: bool, joining: JoinRequest | None = None
    ) -> None:
        """Room for one more (pending join requests hold a publisher's place)."""
        held = [j for j in self.pending_joins(session.room_id) if j is not joining]
        parties = 2 + len(session.parties) + len(held)
        publishers = 2 + sum(p.publishes for p in session.parties) + len(held)
        if parties >= MAX_PARTIES or (publishes and publishers >= MAX_PUBLISHERS):
            raise RoomFull(session.room_id)

    def _put(self, session: Session) -> Session:
        self._sessions[session.room_id] = session
        return session

    def _swap(self, session: Session, party: RoomParty) -> Session:
        """The room with ``party`` (same id) in place of who was there."""
        parties = tuple(
            party if p.party_id == party.party_id else p for p in session.parties
        )
        return self._put(replace(session, parties=parties))

    def _leave(
        self, session: Session, party: RoomParty, reason: LeaveReason, now: datetime
    ) -> list[PoolEvent]:
        parties = tuple(p for p in session.parties if p.party_id != party.party_id)
        incoming = None if session.incoming == party.party_id else session.incoming
        session = self._put(replace(session, parties=parties, incoming=incoming))
        events: list[PoolEvent] = [PartyLeft(session, party, reason, now)]
        staff = self._staff.get(party.party_id)
        if staff is not None and staff.room_id == session.room_id:
            events += self._release(
                party.party_id, staff, session.skill, now, wrap_up=False
            )
        return events

    def _release(
        self,
        staff_id: str,
        staff: StaffRecord,
        skill: Skill,
        now: datetime,
        wrap_up: bool,
    ) -> list[PoolEvent]:
        """A staff member is out of a room that goes on (or just ended)."""
        staff.room_id = None
        if staff.grace_until is not None:  # gone, and did not come back
            self._staff.pop(staff_id)
            return [StaffStatusChanged(staff_id, StaffStatus.OFFLINE, staff.since)]
        if wrap_up and self.rules.wrap_up > timedelta(0):
            self._become(staff, StaffStatus.WRAP_UP, now)
            staff.wrap_up_until = now + self.rules.wrap_up
            staff.wrap_up_skill = skill
        else:
            self._become(staff, StaffStatus.AVAILABLE, now)
            staff.idle_since = now
        return [self._changed(staff_id)]
