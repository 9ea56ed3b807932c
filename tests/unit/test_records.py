"""The counseling record's pure rules: the taxonomy, wrap-ups, satisfaction
tokens and scores, search cursors, statistics ranges and the 90th percentile."""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from counseling.case_search import CaseSearch, SearchCursor
from counseling.records import (
    DEFAULT_TAXONOMY,
    Category,
    Disposition,
    FeedbackInvite,
    InvalidRecordField,
    InvalidScore,
    Taxonomy,
    UnknownCategory,
    WrapupDraft,
    check_score,
    clean_note,
    feedback_token_hash,
)
from counseling.statistics import (
    Dimension,
    Granularity,
    InvalidStatsField,
    RangeReversed,
    RangeTooLong,
    StatsFilter,
    StatsQuery,
    StatsRange,
    offset_segments,
    p90_rank,
    percentile_90,
)

SEOUL = ZoneInfo("Asia/Seoul")
NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=SEOUL)


# -- the taxonomy ---------------------------------------------------------------------


def test_the_default_taxonomy_covers_a_city_call_center() -> None:
    codes = [c.code for c in DEFAULT_TAXONOMY.categories]
    for needed in (
        "transport",
        "welfare",
        "tax",
        "housing",
        "health",
        "tourism",
        "safety",
        "environment",
        "immigration",
        "other",
    ):
        assert needed in codes
    assert all(c.active and c.ko and c.en for c in DEFAULT_TAXONOMY.categories)
    assert DEFAULT_TAXONOMY.require("immigration").ko == "출입국·체류"


def test_a_taxonomy_is_read_from_data_with_retired_categories() -> None:
    taxonomy = Taxonomy.from_data(
        {
            "category": [
                {"code": "parking", "ko": "주차", "en": "Parking"},
                {"code": "old_bus", "ko": "버스", "en": "Bus", "active": False},
            ]
        }
    )
    assert taxonomy.require("parking") == Category("parking", "주차", "Parking")
    assert taxonomy.get("old_bus") is not None
    with pytest.raises(UnknownCategory):
        taxonomy.require("old_bus")  # kept for old cases, refused for new ones
    with pytest.raises(UnknownCategory):
        taxonomy.require("astrology")


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({}, "at least one"),
        ({"category": []}, "at least one"),
        ({"categories": []}, "unknown key"),
        ({"category": ["transport"]}, "#1: not a table"),
        ({"category": [{"code": "x", "ko": "가", "en": "A"}]}, "#1"),
        ({"category": [{"code": "Bus", "ko": "가", "en": "A"}]}, "lowercase"),
        ({"category": [{"code": "bus", "ko": " ", "en": "A"}]}, "ko label"),
        ({"category": [{"code": "bus", "ko": "가", "en": 3}]}, "en text"),
        ({"category": [{"code": "bus", "ko": "가", "en": "A", "x": 1}]}, "unknown"),
        (
            {"category": [{"code": "bus", "ko": "가", "en": "A", "active": "no"}]},
            "active",
        ),
        (
            {"category": [{"code": "bus", "ko": "가", "en": "A", "active": False}]},
            "one active",
        ),
        (
            {
                "category": [
                    {"code": "bus", "ko": "가", "en": "A"},
                    {"code": "bus", "ko": "나", "en": "B"},
                ]
            },
            "twice",
        ),
    ],
)
def test_a_bad_taxonomy_is_refused_with_its_entry(
    data: dict[str, Any], words: str
) -> None:
    with pytest.raises(ValueError, match=words):
        Taxonomy.from_data(data)


# -- wrap-ups -------------------------------------------------------------------------


def test_a_wrapup_draft_is_cleaned_and_keeps_only_what_its_outcome_needs() -> None:
    draft = WrapupDraft.create(
        DEFAULT_TAXONOMY,
        "housing",
        "  전세\r\n계약\x00 상담\u200d ",
        Disposition.FORWARDED,
        forwarded_to=" 주택정책과 ",
        follow_up_owner="ignored",
    )
    assert draft.summary == "전세\n계약 상담\u200d"
    assert (draft.forwarded_to, draft.follow_up_owner) == ("주택정책과", None)
    answered = WrapupDraft.create(
        DEFAULT_TAXONOMY, "tax", "   ", Disposition.ANSWERED, forwarded_to="x"
    )
    assert (answered.summary, answered.forwarded_to) == (None, None)


