"""The reservation rules: hours, shifts, overlaps, the automatic choice, join links."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from counseling.hours import DEFAULT_WEEKLY, ServiceHours, no_holidays
from counseling.reservations import (
    BOOKING_HORIZON,
    CitizenDetails,
    InvalidContact,
    InvalidField,
    JoinTokenExpired,
    JoinTooEarly,
    NoInterpreterFree,
    NotQualified,
    OutsideServiceHours,
    OutsideShift,
    Reservation,
    ReservationClosed,
    ReservationStatus,
    Roster,
    Shift,
    ShiftHoldsReservations,
    ShiftOverlap,
    SlotRequest,
    SlotTaken,
    StartInPast,
    TooFarAhead,
    UnknownStaff,
    check_shift_change,
    free_slots,
    join_token_hash,
    new_join_token,
    place,
)
from counseling.services import Language, Service, Skill

SEOUL = ZoneInfo("Asia/Seoul")
HOURS = ServiceHours(SEOUL, DEFAULT_WEEKLY, no_holidays)
KSL = Skill(Service.SIGN_LANGUAGE, Language.KSL)
ENGLISH = Skill(Service.FOREIGN_LANGUAGE, Language.EN)
# Monday 2030-03-04, 08:00 in Seoul: sign language opens at 09:00, closes at 22:00.
NOW = datetime(2030, 3, 4, 8, 0, tzinfo=SEOUL)
A, B, C = "a" * 32, "b" * 32, "c" * 32
_ids = itertools.count()


def at(hour: int, minute: int = 0, day: int = 0) -> datetime:
    return datetime.combine(NOW.date() + timedelta(days=day), time(hour, minute), SEOUL)


def shift(staff_id: str, start: datetime, end: datetime) -> Shift:
    return Shift(f"{next(_ids):032x}", staff_id, start, end)


def reservation(
    staff_id: str,
    start: datetime,
    minutes: int = 30,
    status: ReservationStatus = ReservationStatus.BOOKED,
    skill: Skill = KSL,
) -> Reservation:
    return Reservation(
        id=f"{next(_ids):032x}",
        skill=skill,
        staff_id=staff_id,
        start=start,
        end=start + timedelta(minutes=minutes),
        status=status,
        join_token_hash=join_token_hash(new_join_token()),
        citizen=CitizenDetails(),
        booked_by=None,
        created_at=NOW,
    )


def roster(*reservations: Reservation, day: int = 0) -> Roster:
    """A, B and C sign (A and B also speak English), all on shift 09:00-18:00."""
    return Roster(
        {
            A: frozenset({KSL, ENGLISH}),
            B: frozenset({KSL, ENGLISH}),
            C: frozenset({KSL}),
        },
        [shift(s, at(9, day=day), at(18, day=day)) for s in (A, B, C)],
        reservations,
    )


def ask(start: datetime, staff_id: str | None = None, minutes: int = 30) -> SlotRequest:
    return SlotRequest(KSL, start, timedelta(minutes=minutes), staff_id)


# -- values -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("010-1234-5678", "010-1234-5678"),
        ("  +82 10 1234 5678 ", "+82 10 1234 5678"),
        ("(02) 120-1234", "(02) 120-1234"),
        ("lee.minsu@example.kr", "lee.minsu@example.kr"),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_a_phone_number_or_email_is_a_contact(
    given: str | None, kept: str | None
) -> None:
    assert CitizenDetails.create(None, given, None).contact == kept


@pytest.mark.parametrize(
    "contact",
    [
        "call me",
        "1234",  # too few digits
        "+82 10 1234 5678 9999 1",  # too many
        "010-1234-5678x",
        "010+1234",
        "lee@localhost",
        "@example.kr",
        "lee minsu@example.kr",
        "\uff10\uff11\uff10-\uff11\uff12\uff13\uff14",  # full-width digits
    ],
)
def test_a_malformed_contact_is_refused_naming_the_field(contact: str) -> None:
    with pytest.raises(InvalidContact) as refused:
        CitizenDetails.create("Lee", contact, None)
    assert refused.value.field == "citizen_contact"
    assert refused.value.code == "invalid_contact"


@pytest.mark.parametrize(
    ("name", "contact", "notes", "field"),
    [
        ("Lee\x00Minsu", None, None, "citizen_name"),
        ("L" * 101, None, None, "citizen_name"),
        ("Lee\nMinsu", None, None, "citizen_name"),
        (None, None, "n" * 1001, "notes"),
        (None, "lee@" + "e" * 100 + ".kr", None, "citizen_contact"),
        (None, None, "bell\x07", "notes"),
    ],
)
def test_names_and_notes_are_checked(
    name: str | None, contact: str | None, notes: str | None, field: str
) -> None:
    with pytest.raises(InvalidField) as refused:
        CitizenDetails.create(name, contact, notes)
    assert refused.value.field == field


def test_notes_keep_their_lines() -> None:
    details = CitizenDetails.create(" 이민수 ", None, "line one\r\nline two\n")
    assert details == CitizenDetails("이민수", None, "line one\nline two")


@pytest.mark.parametrize(
    ("start", "minutes", "field"),
    [
        (datetime(2030, 3, 5, 10, 0), 30, "start"),  # naive
        (at(10).replace(second=30), 30, "start"),
        (at(10), 5, "duration_minutes"),
        (at(10), 181, "duration_minutes"),
    ],
)
def test_a_malformed_slot_is_refused(start: datetime, minutes: int, field: str) -> None:
    with pytest.raises(InvalidField) as refused:
        SlotRequest(KSL, start, timedelta(minutes=minutes))
    assert refused.value.field == field


def test_shift_checks_its_times() -> None:
    with pytest.raises(InvalidField, match="end"):
        shift(A, at(10), at(10))
    with pytest.raises(InvalidField, match="16 hours"):
        shift(A, at(6), at(6, day=1))


def test_join_tokens_are_random_and_stored_hashed() -> None:
    tokens = {new_join_token() for _ in range(100)}
    assert len(tokens) == 100
    assert all(len(t) >= 43 for t in tokens)
    token = tokens.pop()
    assert join_token_hash(token) == join_token_hash(token)
    assert token not in join_token_hash(token)


# -- the rules for a slot -----------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "error"),
    [
        (NOW - timedelta(minutes=1), StartInPast),
        (at(8, 30), OutsideServiceHours),  # opens at 09:00
        (at(21, 45), OutsideServiceHours),  # runs past 22:00
        (at(10, day=6), NoInterpreterFree),  # Sunday: open, but nobody on shift
        (at(17, 45, day=5), OutsideServiceHours),  # Saturday closes at 18:00
        (NOW + BOOKING_HORIZON + timedelta(minutes=1), TooFarAhead),
    ],
)
def test_slots_outside_the_rules_are_refused(
    start: datetime, error: type[Exception]
) -> None:
    with pytest.raises(error) as refused:
        place(ask(start), roster(), NOW, HOURS)
    assert getattr(refused.value, "field", None) == "start"


def test_a_slot_ending_at_closing_time_is_inside_hours() -> None:
    shifts = [shift(A, at(14), at(22))]
    late = Roster({A: frozenset({KSL})}, shifts)
    assert place(ask(at(21, 30)), late, NOW, HOURS) == A


@pytest.mark.parametrize(
    ("staff_id", "skill", "error", "field"),
    [
        ("f" * 32, KSL, UnknownStaff, "staff_id"),
        (C, ENGLISH, NotQualified, "staff_id"),
    ],
)
def test_a_named_interpreter_must_exist_and_be_qualified(
    staff_id: str, skill: Skill, error: type[Exception], field: str
) -> None:
    request = SlotRequest(skill, at(10), timedelta(minutes=30), staff_id)
    with pytest.raises(error) as refused:
        place(request, roster(), NOW, HOURS)
    assert getattr(refused.value, "field", None) == field


def test_a_named_interpreter_must_be_on_shift_for_the_whole_slot() -> None:
    with pytest.raises(OutsideShift):
        place(ask(at(17, 45), A), roster(), NOW, HOURS)
    assert place(ask(at(17, 30), A), roster(), NOW, HOURS) == A


@pytest.mark.parametrize(
    ("start", "minutes", "free"),
    [
        (at(9, 30), 30, True),  # ends as the other starts
        (at(9, 45), 30, False),
        (at(10, 15), 10, False),  # inside
        (at(9, 30), 60, False),  # around
        (at(10, 30), 30, True),  # starts as the other ends
    ],
)
def test_overlapping_slots_of_one_interpreter_are_refused(
    start: datetime, minutes: int, free: bool
) -> None:
    held = reservation(A, at(10))
    if free:
        assert place(ask(start, A, minutes), roster(held), NOW, HOURS) == A
    else:
        with pytest.raises(SlotTaken) as refused:
            place(ask(start, A, minutes), roster(held), NOW, HOURS)
        assert refused.value.conflict_id == held.id


@pytest.mark.parametrize(
    "status", [ReservationStatus.CANCELLED, ReservationStatus.NO_SHOW]
)
def test_released_reservations_free_their_slot(status: ReservationStatus) -> None:
    gone = reservation(A, at(10), status=status)
    assert place(ask(at(10), A), roster(gone), NOW, HOURS) == A


def test_a_move_does_not_conflict_with_itself() -> None:
    held = reservation(A, at(10))
    assert place(ask(at(10, 15), A), roster(held), NOW, HOURS, ignore=held.id) == A


# -- the automatic choice -------------------------------------------------------------


def test_the_choice_prefers_fewest_bookings_that_day() -> None:
    held = [reservation(A, at(9)), reservation(A, at(11)), reservation(B, at(12))]
    assert place(ask(at(15)), roster(*held), NOW, HOURS) == C


def test_then_the_longest_since_their_last_booking() -> None:
    held = [
        reservation(A, at(11)),
        reservation(B, at(9)),
        reservation(C, at(10)),
        # Yesterday's bookings do not count for the day, but for "since last".
        reservation(A, at(9, day=-1)),
    ]
    assert place(ask(at(15)), roster(*held), NOW, HOURS) == B


def test_the_choice_skips_busy_unqualified_and_off_shift_staff() -> None:
    held = [reservation(A, at(10)), reservation(B, at(10, 15))]
    english = SlotRequest(ENGLISH, at(10))
    with pytest.raises(NoInterpreterFree) as refused:
        place(english, roster(*held), NOW, HOURS)
    assert refused.value.field == "start"
    assert place(ask(at(10)), roster(*held), NOW, HOURS) == C
    with pytest.raises(NoInterpreterFree):
        place(
            ask(at(10), minutes=30), roster(*held, reservation(C, at(10))), NOW, HOURS
        )


def test_a_move_keeps_the_interpreter_when_they_can() -> None:
    held = reservation(A, at(10))
    busy = [held, reservation(A, at(12))]
    assert place(ask(at(11)), roster(*busy), NOW, HOURS, ignore=held.id, prefer=A) == A
    # At 12:00 A is taken; the one with the fewest bookings that day gets it.
    assert place(ask(at(12)), roster(*busy), NOW, HOURS, ignore=held.id, prefer=A) == B


# -- join links and no-shows -----------------------------------------------------------


def test_the_join_link_works_from_ten_minutes_before_to_the_end() -> None:
    r = reservation(A, at(10))
    with pytest.raises(JoinTooEarly) as early:
        r.check_join(at(9, 49))
    assert early.value.opens_at == at(9, 50)
    assert early.value.field == "token"
    r.check_join(at(9, 50))
    claimed = r.claimed(at(10, 5))
    assert claimed.status is ReservationStatus.CLAIMED
    assert claimed.claimed_at == at(10, 5)
    # A reload rejoins, keeping the first time; past the end it no longer works.
    assert claimed.claimed(at(10, 29)) == claimed
    with pytest.raises(JoinTokenExpired):
        claimed.check_join(at(10, 30))


def test_nobody_joined_ten_minutes_after_the_start_is_a_no_show() -> None:
    r = reservation(A, at(10))
    assert not r.is_no_show(at(10, 9))
    assert r.is_no_show(at(10, 10))
    with pytest.raises(JoinTokenExpired, match="released"):
        r.claimed(at(10, 10))
    released = r.released_as_no_show(at(10, 10))
    assert released.status is ReservationStatus.NO_SHOW
    assert released.closed_at == at(10, 10)
    assert not r.claimed(at(10, 9)).is_no_show(at(10, 20))


def test_only_a_booked_reservation_moves_or_is_cancelled() -> None:
    r = reservation(A, at(10))
    cancelled = r.cancelled(at(9))
    assert (cancelled.status, cancelled.revision) == (ReservationStatus.CANCELLED, 1)
    with pytest.raises(JoinTokenExpired, match="cancelled"):
        cancelled.check_join(at(10))
    for closed in (cancelled, r.claimed(at(10))):
        with pytest.raises(ReservationClosed) as refused:
            closed.moved(B, at(11), at(11, 30))
        assert refused.value.field == "reservation_id"
        with pytest.raises(ReservationClosed):
            closed.cancelled(at(10))


# -- shifts ---------------------------------------------------------------------------


def test_shifts_of_one_person_do_not_overlap() -> None:
    r = roster()
    with pytest.raises(ShiftOverlap):
        check_shift_change(r, shift(A, at(17), at(20)), NOW)
    check_shift_change(r, shift(A, at(18), at(20)), NOW)
    with pytest.raises(StartInPast):
        check_shift_change(r, shift(A, at(6), at(8)), NOW)


def test_a_shift_cannot_strand_its_reservations() -> None:
    held = reservation(A, at(16))
    r = roster(held)
    (old,) = (s for s in r.shifts if s.staff_id == A)
    shorter = Shift(old.id, A, at(9), at(16))
    with pytest.raises(ShiftHoldsReservations) as refused:
        check_shift_change(r, shorter, NOW, replacing=old)
    assert refused.value.reservation_ids == (held.id,)
    check_shift_change(r, Shift(old.id, A, at(9), at(16, 30)), NOW, replacing=old)


# -- free slots -----------------------------------------------------------------------


def test_free_slots_are_on_the_half_hour_inside_hours_and_shifts() -> None:
    held = [reservation(s, at(9)) for s in (A, B, C)]
    slots = free_slots(KSL, roster(*held), at(8, 50), HOURS, count=3)
    assert slots == [
        (at(9, 30), at(10)),
        (at(10), at(10, 30)),
        (at(10, 30), at(11)),
    ]


def test_free_slots_keep_a_lead_and_look_ahead_days() -> None:
    # Shifts only tomorrow: the first slot is tomorrow 09:00.
    slots = free_slots(KSL, roster(day=1), at(9, 50), HOURS, count=2)
    assert slots == [
        (at(9, day=1), at(9, 30, day=1)),
        (at(9, 30, day=1), at(10, day=1)),
    ]
    assert free_slots(KSL, roster(), at(17, 20), HOURS, count=5) == []


# -- properties -----------------------------------------------------------------------

starts = st.builds(
    lambda day, quarter, minutes, staff: (
        at(8, day=day) + timedelta(minutes=15 * quarter),
        minutes,
        staff,
    ),
    st.integers(0, 2),
    st.integers(0, 60),
    st.sampled_from([10, 15, 30, 45, 60, 90]),
    st.sampled_from([None, A, B, C]),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(starts, max_size=40))
def test_whatever_is_asked_nobody_is_double_booked(
    asks: list[tuple[datetime, int, str | None]],
) -> None:
    shifts = [shift(s, at(9, day=d), at(18, day=d)) for s in (A, B) for d in range(3)]
    shifts += [shift(C, at(12, day=d), at(21, day=d)) for d in range(3)]
    interpreters = {A: frozenset({KSL}), B: frozenset({KSL}), C: frozenset({KSL})}
    held: list[Reservation] = []
    for start, minutes, staff_id in asks:
        request = ask(start, staff_id, minutes)
        try:
            chosen = place(request, Roster(interpreters, shifts, held), NOW, HOURS)
        except (OutsideShift, OutsideServiceHours, SlotTaken, NoInterpreterFree):
            continue
        assert staff_id in (None, chosen)
        assert any(
            s.staff_id == chosen and s.covers(request.start, request.end)
            for s in shifts
        )
        assert HOURS.is_open(KSL.service, request.start)
        held.append(reservation(chosen, request.start, minutes))
    for one, other in itertools.combinations(held, 2):
        if one.staff_id == other.staff_id:
            assert not one.overlaps(other.start, other.end), (one, other)


@settings(max_examples=60, deadline=None)
@given(st.lists(starts, max_size=15), st.integers(0, 40))
def test_every_free_slot_offered_can_be_booked(
    asks: list[tuple[datetime, int, str | None]], quarter: int
) -> None:
    held = [
        reservation(staff_id or A, start, minutes) for start, minutes, staff_id in asks
    ]
    # Keep the roster consistent: drop reservations that overlap an earlier one.
    kept: list[Reservation] = []
    for r in held:
        if all(
            k.staff_id != r.staff_id or not k.overlaps(r.start, r.end) for k in kept
        ):
            kept.append(r)
    now = at(7) + timedelta(minutes=15 * quarter)
    team = roster(*kept)
    for start, _ in free_slots(
        KSL, team, now, HOURS, count=20, horizon=timedelta(days=1)
    ):
        assert place(ask(start), team, now, HOURS) in (A, B, C)


# -- the documents agree with the core -----------------------------------------------


def _document() -> dict[str, Any]:
    path = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
    loaded: dict[str, Any] = yaml.safe_load(path.read_text("utf-8"))
    return loaded


def test_openapi_lists_the_reservation_statuses() -> None:
    enum = _document()["components"]["schemas"]["ReservationStatus"]["enum"]
    assert enum == [s.value for s in ReservationStatus]


def test_times_come_back_in_utc() -> None:
    r = reservation(A, at(10))
    assert r.start.tzinfo is UTC
    assert r.start == at(10)
