"""A guest's reconnect grace in the pure core: a dropped connection keeps the
place until the deadline, the resume token takes it up again (on a new
connection), and after the deadline the guest has left. The state survives a
dump and load (a shared store between commands)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from interpreter_pool.errors import NotInRoom
from interpreter_pool.events import PartyLeft, PartyReconnected, PartyReconnecting
from interpreter_pool.pool import Pool
from interpreter_pool.state import dump, load
from tests.unit.test_room_parties import at, in_session, of

GRACE = timedelta(seconds=30)  # PoolRules' default


def with_guest(resume_hash: str = "h1") -> tuple[Pool, str]:
    pool, session = in_session()
    pool.create_invite("i1", False, session.room_id, "inv", "t", at(5), GRACE * 10)
    pool.join_with_invite("g", "t", at(6), False, "sid1", resume_hash)
    return pool, session.room_id


def test_a_dropped_guest_keeps_the_place_and_resumes() -> None:
    pool, room_id = with_guest()
    assert pool.connection_gone("g", "old-sid", at(7)) == []  # not their connection
    events = pool.connection_gone("g", "sid1", at(8))
    (dropped,) = of(events, PartyReconnecting)
    assert dropped.deadline == at(8) + GRACE
    assert pool.next_deadline() == at(8) + GRACE
    assert pool.connection_gone("g", "sid1", at(9)) == []  # told once
    pool = load(dump(pool), pool.rules)  # as a shared store keeps it
    party = pool.room(room_id).party("g")  # type: ignore[union-attr]
    assert party is not None and party.grace_until == at(8) + GRACE

    session, party, events = pool.resume_party("h1", at(20), "sid2")
    assert session.room_id == room_id and party.party_id == "g"
    assert party.connection == "sid2" and party.grace_until is None
    assert len(of(events, PartyReconnected)) == 1
    assert not of(pool.tick(at(60)), PartyLeft)
    assert pool.room(room_id).party("g") is not None  # type: ignore[union-attr]
    # The old connection closing late changes nothing; the new one counts.
    assert pool.connection_gone("g", "sid1", at(61)) == []
    assert of(pool.connection_gone("g", "sid2", at(62)), PartyReconnecting)


def test_after_the_grace_the_guest_has_left() -> None:
    pool, room_id = with_guest()
    pool.connection_gone("g", "sid1", at(8))
    assert not of(pool.tick(at(37)), PartyLeft)
    (left,) = of(pool.tick(at(38)), PartyLeft)
    assert left.party.party_id == "g" and left.reason == "connection_lost"
    assert pool.room(room_id).party("g") is None  # type: ignore[union-attr]
    with pytest.raises(NotInRoom):
        pool.resume_party("h1", at(39), "sid2")


def test_without_a_token_or_grace_the_guest_leaves_at_once() -> None:
    pool, _ = with_guest(resume_hash="")
    assert of(pool.connection_gone("g", "sid1", at(8)), PartyLeft)
    with pytest.raises(NotInRoom):
        pool.resume_party("", at(9))
    pool, _ = with_guest()
    pool.rules = replace(pool.rules, reconnect_grace=timedelta(0))
    assert of(pool.connection_gone("g", "sid1", at(8)), PartyLeft)
