"""The pool: request, offer, accept, decline, expire, cancel, hang up."""

from __future__ import annotations

import contextlib
import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from counseling.cases import EndReason, EventKind, Party
from counseling.services import Language, Service, Skill
from interpreter_pool.errors import (
    AlreadyWaiting,
    NotInRoom,
    NotWaiting,
    NotYourOffer,
    PoolError,
    StaffBusy,
    UnknownOffer,
    UnknownStaff,
)
from interpreter_pool.events import (
    AwayReason,
    CitizenConnectionLost,
    CitizenReconnected,
    OfferClosed,
    OfferMade,
    PoolEvent,
    RequestEnded,
    SessionEnded,
    SessionStarted,
    StaffConnectionLost,
    StaffReconnected,
    StaffStatus,
    StaffStatusChanged,
)
from interpreter_pool.pool import Pool, PoolRules, pick_longest_idle
from interpreter_pool.state import Codec, decode, dump, encode, load

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
KSL = Skill(Service.SIGN_LANGUAGE, Language.KSL)
AVAILABLE = StaffStatus.AVAILABLE
EN = Skill(Service.FOREIGN_LANGUAGE, Language.EN)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def make_pool(**rules: object) -> Pool:
    counter = itertools.count()
    settings: dict[str, object] = {"wrap_up": timedelta(0)} | rules
    return Pool(PoolRules(**settings), make_id=lambda: f"id{next(counter)}")  # type: ignore[arg-type]


E = TypeVar("E")


def of_type(events: list[PoolEvent], kind: type[E]) -> list[E]:
    return [e for e in events if isinstance(e, kind)]


def on_duty(pool: Pool, staff_id: str, *skills: Skill, when: float = 0) -> None:
    pool.staff_online(staff_id, frozenset(skills), at(when))
    pool.set_presence(staff_id, StaffStatus.AVAILABLE, at(when))


def test_a_request_is_offered_to_a_qualified_available_interpreter() -> None:
    pool = make_pool()
    on_duty(pool, "en-1", EN)
    on_duty(pool, "ksl-1", KSL)
    events = pool.request("cit", "case1", KSL, at(1))
    assert pool.position("cit") == 1
    (made,) = of_type(events, OfferMade)
    assert made.offer.staff_id == "ksl-1"
    assert made.offer.expires_at == at(21)
    assert pool.staff_status("ksl-1") is StaffStatus.OFFERED
    assert pool.staff_status("en-1") is StaffStatus.AVAILABLE


def test_the_longest_idle_interpreter_gets_the_offer() -> None:
    pool = make_pool()
    on_duty(pool, "b", KSL, when=0)
    on_duty(pool, "a", KSL, when=5)
    (made,) = of_type(pool.request("cit", "c", KSL, at(10)), OfferMade)
    assert made.offer.staff_id == "b"


def test_pick_longest_idle_breaks_ties_by_id() -> None:
    assert pick_longest_idle([("z", T0), ("a", T0), ("m", at(-1))]) == "m"
    assert pick_longest_idle([("z", T0), ("a", T0)]) == "a"
    assert pick_longest_idle([]) is None


def test_accept_starts_a_session_and_others_move_up() -> None:
    pool = make_pool()
    on_duty(pool, "s1", KSL)
    pool.request("c1", "case1", KSL, at(1))
    pool.request("c2", "case2", KSL, at(2))
    assert pool.position("c2") == 2
    offer = pool.open_offer("s1")
    assert offer is not None
    events = pool.accept("s1", offer.id, at(3))
    (started,) = of_type(events, SessionStarted)
    assert started.session.citizen_id == "c1"
    assert started.session.case_id == "case1"
    assert pool.staff_status("s1") is StaffStatus.IN_SESSION
    assert pool.position("c2") == 1


