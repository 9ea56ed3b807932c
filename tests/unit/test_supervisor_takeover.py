"""A listening supervisor's new connection takes their place even before the old
connection's close is seen (a reload racing its own disconnect); nobody else's."""

from __future__ import annotations

import pytest

from interpreter_pool.errors import AlreadyInRoom
from interpreter_pool.events import PartyJoined, PartyReconnected
from interpreter_pool.state import dump, load
from tests.unit.test_room_parties import at, of
from tests.unit.test_staff_grace import with_counselor


def test_a_second_connection_of_the_same_supervisor_takes_the_place() -> None:
    pool, room = with_counselor()
    pool.watch("boss", room, at(10), "Boss", "tab-1")
    assert pool.listening_on("boss", room) == "tab-1"
    pool = load(dump(pool))  # as another process would see it
    session, events = pool.watch("boss", room, at(11), "Boss", "tab-2")
    (back,) = of(events, PartyReconnected)
    assert back.party.party_id == "boss" and back.party.connection == "tab-2"
    assert [p.party_id for p in session.parties].count("boss") == 1
    assert pool.listening_on("boss", room) == "tab-2"
    # The old tab's close, seen late, changes nothing: the place is tab-2's.
    assert pool.connection_gone("boss", "tab-1", at(12)) == []
    assert pool.listening_on("boss", room) == "tab-2"
    assert pool.tick(at(100)) == []  # no grace was started: nothing lapses
    assert pool.listening_on("boss", room) == "tab-2"


def test_asking_again_on_the_same_connection_is_refused() -> None:
    pool, room = with_counselor()
    pool.watch("boss", room, at(10), "Boss", "tab-1")
    before = dump(pool)
    with pytest.raises(AlreadyInRoom):
        pool.watch("boss", room, at(11), "Boss", "tab-1")
    with pytest.raises(AlreadyInRoom):  # no connection named: never a takeover
        pool.watch("boss", room, at(11))
    assert dump(pool) == before


def test_another_supervisor_gets_their_own_place_not_this_one() -> None:
    pool, room = with_counselor()
    pool.watch("boss", room, at(10), "Boss", "tab-1")
    session, events = pool.watch("boss2", room, at(11), "Boss 2", "tab-9")
    (joined,) = of(events, PartyJoined)
    assert joined.party.party_id == "boss2"
    assert pool.listening_on("boss", room) == "tab-1"
    assert pool.listening_on("boss2", room) == "tab-9"
    assert {p.party_id for p in session.parties} >= {"boss", "boss2"}


def test_a_place_in_its_grace_is_listened_on_by_nobody() -> None:
    pool, room = with_counselor()
    assert pool.listening_on("boss", room) == ""
    pool.watch("boss", room, at(10), "Boss", "tab-1")
    pool.connection_gone("boss", "tab-1", at(12))
    assert pool.listening_on("boss", room) == ""
    assert pool.listening_on("boss", "no-such-room") == ""
    assert pool.listening_on("w", room) == ""  # a counselor does not listen in
