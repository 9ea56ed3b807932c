"""Two real server processes on one Redis and one PostgreSQL share one pool.

Citizens and interpreters are spread over both processes and act concurrently:
ask, accept, decline, let offers lapse, hang up, disconnect. Afterwards no citizen
was answered twice and no interpreter held two sessions at once.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import secrets
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

from storage.database import open_database
from storage.sql import SqlCaseRepository
from tests.around_the_clock import open_around_the_clock
from tests.integration.peers import Party
from tests.pg import fresh_database_url

PASSWORD = "scale-out-test-password"
DASAN = str(Path(sys.executable).parent / "dasan")
INTERPRETERS = 6
CITIZENS = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def server(env: dict[str, str], data_dir: Path) -> AsyncIterator[str]:
    async with server_process(env, data_dir) as (url, _):
        yield url


@asynccontextmanager
async def server_process(
    env: dict[str, str], data_dir: Path
) -> AsyncIterator[tuple[str, asyncio.subprocess.Process]]:
    """A healthy ``dasan serve`` and its process (to kill it in a test)."""
    port = free_port()
    log = (data_dir / f"server-{port}.log").open("w")
    process = await asyncio.create_subprocess_exec(
        *(DASAN, "serve", "--host", "127.0.0.1", "--port", str(port), "--demo"),
        env=env,
        cwd=data_dir,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(300):
                if process.returncode is not None:
                    raise RuntimeError(f"server on {port} exited {process.returncode}")
                try:
                    async with http.get(f"{url}/healthz") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError(f"server on {port} never became healthy")
        yield url, process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
                await process.wait()
        log.close()
        # Shown by pytest when the test fails.
        print(f"--- server {port} log ---")
        print((data_dir / f"server-{port}.log").read_text()[-5000:])


async def sign_in(url: str, username: str) -> Party:
    jar = aiohttp.CookieJar(unsafe=True)
    async with (
        aiohttp.ClientSession(cookie_jar=jar) as http,
        http.post(
            f"{url}/api/login", json={"username": username, "password": PASSWORD}
        ) as response,
    ):
        assert response.status == 200, await response.text()
        token = response.cookies["dasan_session"].value
    party = Party("/staff")
    await party.connect(url, {"Cookie": f"dasan_session={token}"})
    return party


async def interpreter_loop(
    party: Party, rng: random.Random, log: list[tuple[str, str]], name: str
) -> None:
    """Answer offers at random until cancelled; log sessions as they happen."""
    in_session: str | None = None
    while True:
        event, data = await party.next_of(
            ("offer", "session_started", "session_ended", "status"), deadline=3600
        )
        if event == "status":
            if data["reason"] == "missed_offers":  # told why, they come back
                await party.call("set_presence", {"status": "available"})
        elif event == "offer":
            roll = rng.random()
            if roll < 0.7:
                await party.call("accept_offer", {"offer_id": data["offer_id"]})
            elif roll < 0.9:
                await party.call("decline_offer", {"offer_id": data["offer_id"]})
            # else: let it lapse
        elif event == "session_started":
            assert in_session is None, f"{name} got a second session while in one"
            in_session = data["room_id"]
            log.append((name, data["case_id"]))
            await asyncio.sleep(rng.uniform(0.05, 0.4))
            if rng.random() < 0.5:
                await party.call("hang_up", {"room_id": in_session})
        elif event == "session_ended":
            in_session = None
            await party.call("set_presence", {"status": "available"})


async def citizen_journey(url: str, rng: random.Random) -> dict[str, Any]:
    party = Party("/citizen")
    await party.connect(url)
    outcome: dict[str, Any] = {"url": url, "sessions": 0}
    try:
        await asyncio.sleep(rng.uniform(0, 0.5))
        ack = await party.call("request", {"service": "sign_language"})
        assert ack["ok"], ack
        outcome["case_id"] = ack["case_id"]
        if rng.random() < 0.15:  # gives up while waiting
            await asyncio.sleep(rng.uniform(0, 0.5))
            return outcome
        while True:
            event, data = await party.next_of(
                ("session_started", "session_ended", "request_ended"), deadline=60
            )
            if event == "session_started":
                outcome["sessions"] += 1
                await asyncio.sleep(rng.uniform(0.05, 0.4))
                await party.call("hang_up", {"room_id": data["room_id"]})
            else:
                outcome["end"] = data["reason"]
                return outcome
    finally:
        await party.sio.disconnect()


async def test_two_processes_never_assign_anyone_twice(tmp_path: Path) -> None:
    rng = random.Random(20261126)
    async with fresh_database_url() as database_url:
        env = os.environ | {
            "DASAN_DATABASE_URL": database_url,
            "DASAN_REDIS_URL": "redis://127.0.0.1:6379/0",
            "DASAN_REDIS_PREFIX": f"test{secrets.token_hex(6)}",
            "DASAN_DEMO_PASSWORD": PASSWORD,
            "DASAN_NEW_STAFF_PASSWORD": PASSWORD,
            "DASAN_OFFER_TIMEOUT_SECONDS": "1",
            "DASAN_WRAP_UP_SECONDS": "0",
            "DASAN_RECONNECT_GRACE_SECONDS": "2",
            "DASAN_LOG_LEVEL": "WARNING",
            "DASAN_HOURS_FILE": str(open_around_the_clock(tmp_path / "hours.toml")),
        }
        for i in range(INTERPRETERS):
            adding = await asyncio.create_subprocess_exec(
                *(DASAN, "add-staff", f"ksl{i}", "--name", f"KSL {i}"),
                *("--skill", "sign_language/ksl"),
                env=env,
                cwd=tmp_path,
                stdout=asyncio.subprocess.DEVNULL,
            )
            assert await adding.wait() == 0
        async with server(env, tmp_path) as first, server(env, tmp_path) as second:
            urls = [first, second]
            log: list[tuple[str, str]] = []
            staff = [await sign_in(urls[i % 2], f"ksl{i}") for i in range(INTERPRETERS)]
            for party in staff:
                await party.call("set_presence", {"status": "available"})
            loops = [
                asyncio.create_task(
                    interpreter_loop(p, random.Random(i), log, f"ksl{i}")
                )
                for i, p in enumerate(staff)
            ]
            try:
                # One interpreter drops mid-run and another signs in elsewhere.
                async def churn() -> None:
                    await asyncio.sleep(1.0)
                    loops[0].cancel()
                    await staff[0].sio.disconnect()

                outcomes, _ = await asyncio.gather(
                    asyncio.gather(
                        *(
                            citizen_journey(urls[i % 2], random.Random(rng.random()))
                            for i in range(CITIZENS)
                        )
                    ),
                    churn(),
                )
            finally:
                died = [t for t in loops if t.done() and not t.cancelled()]
                for task in died:
                    task.print_stack()
                    print("interpreter loop died:", repr(task.exception()))
                for task in loops:
                    task.cancel()
                await asyncio.gather(*loops, return_exceptions=True)
            for task in died:  # an interpreter that stopped answering is a finding
                raise AssertionError("interpreter loop died") from task.exception()
                for party in staff[1:]:
                    await party.sio.disconnect()

        assert all(o["sessions"] <= 1 for o in outcomes), outcomes
        # The pool really is shared: citizens on one process reached
        # interpreters signed in on the other.
        staff_url = {f"ksl{i}": urls[i % 2] for i in range(INTERPRETERS)}
        citizen_url = {o["case_id"]: o["url"] for o in outcomes if "case_id" in o}
        crossed = [c for name, c in log if staff_url[name] != citizen_url[c]]
        assert crossed, "no session paired parties on different processes"
        answered = [case for _, case in log]
        assert len(answered) == len(set(answered)), "a case was answered twice"
        assert sum(o["sessions"] for o in outcomes) >= CITIZENS // 2

        database = await open_database(database_url)
        try:
            cases = await SqlCaseRepository(database).recent(1000)
        finally:
            await database.close()
        assert len(cases) == CITIZENS
        by_staff: dict[str, list[tuple[Any, Any]]] = {}
        for case in cases:
            kinds = [e.kind.value for e in case.events]
            assert kinds.count("answered") <= 1, kinds
            assert kinds[0] == "requested"
            if case.answered_at is not None:
                assert case.interpreter_id is not None
                by_staff.setdefault(case.interpreter_id, []).append(
                    (case.answered_at, case.ended_at)
                )
        for spans in by_staff.values():
            spans.sort()
            for (_, end), (start, _) in itertools.pairwise(spans):
                assert end is not None
                assert end <= start, "an interpreter held two sessions at once"