def test_decline_moves_the_offer_to_the_next_and_keeps_the_citizens_place() -> None:
    pool = make_pool()
    on_duty(pool, "s1", KSL, when=0)
    on_duty(pool, "s2", KSL, when=1)
    pool.request("c1", "case1", KSL, at(2))
    first = pool.open_offer("s1")
    assert first is not None
    events = pool.decline("s1", first.id, at(3))
    assert of_type(events, OfferClosed)[0].kind is EventKind.DECLINED
    (made,) = of_type(events, OfferMade)
    assert made.offer.staff_id == "s2"
    assert pool.position("c1") == 1
    assert pool.staff_status("s1") is StaffStatus.AVAILABLE


def test_declined_by_everyone_on_duty_ends_the_request() -> None:
    pool = make_pool()
    on_duty(pool, "s1", KSL)
    pool.request("c1", "case1", KSL, at(1))
    offer = pool.open_offer("s1")
    assert offer is not None
    events = pool.decline("s1", offer.id, at(2))
    (ended,) = of_type(events, RequestEnded)
    assert ended.reason is EndReason.DECLINED_BY_ALL
    assert pool.position("c1") is None


def test_an_expired_offer_goes_to_the_next_interpreter() -> None:
    pool = make_pool()
    on_duty(pool, "s1", KSL, when=0)
    on_duty(pool, "s2", KSL, when=1)
    pool.request("c1", "case1", KSL, at(2))
    assert pool.tick(at(21)) == []
    assert pool.next_deadline() == at(22)
    events = pool.tick(at(22))
    assert of_type(events, OfferClosed)[0].kind is EventKind.OFFER_EXPIRED
    assert of_type(events, OfferMade)[0].offer.staff_id == "s2"


def test_the_estimate_for_a_new_request_is_zero_only_when_someone_is_free() -> None:
    pool = make_pool()
    assert pool.estimate_for_new(KSL, at(0)) is None  # nobody on duty
    on_duty(pool, "s1", KSL, when=0)
    on_duty(pool, "s2", EN, when=0)
    assert pool.estimate_for_new(KSL, at(1)) == 0.0
    pool.request("c1", "case1", KSL, at(2))  # s1 is offered: nobody else is free
    assert pool.estimate_for_new(KSL, at(3)) == pool.rules.default_handle.seconds
    assert pool.estimate_for_new(EN, at(3)) == 0.0


def test_needs_tick_says_when_a_deadline_passed_or_an_estimate_moved() -> None:
    pool = make_pool()
    on_duty(pool, "s1", KSL, when=0)
    pool.request("c1", "case1", KSL, at(2))  # offered to s1 until at(22)
    pool.request("c2", "case2", KSL, at(3))  # waits behind c1
    assert pool.needs_tick(at(4), 10)  # nobody was told their place yet
    pool.queue_changes(at(4), 10)
    assert not pool.needs_tick(at(5), 10)
    assert pool.needs_tick(at(22), 10)  # the offer lapses
    pool.cancel("c1", at(6))  # c2 is next: offered, and first in line
    assert pool.needs_tick(at(6), 10)
    pool.queue_changes(at(6), 10)
    assert not pool.needs_tick(at(7), 10)
    assert pool.tick(at(7)) == []


def test_a_citizen_who_leaves_while_offered_frees_the_interpreter() -> None:
    pool = make_pool()
    on_duty(pool, "s1", KSL)
    pool.request("c1", "case1", KSL, at(1))
    events = pool.citizen_left("c1", at(4))
    assert of_type(events, OfferClosed)[0].kind is EventKind.OFFER_WITHDRAWN
    (ended,) = of_type(events, RequestEnded)
    assert ended.reason is EndReason.CITIZEN_LEFT_WHILE_WAITING
    assert pool.staff_status("s1") is StaffStatus.AVAILABLE


def test_cancel_ends_the_request_as_cancelled() -> None:
    pool = make_pool()
    pool.request("c1", "case1", KSL, at(1))
    (ended,) = of_type(pool.cancel("c1", at(2)), RequestEnded)
    assert ended.reason is EndReason.CITIZEN_CANCELLED
    with pytest.raises(NotWaiting):
        pool.cancel("c1", at(3))


