"""Rooms of more than two in the pure core: invites, counselors, transfers,
a supervisor listening in, and what the case keeps of them."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest

from counseling.cases import Case, CaseStatus, EndReason, EventKind, Party
from counseling.departments import parse_skills, skill_texts
from counseling.services import Language, Service, Skill
from interpreter_pool.errors import (
    AlreadyInRoom,
    InviteExpired,
    InviteUnknown,
    InviteUsed,
    JoinPending,
    NotAllowed,
    NotInRoom,
    RoomFull,
    StaffUnavailable,
    UnknownParty,
)
from interpreter_pool.events import (
    JoinRequestEnded,
    OfferMade,
    PartyJoined,
    PartyLeft,
    PoolEvent,
    Session,
    SessionEnded,
    SessionTransferred,
    StaffStatus,
)
from interpreter_pool.pool import Pool, PoolRules
from interpreter_pool.state import dump, load

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
KSL = Skill(Service.SIGN_LANGUAGE, Language.KSL)
HOUR = timedelta(hours=1)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


E = TypeVar("E")


def of(events: list[PoolEvent], kind: type[E]) -> list[E]:
    return [e for e in events if isinstance(e, kind)]


def in_session(wrap_up: float = 0) -> tuple[Pool, Session]:
    """A pool with a KSL session (citizen c, interpreter i1), a second KSL
    interpreter i2, and a welfare counselor w, both available."""
    counter = itertools.count()
    pool = Pool(
        PoolRules(wrap_up=timedelta(seconds=wrap_up)),
        make_id=lambda: f"id{next(counter)}",
    )
    pool.staff_online("i1", frozenset({KSL}), at(0), "t1", "Kim")
    pool.set_presence("i1", StaffStatus.AVAILABLE, at(0))
    events = pool.request("c", "case", KSL, at(1))
    (offer,) = of(events, OfferMade)
    pool.accept("i1", offer.offer.id, at(2))
    pool.staff_online("i2", frozenset({KSL}), at(3), "t2", "Park")
    pool.set_presence("i2", StaffStatus.AVAILABLE, at(3))
    pool.staff_online("w", frozenset(), at(3), "t3", "Lee", frozenset({"welfare"}))
    pool.set_presence("w", StaffStatus.AVAILABLE, at(3))
    session = pool.session_of("c")
    assert session is not None
    return pool, session


def test_an_invite_lets_one_guest_in_once() -> None:
    pool, session = in_session()
    invite, _ = pool.create_invite(
        "i1", False, session.room_id, "inv", "hash", at(10), HOUR
    )
    assert invite.expires_at == at(10) + HOUR
    room, events = pool.join_with_invite("g1", "hash", at(11), audio_only=True)
    (joined,) = of(events, PartyJoined)
    assert joined.invite_id == "inv"
    assert joined.party.role is Party.GUEST and joined.party.audio_only
    assert pool.session_of("g1") == room
    with pytest.raises(InviteUsed):
        pool.join_with_invite("g2", "hash", at(12), audio_only=False)
    with pytest.raises(InviteUnknown):
        pool.join_with_invite("g2", "other", at(12), audio_only=False)


def test_an_expired_invite_changes_nothing() -> None:
    pool, session = in_session()
    pool.create_invite(
        "i1", False, session.room_id, "inv", "hash", at(10), timedelta(minutes=1)
    )
    before = dump(pool)
    with pytest.raises(InviteExpired):
        pool.join_with_invite("g1", "hash", at(70), audio_only=False)
    assert dump(pool) == before


@pytest.mark.parametrize("actor", ["c", "g1", "w", "stranger"])
def test_only_the_interpreter_or_a_supervisor_manages_the_room(actor: str) -> None:
    pool, session = in_session()
    pool.create_invite("i1", False, session.room_id, "inv", "h", at(10), HOUR)
    pool.join_with_invite("g1", "h", at(11), audio_only=False)
    before = dump(pool)
    room = session.room_id
    guest = "g1"
    with pytest.raises(NotAllowed) as refused:
        pool.create_invite(actor, False, room, "x", "h2", at(12), HOUR)
    assert refused.value.code == "not_allowed"
    with pytest.raises(NotAllowed):
        pool.remove_party(actor, False, room, guest, at(12))
    with pytest.raises(NotAllowed):
        pool.request_counselor(actor, False, room, "welfare", at(12))
    with pytest.raises(NotAllowed):
        pool.request_transfer(actor, False, room, None, at(12))
    assert dump(pool) == before
    # A supervisor may.
    events = pool.remove_party("boss", True, room, guest, at(13))
    (left,) = of(events, PartyLeft)
    assert left.reason == "removed" and pool.session_of(guest) is None


def test_an_unknown_room_or_party_is_refused() -> None:
    pool, session = in_session()
    with pytest.raises(NotInRoom):
        pool.create_invite("i1", False, "nope", "x", "h", at(10), HOUR)
    with pytest.raises(UnknownParty):
        pool.remove_party("i1", False, session.room_id, "c", at(10))


def test_a_room_holds_five_parties_and_four_publishers() -> None:
    pool, session = in_session()
    room = session.room_id
    for n in (1, 2):
        pool.create_invite("i1", False, room, f"inv{n}", f"h{n}", at(10), HOUR)
        pool.join_with_invite(f"g{n}", f"h{n}", at(11), audio_only=n == 2)
    pool.create_invite("i1", False, room, "inv3", "h3", at(10), HOUR)
    with pytest.raises(RoomFull):  # a fifth publisher
        pool.join_with_invite("g3", "h3", at(12), audio_only=True)
    with pytest.raises(RoomFull):
        pool.request_counselor("i1", False, room, "welfare", at(12))
    pool.watch("boss", room, at(13), "Boss", "tab")
    with pytest.raises(AlreadyInRoom):
        pool.watch("boss", room, at(13))
    before = dump(pool)
    with pytest.raises(RoomFull):  # a sixth party
        pool.watch("boss2", room, at(14))
    assert dump(pool) == before
    room_now = pool.room(room)
    assert room_now is not None and len(room_now.parties) == 3


def test_a_counselor_comes_through_an_offer() -> None:
    pool, session = in_session()
    events = pool.request_counselor("i1", False, session.room_id, "welfare", at(10))
    (offer,) = of(events, OfferMade)
    assert offer.offer.staff_id == "w" and offer.offer.purpose == "counselor"
    with pytest.raises(JoinPending):
        pool.request_counselor("i1", False, session.room_id, "welfare", at(11))
    events = pool.accept("w", offer.offer.id, at(12))
    (joined,) = of(events, PartyJoined)
    assert joined.party.role is Party.COUNSELOR and joined.party.label == "Lee"
    assert pool.staff_status("w") is StaffStatus.IN_SESSION
    assert pool.session_of("w") == joined.session
    # The counselor hangs up: they leave, the session goes on.
    events = pool.hang_up("w", session.room_id, at(20))
    assert of(events, PartyLeft) and not of(events, SessionEnded)
    assert pool.staff_status("w") is StaffStatus.AVAILABLE
    assert pool.session_of("c") is not None


def test_a_counselor_request_nobody_takes_ends() -> None:
    pool, session = in_session()
    (offer,) = of(
        pool.request_counselor("i1", False, session.room_id, "welfare", at(10)),
        OfferMade,
    )
    events = pool.decline("w", offer.offer.id, at(11))
    (ended,) = of(events, JoinRequestEnded)
    assert ended.reason == "declined_by_all" and ended.kind == "counselor"
    assert pool.pending_joins(session.room_id) == []
    assert pool.session_of("c") is not None


def test_a_warm_transfer_hands_the_session_over() -> None:
    pool, session = in_session(wrap_up=60)
    with pytest.raises(StaffUnavailable):
        pool.request_transfer("i1", False, session.room_id, "w", at(10))
    events = pool.request_transfer("i1", False, session.room_id, "i2", at(10))
    (offer,) = of(events, OfferMade)
    assert offer.offer.staff_id == "i2" and offer.offer.purpose == "transfer"
    pool.accept("i2", offer.offer.id, at(11))
    room = pool.room(session.room_id)
    assert room is not None and room.incoming == "i2" and room.staff_id == "i1"
    assert pool.finish_transfer(session.room_id, "w", at(12)) == []
    events = pool.finish_transfer(session.room_id, "i2", at(12))
    (moved,) = of(events, SessionTransferred)
    assert moved.from_staff == "i1" and moved.session.staff_id == "i2"
    assert moved.session.parties == () and moved.session.incoming is None
    assert pool.staff_status("i1") is StaffStatus.WRAP_UP
    assert pool.session_of("i1") is None
    # The new interpreter now ends the session like the first one would.
    events = pool.hang_up("i2", session.room_id, at(30))
    assert of(events, SessionEnded)


def test_a_session_end_frees_everyone_and_drops_invites() -> None:
    pool, session = in_session()
    room = session.room_id
    (offer,) = of(
        pool.request_counselor("i1", False, room, "welfare", at(9)), OfferMade
    )
    pool.accept("w", offer.offer.id, at(9))
    pool.watch("boss", room, at(10), "Boss", "tab")
    pool.create_invite("i1", False, room, "inv2", "h2", at(10), HOUR)
    pool.request_transfer("i1", False, room, None, at(11))  # offered to i2
    assert pool.staff_status("i2") is StaffStatus.OFFERED
    events = pool.hang_up("c", room, at(20))
    assert of(events, SessionEnded)
    assert of(events, JoinRequestEnded)[0].reason == "session_ended"
    assert pool.staff_status("w") is StaffStatus.AVAILABLE
    assert pool.staff_status("i2") is StaffStatus.AVAILABLE
    assert pool.invites(room) == [] and pool.session_of("boss") is None
    with pytest.raises(InviteUnknown):
        pool.join_with_invite("g2", "h2", at(21), audio_only=False)


def test_without_grace_an_offline_counselor_or_supervisor_leaves_at_once() -> None:
    pool, session = in_session()
    pool.rules = replace(pool.rules, reconnect_grace=timedelta(0))
    room = session.room_id
    (offer,) = of(
        pool.request_counselor("i1", False, room, "welfare", at(9)), OfferMade
    )
    pool.accept("w", offer.offer.id, at(9))
    pool.watch("boss", room, at(10), "Boss", "tab-1")
    assert pool.connection_gone("boss", "tab-2", at(11)) == []
    assert of(pool.connection_gone("boss", "tab-1", at(11)), PartyLeft)
    events = pool.staff_offline("w", at(12), "t3")
    assert of(events, PartyLeft)[0].reason == "connection_lost"
    assert pool.staff_status("w") is StaffStatus.OFFLINE
    assert pool.session_of("c") is not None


def test_the_state_round_trips_with_rooms() -> None:
    pool, session = in_session()
    room = session.room_id
    pool.request_counselor("i1", False, room, "welfare", at(9))
    pool.create_invite("i1", False, room, "inv", "h", at(10), HOUR)
    pool.join_with_invite("g", "h", at(10), audio_only=True)
    pool.watch("boss", room, at(10), "Boss", "tab")
    assert dump(load(dump(pool))) == dump(pool)
    again = load(dump(pool))
    assert again.room(room) == pool.room(room)
    with pytest.raises(InviteUsed):
        again.join_with_invite("g2", "h", at(11), audio_only=False)


def test_the_case_lists_participants_and_the_transfer() -> None:
    case = Case.open("case", KSL, at(0))
    case.offer("i1", at(1))
    case.answer("i1", at(2))
    case.note(EventKind.PARTY_JOINED, at(3), "w", "counselor")
    case.note(EventKind.INVITE_USED, at(4), detail="inv:ref")
    case.note(EventKind.PARTY_JOINED, at(4), None, "guest:ref")
    case.note(EventKind.PARTY_LEFT, at(5), None, "guest:ref")
    case.note(EventKind.PARTY_JOINED, at(6), "i2", "interpreter")
    case.transfer("i1", "i2", at(7))
    assert case.interpreter_id == "i2"
    with pytest.raises(ValueError, match="room event"):
        case.note(EventKind.ANSWERED, at(8))
    people = {(p.role, p.staff_id or p.ref): p for p in case.participants()}
    assert people[(Party.INTERPRETER, "i1")].left_at == at(7)
    assert people[(Party.GUEST, "ref")].joined_at == at(4)
    assert people[(Party.GUEST, "ref")].left_at == at(5)
    assert people[(Party.COUNSELOR, "w")].left_at is None
    case.end(EndReason.COMPLETED, Party.INTERPRETER, at(9))
    assert case.status is CaseStatus.ENDED
    people = {(p.role, p.staff_id or p.ref): p for p in case.participants()}
    assert people[(Party.COUNSELOR, "w")].left_at == at(9)
    assert people[(Party.INTERPRETER, "i2")].left_at == at(9)
    assert people[(Party.CITIZEN, None)].left_at == at(9)


def test_departments_are_kept_among_the_stored_skills() -> None:
    texts = skill_texts({KSL}, {"welfare"})
    assert texts == ["department/welfare", "sign_language/ksl"]
    assert parse_skills(texts) == (frozenset({KSL}), frozenset({"welfare"}))
    with pytest.raises(ValueError, match="department"):
        parse_skills(["department/Bad Name"])
