"""Operating hours over the wire: closures from the supervisor API refuse requests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from storage.hours_file import load_exceptions
from tests.integration.conftest import base_url, login, runtime, start_server
from tests.integration.peers import Party

AppServer = Callable[[web.Application], Awaitable[TestServer]]
SEOUL = ZoneInfo("Asia/Seoul")


def today() -> str:
    return datetime.now(UTC).astimezone(SEOUL).date().isoformat()


async def supervisor_session(server: TestServer) -> aiohttp.ClientSession:
    _, token = await login(server, "supervisor")
    return aiohttp.ClientSession(base_url(server), cookies={"dasan_session": token})


async def ask(server: TestServer, payload: dict[str, Any]) -> dict[str, Any]:
    citizen = Party("/citizen")
    await citizen.connect(base_url(server))
    try:
        ack: dict[str, Any] = await citizen.call("request", payload)
        return ack
    finally:
        await citizen.sio.disconnect()


async def test_a_closure_refuses_requests_and_says_when_it_opens(
    dasan_server: TestServer, tmp_path: Path
) -> None:
    closure = {
        "from": today(),
        "reason": "Interpreters' training day",
        "services": ["sign_language"],
    }
    async with await supervisor_session(dasan_server) as http:
        async with http.put(
            "/api/hours/exceptions", json={"exceptions": [closure]}
        ) as r:
            assert r.status == 200, await r.text()
            assert (await r.json())["exceptions"][0]["reason"] == closure["reason"]
        async with http.get("/api/services") as r:
            body = await r.json()
    by_service = {s["service"]: s for s in body["services"]}
    sign = by_service["sign_language"]
    assert sign["open"] is False
    assert sign["note"] == "Interpreters' training day"
    assert sign["next_open"] > today()
    # The file operators edit by hand holds the same closure.
    saved = load_exceptions(tmp_path / "hours.toml")
    assert [e.reason for e in saved] == ["Interpreters' training day"]

    ack = await ask(dasan_server, {"service": "sign_language"})
    assert ack["ok"] is False
    assert ack["error"]["code"] == "service_closed"
    opens = datetime.fromisoformat(ack["error"]["next_open"])
    assert opens.utcoffset() == timedelta(hours=9)  # the center's local time
    assert opens.date().isoformat() > today()
    assert list(await runtime(dasan_server).cases.recent(10)) == []


async def test_requests_are_refused_when_the_wait_would_run_past_closing(
    aiohttp_server: AppServer, tmp_path: Path
) -> None:
    now = datetime.now(UTC).astimezone(SEOUL)
    closes = now + timedelta(minutes=3)
    # Open from midnight until three minutes from now (never past midnight).
    end = "24:00" if closes.date() != now.date() else f"{closes:%H:%M}"
    hours = tmp_path / "closing.toml"
    hours.write_text(
        f'[[exception]]\nfrom = {now.date().isoformat()}\nreason = "early close"\n'
        f'open = ["00:00-{end}"]\n'
    )
    server = await start_server(
        aiohttp_server, tmp_path, hours_file=hours, default_handle_seconds=600
    )
    _, token = await login(server, "interpreter.ksl")
    interpreter = Party("/staff")
    await interpreter.connect(base_url(server), {"Cookie": f"dasan_session={token}"})
    first = Party("/citizen")
    await first.connect(base_url(server))
    try:
        await interpreter.call("set_presence", {"status": "available"})
        ack = await first.call("request", {"service": "sign_language"})
        assert ack["ok"] is True  # the interpreter is free: no wait at all
        if end != "24:00":
            # One interpreter, ten-minute sessions: a second caller would wait
            # past closing, so they are told now rather than left waiting.
            second = await ask(server, {"service": "sign_language"})
            assert second["ok"] is False
            assert second["error"]["code"] == "closing_soon"
            assert second["error"]["next_open"] is not None
    finally:
        await first.sio.disconnect()
        await interpreter.sio.disconnect()


async def test_only_supervisors_change_hours_and_bad_entries_change_nothing(
    dasan_server: TestServer, http: aiohttp.ClientSession
) -> None:
    async with http.put("/api/hours/exceptions", json={"exceptions": []}) as r:
        assert r.status == 401
    _, token = await login(dasan_server, "interpreter.ksl")
    async with (
        aiohttp.ClientSession(
            base_url(dasan_server), cookies={"dasan_session": token}
        ) as staff,
        staff.put("/api/hours/exceptions", json={"exceptions": []}) as r,
    ):
        assert r.status == 403
    async with await supervisor_session(dasan_server) as sup:
        async with sup.get("/api/hours") as r:
            before = await r.json()
        assert before["weekly"]["sign_language"]["weekend"] == ["09:00-18:00"]
        bad: dict[str, Any]
        for bad in (
            {"exceptions": [{"from": "2026-13-01", "reason": "x"}]},
            {"exceptions": [{"from": today(), "reason": ""}]},
            {"exceptions": [{"from": today(), "reason": "x", "open": ["9-18"]}]},
            {"exceptions": "none"},
            {"closures": []},
        ):
            async with sup.put("/api/hours/exceptions", json=bad) as r:
                assert r.status == 400, bad
                assert (await r.json())["error"]["code"] == "invalid_payload"
        async with sup.get("/api/hours") as r:
            assert await r.json() == before