def test_hang_up_ends_the_session_and_the_interpreter_is_available_again() -> None:
    pool = make_pool()
    on_duty(pool, "s1", KSL)
    pool.request("c1", "case1", KSL, at(1))
    pool.request("c2", "case2", KSL, at(2))
    offer = pool.open_offer("s1")
    assert offer is not None
    room = of_type(pool.accept("s1", offer.id, at(3)), SessionStarted)[0].session
    events = pool.hang_up("s1", room.room_id, at(60))
    (ended,) = of_type(events, SessionEnded)
    assert ended.reason is EndReason.COMPLETED
    assert ended.ended_by is Party.INTERPRETER
    # Free again, the interpreter is offered the next citizen at once.
    assert of_type(events, OfferMade)[0].offer.case_id == "case2"


def test_without_grace_an_interpreter_who_disconnects_in_session_ends_it() -> None:
    pool = make_pool(reconnect_grace=timedelta(0))
    on_duty(pool, "s1", KSL)
    pool.request("c1", "case1", KSL, at(1))
    offer = pool.open_offer("s1")
    assert offer is not None
    pool.accept("s1", offer.id, at(2))
    (ended,) = of_type(pool.staff_offline("s1", at(9)), SessionEnded)
    assert ended.reason is EndReason.CONNECTION_LOST
    assert pool.staff_status("s1") is StaffStatus.OFFLINE


def test_refused_commands_change_nothing() -> None:
    pool = make_pool()
    on_duty(pool, "s1", KSL, when=0)
    on_duty(pool, "s2", KSL, when=1)
    pool.request("c1", "case1", KSL, at(2))
    offer = pool.open_offer("s1")
    assert offer is not None
    snapshot = (pool.position("c1"), pool.open_offer("s1"), pool.staff_status("s2"))
    refused: list[tuple[type[PoolError], object]] = [
        (NotYourOffer, lambda: pool.accept("s2", offer.id, at(3))),
        (NotYourOffer, lambda: pool.decline("s2", offer.id, at(3))),
        (UnknownOffer, lambda: pool.accept("s1", "nope", at(3))),
        (AlreadyWaiting, lambda: pool.request("c1", "case9", KSL, at(3))),
        (NotInRoom, lambda: pool.hang_up("c1", "no-room", at(3))),
        (UnknownStaff, lambda: pool.set_presence("ghost", AVAILABLE, at(3))),
    ]
    for error, command in refused:
        with pytest.raises(error):
            command()  # type: ignore[operator]
    assert snapshot == (
        pool.position("c1"),
        pool.open_offer("s1"),
        pool.staff_status("s2"),
    )


def test_a_stranger_cannot_hang_up_a_room() -> None:
    pool = make_pool()
    on_duty(pool, "s1", KSL)
    pool.request("c1", "case1", KSL, at(1))
    offer = pool.open_offer("s1")
    assert offer is not None
    room = of_type(pool.accept("s1", offer.id, at(2)), SessionStarted)[0].session
    with pytest.raises(NotInRoom):
        pool.hang_up("someone-else", room.room_id, at(3))
    with pytest.raises(StaffBusy):
        pool.set_presence("s1", StaffStatus.AWAY, at(3), AwayReason.BREAK)
    assert pool.session_of("c1") == room


def test_a_staff_member_leaves_when_the_last_tab_closes() -> None:
    pool = make_pool()
    pool.staff_online("s1", frozenset({KSL}), at(0), "tab-1")
    pool.staff_online("s1", frozenset({KSL}), at(1), "tab-2")
    assert pool.staff_offline("s1", at(2), "tab-1") == []
    assert pool.staff_status("s1") is StaffStatus.AWAY
    pool.staff_offline("s1", at(3), "tab-2")
    assert pool.staff_status("s1") is StaffStatus.OFFLINE


def test_state_of_unknown_version_is_refused() -> None:
    with pytest.raises(ValueError, match="version"):
        load({"version": 99})


