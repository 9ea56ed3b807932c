"""A dead process's guests and listening supervisors in the pure core: they
leave their room, unless they already took their place up again on a
connection of a live process."""

from __future__ import annotations

from counseling.cases import Party
from interpreter_pool.events import PartyLeft
from tests.unit.test_guest_grace import with_guest
from tests.unit.test_room_parties import at, of


def test_a_guest_whose_process_died_leaves_the_room() -> None:
    pool, room_id = with_guest()
    assert pool.holder_died("g", "other-sid", at(7)) == []  # not their connection
    (left,) = of(pool.holder_died("g", "sid1", at(8)), PartyLeft)
    assert left.party.party_id == "g" and left.reason == "left"
    assert pool.room(room_id).party("g") is None  # type: ignore[union-attr]
    assert pool.holder_died("g", "sid1", at(9)) == []  # gone already


def test_a_guest_back_on_a_live_process_keeps_the_place() -> None:
    pool, room_id = with_guest()
    pool.resume_party("h1", at(7), "sid2")
    assert pool.holder_died("g", "sid1", at(8)) == []
    assert pool.room(room_id).party("g") is not None  # type: ignore[union-attr]


def test_a_listening_supervisor_whose_process_died_leaves_the_room() -> None:
    pool, room_id = with_guest()
    pool.watch("sup", room_id, at(7), "", "sup-sid1")
    (left,) = of(pool.holder_died("sup", "sup-sid1", at(8)), PartyLeft)
    assert left.party.role is Party.SUPERVISOR and left.reason == "left"
    assert pool.listening_on("sup", room_id) == ""
    # In their grace period, listening again elsewhere: the dead one is stale.
    pool.watch("sup", room_id, at(9), "", "sup-sid2")
    pool.connection_gone("sup", "sup-sid2", at(10))
    pool.watch("sup", room_id, at(11), "", "sup-sid3")
    assert pool.holder_died("sup", "sup-sid2", at(12)) == []
    assert pool.listening_on("sup", room_id) == "sup-sid3"
