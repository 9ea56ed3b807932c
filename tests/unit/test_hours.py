"""Operating hours: examples in Seoul, DST edge cases, properties in several zones."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from counseling.errors import CounselingError
from counseling.hours import (
    CENTER_TZ,
    DEFAULT_WEEKLY,
    CalendarException,
    DayKind,
    ServiceClosed,
    ServiceHours,
    TimeWindow,
    WeeklyHours,
    first_instant,
    no_holidays,
    parse_exceptions,
)
from counseling.services import Service
from storage.hours_file import korean_holidays

SEOUL = ZoneInfo(CENTER_TZ)
NEW_YORK = ZoneInfo("America/New_York")
SIGN = Service.SIGN_LANGUAGE
FOREIGN = Service.FOREIGN_LANGUAGE
# A fake calendar: Chuseok 2026 and the substitute day for National Foundation Day.
FAKE_HOLIDAYS = frozenset(
    date(2026, month, day)
    for month, day in [(9, 24), (9, 25), (9, 26), (10, 3), (10, 5)]
)
SECOND = timedelta(seconds=1)
TICK = timedelta(microseconds=1)


def kst(
    month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026
) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SEOUL)


def weekly(
    weekday: Sequence[str] = (),
    weekend: Sequence[str] = (),
    holiday: Sequence[str] = (),
) -> WeeklyHours:
    return WeeklyHours(
        *(tuple(map(TimeWindow.parse, k)) for k in (weekday, weekend, holiday))
    )


def center(
    *exceptions: CalendarException,
    hours: WeeklyHours | None = None,
    tz: ZoneInfo = SEOUL,
) -> ServiceHours:
    chosen = DEFAULT_WEEKLY if hours is None else dict.fromkeys(Service, hours)
    return ServiceHours(tz, chosen, FAKE_HOLIDAYS.__contains__, exceptions)


def closure(first: date, last: date, *services: Service) -> CalendarException:
    return CalendarException(first, last, "closed", (), frozenset(services) or None)


# --- the defaults in Seoul ----------------------------------------------------


@pytest.mark.parametrize(
    ("service", "at", "expected"),
    [
        (SIGN, kst(11, 24, 10), True),  # a Tuesday
        (SIGN, kst(11, 24, 8, 59), False),
        (SIGN, kst(11, 24, 21, 59), True),
        (SIGN, kst(11, 24, 22), False),
        (FOREIGN, kst(11, 24, 22), False),
        (SIGN, kst(11, 28, 17, 59), True),  # a Saturday
        (SIGN, kst(11, 28, 18, 30), False),
        (FOREIGN, kst(11, 28, 18, 30), True),
        (SIGN, kst(9, 25, 18, 30), False),  # Chuseok, a Friday
        (FOREIGN, kst(9, 25, 18, 30), True),
        (SIGN, kst(9, 25, 13).astimezone(UTC), True),  # any zone may ask
    ],
)
def test_default_hours(service: Service, at: datetime, expected: bool) -> None:
    assert center().is_open(service, at) is expected


def test_the_defaults_cover_every_service_as_the_brief_says() -> None:
    assert set(DEFAULT_WEEKLY) == set(Service)
    assert DEFAULT_WEEKLY[SIGN] == weekly(
        ["09:00-22:00"], ["09:00-18:00"], ["09:00-18:00"]
    )
    assert DEFAULT_WEEKLY[FOREIGN] == weekly(*[["09:00-22:00"]] * 3)
    # Chat serves the same deaf and speech-impaired citizens as sign language.
    assert DEFAULT_WEEKLY[Service.CHAT] == DEFAULT_WEEKLY[SIGN]
    with pytest.raises(ValueError, match="no weekly hours for sign_language"):
        ServiceHours(SEOUL, {FOREIGN: weekly(), Service.CHAT: weekly()}, no_holidays)


def test_day_kinds_from_a_fake_calendar() -> None:
    hours = center()
    assert hours.day_kind(date(2026, 10, 2)) is DayKind.WEEKDAY
    assert hours.day_kind(date(2026, 10, 4)) is DayKind.WEEKEND
    assert hours.day_kind(date(2026, 10, 3)) is DayKind.HOLIDAY  # a Saturday holiday
    assert hours.day_kind(date(2026, 10, 5)) is DayKind.HOLIDAY  # substitute Monday


@pytest.mark.parametrize(
    ("day", "kind"),
    [
        (date(2026, 9, 25), DayKind.HOLIDAY),  # Chuseok
        (date(2026, 10, 5), DayKind.HOLIDAY),  # substitute for National Foundation Day
        (date(2026, 6, 3), DayKind.HOLIDAY),  # local election day, a one-off
        (date(2027, 2, 9), DayKind.HOLIDAY),  # substitute for Korean New Year
        (date(2026, 10, 6), DayKind.WEEKDAY),
        (date(2026, 10, 10), DayKind.WEEKEND),
    ],
)
def test_real_korean_holidays(day: date, kind: DayKind) -> None:
    hours = ServiceHours(SEOUL, DEFAULT_WEEKLY, korean_holidays(range(2026, 2027)))
    assert hours.day_kind(day) is kind


def test_next_open_skips_a_weekend_into_a_holiday_monday() -> None:
    hours = center(hours=weekly(["09:00-18:00"], holiday=["10:00-14:00"]))
    assert hours.next_open(SIGN, kst(10, 2, 18)) == kst(10, 3, 10)  # Saturday holiday
    assert hours.next_open(SIGN, kst(10, 3, 14)) == kst(10, 5, 10)  # holiday Monday
    office = center(hours=weekly(["09:00-18:00"]))
    assert office.next_open(SIGN, kst(10, 2, 18)) == kst(10, 6, 9)


def test_split_shifts() -> None:
    hours = center(hours=weekly(["09:00-12:00", "13:00-18:00"]))
    assert hours.is_open(SIGN, kst(11, 24, 11, 59))
    assert not hours.is_open(SIGN, kst(11, 24, 12, 30))
    assert hours.next_open(SIGN, kst(11, 24, 12, 30)) == kst(11, 24, 13)
    assert hours.next_close(SIGN, kst(11, 24, 10)) == kst(11, 24, 12)
    assert hours.next_close(SIGN, kst(11, 24, 12, 30)) is None
    assert hours.next_open(SIGN, kst(11, 24, 10)) == kst(11, 24, 10)


def test_next_close_merges_windows_across_midnight() -> None:
    hours = center(hours=weekly(["00:00-02:00", "18:00-24:00"]))
    assert hours.next_close(SIGN, kst(11, 24, 20)) == kst(11, 25, 2)
    assert hours.is_open(SIGN, kst(11, 25) - TICK) and hours.is_open(SIGN, kst(11, 25))
    assert hours.next_close(SIGN, kst(11, 27, 20)) == kst(11, 28)  # Saturday is shut
    always = center(hours=weekly(*[["00:00-24:00"]] * 3))
    assert always.next_close(SIGN, kst(11, 24)) is None  # no break within the horizon


def test_a_closure_for_all_services_and_one_for_one_service() -> None:
    year_end = closure(date(2026, 12, 31), date(2027, 1, 1))
    hours = center(year_end, closure(date(2026, 11, 24), date(2026, 11, 24), SIGN))
    assert not hours.is_open(FOREIGN, kst(12, 31, 10))
    assert hours.next_open(SIGN, kst(12, 31, 10)) == kst(1, 2, 9, year=2027)
    assert not hours.is_open(SIGN, kst(11, 24, 10))
    assert hours.is_open(FOREIGN, kst(11, 24, 10))
    assert hours.exception_on(SIGN, date(2026, 11, 24)) is hours.exceptions[1]


def test_a_special_opening_replaces_the_day_and_the_last_exception_wins() -> None:
    late = CalendarException(
        date(2026, 9, 24),
        date(2026, 9, 26),
        "Chuseok",
        (TimeWindow.parse("09:00-23:00"),),
    )
    hours = center(late, closure(date(2026, 9, 26), date(2026, 9, 26), SIGN))
    assert hours.windows_on(SIGN, date(2026, 9, 25)) == late.windows
    assert hours.is_open(SIGN, kst(9, 25, 22, 30))
    assert not hours.is_open(SIGN, kst(9, 26, 10))
    assert hours.is_open(FOREIGN, kst(9, 26, 22, 30))
    assert hours.next_close(SIGN, kst(9, 25, 10)) == kst(9, 25, 23)


def test_never_open_and_far_openings() -> None:
    shut = center(hours=weekly())
    assert shut.next_open(SIGN, kst(1, 1)) is None
    opening = CalendarException(
        date(2026, 12, 20),
        date(2026, 12, 20),
        "one day",
        (TimeWindow.parse("10:00-11:00"),),
    )
    assert center(opening, hours=weekly()).next_open(SIGN, kst(1, 1)) == kst(12, 20, 10)


def test_naive_times_are_refused() -> None:
    hours = center()
    naive = datetime(2026, 11, 24, 10)
    for ask in (hours.is_open, hours.next_open, hours.next_close, hours.ensure_open):
        with pytest.raises(ValueError, match="timezone-aware"):
            ask(SIGN, naive)


def test_service_closed_carries_the_next_opening() -> None:
    with pytest.raises(ServiceClosed) as caught:
        center().ensure_open(SIGN, kst(11, 27, 23))
    assert isinstance(caught.value, CounselingError)
    assert caught.value.code == "service_closed"
    assert caught.value.service is SIGN
    assert caught.value.next_open == kst(11, 28, 9)
    assert str(caught.value) == (
        "sign_language is closed; it opens next at 2026-11-28 09:00 (Asia/Seoul)"
    )
    assert "no opening" in str(ServiceClosed(SIGN, None))
    center().ensure_open(SIGN, kst(11, 27, 21))


# --- values and parsing ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("09:00-22:00", time(9), time(22)),
        ("18:00-24:00", time(18), time(0)),
        (" 0:00 - 24:00", time(0), time(0)),
    ],
)
def test_window_text(text: str, start: time, end: time) -> None:
    window = TimeWindow.parse(text)
    assert (window.start, window.end) == (start, end)
    assert TimeWindow.parse(str(window)) == window


@pytest.mark.parametrize(
    "text",
    [
        "09:00",
        "9-10",
        "10:00-09:00",
        "25:00-26:00",
        "09:00-09:00",
        "09:0-10:00",
        "٠٩:00-10:00",
    ],
)
def test_bad_window_text(text: str) -> None:
    with pytest.raises(ValueError, match="not a window"):
        TimeWindow.parse(text)


def test_bad_values() -> None:
    with pytest.raises(ValueError, match="whole minutes"):
        TimeWindow(time(9, 0, 30), time(10))
    with pytest.raises(ValueError, match="naive"):
        TimeWindow(time(9, tzinfo=UTC), time(10))
    with pytest.raises(ValueError, match="overlap"):
        weekly(["09:00-12:00", "11:00-13:00"])
    with pytest.raises(ValueError, match="overlap or are unsorted"):
        weekly(["13:00-14:00", "09:00-12:00"])
    weekly(["09:00-12:00", "12:00-13:00"])  # touching is fine
    day = date(2026, 1, 1)
    for bad, match in [
        ((day, day - timedelta(days=1), "x"), "before"),
        ((day, day, " "), "reason is required"),
        ((day, day, "x" * 201), "longer than 200"),
        ((day, day, "two\nlines"), "one line"),
        ((datetime(2026, 1, 1), day, "x"), "must be a date"),
    ]:
        with pytest.raises(ValueError, match=match):
            CalendarException(*bad)
    with pytest.raises(ValueError, match="one service at least"):
        CalendarException(day, day, "x", (), frozenset())


def test_parse_exceptions_reads_what_to_data_writes() -> None:
    data = [
        {"from": "2026-12-31", "to": date(2027, 1, 1), "reason": "연말 시스템 점검"},
        {
            "from": "2026-09-25",
            "reason": "Chuseok",
            "services": ["sign_language"],
            "open": ["09:00-13:00", "14:00-24:00"],
        },
    ]
    first, second = parse_exceptions(data)
    assert first == CalendarException(
        date(2026, 12, 31), date(2027, 1, 1), "연말 시스템 점검"
    )
    assert first.is_closure and not second.is_closure
    assert second.last_day == second.first_day == date(2026, 9, 25)
    assert second.services == frozenset({SIGN})
    assert parse_exceptions([e.to_data() for e in (first, second)]) == (first, second)


def entry(**fields: object) -> dict[str, object]:
    return {"from": "2026-01-01", "reason": "a", **fields}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"from": "2026-01-01"}, "must be a list"),
        (["x"], "exception #1: must be a table"),
        ([entry(), {"reason": "b"}], "exception #2: from: expected a date"),
        ([entry(**{"from": "2026-02-30"})], "exception #1: from: expected a date"),
        ([entry(to="2025-12-31")], "exception #1: last_day"),
        ([entry(reason=None)], "exception #1: reason: expected text"),
        ([entry(services=["chat_room"])], "exception #1: services: 'chat_room'"),
        ([entry(services="sign_language")], "exception #1: services: expected a list"),
        ([entry(open=["9-10"])], "exception #1: open: not a window"),
        ([entry(open=["09:00-12:00", "11:00-13:00"])], "exception #1: opening hours"),
        ([entry(until="2026-01-02")], "exception #1: unknown field"),
    ],
)
def test_parse_errors_name_the_entry_and_field(data: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_exceptions(data)


# --- daylight saving time -------------------------------------------------------


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_local_instants_around_daylight_saving_changes() -> None:
    # New York springs forward at 02:00 and falls back at 02:00.
    assert first_instant(date(2026, 3, 8), 150, NEW_YORK) == utc(2026, 3, 8, 7)
    assert first_instant(date(2026, 11, 1), 90, NEW_YORK) == utc(2026, 11, 1, 5, 30)
    assert first_instant(date(2026, 11, 1), 120, NEW_YORK) == utc(2026, 11, 1, 7)
    # Santiago skips midnight; Apia skipped 2011-12-30 entirely.
    santiago = ZoneInfo("America/Santiago")
    assert first_instant(date(2026, 9, 6), 0, santiago) == utc(2026, 9, 6, 4)
    apia = ZoneInfo("Pacific/Apia")
    assert first_instant(date(2011, 12, 30), 600, apia) == utc(2011, 12, 30, 10)


def test_windows_on_daylight_saving_days_in_new_york() -> None:
    def ny(month: int, day: int, hour: int, minute: int = 0, fold: int = 0) -> datetime:
        # In UTC: an ambiguous local time never equals a time in another zone.
        local = datetime(2026, month, day, hour, minute, fold=fold, tzinfo=NEW_YORK)
        return local.astimezone(UTC)

    spring = center(hours=weekly(weekend=["02:30-05:00"]), tz=NEW_YORK)
    assert spring.next_open(SIGN, ny(3, 8, 1)) == ny(3, 8, 3)  # 02:30 never happens
    assert spring.next_close(SIGN, ny(3, 8, 3)) == ny(3, 8, 5)
    fall = center(hours=weekly(weekend=["00:00-01:30", "01:40-01:50"]), tz=NEW_YORK)
    assert fall.next_close(SIGN, ny(11, 1, 1)) == ny(11, 1, 1, 30)  # the first 01:30
    assert not fall.is_open(SIGN, ny(11, 1, 1, 15, fold=1))  # the replayed 01:15
    replayed = ny(11, 1, 1, 45, fold=1)  # 01:40-01:50 happened an hour ago
    assert fall.next_open(SIGN, replayed) == ny(11, 7, 0)


# --- properties -----------------------------------------------------------------

ZONES = [
    ZoneInfo(n)
    for n in (CENTER_TZ, "America/New_York", "Europe/Berlin", "America/Santiago")
]
START, END = datetime(2026, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC)


def transitions(tz: ZoneInfo) -> list[datetime]:
    """Where the zone's UTC offset changes, to the second."""
    found, at = [], START
    while at < END:
        step = at + timedelta(hours=1)
        if at.astimezone(tz).utcoffset() != step.astimezone(tz).utcoffset():
            lo, hi = at, step
            while hi - lo > SECOND:
                mid = lo + (hi - lo) / 2
                same = mid.astimezone(tz).utcoffset() == lo.astimezone(tz).utcoffset()
                lo, hi = (mid, hi) if same else (lo, mid)
            found.append(hi)
        at = step
    return found


