"""Bad or out-of-order input gets a clear error ack and changes nothing."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
import socketio
from aiohttp.test_utils import TestServer

from counseling.services import Language, Service, Skill
from counseling.staff import StaffAccount, StaffRole
from interpreter_pool.pool import new_id
from signaling.auth import Passwords
from storage.sql import SqlStaffDirectory
from tests.integration.conftest import DEMO_PASSWORD, base_url, login, runtime
from tests.integration.ready_parties import citizen, staff

ROOM = "0" * 32


async def stored_cases(server: TestServer) -> list[Any]:
    return list(await runtime(server).cases.recent(100))


def code(ack: dict[str, Any]) -> str:
    assert ack["ok"] is False, ack
    assert ack["error"]["message"], ack
    return str(ack["error"]["code"])


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"service": "astrology"}, "unknown_service"),
        ({"service": "foreign_language"}, "invalid_payload"),
        ({"service": "foreign_language", "language": "ksl"}, "invalid_payload"),
        ({"service": "sign_language", "extra": 1}, "invalid_payload"),
        ("sign_language", "invalid_payload"),
        ([1, 2], "invalid_payload"),
        (None, "invalid_payload"),
    ],
)
async def test_a_bad_request_is_refused_and_opens_no_case(
    dasan_server: TestServer, payload: Any, expected: str
) -> None:
    party = await citizen(dasan_server)
    try:
        assert code(await party.call("request", payload)) == expected
        assert await stored_cases(dasan_server) == []
    finally:
        await party.sio.disconnect()


async def test_asking_twice_is_refused_and_keeps_one_case(
    dasan_server: TestServer,
) -> None:
    party = await citizen(dasan_server)
    try:
        first = await party.call("request", {"service": "sign_language"})
        assert first["ok"]
        again = await party.call(
            "request", {"service": "foreign_language", "language": "en"}
        )
        assert code(again) == "already_waiting"
        cases = await stored_cases(dasan_server)
        assert [c.id for c in cases] == [first["case_id"]]
        assert code(await party.call("hang_up", {"room_id": ROOM})) == "not_in_room"
        assert code(await party.call("hang_up", {"room_id": "x"})) == "invalid_payload"
        offer = {"room_id": ROOM, "type": "offer", "sdp": "v=0"}
        assert code(await party.call("rtc_offer", offer)) == "not_in_room"
    finally:
        await party.sio.disconnect()


async def test_cancel_without_a_request_is_refused(dasan_server: TestServer) -> None:
    party = await citizen(dasan_server)
    try:
        assert code(await party.call("cancel")) == "not_waiting"
    finally:
        await party.sio.disconnect()


async def test_a_citizen_cannot_use_the_staff_namespace(
    dasan_server: TestServer,
) -> None:
    for headers in ({}, {"Cookie": "dasan_session=forged-token"}):
        client = socketio.AsyncClient(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await client.connect(
                base_url(dasan_server),
                namespaces=["/staff"],
                headers=headers,
                transports=["websocket"],
            )
        await client.disconnect()


async def test_an_interpreter_cannot_take_someone_elses_offer(
    dasan_server: TestServer,
) -> None:
    second = StaffAccount(
        new_id(),
        "interpreter.ksl2",
        "Second KSL interpreter",
        StaffRole.INTERPRETER,
        frozenset({Skill(Service.SIGN_LANGUAGE, Language.KSL)}),
        Passwords().hash(DEMO_PASSWORD),
    )
    await SqlStaffDirectory(runtime(dasan_server).database).add(second)
    first = await staff(dasan_server, "interpreter.ksl")
    other = await staff(dasan_server, "interpreter.ksl2")
    caller = await citizen(dasan_server)
    try:
        assert (await first.call("set_presence", {"status": "available"}))["ok"]
        for bad in (
            {"status": "in_session"},
            {"status": "away"},
            {"status": "away", "reason": "missed_offers"},
            {"available": True},
        ):
            assert code(await first.call("set_presence", bad)) == "invalid_payload"
        await caller.call("request", {"service": "sign_language"})
        offer = await first.next("offer")
        stolen = await other.call("accept_offer", {"offer_id": offer["offer_id"]})
        assert code(stolen) == "not_your_offer"
        assert code(await other.call("decline_offer", {"offer_id": "f" * 32})) == (
            "unknown_offer"
        )
        # The offer is still the first interpreter's, who can accept it.
        assert (await first.call("accept_offer", {"offer_id": offer["offer_id"]}))["ok"]
        started = await caller.next("session_started")
        assert code(await other.call("hang_up", {"room_id": started["room_id"]})) == (
            "not_in_room"
        )
    finally:
        for party in (first, other, caller):
            await party.sio.disconnect()


async def test_a_citizen_who_leaves_while_waiting_ends_the_case(
    dasan_server: TestServer,
) -> None:
    party = await citizen(dasan_server)
    ack = await party.call("request", {"service": "sign_language"})
    await party.sio.disconnect()
    cases = runtime(dasan_server).cases
    for _ in range(100):
        case = await cases.get(ack["case_id"])
        if case is not None and case.end_reason is not None:
            break
        await party.sio.sleep(0.05)
    assert case is not None
    assert case.end_reason.value == "citizen_left_while_waiting"
    assert case.wait_seconds is not None


async def test_declined_by_every_interpreter_tells_the_citizen(
    dasan_server: TestServer,
) -> None:
    interpreter = await staff(dasan_server, "interpreter.ksl")
    caller = await citizen(dasan_server)
    try:
        await interpreter.call("set_presence", {"status": "available"})
        ack = await caller.call("request", {"service": "sign_language"})
        offer = await interpreter.next("offer")
        assert (
            await interpreter.call("decline_offer", {"offer_id": offer["offer_id"]})
        )["ok"]
        ended = await caller.next("request_ended")
        assert ended == {"case_id": ack["case_id"], "reason": "declined_by_all"}
        case = await runtime(dasan_server).cases.get(ack["case_id"])
        assert case is not None
        assert [e.kind.value for e in case.events] == [
            "requested",
            "offered",
            "declined",
            "ended",
        ]
    finally:
        await interpreter.sio.disconnect()
        await caller.sio.disconnect()


async def test_sign_in_and_case_access_over_http(
    dasan_server: TestServer, http: aiohttp.ClientSession
) -> None:
    async with http.post("/api/login", data="not json") as r:
        assert r.status == 400
        assert (await r.json())["error"]["code"] == "invalid_payload"
    async with http.post(
        "/api/login", json={"username": "interpreter.ksl", "password": "wrong"}
    ) as r:
        assert r.status == 401
        assert (await r.json())["error"]["code"] == "bad_credentials"
    async with http.get("/api/me") as r:
        assert r.status == 401
    async with http.post(
        "/api/login", json={"username": "interpreter.ksl", "password": DEMO_PASSWORD}
    ) as r:
        assert r.status == 200
        cookie = r.headers["Set-Cookie"]
        assert "HttpOnly" in cookie
        assert "SameSite=Strict" in cookie
    async with http.get("/api/me") as r:
        assert (await r.json())["skills"] == ["chat/ko", "sign_language/ksl"]
    async with http.get("/api/cases") as r:
        assert r.status == 403
    async with http.get("/api/cases/" + "a" * 32) as r:
        assert r.status == 404
    async with http.post("/api/logout") as r:
        assert r.status == 204
    async with http.get("/api/me") as r:
        assert r.status == 401


async def test_supervisors_list_cases_and_bad_limits_are_refused(
    dasan_server: TestServer,
) -> None:
    _, token = await login(dasan_server, "supervisor")
    async with aiohttp.ClientSession(
        base_url(dasan_server), cookies={"dasan_session": token}
    ) as http:
        party = await citizen(dasan_server)
        ack = await party.call("request", {"service": "sign_language"})
        await party.sio.disconnect()
        async with http.get("/api/cases?limit=0") as r:
            assert r.status == 400
        async with http.get("/api/cases?limit=10") as r:
            body = await r.json()
            assert [c["id"] for c in body["cases"]] == [ack["case_id"]]
        async with http.get(f"/api/cases/{ack['case_id']}") as r:
            detail = await r.json()
            assert detail["events"][0]["kind"] == "requested"


async def test_repeated_wrong_passwords_are_throttled(
    http: aiohttp.ClientSession,
) -> None:
    statuses = []
    for _ in range(7):
        async with http.post(
            "/api/login", json={"username": "supervisor", "password": "guess"}
        ) as r:
            statuses.append(r.status)
    assert statuses[:5] == [401] * 5
    assert statuses[-1] == 429
    # Even the right password waits until the pause is over.
    async with http.post(
        "/api/login", json={"username": "supervisor", "password": DEMO_PASSWORD}
    ) as r:
        assert r.status == 429
        assert int(r.headers["Retry-After"]) > 0


async def test_the_app_serves_its_openapi_document(http: aiohttp.ClientSession) -> None:
    async with http.get("/api/openapi.yaml") as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("application/yaml")
        body = await r.text()
    assert body.startswith("openapi: 3.1") or "\nopenapi: 3.1" in body
    assert "/api/hours/exceptions:" in body
