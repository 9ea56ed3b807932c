"""Who is in a room as each party sees it: labels, opaque party ids on the
wire, the roster, and who sent a chat message."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from counseling.cases import Party
from counseling.chat import ChatMessage
from interpreter_pool.events import Session as PoolSession
from interpreter_pool.pool import Pool
from signaling.payloads import ChatMessageNotice
from signaling.room_payloads import (
    GuestChatMessage,
    RosterMedia,
    RosterNotice,
    RosterParty,
)

LABELS: dict[Party, str] = {
    Party.CITIZEN: "Citizen",
    Party.INTERPRETER: "Interpreter",
    Party.COUNSELOR: "Counselor",
    Party.GUEST: "Guest",
    Party.SUPERVISOR: "Supervisor",
    Party.SYSTEM: "System",
}


def party_ref(room_id: str, party_id: str) -> str:
    """A party's id on the wire: opaque, stable within one room, and different
    in every room (so no staff, citizen or guest id ever reaches a client)."""
    return hashlib.sha256(f"{room_id}:{party_id}".encode()).hexdigest()[:32]


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