TRANSITIONS = {tz: transitions(tz) for tz in ZONES}
assert all(TRANSITIONS[tz] for tz in ZONES[1:]) and not TRANSITIONS[SEOUL]


def _windows(cuts: list[int]) -> tuple[TimeWindow, ...]:
    """Windows on half hours (so many start or end in a skipped or repeated hour)."""
    c = sorted(cuts)
    at = [time(n // 2 % 24, n % 2 * 30) for n in c]  # 48 half hours is 24:00
    return tuple(
        TimeWindow(at[i], at[i + 1]) for i in range(0, len(c) - 1, 2) if c[i] < c[i + 1]
    )


def edge_cuts(tz: ZoneInfo) -> list[int]:
    """Half hours of the local clock that a change skips or repeats, ends included."""
    cuts = set()
    for x in TRANSITIONS[tz]:
        offsets = [
            (m.astimezone(tz).utcoffset() or timedelta(0)) for m in (x - SECOND, x)
        ]
        at, last = sorted(x + offset for offset in offsets)
        while at <= last:
            cut = at.hour * 2 + at.minute // 30
            cuts |= {0, 48} if cut == 0 else {cut}  # midnight starts and ends days
            at += timedelta(minutes=30)
    return sorted(cuts) or [0, 48]


EDGES = {tz: st.sampled_from(edge_cuts(tz)) for tz in ZONES}
SERVICES = st.none() | st.frozensets(st.sampled_from(Service), min_size=1)
UTC_TIMES = st.datetimes(START.replace(tzinfo=None), END.replace(tzinfo=None))


@st.composite
def scenarios(draw: st.DrawFn, dst_days: bool) -> tuple[ServiceHours, datetime]:
    """Random weekly hours (split windows too), holidays, exceptions, and a moment.

    With ``dst_days``: a zone with DST, a moment within a day of a change, and most
    windows starting or ending in the time that change skips or repeats.
    """
    tz = draw(st.sampled_from(ZONES[1:] if dst_days else ZONES))
    cuts = st.integers(0, 48) | EDGES[tz]
    if dst_days:
        cuts = st.one_of(EDGES[tz], EDGES[tz], cuts)
    some = st.lists(cuts, min_size=2, max_size=6).map(_windows)
    windows = st.one_of(some, some, some, st.just(()))  # a quarter of days are shut
    if dst_days:
        change = draw(st.sampled_from(TRANSITIONS[tz]))
        now = change + timedelta(seconds=draw(st.integers(-86400, 86400)))
    else:
        now = draw(UTC_TIMES).replace(tzinfo=UTC)
    local_day = now.astimezone(tz).date()
    now = now.astimezone(draw(st.sampled_from([tz, UTC])))
    days = st.integers(-10, 10).map(lambda n: local_day + timedelta(days=n))
    exceptions = [
        CalendarException(
            first,
            first + timedelta(days=draw(st.integers(0, 3))),
            "x",
            draw(windows),
            draw(SERVICES),
        )
        for first in draw(st.lists(days, max_size=3))
    ]
    weekly = {
        s: WeeklyHours(draw(windows), draw(windows), draw(windows)) for s in Service
    }
    holidays = draw(st.frozensets(days, max_size=4))
    return ServiceHours(tz, weekly, holidays.__contains__, exceptions), now


def probes(
    hours: ServiceHours,
    service: Service,
    lo: datetime,
    hi: datetime,
    rng: random.Random,
) -> Iterator[datetime]:
    """Moments in [lo, hi): every window edge and zone change (and a second either
    side), and 50 random instants. In UTC: Python compares and subtracts datetimes
    that share a tzinfo by their wall clocks, which is wrong across a DST change."""
    tz, lo, hi = hours.tz, lo.astimezone(UTC), hi.astimezone(UTC)
    day, last = (
        lo.astimezone(tz).date() - timedelta(days=1),
        hi.astimezone(tz).date() + timedelta(days=1),
    )
    edges = [t for t in TRANSITIONS[tz] if lo <= t < hi]
    while day <= last:
        for w in hours.windows_on(service, day):
            for minute in (w.start_minute, w.end_minute):
                wall = datetime.combine(day, time()) + timedelta(minutes=minute)
                edges += [
                    wall.replace(tzinfo=tz, fold=f).astimezone(UTC) for f in (0, 1)
                ]
        day += timedelta(days=1)
    span = (hi - lo).total_seconds()
    moments = [e + d for e in edges for d in (-SECOND, -TICK, timedelta(0), SECOND)]
    moments += [lo + timedelta(seconds=rng.uniform(0, span)) for _ in range(50)]
    return (m for m in moments if lo <= m < hi)


def wall_clock_says_open(
    hours: ServiceHours, service: Service, at: datetime
) -> bool | None:
    """Open by reading the local clock: trustworthy only far from a zone change."""
    offsets = {
        (at + d).astimezone(hours.tz).utcoffset()
        for d in (-timedelta(hours=26), timedelta(0), timedelta(hours=26))
    }
    if len(offsets) > 1:
        return None
    local = at.astimezone(hours.tz)
    minute = (
        local - local.replace(hour=0, minute=0, second=0, microsecond=0)
    ) / timedelta(minutes=1)
    return any(
        w.start_minute <= minute < w.end_minute
        for w in hours.windows_on(service, local.date())
    )


DAYS = pytest.mark.parametrize("dst_days", [False, True], ids=["any_day", "dst_day"])


@DAYS
@settings(max_examples=100, deadline=None)
@given(st.data())
def test_next_open_is_open_and_nothing_before_it_is(
    dst_days: bool, data: st.DataObject
) -> None:
    hours, local_now = data.draw(scenarios(dst_days))
    service = data.draw(st.sampled_from(Service))
    rng = data.draw(st.randoms(use_true_random=False))
    opens = hours.next_open(service, local_now)
    now = local_now.astimezone(UTC)  # an ambiguous local time equals no UTC time
    assert hours.next_open(service, now) == opens
    if opens is None:
        assert not any(
            hours.is_open(service, m)
            for m in probes(hours, service, now, now + timedelta(days=8), rng)
        )
        return
    assert opens >= now and hours.is_open(service, opens)
    assert (opens == now) is hours.is_open(service, now)
    for moment in probes(hours, service, now, opens, rng):
        assert not hours.is_open(service, moment), moment
    for moment in [
        now,
        opens,
        *probes(hours, service, now, opens + timedelta(days=2), rng),
    ]:
        expected = wall_clock_says_open(hours, service, moment)
        assert expected is None or hours.is_open(service, moment) is expected, moment


@DAYS
@settings(max_examples=100, deadline=None)
@given(st.data())
def test_next_close_ends_the_open_period(dst_days: bool, data: st.DataObject) -> None:
    hours, now = data.draw(scenarios(dst_days))
    service = data.draw(st.sampled_from(Service))
    rng = data.draw(st.randoms(use_true_random=False))
    if not hours.is_open(service, now):
        assert hours.next_close(service, now) is None
    start = hours.next_open(service, now)
    if start is None:
        assert hours.next_close(service, now) is None
        return
    closes = hours.next_close(service, start)
    if closes is None:  # open without a break for the whole horizon
        assert all(
            hours.is_open(service, m)
            for m in probes(hours, service, start, start + timedelta(days=8), rng)
        )
        return
    assert closes > start
    assert hours.is_open(service, closes - TICK) and not hours.is_open(service, closes)
    assert hours.next_close(service, closes) is None
    for moment in probes(hours, service, start, closes, rng):
        assert hours.is_open(service, moment), moment
        assert hours.next_close(service, moment) == closes
