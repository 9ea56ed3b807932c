"""Rooms of more than two, at the desk: guests by invite, counselors and
transfers through offers, a supervisor listening in, and the roster.

The pool (``interpreter_pool.rooms``) holds who is in which room, so every
process sees the same rooms and one lock orders every change; this module turns
its events into case records, media-room changes on the room's owning process,
and notices to each party, and keeps party ids opaque on the wire.

The roster and the wire ids are in ``room_roster``; what each room event
records and announces in ``room_hooks``.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from counseling.cases import Party
from counseling.departments import DEFAULT_DEPARTMENTS
from interpreter_pool.errors import UnknownDepartment
from interpreter_pool.events import PoolEvent, RoomParty
from interpreter_pool.events import Session as PoolSession
from interpreter_pool.pool import Pool
from signaling.payloads import SessionStartedNotice
from signaling.ports import Liveness, MediaRooms, Notifier
from signaling.room_hooks import RoomHooks, joined_notice
from signaling.room_roster import (
    Member,
    for_guest,
    members,
    party_ref,
    sender_name,
    sender_party,
    sender_role,
)

if TYPE_CHECKING:
    from signaling.desk import Desk

__all__ = [
    "DEFAULT_INVITE_MINUTES",
    "GUEST_LINK",
    "HELD",
    "RoomParties",
    "for_guest",
    "invite_hash",
    "new_invite_token",
    "party_ref",
    "sender_name",
    "sender_party",
    "sender_role",
]


GUEST_LINK = "/guest?invite={token}"
# Room parties with a connection of their own, as the liveness registry knows
# them: when their process dies, the one that reaps it takes them out.
HELD: dict[Party, str] = {Party.GUEST: "guest", Party.SUPERVISOR: "supervisor"}
DEFAULT_INVITE_MINUTES = 30


def invite_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_invite_token() -> str:
    """128 random bits, URL-safe: 22 characters."""
    return secrets.token_urlsafe(16)


class RoomParties(RoomHooks):
    """The desk's side of rooms of more than two.

    Its commands are here; what each room event records on the case and
    tells the parties is in ``RoomHooks``.
    """

    def __init__(
        self,
        desk: Desk,
        media: MediaRooms,
        notifier: Notifier,
        make_id: Callable[[], str],
        departments: tuple[str, ...] = DEFAULT_DEPARTMENTS,
        liveness: Liveness | None = None,
    ) -> None:
        self._desk = desk
        self._liveness = liveness
        self._media = media
        self._notifier = notifier
        self._make_id = make_id
        self.departments = departments

    # -- commands (each one pool transaction, through the desk) ----------------

    async def create_invite(
        self,
        actor: str,
        supervisor: bool,
        room_id: str,
        minutes: int = DEFAULT_INVITE_MINUTES,
    ) -> tuple[str, datetime]:
        """A single-use invite; returns the token (only its hash is kept)."""
        token = new_invite_token()

        def command(pool: Pool, now: datetime) -> tuple[datetime, list[PoolEvent]]:
            invite, events = pool.create_invite(
                actor,
                supervisor,
                room_id,
                self._make_id(),
                invite_hash(token),
                now,
                timedelta(minutes=minutes),
            )
            return invite.expires_at, events

        return token, await self._desk.run(command)

    async def join_as_guest(
        self, guest_id: str, token: str, audio_only: bool, connection: str
    ) -> tuple[PoolSession, str, str]:
        """The guest joins the invite's room; returns it, their roster id and
        their resume token (only its hash is kept)."""
        resume_token = new_invite_token()

        def command(pool: Pool, now: datetime) -> tuple[PoolSession, list[PoolEvent]]:
            return pool.join_with_invite(
                guest_id,
                invite_hash(token),
                now,
                audio_only,
                connection,
                invite_hash(resume_token),
            )

        session = await self._desk.run(command)
        await self.holding(Party.GUEST, guest_id, connection)
        return session, party_ref(session.room_id, guest_id), resume_token

    async def resume_guest(
        self, token: str, connection: str
    ) -> tuple[PoolSession, RoomParty]:
        """A guest's new connection takes up the place their resume token
        holds; raises NotInRoom when it holds none (left, or past the grace)."""

        def command(
            pool: Pool, now: datetime
        ) -> tuple[tuple[PoolSession, RoomParty], list[PoolEvent]]:
            session, party, events = pool.resume_party(
                invite_hash(token), now, connection
            )
            return (session, party), events

        session, party = await self._desk.run(command)
        await self.holding(Party.GUEST, party.party_id, connection)
        return session, party

    async def watch(
        self, supervisor_id: str, room_id: str, connection: str
    ) -> SessionStartedNotice:
        def command(pool: Pool, now: datetime) -> tuple[PoolSession, list[PoolEvent]]:
            return pool.watch(
                supervisor_id, room_id, now, pool.name_of(supervisor_id), connection
            )

        session = await self._desk.run(command)
        await self.holding(Party.SUPERVISOR, supervisor_id, connection)
        return joined_notice(session)

    async def request_counselor(
        self, actor: str, supervisor: bool, room_id: str, department: str
    ) -> None:
        if department not in self.departments:
            raise UnknownDepartment(department)
        await self._desk.run(
            lambda pool, now: (
                None,
                pool.request_counselor(actor, supervisor, room_id, department, now),
            )
        )

    async def transfer(
        self, actor: str, supervisor: bool, room_id: str, to_staff: str | None
    ) -> None:
        await self._desk.run(
            lambda pool, now: (
                None,
                pool.request_transfer(actor, supervisor, room_id, to_staff, now),
            )
        )

    async def cancel_join(self, actor: str, supervisor: bool, room_id: str) -> None:
        """Withdraw the room's pending counselor or transfer request."""
        await self._desk.run(
            lambda pool, now: (None, pool.cancel_join(actor, supervisor, room_id, now))
        )

    async def remove(
        self, actor: str, supervisor: bool, room_id: str, ref: str
    ) -> None:
        def command(pool: Pool, now: datetime) -> tuple[None, list[PoolEvent]]:
            session = pool.room(room_id)
            parties = () if session is None else session.parties
            target = next(
                (p.party_id for p in parties if party_ref(room_id, p.party_id) == ref),
                "",
            )
            return None, pool.remove_party(actor, supervisor, room_id, target, now)

        await self._desk.run(command)

    async def leave(self, party_id: str, room_id: str) -> None:
        await self._desk.run(
            lambda pool, now: (None, pool.leave_room(party_id, room_id, now))
        )

    async def connection_gone(self, party_id: str, connection: str) -> None:
        await self._desk.run(
            lambda pool, now: (None, pool.connection_gone(party_id, connection, now))
        )
        await self.let_go(Party.GUEST, party_id, connection)

    async def holder_died(self, party_id: str, connection: str) -> None:
        """The process that held the guest's or supervisor's ``connection`` is
        dead: they leave their room, unless they are back on another one."""
        await self._desk.run(
            lambda pool, now: (None, pool.holder_died(party_id, connection, now))
        )

    async def holding(self, role: Party, party_id: str, connection: str) -> None:
        """This process holds the room party's connection: if it dies, another
        process takes them out of the room (``holder_died``)."""
        kind = HELD.get(role)
        if self._liveness is not None and kind is not None and connection:
            await self._liveness.joined(kind, party_id, connection)

    async def let_go(self, role: Party, party_id: str, connection: str) -> None:
        """The connection closed, or left the room: nothing to take out any more
        (nothing happens on a process that does not hold it)."""
        kind = HELD.get(role)
        if self._liveness is not None and kind is not None and connection:
            await self._liveness.left(kind, party_id, connection)

    async def connected(self, session: PoolSession, party_id: str) -> None:
        """A party's media connected: finish a transfer waiting for it, and
        tell everyone which slot now carries whom."""
        if session.incoming == party_id:
            await self._desk.run(
                lambda pool, now: (
                    None,
                    pool.finish_transfer(session.room_id, party_id, now),
                )
            )
            return  # the transfer's announcement sends the roster
        snapshot = await self._desk.run(
            lambda pool, now: (self._snapshot(pool, session.room_id), [])
        )
        if snapshot is not None:
            await self.send_roster(*snapshot)

    # -- internals --------------------------------------------------------------

    def _snapshot(
        self, pool: Pool, room_id: str
    ) -> tuple[PoolSession, list[Member]] | None:
        session = pool.room(room_id)
        return None if session is None else (session, members(pool, session))