def test_a_load_keeps_the_records_that_did_not_change() -> None:
    pool = make_pool()
    for staff_id in ("s1", "s2", "s3"):
        on_duty(pool, staff_id, KSL)
    pool.request("c1", "case1", KSL, at(1))
    pool.request("c2", "case2", KSL, at(2))
    mine = load(dump(pool), pool.rules)
    pool.set_presence("s3", StaffStatus.AWAY, at(3), AwayReason.BREAK)
    snapshot = dump(pool)

    fresh = load(snapshot, pool.rules, previous=mine)

    assert dump(fresh) == snapshot
    assert fresh._staff["s1"] is mine._staff["s1"]
    assert fresh._waiting[1] is mine._waiting[1]
    assert fresh._staff["s3"] is not mine._staff["s3"]
    assert fresh._staff["s3"].status is StaffStatus.AWAY
    assert mine._staff["s3"].status is AVAILABLE


def test_an_encoded_pool_is_decoded_from_the_texts_that_changed() -> None:
    pool = make_pool()
    for staff_id in ("s1", "s2", "s3"):
        on_duty(pool, staff_id, KSL)
    pool.request("c1", "case1", KSL, at(1))
    pool.request("c2", "case2", KSL, at(2))
    mine, theirs = Codec(), Codec()
    text = encode(pool, mine)
    other = decode(text, pool.rules, theirs)
    assert dump(other) == dump(pool)
    assert encode(other, theirs) == text  # the same pool gives the same text

    other.set_presence("s3", StaffStatus.AWAY, at(3), AwayReason.BREAK)
    other.cancel("c2", at(4))
    fresh = decode(encode(other, theirs), pool.rules, mine, pool)

    assert dump(fresh) == dump(other)
    assert fresh._staff["s1"] is pool._staff["s1"]
    assert fresh._waiting[0] is pool._waiting[0]
    assert fresh._staff["s3"] is not pool._staff["s3"]
    assert fresh._staff["s3"].status is StaffStatus.AWAY
    assert [r.citizen_id for r in fresh._waiting] == ["c1"]
    assert pool._staff["s3"].status is AVAILABLE  # the old copy is untouched


def test_a_change_inside_a_record_is_encoded_again() -> None:
    """A set changed in place (a second tab) changes the record's text."""
    pool = make_pool()
    on_duty(pool, "s1", KSL)
    codec = Codec()
    before = encode(pool, codec)
    pool.staff_online("s1", frozenset({KSL}), at(1), "tab-2")
    after = encode(pool, codec)
    assert after != before
    assert dump(decode(after, pool.rules)) == dump(pool)


def test_decode_reads_the_first_format_too() -> None:
    pool = make_pool()
    on_duty(pool, "s1", KSL)
    pool.request("c1", "case1", KSL, at(1))
    assert dump(decode(json.dumps(dump(pool)), pool.rules)) == dump(pool)
    with pytest.raises(ValueError, match="version"):
        decode('{"version": 99}')


def test_ids_are_128_bit_random_by_default() -> None:
    from interpreter_pool.pool import new_id

    ids = {new_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)