@pytest.mark.parametrize(
    ("changes", "error", "field"),
    [
        ({"category": "astrology"}, UnknownCategory, "category"),
        ({"disposition": Disposition.FORWARDED}, InvalidRecordField, "forwarded_to"),
        ({"disposition": Disposition.FOLLOW_UP}, InvalidRecordField, "follow_up_owner"),
        (
            {"disposition": Disposition.FOLLOW_UP, "follow_up_owner": "\t\n"},
            InvalidRecordField,
            "follow_up_owner",
        ),
        ({"summary": "가" * 4001}, InvalidRecordField, "summary"),
        (
            {"disposition": Disposition.FORWARDED, "forwarded_to": "과" * 101},
            InvalidRecordField,
            "forwarded_to",
        ),
    ],
)
def test_a_bad_wrapup_names_its_field(
    changes: dict[str, Any], error: type[Exception], field: str
) -> None:
    fields: dict[str, Any] = {
        "category": "transport",
        "summary": "버스",
        "disposition": Disposition.ANSWERED,
    } | changes
    with pytest.raises(error) as raised:
        WrapupDraft.create(DEFAULT_TAXONOMY, **fields)
    assert getattr(raised.value, "field", None) == field


def test_a_summary_of_exactly_the_limit_is_kept() -> None:
    assert clean_note("가" * 4000, "summary", 4000) == "가" * 4000
    assert clean_note(None, "summary", 10) is None


# -- satisfaction ---------------------------------------------------------------------


def test_a_feedback_invite_is_a_fresh_128_bit_token_stored_hashed() -> None:
    first, second = FeedbackInvite.new(NOW), FeedbackInvite.new(NOW)
    assert first.token != second.token
    assert len(first.token) == 32 and int(first.token, 16) >= 0
    assert first.token_hash == hashlib.sha256(first.token.encode()).hexdigest()
    assert first.token_hash == feedback_token_hash(first.token)
    assert first.expires_at == NOW + timedelta(hours=24)
    with pytest.raises(ValueError, match="aware"):
        FeedbackInvite.new(datetime(2026, 3, 2, 9, 0))


@pytest.mark.parametrize("score", [1, 2, 3, 4, 5])
def test_scores_one_to_five_are_accepted(score: int) -> None:
    assert check_score(score) == score


@pytest.mark.parametrize("score", [0, 6, -1, True, 4.0, "5", None])
def test_other_scores_are_refused(score: object) -> None:
    with pytest.raises(InvalidScore):
        check_score(score)


# -- search ---------------------------------------------------------------------------


@given(
    st.datetimes(
        min_value=datetime(1971, 1, 1),
        max_value=datetime(2200, 1, 1),
        timezones=st.just(UTC),
    ),
    st.from_regex(r"[0-9a-f]{32}", fullmatch=True),
)
def test_a_search_cursor_survives_its_text(moment: datetime, case_id: str) -> None:
    cursor = SearchCursor(moment, case_id)
    assert SearchCursor.decode(cursor.encode()) == cursor


@pytest.mark.parametrize("text", ["", "abc", "12_", "_ab", "1.5_ab", "12_a b", "x_1"])
def test_a_cursor_the_server_never_gave_is_refused(text: str) -> None:
    with pytest.raises(InvalidRecordField, match="cursor"):
        SearchCursor.decode(text)


def test_a_search_range_must_not_be_reversed() -> None:
    with pytest.raises(InvalidRecordField):
        CaseSearch(start=NOW, end=NOW - timedelta(days=1))


# -- the 90th percentile --------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "p90"),
    [
        ([], None),
        ([7.0], 7.0),
        ([float(n) for n in range(1, 11)], 9.0),
        ([float(n) for n in range(1, 12)], 10.0),
        ([float(n) for n in range(1, 101)], 90.0),
        ([5.0, 1.0, 3.0], 5.0),
    ],
)
def test_the_90th_percentile_by_nearest_rank(values: list[float], p90: float) -> None:
    assert percentile_90(values) == p90


