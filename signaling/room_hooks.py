"""What the desk makes of a room event: what goes on the case, who hears
what, how the media room changes. Mixed into RoomParties."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from counseling.cases import Case, CaseStatus, EventKind, Party, party_detail
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
from signaling.ports import MediaRooms, Notifier
from signaling.room_payloads import (
    JoinRequestEndedNotice,
    LeftRoomNotice,
    RoomClosedNotice,
)
from signaling.room_roster import (
    LABELS,
    Member,
    for_guest,
    members,
    party_ref,
    roster_for,
)

if TYPE_CHECKING:
    from signaling.desk import Desk

log = logging.getLogger(__name__)

CaseOf = Callable[[str, dict[str, Case]], Any]


def joined_notice(session: PoolSession) -> SessionStartedNotice:
    """The session as someone joining it sees it: its citizen as the peer."""
    return SessionStartedNotice(
        room_id=session.room_id,
        case_id=session.case_id,
        service=session.skill.service,
        language=session.skill.language,
        peer=PeerInfo(role=Party.CITIZEN, display_name=LABELS[Party.CITIZEN]),
    )


class RoomHooks:
    """The desk's hooks for room events: recorded, announced, sent out."""

    if TYPE_CHECKING:
        _desk: Desk
        _media: MediaRooms
        _notifier: Notifier

        # From RoomParties.
        async def let_go(self, role: Party, party_id: str, connection: str) -> None: ...

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
                        party.party_id, "session_started", joined_notice(session)
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