class PoolMachine(RuleBasedStateMachine):
    """Random commands never break the pool's invariants."""

    def __init__(self) -> None:
        super().__init__()
        self.pool = make_pool(
            wrap_up=timedelta(seconds=30), reconnect_grace=timedelta(seconds=20)
        )
        self.idle: Pool | None = None  # the other process's copy
        self.codec, self.idle_codec = Codec(), Codec()
        self.clock = 0.0
        self.cases = itertools.count()

    def now(self) -> datetime:
        self.clock += 1
        return at(self.clock)

    citizens = st.sampled_from(["c1", "c2", "c3", "c4"])
    staff = st.sampled_from(["s1", "s2", "s3"])
    skills = st.sampled_from([KSL, EN])

    def _try(self, command: object) -> None:
        with contextlib.suppress(PoolError):
            command()  # type: ignore[operator]

    tabs = st.sampled_from(["tab-1", "tab-2"])

    @rule(staff_id=staff, skill=skills, tab=tabs)
    def online(self, staff_id: str, skill: Skill, tab: str) -> None:
        self.pool.staff_online(staff_id, frozenset({skill, KSL}), self.now(), tab)

    @rule(staff_id=staff, available=st.booleans())
    def availability(self, staff_id: str, available: bool) -> None:
        status = AVAILABLE if available else StaffStatus.AWAY
        reason = None if available else AwayReason.BREAK
        self._try(lambda: self.pool.set_presence(staff_id, status, self.now(), reason))

    @rule(staff_id=staff, tab=tabs)
    def offline(self, staff_id: str, tab: str) -> None:
        self.pool.staff_offline(staff_id, self.now(), tab)

    @rule(
        citizen=citizens,
        skill=skills,
        priority=st.booleans(),
        preferred=st.none() | staff,
    )
    def ask(
        self, citizen: str, skill: Skill, priority: bool, preferred: str | None
    ) -> None:
        case = f"case{next(self.cases)}"
        self._try(
            lambda: self.pool.request(
                citizen, case, skill, self.now(), priority, preferred
            )
        )

    @rule(citizen=citizens)
    def leave(self, citizen: str) -> None:
        self.pool.citizen_left(citizen, self.now())

    @rule(citizen=citizens)
    def may_resume(self, citizen: str) -> None:
        """The citizen's page got a resume token for its session."""
        self._try(lambda: self.pool.allow_resume(citizen, f"token-{citizen}"))

    @rule(citizen=citizens)
    def come_back(self, citizen: str) -> None:
        self._try(lambda: self.pool.resume(f"token-{citizen}", self.now()))

    @rule(staff_id=staff, accept=st.booleans())
    def answer(self, staff_id: str, accept: bool) -> None:
        offer = self.pool.open_offer(staff_id)
        if offer is not None:
            if accept:
                self.pool.accept(staff_id, offer.id, self.now())
            else:
                self.pool.decline(staff_id, offer.id, self.now())

    @rule(seconds=st.integers(min_value=0, max_value=90))
    def wait(self, seconds: int) -> None:
        self.clock += seconds
        self.pool.tick(at(self.clock))

    @rule()
    def round_trip(self) -> None:
        """What a shared store does between commands: dump, then load."""
        snapshot = dump(self.pool)
        self.pool = load(snapshot, self.pool.rules, self.pool._make_id)
        assert dump(self.pool) == snapshot

    @rule()
    def other_process(self) -> None:
        """The next command runs on the other process of a Redis store: it
        decodes what this one encoded, reusing the unchanged records of its own
        copy, which it has not changed since it encoded it."""
        text = encode(self.pool, self.codec)
        assert encode(self.pool, self.codec) == text  # nothing changed: same text
        fresh = decode(
            text, self.pool.rules, self.idle_codec, self.idle, self.pool._make_id
        )
        assert dump(fresh) == dump(self.pool)
        self.pool, self.idle = fresh, self.pool
        self.codec, self.idle_codec = self.idle_codec, self.codec

    @rule(party=st.sampled_from(["c1", "c2", "s1", "s2"]))
    def hang_up(self, party: str) -> None:
        session = self.pool.session_of(party)
        if session is not None:
            self.pool.hang_up(party, session.room_id, self.now())

    @invariant()
    def consistent(self) -> None:
        pool = self.pool
        waiting = pool._waiting
        offered_staff = [
            pool._offers[r.offer_id].staff_id for r in waiting if r.offer_id
        ]
        assert len(offered_staff) == len(set(offered_staff)), "two offers to one"
        assert set(pool._offers) == {r.offer_id for r in waiting if r.offer_id}
        for staff_id, staff in pool._staff.items():
            has_offer = staff.offer_id is not None
            assert has_offer == (staff.status is StaffStatus.OFFERED), staff_id
            in_room = staff.room_id is not None
            assert in_room == (staff.status is StaffStatus.IN_SESSION), staff_id
        for skill in (KSL, EN):
            positions = [pool._position_of(r) for r in waiting if r.skill == skill]
            assert positions == list(range(1, len(positions) + 1))
        # Reservations due now (priority) all stand before ordinary requests.
        flags = [r.priority for r in waiting]
        assert flags == sorted(flags, reverse=True)
        entries = pool.queue(at(self.clock))
        assert sorted(e.citizen_id for e in entries) == sorted(
            r.citizen_id for r in waiting
        )
        for entry in entries:
            assert entry.estimated_wait is None or entry.estimated_wait >= 0
        in_session = {s.citizen_id for s in pool._sessions.values()}
        # Only citizens of a running session may be held for, or resume.
        assert set(pool._citizen_grace) <= in_session
        assert set(pool._resume.values()) <= in_session
        assert set(pool._citizen_links) <= in_session
        sessions_per_staff = [s.staff_id for s in pool._sessions.values()]
        assert len(sessions_per_staff) == len(set(sessions_per_staff))
        citizens_waiting = [r.citizen_id for r in waiting]
        assert len(citizens_waiting) == len(set(citizens_waiting))
        for session in pool._sessions.values():
            assert session.citizen_id not in citizens_waiting
        # No request sits unoffered while a qualified, willing interpreter idles.
        for request in waiting:
            if request.offer_id is None:
                for staff_id, staff in pool._staff.items():
                    assert not (
                        staff.status is StaffStatus.AVAILABLE
                        and request.skill in staff.skills
                        and staff_id not in request.declined_by
                    )


PoolMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=40)
TestPoolInvariants = PoolMachine.TestCase


def start_session(pool: Pool, staff_id: str, citizen: str, when: float) -> str:
    pool.request(citizen, f"case-{citizen}", KSL, at(when))
    offer = pool.open_offer(staff_id)
    assert offer is not None
    events = pool.accept(staff_id, offer.id, at(when))
    return of_type(events, SessionStarted)[0].session.room_id


def test_after_a_session_comes_wrap_up_then_available() -> None:
    pool = make_pool(wrap_up=timedelta(seconds=60))
    on_duty(pool, "s1", KSL)
    room = start_session(pool, "s1", "c1", when=1)
    pool.hang_up("c1", room, at(100))
    assert pool.staff_status("s1") is StaffStatus.WRAP_UP
    # A citizen asking during wrap-up waits; no offer interrupts the notes.
    assert not of_type(pool.request("c2", "case2", KSL, at(110)), OfferMade)
    assert pool.next_deadline() == at(160)
    events = pool.tick(at(160))
    assert pool.staff_status("s1") is StaffStatus.OFFERED
    assert of_type(events, OfferMade)[0].offer.case_id == "case2"


def test_the_interpreter_can_end_wrap_up_early() -> None:
    pool = make_pool(wrap_up=timedelta(seconds=60))
    on_duty(pool, "s1", KSL)
    room = start_session(pool, "s1", "c1", when=1)
    pool.hang_up("s1", room, at(50))
    events = pool.set_presence("s1", AVAILABLE, at(70))
    assert of_type(events, StaffStatusChanged)[0].status is AVAILABLE


def test_three_missed_offers_in_a_row_set_the_interpreter_away() -> None:
    pool = make_pool(offer_timeout=timedelta(seconds=10))
    on_duty(pool, "s1", KSL)
    pool.request("c1", "case1", KSL, at(0))
    pool.tick(at(10))
    pool.tick(at(20))
    assert pool.staff_status("s1") is StaffStatus.OFFERED
    events = pool.tick(at(30))
    away = of_type(events, StaffStatusChanged)[-1]
    assert away.status is StaffStatus.AWAY
    assert away.reason is AwayReason.MISSED_OFFERS
    # The citizen keeps their place and waits for someone else.
    assert pool.position("c1") == 1


def test_a_decline_resets_the_missed_offer_count() -> None:
    pool = make_pool(offer_timeout=timedelta(seconds=10))
    on_duty(pool, "s1", KSL)
    on_duty(pool, "s2", KSL, when=1)
    pool.request("c1", "case1", KSL, at(2))
    pool.tick(at(12))  # s1 missed; the offer moves to s2
    pool.tick(at(22))  # s2 missed; back to s1
    offer = pool.open_offer("s1")
    assert offer is not None
    pool.decline("s1", offer.id, at(23))
    assert pool._staff["s1"].missed == 0


