"""Guests by invite and a supervisor listening in: who comes into a room
without an offer. Mixed into the Pool through RoomCommands; pure like it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from counseling.cases import Party
from interpreter_pool.errors import (
    AlreadyInRoom,
    InviteExpired,
    InviteUnknown,
    InviteUsed,
)
from interpreter_pool.events import (
    InviteCreated,
    PartyJoined,
    PartyReconnected,
    PoolEvent,
    RoomParty,
    Session,
)
from interpreter_pool.records import Invite, JoinRequest


class RoomGuests:
    """The Pool's guests by invite, and supervisors listening in."""

    if TYPE_CHECKING:
        _sessions: dict[str, Session]
        _invites: dict[str, Invite]

        def session_of(self, party_id: str) -> Session | None: ...

        # From RoomCommands.
        def _session(self, room_id: str, party_id: str) -> Session: ...

        def _managed(self, actor: str, supervisor: bool, room_id: str) -> Session: ...

        def _check_room(
            self, session: Session, publishes: bool, joining: JoinRequest | None = None
        ) -> None: ...

        def _put(self, session: Session) -> Session: ...

        def _swap(self, session: Session, party: RoomParty) -> Session: ...

    # -- commands -----------------------------------------------------------

    def create_invite(
        self,
        actor: str,
        supervisor: bool,
        room_id: str,
        invite_id: str,
        token_hash: str,
        now: datetime,
        lifetime: timedelta,
    ) -> tuple[Invite, list[PoolEvent]]:
        """A single-use guest invite for the room, valid for ``lifetime``."""
        if lifetime <= timedelta(0):
            raise ValueError("an invite must live a while")
        session = self._managed(actor, supervisor, room_id)
        invite = Invite(invite_id, token_hash, room_id, actor, now, now + lifetime)
        self._invites[token_hash] = invite
        return invite, [InviteCreated(session, invite_id, actor, now)]

    def join_with_invite(
        self,
        guest_id: str,
        token_hash: str,
        now: datetime,
        audio_only: bool,
        connection: str = "",
        resume_hash: str = "",
    ) -> tuple[Session, list[PoolEvent]]:
        """The guest behind an invite comes in; the invite is used up. With a
        ``resume_hash`` the guest may come back after a reload (``resume_party``)."""
        invite = self._invites.get(token_hash)
        session = None if invite is None else self._sessions.get(invite.room_id)
        if invite is None or session is None:
            raise InviteUnknown
        if invite.used_by is not None:
            raise InviteUsed
        if invite.expires_at <= now:
            raise InviteExpired
        if self.session_of(guest_id) is not None:
            raise AlreadyInRoom(session.room_id, guest_id)
        self._check_room(session, publishes=True)
        party = RoomParty(
            guest_id,
            Party.GUEST,
            True,
            audio_only,
            now,
            connection=connection,
            resume_hash=resume_hash,
        )
        self._invites[token_hash] = Invite(
            invite.id,
            invite.token_hash,
            invite.room_id,
            invite.created_by,
            invite.created_at,
            invite.expires_at,
            used_by=guest_id,
        )
        session = self._put(replace(session, parties=(*session.parties, party)))
        return session, [PartyJoined(session, party, invite.id)]

    def watch(
        self,
        supervisor_id: str,
        room_id: str,
        now: datetime,
        label: str = "",
        connection: str = "",
    ) -> tuple[Session, list[PoolEvent]]:
        """A supervisor listens in: in the room, publishing nothing. Asked
        again on another connection of theirs (a reload, whether or not the old
        connection's close was seen yet), ``connection`` takes the place; asked
        again on the same connection, AlreadyInRoom."""
        session = self._session(room_id, supervisor_id)
        mine = session.party(supervisor_id)
        if (
            mine is not None
            and mine.role is Party.SUPERVISOR
            and (
                mine.grace_until is not None or connection not in ("", mine.connection)
            )
        ):
            mine = replace(mine, connection=connection, grace_until=None)
            session = self._swap(session, mine)
            return session, [PartyReconnected(session, mine)]
        if self.session_of(supervisor_id) is not None:
            raise AlreadyInRoom(room_id, supervisor_id)
        self._check_room(session, publishes=False)
        party = RoomParty(
            supervisor_id, Party.SUPERVISOR, False, False, now, label, connection
        )
        session = self._put(replace(session, parties=(*session.parties, party)))
        return session, [PartyJoined(session, party)]

    def listening_on(self, supervisor_id: str, room_id: str) -> str:
        """The live connection a supervisor listens to ``room_id`` on; "" when
        they do not, or their place waits for them (reconnect grace)."""
        session = self._sessions.get(room_id)
        mine = None if session is None else session.party(supervisor_id)
        if mine is None or mine.role is not Party.SUPERVISOR or mine.grace_until:
            return ""
        return mine.connection