@given(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=300))
def test_the_90th_percentile_splits_the_values_as_defined(values: list[float]) -> None:
    p90 = percentile_90(values)
    assert p90 is not None and p90 in values
    n = len(values)
    assert sum(v <= p90 for v in values) >= 0.9 * n  # at least 90% at or below
    assert sum(v < p90 for v in values) < 0.9 * n  # and it is the smallest such


@given(st.integers(1, 100_000))
def test_the_rank_is_the_ceiling_of_nine_tenths(count: int) -> None:
    rank = p90_rank(count)
    assert rank == math.ceil(count * 9 / 10)
    # The SQL test picks exactly this rank as the first that passes.
    assert 10 * rank >= 9 * count and not 10 * (rank - 1) >= 9 * count


# -- statistics ranges ----------------------------------------------------------------


def test_a_range_covers_whole_local_days() -> None:
    span = StatsRange(date(2026, 3, 1), date(2026, 3, 31), Granularity.DAY, SEOUL)
    assert span.start == datetime(2026, 3, 1, tzinfo=SEOUL)
    assert span.end == datetime(2026, 4, 1, tzinfo=SEOUL)
    assert len(span.buckets()) == 31
    hours = StatsRange(date(2026, 3, 1), date(2026, 3, 2), Granularity.HOUR, SEOUL)
    assert len(hours.buckets()) == 48
    assert hours.buckets()[25] == datetime(2026, 3, 2, 1, tzinfo=SEOUL)


def test_hour_buckets_follow_daylight_saving_time() -> None:
    spring = StatsRange(date(2026, 3, 8), date(2026, 3, 8), Granularity.HOUR, NEW_YORK)
    autumn = StatsRange(
        date(2026, 11, 1), date(2026, 11, 1), Granularity.HOUR, NEW_YORK
    )
    assert len(spring.buckets()) == 23  # 02:00 never happens
    assert len(autumn.buckets()) == 24  # 01:00 happens twice: one bucket
    elapsed = spring.end.astimezone(UTC) - spring.start.astimezone(UTC)
    assert elapsed == timedelta(hours=23)


def test_offset_segments_tell_a_database_without_zones_how_to_shift() -> None:
    seoul = StatsRange(date(2026, 1, 1), date(2026, 12, 31), Granularity.DAY, SEOUL)
    assert offset_segments(seoul.start, seoul.end, SEOUL) == [
        (datetime(2025, 12, 31, 15, tzinfo=UTC), 9 * 3600)
    ]
    spring = StatsRange(date(2026, 3, 1), date(2026, 3, 31), Granularity.DAY, NEW_YORK)
    pieces = offset_segments(spring.start, spring.end, NEW_YORK)
    assert [offset for _, offset in pieces] == [-5 * 3600, -4 * 3600]
    assert pieces[1][0] == datetime(2026, 3, 8, 7, tzinfo=UTC)  # 02:00 EST


@pytest.mark.parametrize(
    ("first", "last", "by", "error"),
    [
        (date(2026, 3, 2), date(2026, 3, 1), Granularity.DAY, RangeReversed),
        (date(2025, 1, 1), date(2026, 1, 2), Granularity.DAY, RangeTooLong),
        (date(2026, 1, 1), date(2026, 2, 1), Granularity.HOUR, RangeTooLong),
    ],
)
def test_a_reversed_or_too_long_range_is_refused(
    first: date, last: date, by: Granularity, error: type[Exception]
) -> None:
    with pytest.raises(error) as raised:
        StatsRange(first, last, by, SEOUL)
    assert getattr(raised.value, "field", None) == "to"


def test_the_longest_ranges_are_accepted() -> None:
    assert StatsRange(date(2025, 1, 1), date(2026, 1, 1), Granularity.DAY, SEOUL)
    assert StatsRange(date(2026, 1, 1), date(2026, 1, 31), Granularity.HOUR, SEOUL)


def test_filters_and_grouping_are_checked() -> None:
    span = StatsRange(date(2026, 3, 1), date(2026, 3, 1), Granularity.DAY, SEOUL)
    with pytest.raises(InvalidStatsField):
        StatsFilter(channel="fax")
    with pytest.raises(InvalidStatsField):
        StatsQuery(span, group_by=(Dimension.SERVICE, Dimension.SERVICE))
