"""The SQL record program on SQLite and PostgreSQL: wrap-ups, satisfaction, search,
statistics of a seeded month checked against figures worked out independently,
and retention."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from counseling.case_search import CaseSearch
from counseling.cases import Case
from counseling.records import (
    CaseErased,
    CaseNotAnswered,
    CaseNotFound,
    Disposition,
    FeedbackExpired,
    FeedbackInvite,
    FeedbackTokenUnknown,
    FeedbackUsed,
    InvalidScore,
)
from counseling.services import Language, Service, Skill
from counseling.staff import StaffAccount, StaffRole
from counseling.statistics import (
    Dimension,
    Granularity,
    StatsFilter,
    StatsQuery,
    StatsRange,
    StatsRow,
)
from storage.database import Database
from storage.models import Base
from tests.integration.record_stores import (
    KSL,
    MARCH,
    NOW,
    Stores,
    answered_case,
    draft,
    seeded_month,
    stores,
)
from tests.records_month import (
    SEOUL,
    expected,
    insert_month,
)

__all__ = ["stores"]  # a fixture used here

VIETNAMESE = Skill(Service.FOREIGN_LANGUAGE, Language.VI)
MY_TABLES = {"case_wrapups", "case_feedback", "case_erasures"}


def _drift(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection)
    return list(compare_metadata(context, Base.metadata))


async def test_migration_0004_matches_the_models(database: Database) -> None:
    async with database.engine.connect() as connection:
        drift = await connection.run_sync(_drift)
        tables = await connection.run_sync(
            lambda sync: set(sync.dialect.get_table_names(sync))
        )
    assert drift == []
    assert tables >= MY_TABLES


# -- wrap-ups --------------------------------------------------------------------------


async def test_a_wrapup_is_written_then_rewritten(stores: Stores) -> None:
    case = await answered_case(stores, "c1", "kim", NOW)
    first = await stores.records.save_wrapup("c1", draft(), "kim", NOW)
    assert (first.category, first.summary, first.written_by) == (
        "transport",
        "버스 노선 문의",
        "kim",
    )

    later = NOW + timedelta(minutes=5)
    forwarded = draft(
        "housing",
        summary=" 전세 사기 신고 \r\n 안내 ",
        disposition=Disposition.FORWARDED,
        forwarded_to="주택정책과",
    )
    second = await stores.records.save_wrapup(case.id, forwarded, "boss", later)

    assert await stores.records.get_wrapup("c1") == second
    assert (second.category, second.summary) == ("housing", "전세 사기 신고 \n 안내")
    assert (second.disposition, second.forwarded_to) == (
        Disposition.FORWARDED,
        "주택정책과",
    )
    # The first author and time stay; the change time moves.
    assert (second.written_by, second.written_at, second.updated_at) == (
        "kim",
        NOW,
        later,
    )


async def test_a_wrapup_is_refused_for_unknown_unanswered_and_erased_cases(
    stores: Stores,
) -> None:
    waiting = Case.open("w1", KSL, NOW)
    await stores.cases.add(waiting)
    await answered_case(stores, "old", "kim", NOW - timedelta(days=40))
    await stores.records.apply_retention(NOW, 30)

    with pytest.raises(CaseNotFound):
        await stores.records.save_wrapup("nope", draft(), "kim", NOW)
    with pytest.raises(CaseNotAnswered):
        await stores.records.save_wrapup("w1", draft(), "kim", NOW)
    with pytest.raises(CaseErased):
        await stores.records.save_wrapup("old", draft(), "kim", NOW)
    for case_id in ("w1", "old"):
        assert await stores.records.get_wrapup(case_id) is None


# -- satisfaction ----------------------------------------------------------------------


async def test_feedback_is_given_once_with_its_one_time_token(stores: Stores) -> None:
    await answered_case(stores, "c1", "kim", NOW)
    invite = FeedbackInvite.new(NOW)
    await stores.records.issue_feedback("c1", invite.token_hash, invite.expires_at)

    given = await stores.records.give_feedback(
        invite.token_hash, 5, " 감사합니다 ", NOW
    )

    assert (given.case_id, given.score, given.comment) == ("c1", 5, "감사합니다")
    record = await stores.records.record("c1")
    assert record.feedback == given
    with pytest.raises(FeedbackUsed):
        await stores.records.give_feedback(invite.token_hash, 1, "바꿀래요", NOW)
    with pytest.raises(FeedbackUsed):  # and no new link for a rated case
        await stores.records.issue_feedback("c1", "f" * 64, invite.expires_at)
    assert (await stores.records.record("c1")).feedback == given


async def test_feedback_refusals_change_nothing(stores: Stores) -> None:
    await answered_case(stores, "c1", "kim", NOW)
    await stores.cases.add(Case.open("w1", KSL, NOW))
    invite = FeedbackInvite.new(NOW, timedelta(hours=1))
    await stores.records.issue_feedback("c1", invite.token_hash, invite.expires_at)

    with pytest.raises(FeedbackTokenUnknown):
        await stores.records.give_feedback("0" * 64, 4, None, NOW)
    for bad in (0, 6, -1):
        with pytest.raises(InvalidScore):
            await stores.records.give_feedback(invite.token_hash, bad, None, NOW)
    with pytest.raises(FeedbackExpired):
        await stores.records.give_feedback(
            invite.token_hash, 4, None, invite.expires_at
        )
    with pytest.raises(CaseNotAnswered):
        await stores.records.issue_feedback("w1", "e" * 64, invite.expires_at)
    with pytest.raises(CaseNotFound):
        await stores.records.issue_feedback("nope", "e" * 64, invite.expires_at)

    feedback = (await stores.records.record("c1")).feedback
    assert feedback is not None
    assert (feedback.score, feedback.comment, feedback.answered_at) == (
        None,
        None,
        None,
    )
    assert (await stores.records.record("w1")).feedback is None


async def test_a_new_link_replaces_an_unused_one(stores: Stores) -> None:
    await answered_case(stores, "c1", "kim", NOW)
    first, second = FeedbackInvite.new(NOW), FeedbackInvite.new(NOW)
    await stores.records.issue_feedback("c1", first.token_hash, first.expires_at)
    await stores.records.issue_feedback("c1", second.token_hash, second.expires_at)

    with pytest.raises(FeedbackTokenUnknown):
        await stores.records.give_feedback(first.token_hash, 3, None, NOW)
    assert (
        await stores.records.give_feedback(second.token_hash, 3, None, NOW)
    ).score == 3


# -- search ----------------------------------------------------------------------------


async def test_search_filters_and_pages_newest_first(stores: Stores) -> None:
    kim = StaffAccount(
        "k" * 32, "kim.s", "Kim Suhwa", StaffRole.INTERPRETER, frozenset({KSL}), "x"
    )
    await stores.staff.add(kim)
    base = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)  # 09:30 in Seoul
    made = []
    for n in range(7):
        skill = KSL if n % 2 == 0 else VIETNAMESE
        staff = kim.id if n % 3 != 2 else "o" * 32
        made.append(
            await answered_case(
                stores, f"{n:032x}", staff, base + timedelta(days=n), skill
            )
        )
    await stores.records.save_wrapup(made[0].id, draft("tax"), kim.id, NOW)
    await stores.records.save_wrapup(
        made[4].id,
        draft("tax", disposition=Disposition.FOLLOW_UP, follow_up_owner="세무과 김"),
        kim.id,
        NOW,
    )
    await stores.records.save_wrapup(made[3].id, draft("health"), "o" * 32, NOW)
    invite = FeedbackInvite.new(NOW)
    await stores.records.issue_feedback(
        made[4].id, invite.token_hash, invite.expires_at
    )
    await stores.records.give_feedback(invite.token_hash, 4, None, NOW)

    async def ids(filters: CaseSearch, limit: int = 50) -> list[str]:
        page = await stores.records.search(filters, limit, None)
        return [c.id for c in page.cases]

    everything = await ids(CaseSearch())
    assert everything == [c.id for c in reversed(made)]
    assert await ids(CaseSearch(category="tax")) == [made[4].id, made[0].id]
    assert await ids(CaseSearch(category="tax", disposition=Disposition.FOLLOW_UP)) == [
        made[4].id
    ]
    assert await ids(CaseSearch(service=Service.FOREIGN_LANGUAGE)) == [
        made[5].id,
        made[3].id,
        made[1].id,
    ]
    assert await ids(CaseSearch(language=Language.KSL, interpreter_id=kim.id)) == [
        made[6].id,
        made[4].id,
        made[0].id,
    ]
    window = CaseSearch(start=base + timedelta(days=2), end=base + timedelta(days=4))
    assert await ids(window) == [made[3].id, made[2].id]

    hit = (
        await stores.records.search(
            CaseSearch(category="tax", disposition=Disposition.FOLLOW_UP), 5, None
        )
    ).cases[0]
    assert (hit.interpreter_name, hit.category, hit.disposition, hit.score) == (
        "Kim Suhwa",
        "tax",
        "follow_up",
        4,
    )
    assert hit.wait_seconds == 30.0 and hit.handle_seconds == 570.0

    # Three at a time, following the cursor, gives everything once, in order.
    walked, cursor = [], None
    while True:
        page = await stores.records.search(CaseSearch(), 3, cursor)
        walked += [c.id for c in page.cases]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert walked == everything


# -- statistics of a seeded month -----------------------------------------------------

FIGURE_NAMES = (
    "requests", "answered", "abandoned", "unanswered", "answered_within_60",
    "answered_within_120", "wait_average", "wait_p90", "handle_average",
    "satisfaction_count", "satisfaction_average",
)  # fmt: skip


def as_figures(row: StatsRow) -> dict[str, Any]:
    return {name: getattr(row, name) for name in FIGURE_NAMES} | {
        "satisfaction": list(row.satisfaction)
    }


def assert_figures(
    got: dict[tuple[str | None, ...], dict[str, Any]],
    want: dict[tuple[str | None, ...], dict[str, Any]],
) -> None:
    assert set(got) == set(want)
    for key, figures in want.items():
        for name, value in figures.items():
            if isinstance(value, float):
                assert got[key][name] == pytest.approx(value, rel=1e-9), (key, name)
            else:
                assert got[key][name] == value, (key, name)


def keyed(
    rows: Sequence[StatsRow], group: Sequence[Dimension]
) -> dict[tuple[str | None, ...], dict[str, Any]]:
    return {
        (
            None if r.bucket is None else r.bucket.isoformat(),
            *(getattr(r, d.value) for d in group),
        ): as_figures(r)
        for r in rows
    }


# (granularity, group by, only cases with these fields): asked of one month.
QUESTIONS: list[tuple[Granularity, tuple[Dimension, ...], dict[str, str]]] = [
    (Granularity.DAY, (), {}),
    (Granularity.HOUR, (), {}),
    (Granularity.DAY, (Dimension.SERVICE, Dimension.LANGUAGE), {}),
    (Granularity.HOUR, (Dimension.CHANNEL,), {"language": "vi"}),
    (Granularity.DAY, (), {"service": "sign_language"}),
]


async def test_statistics_of_a_seeded_month(stores: Stores) -> None:
    """Day and hour, grouped and filtered, against figures worked out in Python."""
    cases = seeded_month()
    assert 75_000 < len(cases) < 90_000
    await insert_month(stores.db, cases)

    for by, group, only in QUESTIONS:
        chosen = StatsFilter(
            service=Service(only["service"]) if "service" in only else None,
            language=Language(only["language"]) if "language" in only else None,
        )
        query = StatsQuery(StatsRange(*MARCH, by, SEOUL), chosen, group)

        stats = await stores.records.statistics(query)

        names = [d.value for d in group]
        want = expected(cases, *MARCH, by.value, names, only)
        assert_figures(keyed(stats.rows, group), want)
        totals = expected(cases, *MARCH, None, names, only)
        assert_figures(keyed(stats.totals, group), totals)
        buckets = [r.bucket for r in stats.rows]
        assert buckets == sorted(b for b in buckets if b is not None)
    assert len(want) == 31  # every day of March had sign-language requests
