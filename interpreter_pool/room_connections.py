"""Room parties whose connection dropped: their reconnect grace, their
return, their process dying. Mixed into the Pool through RoomCommands; pure."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from counseling.cases import Party
from interpreter_pool.errors import NotInRoom
from interpreter_pool.events import (
    LeaveReason,
    PartyReconnected,
    PartyReconnecting,
    PoolEvent,
    RoomParty,
    Session,
)
from interpreter_pool.records import PoolRules, StaffRecord


class RoomConnections:
    """The Pool's room parties away and back: guests, supervisors, counselors."""

    if TYPE_CHECKING:
        rules: PoolRules
        _staff: dict[str, StaffRecord]
        _sessions: dict[str, Session]

        def _settle(self, now: datetime) -> list[PoolEvent]: ...

        def session_of(self, party_id: str) -> Session | None: ...

        # From RoomCommands.
        def leave_room(
            self,
            party_id: str,
            room_id: str,
            now: datetime,
            reason: LeaveReason = "left",
        ) -> list[PoolEvent]: ...

        def _swap(self, session: Session, party: RoomParty) -> Session: ...

        def _leave(
            self, session: Session, party: RoomParty, reason: LeaveReason, now: datetime
        ) -> list[PoolEvent]: ...

    # -- commands -----------------------------------------------------------

    def connection_gone(
        self, party_id: str, connection: str, now: datetime
    ) -> list[PoolEvent]:
        """A guest's or supervisor's connection closed: a supervisor, and a
        guest who holds a resume token, keep their place for the reconnect
        grace period; other guests leave their room."""
        session = self.session_of(party_id)
        party = None if session is None else session.party(party_id)
        if session is None or party is None:
            return []
        if not party.connection or party.connection != connection:
            return []  # staff in the room leave when their last tab closes
        held = party.resume_hash or party.role is Party.SUPERVISOR
        if held and self.rules.reconnect_grace > timedelta(0):
            if party.grace_until is not None:
                return []
            deadline = now + self.rules.reconnect_grace
            party = replace(party, grace_until=deadline)
            session = self._swap(session, party)
            return [PartyReconnecting(session, party, deadline)]
        return self.leave_room(party_id, session.room_id, now, "connection_lost")

    def holder_died(
        self, party_id: str, connection: str, now: datetime
    ) -> list[PoolEvent]:
        """The process holding a guest's or supervisor's ``connection`` died
        (found by its lapsed heartbeat): they leave their room as if they left.
        Their pages come back on a live process at once and take their place up
        again on a new connection (nothing to do then), so the heartbeat's lapse
        stands in for the reconnect grace."""
        session = self.session_of(party_id)
        party = None if session is None else session.party(party_id)
        if session is None or party is None:
            return []
        if not party.connection or party.connection != connection:
            return []
        return self._leave(session, party, "left", now) + self._settle(now)

    def resume_party(
        self, token_hash: str, now: datetime, connection: str = ""
    ) -> tuple[Session, RoomParty, list[PoolEvent]]:
        """The guest behind a resume token is back on ``connection``, in the
        same place. Raises NotInRoom when the token is unknown or they left."""
        for session in self._sessions.values():
            for party in session.parties:
                if not party.resume_hash or party.resume_hash != token_hash:
                    continue
                away = party.grace_until is not None
                party = replace(party, connection=connection, grace_until=None)
                session = self._swap(session, party)
                back: list[PoolEvent] = [PartyReconnected(session, party)]
                return session, party, back if away else []
        raise NotInRoom("", "resume")

    # -- internals used by the Pool ----------------------------------------------

    def _party_deadlines(self) -> list[datetime]:
        """When each guest in their reconnect grace period must be back."""
        return [
            p.grace_until
            for s in self._sessions.values()
            for p in s.parties
            if p.grace_until is not None
        ]

    def _lapse_party_graces(self, now: datetime) -> list[PoolEvent]:
        """Guests whose grace period passed leave their room."""
        events: list[PoolEvent] = []
        for room_id in list(self._sessions):
            for party in self._sessions[room_id].parties:
                if party.grace_until is not None and party.grace_until <= now:
                    session = self._sessions[room_id]
                    events += self._leave(session, party, "connection_lost", now)
        return events

    def _helper_gone(self, staff_id: str, now: datetime) -> list[PoolEvent]:
        """A counselor or incoming interpreter went offline: they keep their
        place for the reconnect grace period (without one they leave at once)."""
        staff = self._staff[staff_id]
        session = None if staff.room_id is None else self._sessions.get(staff.room_id)
        party = None if session is None else session.party(staff_id)
        if session is None or party is None:
            return []
        if self.rules.reconnect_grace <= timedelta(0):
            return self._leave(session, party, "connection_lost", now)
        if party.grace_until is not None:
            return []
        staff.grace_until = now + self.rules.reconnect_grace
        party = replace(party, grace_until=staff.grace_until)
        session = self._swap(session, party)
        return [PartyReconnecting(session, party, staff.grace_until)]

    def _helper_back(self, staff_id: str, room_id: str) -> list[PoolEvent]:
        """A counselor in their grace period connected again: same place."""
        session = self._sessions[room_id]
        party = session.party(staff_id)
        if party is None:
            return []
        party = replace(party, grace_until=None)
        return [PartyReconnected(self._swap(session, party), party)]