def test_away_needs_a_reason_a_person_can_choose() -> None:
    pool = make_pool()
    on_duty(pool, "s1", KSL)
    with pytest.raises(ValueError, match="reason"):
        pool.set_presence("s1", StaffStatus.AWAY, at(1))
    with pytest.raises(ValueError, match="reason"):
        pool.set_presence("s1", StaffStatus.AWAY, at(1), AwayReason.MISSED_OFFERS)
    with pytest.raises(ValueError, match="cannot set"):
        pool.set_presence("s1", StaffStatus.IN_SESSION, at(1))
    events = pool.set_presence("s1", StaffStatus.AWAY, at(2), AwayReason.MEAL)
    assert of_type(events, StaffStatusChanged)[0].reason is AwayReason.MEAL


def test_going_away_while_offered_passes_the_offer_on() -> None:
    pool = make_pool()
    on_duty(pool, "s1", KSL, when=0)
    on_duty(pool, "s2", KSL, when=1)
    pool.request("c1", "case1", KSL, at(2))
    events = pool.set_presence("s1", StaffStatus.AWAY, at(3), AwayReason.BREAK)
    assert of_type(events, OfferClosed)[0].kind is EventKind.OFFER_WITHDRAWN
    assert of_type(events, OfferMade)[0].offer.staff_id == "s2"


def test_an_interpreter_who_comes_back_within_the_grace_period_resumes() -> None:
    pool = make_pool(reconnect_grace=timedelta(seconds=30))
    on_duty(pool, "s1", KSL)
    room = start_session(pool, "s1", "c1", when=1)
    (lost,) = pool.staff_offline("s1", at(10))
    assert isinstance(lost, StaffConnectionLost)
    assert lost.deadline == at(40)
    assert pool.staff_status("s1") is StaffStatus.IN_SESSION
    (back,) = pool.staff_online("s1", frozenset({KSL}), at(25))
    assert isinstance(back, StaffReconnected)
    assert back.session.room_id == room
    assert pool.tick(at(41)) == []  # the grace deadline no longer applies
    assert pool.session_of("c1") is not None


def test_an_interpreter_who_does_not_come_back_ends_the_session() -> None:
    pool = make_pool(reconnect_grace=timedelta(seconds=30))
    on_duty(pool, "s1", KSL)
    start_session(pool, "s1", "c1", when=1)
    pool.staff_offline("s1", at(10))
    events = pool.tick(at(40))
    (ended,) = of_type(events, SessionEnded)
    assert ended.reason is EndReason.CONNECTION_LOST
    assert pool.staff_status("s1") is StaffStatus.OFFLINE
    assert pool.session_of("c1") is None


def test_a_reservation_due_now_goes_ahead_of_the_queue() -> None:
    pool = make_pool()
    pool.request("c1", "case1", KSL, at(1))
    pool.request("c2", "case2", KSL, at(2))
    pool.request("r1", "case-r1", KSL, at(3), priority=True)
    pool.request("r2", "case-r2", KSL, at(4), priority=True)
    assert [pool.position(c) for c in ("r1", "r2", "c1", "c2")] == [1, 2, 3, 4]
    on_duty(pool, "s1", KSL, when=5)
    offer = pool.open_offer("s1")
    assert offer is not None
    assert offer.case_id == "case-r1"


def test_a_reserved_citizen_is_offered_to_their_interpreter_first() -> None:
    pool = make_pool()
    on_duty(pool, "s1", KSL, when=0)  # idle longest: would get an ordinary request
    on_duty(pool, "s2", KSL, when=1)
    events = pool.request("r1", "case-r1", KSL, at(5), priority=True, preferred="s2")
    (made,) = of_type(events, OfferMade)
    assert made.offer.staff_id == "s2"


def test_a_reserved_citizen_whose_interpreter_is_busy_goes_to_the_next() -> None:
    pool = make_pool()
    on_duty(pool, "s1", KSL, when=0)
    on_duty(pool, "s2", KSL, when=1)
    pool.set_presence("s2", StaffStatus.AWAY, at(2), AwayReason.MEETING)
    pool.request("c1", "case1", KSL, at(3))  # takes s1
    events = pool.request("r1", "case-r1", KSL, at(5), priority=True, preferred="s2")
    assert of_type(events, OfferMade) == []
    assert pool.position("r1") == 1  # front of the line, ahead of anyone after
    pool.request("c2", "case2", KSL, at(6))
    assert pool.position("c2") == 3  # after r1 and c1 (still offered to s1)
    pool.set_presence("s2", AVAILABLE, at(7))
    offer = pool.open_offer("s2")
    assert offer is not None and offer.case_id == "case-r1"
    # Declined by the reserved interpreter: anyone qualified may take it.
    pool.decline("s2", offer.id, at(8))
    on_duty(pool, "s3", KSL, when=9)
    again = pool.open_offer("s3")
    assert again is not None and again.case_id == "case-r1"


