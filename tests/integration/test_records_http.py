"""The record program over HTTP through the whole app, on SQLite and PostgreSQL:
statistics of a seeded month as the API and the CSV give them, wrap-ups, the
citizen's satisfaction, search, the Open311 export, and refusals that change
nothing."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from counseling.cases import Case
from counseling.records import feedback_token_hash
from counseling.services import Language, Service, Skill
from signaling.records_http import RECORDS
from tests.integration.conftest import base_url, login, runtime
from tests.integration.record_stores import MARCH, seeded_month
from tests.integration.records_api import KSL, Staff, answered, refused
from tests.records_month import SEOUL, expected, insert_month

ENGLISH = Skill(Service.FOREIGN_LANGUAGE, Language.EN)
DEADLINE_S = 10.0


@pytest.fixture
async def signed_in(
    any_db_server: TestServer,
) -> AsyncIterator[dict[str, Staff]]:
    """The demo interpreter, English counselor, scheduler and supervisor."""
    clients: dict[str, Staff] = {}
    sessions = []
    for username in ("interpreter.ksl", "counselor.en", "scheduler", "supervisor"):
        profile, token = await login(any_db_server, username)
        session = aiohttp.ClientSession(
            base_url(any_db_server), cookies={"dasan_session": token}
        )
        sessions.append(session)
        clients[username] = Staff(session, profile)
    yield clients
    for session in sessions:
        await session.close()


# -- statistics of a seeded month -----------------------------------------------------


def by_key(rows: list[dict[str, Any]], group: list[str]) -> dict[tuple[Any, ...], Any]:
    return {(r["bucket"], *(r[g] for g in group)): r for r in rows}


def assert_matches(
    got: dict[tuple[Any, ...], Any], want: dict[tuple[Any, ...], dict[str, Any]]
) -> None:
    assert set(got) == set(want)
    for key, figures in want.items():
        for name, value in figures.items():
            if isinstance(value, float):
                assert got[key][name] == pytest.approx(value, rel=1e-9), (key, name)
            else:
                assert got[key][name] == value, (key, name)


async def test_statistics_api_and_csv_give_the_seeded_month(
    any_db_server: TestServer, signed_in: dict[str, Staff]
) -> None:
    cases = seeded_month()
    await insert_month(runtime(any_db_server).database, cases)
    boss = signed_in["supervisor"]
    first, last = (d.isoformat() for d in MARCH)

    for by, extra, group, only in (
        ("day", "", [], {}),
        ("hour", "&language=vi", [], {"language": "vi"}),
        ("day", "&group=service,language", ["service", "language"], {}),
    ):
        body = await boss.call(
            "GET", f"/api/statistics?from={first}&to={last}&by={by}{extra}"
        )
        assert_matches(
            by_key(body["rows"], group), expected(cases, *MARCH, by, group, only)
        )
        assert_matches(
            by_key(body["totals"], group), expected(cases, *MARCH, None, group, only)
        )
        assert len(body["buckets"]) == (31 if by == "day" else 31 * 24)
        assert body["buckets"][0] == "2026-03-01T00:00:00+09:00"

    text = await boss.call(
        "GET", f"/api/statistics.csv?from={first}&to={last}&by=day&service=chat"
    )
    assert text.startswith("\ufeffbucket,service,language,channel,requests,")
    lines = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    want = expected(cases, *MARCH, "day", [], {"service": "chat"})
    assert len(lines) == 31 + 1 and lines[-1]["bucket"] == "total"
    for line in lines[:-1]:
        figures = want[(line["bucket"],)]
        assert int(line["requests"]) == figures["requests"]
        assert int(line["abandoned"]) == figures["abandoned"]
        assert float(line["wait_p90"]) == pytest.approx(figures["wait_p90"], abs=0.05)
    total = expected(cases, *MARCH, None, [], {"service": "chat"})[(None,)]
    assert int(lines[-1]["answered"]) == total["answered"]
    assert [int(lines[-1][f"score_{n}"]) for n in range(1, 6)] == total["satisfaction"]


async def test_statistics_refuse_bad_ranges_and_filters(
    any_db_server: TestServer, signed_in: dict[str, Staff]
) -> None:
    boss = signed_in["supervisor"]
    for query, code in (
        ("from=2026-03-10&to=2026-03-01", "range_reversed"),
        ("from=2026-01-01&to=2026-03-01&by=hour", "range_too_long"),
        ("from=2024-01-01&to=2026-03-01", "range_too_long"),
        ("from=yesterday", "invalid_field"),
        ("by=week", "invalid_field"),
        ("service=astrology", "unknown_service"),
        ("language=xx", "unknown_language"),
        ("channel=fax", "invalid_field"),
        ("group=service,service", "invalid_field"),
        ("group=colour", "invalid_field"),
    ):
        for path in ("/api/statistics", "/api/statistics.csv"):
            assert await refused(boss, "GET", f"{path}?{query}") == code, query
    for who in ("interpreter.ksl", "scheduler"):
        assert await refused(signed_in[who], "GET", "/api/statistics", status=403)
    async with aiohttp.ClientSession(base_url(any_db_server)) as anonymous:
        assert await refused(anonymous, "GET", "/api/statistics", status=401)


# -- wrap-ups -------------------------------------------------------------------------


async def test_only_the_answering_interpreter_or_a_supervisor_writes_the_wrapup(
    any_db_server: TestServer,
    signed_in: dict[str, Staff],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="dasan.audit")
    kim, emily = signed_in["interpreter.ksl"], signed_in["counselor.en"]
    boss = signed_in["supervisor"]
    case = await answered(any_db_server, kim.id)
    path = f"/api/cases/{case.id}/wrapup"
    good = {
        "category": "welfare",
        "summary": "장애인 활동지원 신청 방법 안내",
        "disposition": "follow_up",
        "follow_up_owner": "복지정책과 이담당",
    }

    written = await kim.call("PUT", path, good)
    assert (written["category"], written["written_by"]) == ("welfare", kim.id)
    assert written["written_at"].endswith("+09:00")  # the center's time zone

    # Refused: another interpreter, bad fields; the stored wrap-up stays as it is.
    assert await refused(emily, "PUT", path, good, 403) == "forbidden"
    for body, code in (
        (good | {"category": "astrology"}, "unknown_category"),
        (good | {"follow_up_owner": "  "}, "invalid_field"),
        (good | {"disposition": "forwarded", "follow_up_owner": None}, "invalid_field"),
        (good | {"summary": "가" * 4001}, "invalid_field"),
        (good | {"disposition": "lost"}, "invalid_payload"),
        (good | {"secret": 1}, "invalid_payload"),
    ):
        assert await refused(kim, "PUT", path, body) == code, body
    record = await kim.call("GET", f"/api/cases/{case.id}/record")
    assert record["wrapup"] == written

    # A supervisor may correct it; the first author stays.
    fixed = await boss.call("PUT", path, good | {"category": "housing"})
    assert (fixed["category"], fixed["written_by"]) == ("housing", kim.id)
    assert await emily.call("GET", f"/api/cases/{case.id}/record", status=403)

    waiting = Case.open("f" * 32, KSL, datetime.now(UTC))
    await runtime(any_db_server).cases.add(waiting)
    assert await refused(boss, "PUT", f"/api/cases/{'f' * 32}/wrapup", good, 409) == (
        "case_not_answered"
    )
    assert await refused(boss, "PUT", f"/api/cases/{'e' * 32}/wrapup", good, 404) == (
        "not_found"
    )
    audit = [r.getMessage() for r in caplog.records if r.name == "dasan.audit"]
    assert any(case.id in line and "wrote the wrap-up" in line for line in audit)
    assert not [line for line in audit if "활동지원" in line or "이담당" in line]


# -- the citizen's satisfaction -------------------------------------------------------


async def test_a_citizen_rates_a_case_once_with_the_token(
    any_db_server: TestServer, signed_in: dict[str, Staff]
) -> None:
    kim = signed_in["interpreter.ksl"]
    case = await answered(any_db_server, kim.id)
    records = any_db_server.app[RECORDS]
    invite = await records.invite_feedback(case.id)
    assert len(invite.token) == 32 and invite.expires_at > datetime.now(UTC)

    async with aiohttp.ClientSession(base_url(any_db_server)) as citizen:
        for body, code in (
            ({"token": invite.token, "score": 6}, "invalid_score"),
            ({"token": invite.token, "score": 0}, "invalid_score"),
            ({"token": invite.token, "score": "5"}, "invalid_score"),
            ({"token": invite.token, "score": 4.5}, "invalid_score"),
            ({"token": invite.token}, "invalid_score"),
            ({"token": "nope", "score": 5}, "invalid_payload"),
        ):
            assert await refused(citizen, "POST", "/api/feedback", body) == code, body
        assert (await kim.call("GET", f"/api/cases/{case.id}/record"))["feedback"][
            "score"
        ] is None

        rating = {"token": invite.token, "score": 4, "comment": "  빨리 연결됐어요 "}
        async with citizen.post("/api/feedback", json=rating) as response:
            assert response.status == 204
        again = rating | {"score": 1}
        assert await refused(citizen, "POST", "/api/feedback", again, 409) == (
            "feedback_used"
        )
        unknown = {"token": "0" * 32, "score": 5}
        assert await refused(citizen, "POST", "/api/feedback", unknown, 404) == (
            "feedback_token_unknown"
        )
        late = await answered(any_db_server, kim.id, minutes_ago=60 * 30)
        old = "1" * 32
        await records.records.issue_feedback(
            late.id, feedback_token_hash(old), datetime.now(UTC) - timedelta(hours=1)
        )
        expired = {"token": old, "score": 5}
        assert await refused(citizen, "POST", "/api/feedback", expired, 410) == (
            "feedback_expired"
        )

    feedback = (await kim.call("GET", f"/api/cases/{case.id}/record"))["feedback"]
    assert (feedback["score"], feedback["comment"]) == (4, "빨리 연결됐어요")


# -- search and export ----------------------------------------------------------------


async def test_staff_search_cases_within_their_rights(
    any_db_server: TestServer, signed_in: dict[str, Staff]
) -> None:
    kim, emily = signed_in["interpreter.ksl"], signed_in["counselor.en"]
    boss = signed_in["supervisor"]
    mine = [await answered(any_db_server, kim.id, minutes_ago=m) for m in (50, 40, 30)]
    theirs = await answered(any_db_server, emily.id, ENGLISH, minutes_ago=20)
    wrap = {"category": "tax", "summary": "지방세 납부", "disposition": "answered"}
    await kim.call("PUT", f"/api/cases/{mine[1].id}/wrapup", wrap)

    def ids(body: dict[str, Any]) -> list[str]:
        return [c["id"] for c in body["cases"]]

    everyone = await boss.call("GET", "/api/cases/search")
    assert ids(everyone) == [theirs.id, *(c.id for c in reversed(mine))]
    assert "summary" not in everyone["cases"][0]  # no personal fields in results
    assert ids(await kim.call("GET", "/api/cases/search")) == [
        c.id for c in reversed(mine)
    ]
    assert ids(await boss.call("GET", f"/api/cases/search?interpreter={emily.id}")) == [
        theirs.id
    ]
    taxed = await boss.call(
        "GET", "/api/cases/search?category=tax&service=sign_language"
    )
    assert ids(taxed) == [mine[1].id]
    assert taxed["cases"][0]["interpreter_name"] == "Kim Suhwa"
    today = datetime.now(SEOUL).date().isoformat()
    assert ids(
        await boss.call("GET", f"/api/cases/search?language=en&from={today}")
    ) in (
        [theirs.id],
        [],  # only if the test ran across midnight in Seoul
    )

    first = await boss.call("GET", "/api/cases/search?limit=2")
    second = await boss.call(
        "GET", f"/api/cases/search?limit=2&cursor={first['next_cursor']}"
    )
    assert ids(first) + ids(second) == ids(everyone)
    assert second["next_cursor"] is None

    for query, code in (
        ("category=astrology", "unknown_category"),
        ("disposition=lost", "invalid_field"),
        ("limit=0", "invalid_field"),
        ("limit=500", "invalid_field"),
        ("cursor=garbage", "invalid_field"),
        ("from=2026-13-01", "invalid_field"),
        ("language=xx", "unknown_language"),
    ):
        assert await refused(boss, "GET", f"/api/cases/search?{query}") == code, query
    assert await refused(
        kim, "GET", f"/api/cases/search?interpreter={emily.id}", status=403
    )
    assert await refused(signed_in["scheduler"], "GET", "/api/cases/search", status=403)
    names = await boss.call("GET", "/api/cases/interpreters")
    listed = {i["id"]: i["display_name"] for i in names["interpreters"]}
    assert {kim.id, emily.id} <= set(listed)
    # Department counselors take part in cases too, so they are searchable.
    assert [n for i, n in listed.items() if i not in {kim.id, emily.id}] == [
        "Lee Bokji"
    ]
    assert await refused(kim, "GET", "/api/cases/interpreters", status=403)


async def test_cases_export_as_open311_service_requests(
    any_db_server: TestServer, signed_in: dict[str, Staff]
) -> None:
    kim, boss = signed_in["interpreter.ksl"], signed_in["supervisor"]
    done = await answered(any_db_server, kim.id, minutes_ago=90)
    bare = await answered(any_db_server, kim.id, minutes_ago=80)
    wrap = {
        "category": "immigration",
        "summary": "체류기간 연장 서류",
        "disposition": "forwarded",
        "forwarded_to": "Seoul Immigration Office",
    }
    await kim.call("PUT", f"/api/cases/{done.id}/wrapup", wrap)

    found = await boss.call("GET", "/api/open311/requests.json")

    assert [r["service_request_id"] for r in found] == [done.id, bare.id]
    request = found[0]
    assert request["status"] == "closed"
    assert (request["service_code"], request["service_name"]) == (
        "immigration",
        "Immigration and visas",
    )
    assert request["description"] == "체류기간 연장 서류"
    assert request["agency_responsible"] == "Seoul Immigration Office"
    assert request["status_notes"] == "Forwarded to Seoul Immigration Office"
    assert datetime.fromisoformat(request["requested_datetime"]) == done.requested_at
    assert (request["lat"], request["long"], request["address"]) == (None, None, None)
    assert found[1]["service_code"] == "uncategorized"
    only = await boss.call("GET", "/api/open311/requests.json?service_code=immigration")
    assert [r["service_request_id"] for r in only] == [done.id]
    assert await boss.call("GET", "/api/open311/requests.json?status=open") == []

    start = "2026-01-01T00:00:00Z"
    for query, code in (
        (f"start_date={start}&end_date=2026-06-01T00:00:00Z", "range_too_long"),
        (f"start_date={start}&end_date=2025-12-01T00:00:00Z", "range_reversed"),
        ("start_date=2026-01-01", "invalid_field"),
        ("status=lost", "invalid_field"),
    ):
        path = f"/api/open311/requests.json?{query}"
        assert await refused(boss, "GET", path) == code, query
    assert await refused(kim, "GET", "/api/open311/requests.json", status=403)
