"""Rooms of more than two, at the desk: guests by invite, counselors and
transfers through offers, a supervisor listening in, and the roster.

The pool (``interpreter_pool.rooms``) holds who is in which room, so every
process sees the same rooms and one lock orders every change; this module turns
its events into case records, media-room changes on the room's owning process,
and notices to each party, and keeps party ids opaque on the wire.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from counseling.cases import Case, CaseStatus, EventKind, Party, party_detail
from counseling.chat import ChatMessage
from counseling.departments import DEFAULT_DEPARTMENTS
from interpreter_pool.errors import UnknownDepartment
from interpreter_pool.events import (
    InviteCreated,
    JoinRequested,
    JoinRequestEnded,
    Offer,
    OfferClosed,
    OfferMade,
    PartyJoined,
    PartyLeft,
    PartyReconnected,
    PartyReconnecting,
    PoolEvent,
    RoomParty,
    SessionEnded,
    SessionTransferred,
)
from interpreter_pool.events import Session as PoolSession
from interpreter_pool.pool import Pool
from signaling.payloads import (
    ChatMessageNotice,
    OfferNotice,
    Payload,
    PeerInfo,
    SessionEndedNotice,
    SessionStartedNotice,
)
from signaling.ports import Liveness, MediaRooms, Notifier
from signaling.room_payloads import (
    GuestChatMessage,
    JoinRequestEndedNotice,
    LeftRoomNotice,
    RoomClosedNotice,
    RosterMedia,
    RosterNotice,
    RosterParty,
)

if TYPE_CHECKING:
    from signaling.desk import Desk

log = logging.getLogger(__name__)

T = TypeVar("T")
CaseOf = Callable[[str, dict[str, Case]], Any]

LABELS: dict[Party, str] = {
    Party.CITIZEN: "Citizen",
    Party.INTERPRETER: "Interpreter",
    Party.COUNSELOR: "Counselor",
    Party.GUEST: "Guest",
    Party.SUPERVISOR: "Supervisor",
    Party.SYSTEM: "System",
}
GUEST_LINK = "/guest?invite={token}"
# Room parties with a connection of their own, as the liveness registry knows
# them: when their process dies, the one that reaps it takes them out.
HELD: dict[Party, str] = {Party.GUEST: "guest", Party.SUPERVISOR: "supervisor"}
DEFAULT_INVITE_MINUTES = 30


def party_ref(room_id: str, party_id: str) -> str:
    """A party's id on the wire: opaque, stable within one room, and different
    in every room (so no staff, citizen or guest id ever reaches a client)."""
    return hashlib.sha256(f"{room_id}:{party_id}".encode()).hexdigest()[:32]


def invite_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_invite_token() -> str:
    """128 random bits, URL-safe: 22 characters."""
    return secrets.token_urlsafe(16)


@dataclass(frozen=True, slots=True)
class Member:
    """One party of a room as the roster shows them."""

    party_id: str
    role: Party
    label: str
    publishes: bool
    audio_only: bool
    reconnecting: bool = False


def members(pool: Pool, session: PoolSession) -> list[Member]:
    """Everyone in the room: the citizen, the interpreter, then the others."""
    found = [
        Member(session.citizen_id, Party.CITIZEN, LABELS[Party.CITIZEN], True, False),
        Member(
            session.staff_id,
            Party.INTERPRETER,
            pool.name_of(session.staff_id) or LABELS[Party.INTERPRETER],
            True,
            False,
        ),
    ]
    for p in session.parties:
        label = p.label or pool.name_of(p.party_id) or LABELS[p.role]
        if p.role is Party.GUEST:
            label = LABELS[Party.GUEST]
        found.append(
            Member(
                p.party_id,
                p.role,
                label,
                p.publishes,
                p.audio_only,
                p.grace_until is not None,
            )
        )
    return found


def roster_for(
    session: PoolSession,
    people: list[Member],
    viewer: str,
    slots: dict[str, dict[str, dict[str, str]]],
) -> RosterNotice:
    """The roster as ``viewer`` sees it: which of their slots carries whom."""
    mine = slots.get(viewer, {})
    return RosterNotice(
        room_id=session.room_id,
        supervisor_present=any(m.role is Party.SUPERVISOR for m in people),
        parties=[
            RosterParty(
                party=party_ref(session.room_id, m.party_id),
                role=m.role,
                label=m.label,
                publishes=m.publishes,
                audio_only=m.audio_only,
                you=m.party_id == viewer,
                media=RosterMedia(
                    audio=mine.get(m.party_id, {}).get("audio"),
                    video=mine.get(m.party_id, {}).get("video"),
                ),
                reconnecting=m.reconnecting,
            )
            for m in people
        ],
    )


def sender_role(session: PoolSession, party_id: str) -> Party:
    if party_id == session.citizen_id:
        return Party.CITIZEN
    party = session.party(party_id)
    return Party.INTERPRETER if party is None else party.role


def sender_party(session: PoolSession, message: ChatMessage) -> str:
    """The sender's roster party id in the room (a citizen's message keeps
    no sender id: the room has one citizen)."""
    sender = message.sender_id
    if message.sender is Party.CITIZEN or sender is None:
        sender = session.citizen_id
    return party_ref(session.room_id, sender)


def sender_name(pool: Pool, session: PoolSession, message: ChatMessage) -> str:
    if message.sender is Party.CITIZEN:
        return LABELS[Party.CITIZEN]
    if message.sender is Party.GUEST:
        return LABELS[Party.GUEST]
    sender = message.sender_id or ""
    party = session.party(sender)
    label = party.label if party is not None else ""
    return label or pool.name_of(sender) or LABELS[message.sender]


def for_guest(notice: ChatMessageNotice) -> GuestChatMessage:
    """A chat message without its case id."""
    return GuestChatMessage(
        room_id=notice.room_id,
        seq=notice.seq,
        sender=notice.sender,
        sender_party=notice.sender_party,
        sender_name=notice.sender_name,
        text=notice.text,
        at=notice.at,
    )


def _started(session: PoolSession) -> SessionStartedNotice:
    return SessionStartedNotice(
        room_id=session.room_id,
        case_id=session.case_id,
        service=session.skill.service,
        language=session.skill.language,
        peer=PeerInfo(role=Party.CITIZEN, display_name=LABELS[Party.CITIZEN]),
    )


class RoomParties:
    """The desk's side of rooms of more than two."""

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
        return _started(session)

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

    # -- the desk's hooks -----------------------------------------------------

    async def record(
        self, event: PoolEvent, touched: dict[str, Case], case_of: CaseOf
    ) -> bool:
        """Record a room event on its case; False: not a room event."""
        match event:
            case OfferMade(offer) | OfferClosed(offer, _, _) if offer.room_id:
                return True  # join offers do not move the case along
            case PartyJoined(session, party, invite_id):
                case = await case_of(session.case_id, touched)
                ref = party_ref(session.room_id, party.party_id)
                is_guest = party.role is Party.GUEST
                staff_id = None if is_guest else party.party_id
                detail = party_detail(party.role, ref if is_guest else None)
                if invite_id is not None:
                    case.note(
                        EventKind.INVITE_USED,
                        party.joined_at,
                        detail=f"{invite_id}:{ref}",
                    )
                case.note(EventKind.PARTY_JOINED, party.joined_at, staff_id, detail)
            case PartyLeft(session, party, _, at):
                case = await case_of(session.case_id, touched)
                if case.status is CaseStatus.IN_SESSION:
                    ref = party_ref(session.room_id, party.party_id)
                    is_guest = party.role is Party.GUEST
                    case.note(
                        EventKind.PARTY_LEFT,
                        at,
                        None if is_guest else party.party_id,
                        party_detail(party.role, ref if is_guest else None),
                    )
            case SessionTransferred(session, old, at):
                case = await case_of(session.case_id, touched)
                case.transfer(old, session.staff_id, at)
            case JoinRequested(session, kind, by, department, staff_id, at):
                case = await case_of(session.case_id, touched)
                if kind == "counselor":
                    case.note(EventKind.COUNSELOR_REQUESTED, at, by, department)
                else:
                    case.note(EventKind.TRANSFER_REQUESTED, at, staff_id, by)
            case InviteCreated(session, invite_id, by, at):
                case = await case_of(session.case_id, touched)
                case.note(EventKind.INVITE_CREATED, at, by, invite_id)
            case JoinRequestEnded(session, kind, "cancelled", at, by):
                case = await case_of(session.case_id, touched)
                if case.status is CaseStatus.IN_SESSION:
                    case.note(EventKind.JOIN_REQUEST_CANCELLED, at, by, kind)
            case JoinRequestEnded() | PartyReconnecting() | PartyReconnected():
                return True
            case _:
                return False
        return True

    async def announce(self, pool: Pool, event: PoolEvent) -> bool:
        """Tell the parties about a room event; False: the desk tells them."""
        n = self._notifier
        match event:
            case OfferMade(offer) if offer.room_id:
                await n.to_staff(offer.staff_id, "offer", _offer_notice(offer))
            case PartyJoined(session, party, _):
                await self._media_step(
                    self._media.add_party(
                        session.room_id,
                        party.party_id,
                        party.publishes,
                        owner=session.media_node,
                    )
                )
                if self._desk.consent is not None:
                    await self._desk.consent.party_joined(session, party)
                if party.role in (Party.COUNSELOR, Party.INTERPRETER):
                    await n.to_staff(
                        party.party_id, "session_started", _started(session)
                    )
                await self.send_roster(session, members(pool, session))
            case PartyLeft(session, party, reason, _):
                await self._media_step(
                    self._media.remove_party(
                        session.room_id, party.party_id, owner=session.media_node
                    )
                )
                if self._desk.consent is not None:
                    await self._desk.consent.party_left(session, party.party_id)
                await self.let_go(party.role, party.party_id, party.connection)
                if reason != "connection_lost":
                    notice = LeftRoomNotice(
                        room_id=session.room_id,
                        reason="removed" if reason == "removed" else "left",
                    )
                    await self._to(party.party_id, party.role, "left_room", notice)
                await self.send_roster(session, members(pool, session))
            case SessionTransferred(session, old, _):
                await self._media_step(
                    self._media.replace_party(
                        session.room_id, old, session.staff_id, owner=session.media_node
                    )
                )
                if self._desk.consent is not None:
                    await self._desk.consent.party_left(session, old)
                await n.to_staff(
                    old,
                    "left_room",
                    LeftRoomNotice(room_id=session.room_id, reason="transferred"),
                )
                await self.send_roster(session, members(pool, session))
            case JoinRequestEnded(session, kind, reason, _) if reason in (
                "declined_by_all",
                "cancelled",
            ):
                await n.to_staff(
                    session.staff_id,
                    "join_request_ended",
                    JoinRequestEndedNotice(
                        room_id=session.room_id, kind=kind, reason=reason
                    ),
                )
            case SessionEnded(session, reason, by, _):
                await self._tell_others_ended(session, reason, by)
                for party in session.parties:
                    await self.let_go(party.role, party.party_id, party.connection)
                return False
            case PartyReconnecting(session, _, _):
                await self.send_roster(session, members(pool, session))
            case PartyReconnected(session, party):
                if self._desk.consent is not None:
                    await self._desk.consent.party_back(session, party.party_id)
                await self.send_roster(session, members(pool, session))
            case JoinRequested() | JoinRequestEnded() | InviteCreated():
                pass
            case _:
                return False
        return True

    async def tell_chat(self, session: PoolSession, notice: ChatMessageNotice) -> None:
        """A chat message to everyone in the room (guests without the case id)."""
        n = self._notifier
        await n.to_citizen(session.citizen_id, "chat_message", notice)
        await n.to_staff(session.staff_id, "chat_message", notice)
        for party in session.parties:
            if party.role is Party.GUEST:
                await n.to_guest(party.party_id, "chat_message", for_guest(notice))
            else:
                await n.to_staff(party.party_id, "chat_message", notice)

    async def send_roster(self, session: PoolSession, people: list[Member]) -> None:
        """Each party's roster, with the slots of their own peer connection."""
        try:
            slots = await self._media.roster(session.room_id, owner=session.media_node)
        except Exception:
            log.warning("room %s: no media roster", session.room_id)
            slots = {}
        for member in people:
            notice = roster_for(session, people, member.party_id, slots)
            await self._to(member.party_id, member.role, "roster", notice)

    # -- internals --------------------------------------------------------------

    def _snapshot(
        self, pool: Pool, room_id: str
    ) -> tuple[PoolSession, list[Member]] | None:
        session = pool.room(room_id)
        return None if session is None else (session, members(pool, session))

    async def _to(
        self, party_id: str, role: Party, event: str, notice: Payload
    ) -> None:
        if role is Party.CITIZEN:
            await self._notifier.to_citizen(party_id, event, notice)
        elif role is Party.GUEST:
            await self._notifier.to_guest(party_id, event, notice)
        else:
            await self._notifier.to_staff(party_id, event, notice)

    async def _tell_others_ended(
        self, session: PoolSession, reason: Any, by: Party
    ) -> None:
        for party in session.parties:
            if party.role is Party.GUEST:
                await self._notifier.to_guest(
                    party.party_id,
                    "room_closed",
                    RoomClosedNotice(room_id=session.room_id),
                )
            else:
                await self._notifier.to_staff(
                    party.party_id,
                    "session_ended",
                    SessionEndedNotice(
                        room_id=session.room_id,
                        case_id=session.case_id,
                        reason=reason,
                        ended_by=by,
                    ),
                )

    @staticmethod
    async def _media_step(step: Any) -> None:
        """A media-room change; the room may be gone (its owner died, or the
        session ended meanwhile): the pool's record stands either way."""
        try:
            await step
        except Exception:
            log.warning("a media room change failed", exc_info=True)


def _offer_notice(offer: Offer) -> OfferNotice:
    return OfferNotice(
        offer_id=offer.id,
        case_id=offer.case_id,
        service=offer.skill.service,
        language=offer.skill.language,
        expires_at=offer.expires_at,
        timeout_seconds=(offer.expires_at - offer.made_at).total_seconds(),
        purpose=offer.purpose or "session",
        department=offer.department,
    )