def test_estimates_follow_staff_on_duty_and_recent_handle_times() -> None:
    pool = make_pool(default_handle=timedelta(seconds=300))
    for citizen in ("c1", "c2", "c3"):
        pool.request(citizen, f"case-{citizen}", KSL, at(0))
    # Nobody on duty: no estimate rather than a made-up number.
    assert {e.estimated_wait for e in pool.queue(at(0))} == {None}
    on_duty(pool, "s1", KSL, when=1)
    on_duty(pool, "s2", KSL, when=1)
    waits = {e.citizen_id: e.estimated_wait for e in pool.queue(at(1))}
    # Two are offered now; the third waits for the first one to finish.
    assert waits == {"c1": 0.0, "c2": 0.0, "c3": 300.0}


def test_a_citizen_who_reloads_in_session_has_a_grace_period_to_resume() -> None:
    pool = make_pool(reconnect_grace=timedelta(seconds=30))
    on_duty(pool, "s1", KSL)
    start_session(pool, "s1", "c1", when=1)
    pool.allow_resume("c1", "hash-1")
    (lost,) = pool.citizen_left("c1", at(10))
    assert isinstance(lost, CitizenConnectionLost)
    assert lost.deadline == at(40)
    assert pool.next_deadline() == at(40)
    assert pool.citizen_left("c1", at(11)) == []  # a second tab closing
    citizen_id, events = pool.resume("hash-1", at(20))
    assert citizen_id == "c1"
    assert [type(e) for e in events] == [CitizenReconnected]
    assert pool.tick(at(41)) == []  # the grace deadline no longer applies
    assert pool.session_of("c1") is not None


def test_a_citizen_who_does_not_come_back_ends_the_session() -> None:
    pool = make_pool(reconnect_grace=timedelta(seconds=30))
    on_duty(pool, "s1", KSL)
    start_session(pool, "s1", "c1", when=1)
    pool.allow_resume("c1", "hash-1")
    pool.citizen_left("c1", at(10))
    (ended,) = of_type(pool.tick(at(40)), SessionEnded)
    assert (ended.reason, ended.ended_by) == (
        EndReason.CONNECTION_LOST,
        Party.CITIZEN,
    )
    with pytest.raises(NotInRoom):
        pool.resume("hash-1", at(41))


def test_without_a_resume_token_a_dropped_citizen_ends_the_session_at_once() -> None:
    pool = make_pool(reconnect_grace=timedelta(seconds=30))
    on_duty(pool, "s1", KSL)
    start_session(pool, "s1", "c1", when=1)
    (ended,) = of_type(pool.citizen_left("c1", at(10)), SessionEnded)
    assert ended.reason is EndReason.CONNECTION_LOST
    with pytest.raises(NotInRoom):
        pool.resume("hash-unknown", at(11))
    with pytest.raises(NotInRoom):
        pool.allow_resume("c9", "hash-9")  # no session, no token


def test_a_reload_whose_new_page_comes_first_keeps_the_session_untouched() -> None:
    pool = make_pool(reconnect_grace=timedelta(seconds=30))
    on_duty(pool, "s1", KSL)
    start_session(pool, "s1", "c1", when=1)
    pool.allow_resume("c1", "hash-1", "page-1")
    assert pool.resume("hash-1", at(5), "page-2") == ("c1", [])
    assert pool.citizen_left("c1", at(6), "page-1") == []  # the old page goes
    assert pool.next_deadline() is None
    (lost,) = pool.citizen_left("c1", at(7), "page-2")
    assert isinstance(lost, CitizenConnectionLost)
