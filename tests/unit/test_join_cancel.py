"""Withdrawing a pending counselor or transfer request in the pure core: the
offer it holds is withdrawn, its staff member is free, a new request may follow."""

from __future__ import annotations

import pytest

from counseling.cases import EventKind
from interpreter_pool.errors import NoJoinRequest, NotAllowed, NotInRoom, UnknownOffer
from interpreter_pool.events import (
    AwayReason,
    JoinRequestEnded,
    OfferClosed,
    OfferMade,
    StaffStatus,
    StaffStatusChanged,
)
from interpreter_pool.state import dump, load
from tests.unit.test_room_parties import at, in_session, of


def test_cancelling_an_offered_counselor_request_frees_the_counselor() -> None:
    pool, session = in_session()
    room = session.room_id
    (offer,) = of(
        pool.request_counselor("i1", False, room, "welfare", at(10)), OfferMade
    )
    assert pool.staff_status("w") is StaffStatus.OFFERED

    events = pool.cancel_join("i1", False, room, at(12))

    (closed,) = of(events, OfferClosed)
    assert closed.offer.id == offer.offer.id and closed.offer.staff_id == "w"
    assert closed.kind is EventKind.OFFER_WITHDRAWN
    (ended,) = of(events, JoinRequestEnded)
    assert (ended.kind, ended.reason, ended.by) == ("counselor", "cancelled", "i1")
    assert [c.status for c in of(events, StaffStatusChanged)] == [StaffStatus.AVAILABLE]
    assert pool.staff_status("w") is StaffStatus.AVAILABLE
    assert pool.pending_joins(room) == []
    # The offer is gone: answering it now is refused like any closed offer.
    with pytest.raises(UnknownOffer):
        pool.accept("w", offer.offer.id, at(13))
    # A new request goes out at once, to the same counselor (they never declined).
    (again,) = of(
        pool.request_counselor("i1", False, room, "welfare", at(14)), OfferMade
    )
    assert again.offer.staff_id == "w" and again.offer.id != offer.offer.id


def test_cancelling_a_request_nobody_was_offered_yet() -> None:
    pool, session = in_session()
    room = session.room_id
    pool.set_presence("w", StaffStatus.AWAY, at(5), AwayReason.BREAK)
    events = pool.request_counselor("i1", False, room, "welfare", at(10))
    assert of(events, OfferMade) == []
    events = pool.cancel_join("i1", False, room, at(11))
    assert of(events, OfferClosed) == []
    (ended,) = of(events, JoinRequestEnded)
    assert ended.reason == "cancelled"
    # The counselor coming back is offered nothing.
    events = pool.set_presence("w", StaffStatus.AVAILABLE, at(12))
    assert of(events, OfferMade) == []
    assert pool.staff_status("w") is StaffStatus.AVAILABLE


def test_cancelling_a_transfer_offer_frees_the_other_interpreter() -> None:
    pool, session = in_session()
    room = session.room_id
    pool.request_transfer("i1", False, room, "i2", at(10))
    assert pool.staff_status("i2") is StaffStatus.OFFERED
    events = pool.cancel_join("i1", False, room, at(11))
    (ended,) = of(events, JoinRequestEnded)
    assert (ended.kind, ended.reason) == ("transfer", "cancelled")
    assert pool.staff_status("i2") is StaffStatus.AVAILABLE
    current = pool.room(room)
    assert current is not None and current.staff_id == "i1"
    assert current.incoming is None


def test_nothing_pending_is_refused_with_a_stable_code() -> None:
    pool, session = in_session()
    before = dump(pool)
    with pytest.raises(NoJoinRequest) as refused:
        pool.cancel_join("i1", False, session.room_id, at(10))
    assert refused.value.code == "no_join_request"
    assert dump(pool) == before


def test_an_accepted_transfer_is_no_longer_pending() -> None:
    pool, session = in_session()
    room = session.room_id
    (offer,) = of(pool.request_transfer("i1", False, room, "i2", at(10)), OfferMade)
    pool.accept("i2", offer.offer.id, at(11))
    with pytest.raises(NoJoinRequest):
        pool.cancel_join("i1", False, room, at(12))
    current = pool.room(room)
    assert current is not None and current.incoming == "i2"


@pytest.mark.parametrize("actor", ["c", "w", "i2", "stranger"])
def test_only_whoever_may_ask_may_cancel(actor: str) -> None:
    pool, session = in_session()
    room = session.room_id
    pool.set_presence(
        "w", StaffStatus.AWAY, at(5), AwayReason.BREAK
    )  # the request stays unoffered
    pool.request_counselor("i1", False, room, "welfare", at(10))
    before = dump(pool)
    with pytest.raises(NotAllowed) as refused:
        pool.cancel_join(actor, False, room, at(11))
    assert refused.value.code == "not_allowed"
    with pytest.raises(NotInRoom):
        pool.cancel_join("i1", False, "no-such-room", at(11))
    assert dump(pool) == before
    # A supervisor may, like they may ask.
    events = pool.cancel_join("boss", True, room, at(12))
    (ended,) = of(events, JoinRequestEnded)
    assert ended.by == "boss" and pool.pending_joins(room) == []


def test_the_state_round_trips_after_a_cancel() -> None:
    pool, session = in_session()
    room = session.room_id
    pool.request_counselor("i1", False, room, "welfare", at(10))
    pool.cancel_join("i1", False, room, at(11))
    copy = load(dump(pool), pool.rules)
    assert copy.pending_joins(room) == []
    assert copy.staff_status("w") is StaffStatus.AVAILABLE
