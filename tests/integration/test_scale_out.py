"""Two real server processes on one Redis and one PostgreSQL share one pool.

Citizens and interpreters are spread over both processes and act concurrently:
ask, accept, decline, let offers lapse, hang up, disconnect. Afterwards no citizen
was answered twice and no interpreter held two sessions at once.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import random
import secrets
import sys
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from dasan.tasks import cancel_and_wait
from storage.database import open_database
from storage.sql import SqlCaseRepository
from tests.around_the_clock import open_around_the_clock
from tests.integration.peers import Party
from tests.integration.processes import DASAN, PASSWORD, server, sign_in
from tests.pg import fresh_database_url

INTERPRETERS = 6
CITIZENS = 30
REDIS_URL = "redis://127.0.0.1:6379/0"
# Every journey ends within seconds; a run still going after this is a hang,
# reported with what each unfinished party last saw (well inside pytest's 300 s).
RUN_DEADLINE = 150.0


class Trail:
    """What one party did and saw, with times: printed when the run is late."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.steps: list[tuple[float, str]] = []
        self.done = False

    def add(self, step: str) -> None:
        self.steps.append((asyncio.get_running_loop().time(), step))

    def show(self, start: float) -> str:
        steps = ", ".join(f"{t - start:.1f}s {step}" for t, step in self.steps[-8:])
        return f"{self.name}: {steps}"


async def interpreter_loop(
    party: Party,
    rng: random.Random,
    log: list[tuple[str, str]],
    name: str,
    trail: Trail,
) -> None:
    """Answer offers at random until cancelled; log sessions as they happen."""
    in_session: str | None = None
    while True:
        event, data = await party.next_of(
            ("offer", "session_started", "session_ended", "status"), deadline=3600
        )
        trail.add(event if event != "status" else f"status {data}")
        if event == "status":
            if data["reason"] == "missed_offers":  # told why, they come back
                ack = await party.call("set_presence", {"status": "available"})
                trail.add(f"set_presence {ack}")
        elif event == "offer":
            roll = rng.random()
            if roll < 0.7:
                ack = await party.call("accept_offer", {"offer_id": data["offer_id"]})
                trail.add(f"accept {ack}")
            elif roll < 0.9:
                ack = await party.call("decline_offer", {"offer_id": data["offer_id"]})
                trail.add(f"decline {ack}")
            # else: let it lapse
        elif event == "session_started":
            assert in_session is None, f"{name} got a second session while in one"
            in_session = data["room_id"]
            log.append((name, data["case_id"]))
            await asyncio.sleep(rng.uniform(0.05, 0.4))
            if rng.random() < 0.5:
                ack = await party.call("hang_up", {"room_id": in_session})
                trail.add(f"hang_up {ack}")
        elif event == "session_ended":
            in_session = None
            ack = await party.call("set_presence", {"status": "available"})
            trail.add(f"set_presence {ack}")


async def citizen_journey(
    url: str, rng: random.Random, outcome: dict[str, Any], trail: Trail
) -> None:
    party = Party("/citizen")
    await party.connect(url)
    trail.add("connected")
    try:
        await asyncio.sleep(rng.uniform(0, 0.5))
        ack = await party.call("request", {"service": "sign_language"})
        trail.add(f"request {ack}")
        assert ack["ok"], ack
        outcome["case_id"] = ack["case_id"]
        if rng.random() < 0.15:  # gives up while waiting
            await asyncio.sleep(rng.uniform(0, 0.5))
            return
        while True:
            event, data = await party.next_of(
                ("session_started", "session_ended", "request_ended"), deadline=60
            )
            trail.add(event)
            if event == "session_started":
                outcome["sessions"] += 1
                await asyncio.sleep(rng.uniform(0.05, 0.4))
                ack = await party.call("hang_up", {"room_id": data["room_id"]})
                trail.add(f"hang_up {ack}")
            else:
                outcome["end"] = data["reason"]
                return
    finally:
        trail.add("disconnecting")
        await party.sio.disconnect()
        trail.add("disconnected")
        trail.done = True


async def late_report(
    start: float, trails: list[Trail], redis_url: str, prefix: str
) -> str:
    """Who had not finished, what they last saw, and the shared pool."""
    lines = [t.show(start) for t in trails if not t.done]
    client = Redis.from_url(redis_url)
    try:
        version = await client.get(f"{prefix}:pool:version")
        raw = await client.get(f"{prefix}:pool")
        lock = await client.get(f"{prefix}:pool:lock")
    finally:
        await client.aclose()
    lines.append(f"pool version {version!r}, lock {lock!r}")
    if raw:
        data = json.loads(raw)
        for name in ("staff", "waiting", "offers", "sessions"):
            lines.extend(f"{name}: {record}" for record in data.get(name, []))
        lines.append(f"rest: {data.get('rest')}")
    return "\n".join(lines)


async def test_two_processes_never_assign_anyone_twice(tmp_path: Path) -> None:
    rng = random.Random(20261126)
    prefix = f"test{secrets.token_hex(6)}"
    async with fresh_database_url() as database_url:
        env = os.environ | {
            "DASAN_DATABASE_URL": database_url,
            "DASAN_REDIS_URL": REDIS_URL,
            "DASAN_REDIS_PREFIX": prefix,
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
            staff_trails = [Trail(f"ksl{i}") for i in range(INTERPRETERS)]
            loops = [
                asyncio.create_task(
                    interpreter_loop(
                        p, random.Random(i), log, f"ksl{i}", staff_trails[i]
                    )
                )
                for i, p in enumerate(staff)
            ]
            outcomes: list[dict[str, Any]] = [
                {"url": urls[i % 2], "sessions": 0} for i in range(CITIZENS)
            ]
            citizen_trails = [Trail(f"citizen{i}") for i in range(CITIZENS)]
            start = asyncio.get_running_loop().time()
            try:
                # One interpreter drops mid-run and another signs in elsewhere.
                async def churn() -> None:
                    await asyncio.sleep(1.0)
                    await cancel_and_wait([loops[0]])
                    await staff[0].sio.disconnect()

                run = asyncio.gather(
                    *(
                        citizen_journey(
                            urls[i % 2],
                            random.Random(rng.random()),
                            outcomes[i],
                            citizen_trails[i],
                        )
                        for i in range(CITIZENS)
                    ),
                    churn(),
                )
                # Not wait_for: it would wait for the cancelled journeys too.
                await asyncio.wait([run], timeout=RUN_DEADLINE)
                if not run.done():
                    report = await late_report(
                        start, citizen_trails + staff_trails, REDIS_URL, prefix
                    )
                    for task in asyncio.all_tasks():
                        task.print_stack(limit=6, file=sys.stdout)
                    run.cancel()
                    raise AssertionError(f"not done after {RUN_DEADLINE} s:\n{report}")
                run.result()
            finally:
                died = [t for t in loops if t.done() and not t.cancelled()]
                for task in died:
                    task.print_stack()
                    print("interpreter loop died:", repr(task.exception()))
                await cancel_and_wait(loops)
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
