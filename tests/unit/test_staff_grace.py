"""A counselor's and a listening supervisor's reconnect grace in the pure core:
a dropped console keeps their place; back in time, the same place; too late,
they leave as connection_lost and the session goes on."""

from __future__ import annotations

from interpreter_pool.events import (
    OfferMade,
    PartyLeft,
    PartyReconnected,
    PartyReconnecting,
    SessionEnded,
    StaffReconnected,
    StaffStatus,
)
from interpreter_pool.pool import Pool
from interpreter_pool.state import dump, load
from tests.unit.test_room_parties import at, in_session, of

GRACE_END = 12 + 30  # dropped at 12, the default 30 s grace


def with_counselor() -> tuple[Pool, str]:
    pool, session = in_session()
    room = session.room_id
    (offer,) = of(
        pool.request_counselor("i1", False, room, "welfare", at(9)), OfferMade
    )
    pool.accept("w", offer.offer.id, at(9))
    return pool, room


def test_a_counselor_back_within_the_grace_keeps_the_place() -> None:
    pool, room = with_counselor()
    assert pool.staff_offline("w", at(11), "other-tab") == []  # not their tab
    (lost,) = of(pool.staff_offline("w", at(12), "t3"), PartyReconnecting)
    assert lost.party.party_id == "w" and lost.deadline == at(GRACE_END)
    held = pool.room(room)
    party = None if held is None else held.party("w")
    assert party is not None and party.grace_until == at(GRACE_END)
    assert pool.staff_status("w") is StaffStatus.IN_SESSION  # no offers meanwhile
    assert pool.staff_offline("w", at(13), "t3") == []  # told once
    pool = load(dump(pool))  # the grace survives the shared store
    assert pool.tick(at(20)) == []
    events = pool.staff_online("w", frozenset(), at(20), "t4", "Lee")
    (back,) = of(events, PartyReconnected)
    assert back.party.party_id == "w" and back.party.grace_until is None
    assert not of(events, StaffReconnected)  # the citizen's interpreter is not back
    assert pool.tick(at(GRACE_END + 1)) == []  # nothing lapses any more
    session = pool.session_of("w")
    assert session is not None and session.room_id == room


def test_a_counselor_who_does_not_come_back_leaves_and_goes_offline() -> None:
    pool, _ = with_counselor()
    pool.staff_offline("w", at(12), "t3")
    assert pool.next_deadline() == at(GRACE_END)
    events = pool.tick(at(GRACE_END))
    (left,) = of(events, PartyLeft)
    assert left.party.party_id == "w" and left.reason == "connection_lost"
    assert not of(events, SessionEnded)
    assert pool.staff_status("w") is StaffStatus.OFFLINE
    assert pool.session_of("c") is not None and pool.session_of("w") is None
    # Signing in later is a fresh start, away.
    pool.staff_online("w", frozenset(), at(60), "t5", "Lee")
    assert pool.staff_status("w") is StaffStatus.AWAY


def test_the_session_ending_in_the_grace_takes_the_counselor_offline() -> None:
    pool, room = with_counselor()
    pool.staff_offline("w", at(12), "t3")
    assert of(pool.hang_up("c", room, at(15)), SessionEnded)
    assert pool.staff_status("w") is StaffStatus.OFFLINE
    assert pool.tick(at(GRACE_END)) == []


def test_the_interpreter_and_a_counselor_both_dropped() -> None:
    pool, _ = with_counselor()
    pool.staff_offline("w", at(12), "t3")
    pool.staff_offline("i1", at(12), "t1")
    events = pool.tick(at(GRACE_END))
    assert of(events, SessionEnded)
    assert pool.staff_status("w") is StaffStatus.OFFLINE
    assert pool.staff_status("i1") is StaffStatus.OFFLINE


def test_a_supervisor_back_within_the_grace_takes_the_place_again() -> None:
    pool, room = with_counselor()
    pool.watch("boss", room, at(10), "Boss", "tab-1")
    (lost,) = of(pool.connection_gone("boss", "tab-1", at(12)), PartyReconnecting)
    assert lost.deadline == at(GRACE_END)
    session, events = pool.watch("boss", room, at(20), "Boss", "tab-2")
    assert of(events, PartyReconnected)
    party = session.party("boss")
    assert party is not None and party.connection == "tab-2"
    assert party.grace_until is None
    assert pool.connection_gone("boss", "tab-1", at(21)) == []  # the old tab
    assert pool.tick(at(GRACE_END + 1)) == []


def test_a_supervisor_who_does_not_come_back_leaves() -> None:
    pool, room = with_counselor()
    pool.watch("boss", room, at(10), "Boss", "tab-1")
    pool.connection_gone("boss", "tab-1", at(12))
    (left,) = of(pool.tick(at(GRACE_END)), PartyLeft)
    assert left.party.party_id == "boss" and left.reason == "connection_lost"
    assert pool.session_of("boss") is None and pool.session_of("c") is not None
