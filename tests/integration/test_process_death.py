"""A server process that dies (kill -9) leaves no ghosts in the shared pool: the
surviving process takes its interpreters off duty, its citizens out of line, and
its listening supervisors and guests out of their rooms."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

from counseling.cases import CaseStatus, EndReason, EventKind
from storage.database import open_database
from storage.sql import SqlCaseRepository
from tests.around_the_clock import open_around_the_clock
from tests.integration.peers import Party
from tests.integration.processes import (
    DASAN,
    PASSWORD,
    server,
    server_process,
    sign_in,
)
from tests.pg import fresh_database_url

DEADLINE = 45.0  # the heartbeat lapses after 15 s and survivors look every 5 s


async def test_a_killed_process_leaves_no_ghost_interpreters_or_citizens(
    tmp_path: Path,
) -> None:
    async with fresh_database_url() as database_url:
        env = os.environ | {
            "DASAN_DATABASE_URL": database_url,
            "DASAN_REDIS_URL": "redis://127.0.0.1:6379/0",
            "DASAN_REDIS_PREFIX": f"test{secrets.token_hex(6)}",
            "DASAN_DEMO_PASSWORD": PASSWORD,
            "DASAN_LOG_LEVEL": "WARNING",
            "DASAN_HOURS_FILE": str(open_around_the_clock(tmp_path / "hours.toml")),
        }
        async with (
            server_process(env, tmp_path) as (doomed, process),
            server(env, tmp_path) as survivor,
        ):
            supervisor = await sign_in(survivor, "supervisor")
            interpreter = await sign_in(doomed, "counselor.en")
            citizen = Party("/citizen")
            await citizen.connect(doomed)
            try:
                await interpreter.next_matching("status", "status", "away")
                seen = await supervisor.next_matching(
                    "staff_presence", "status", "away"
                )
                # Chinese: nobody on duty speaks it, so the citizen stays in line.
                ack = await citizen.call(
                    "request", {"service": "foreign_language", "language": "zh"}
                )
                assert ack["position"] == 1, ack

                process.send_signal(signal.SIGKILL)
                await process.wait()

                gone = await supervisor.next_matching(
                    "staff_presence", "status", "offline", deadline=DEADLINE
                )
                assert gone["staff_id"] == seen["staff_id"]
                db = await open_database(database_url)
                try:
                    cases = SqlCaseRepository(db)
                    loop = asyncio.get_running_loop()
                    deadline = loop.time() + DEADLINE
                    while True:
                        case = await cases.get(ack["case_id"])
                        assert case is not None
                        if case.status is CaseStatus.ENDED:
                            break
                        assert loop.time() < deadline, "the citizen is still in line"
                        await asyncio.sleep(0.2)
                    assert case.end_reason is EndReason.CITIZEN_LEFT_WHILE_WAITING
                finally:
                    await db.close()
            finally:
                await supervisor.sio.disconnect()
                for party in (interpreter, citizen):
                    if party.sio.connected:
                        await party.sio.disconnect()


def roles(roster: dict[str, Any]) -> list[str]:
    return sorted(p["role"] for p in roster["parties"])


async def roster_where(
    party: Party, check: Callable[[dict[str, Any]], bool], deadline: float
) -> dict[str, Any]:
    """The first roster ``party`` is sent that passes ``check``."""

    async def find() -> dict[str, Any]:
        while True:
            roster: dict[str, Any] = await party.queue("roster").get()
            if check(roster):
                return roster

    return await asyncio.wait_for(find(), deadline)


async def test_a_killed_process_leaves_no_ghost_listener_or_guest_in_a_room(
    tmp_path: Path,
) -> None:
    async with fresh_database_url() as database_url:
        env = os.environ | {
            "DASAN_DATABASE_URL": database_url,
            "DASAN_REDIS_URL": "redis://127.0.0.1:6379/0",
            "DASAN_REDIS_PREFIX": f"test{secrets.token_hex(6)}",
            "DASAN_DEMO_PASSWORD": PASSWORD,
            "DASAN_NEW_STAFF_PASSWORD": PASSWORD,
            "DASAN_LOG_LEVEL": "WARNING",
            "DASAN_HOURS_FILE": str(open_around_the_clock(tmp_path / "hours.toml")),
        }
        adding = await asyncio.create_subprocess_exec(
            *(DASAN, "add-staff", "supervisor.night", "--name", "Night supervisor"),
            *("--role", "supervisor"),
            env=env,
            cwd=tmp_path,
            stdout=asyncio.subprocess.DEVNULL,
        )
        assert await adding.wait() == 0
        async with (
            server_process(env, tmp_path) as (doomed, process),
            server(env, tmp_path) as survivor,
        ):
            interpreter = await sign_in(survivor, "interpreter.ksl")
            listener = await sign_in(doomed, "supervisor.night")
            other = await sign_in(survivor, "supervisor")
            citizen = Party("/citizen")
            await citizen.connect(survivor)
            ghost, guest = Party("/guest"), Party("/guest")
            await ghost.connect(doomed)
            await guest.connect(survivor)
            try:
                await interpreter.call("set_presence", {"status": "available"})
                ack = await citizen.call("request", {"service": "sign_language"})
                offer = await interpreter.next("offer")
                await interpreter.call("accept_offer", {"offer_id": offer["offer_id"]})
                room_id = (await interpreter.next("session_started"))["room_id"]
                watched = await listener.call("watch_session", {"room_id": room_id})
                assert watched["ok"], watched
                for someone in (ghost, guest):
                    invite = await interpreter.call(
                        "create_invite", {"room_id": room_id}
                    )
                    joined = await someone.call("join", {"invite": invite["invite"]})
                    assert joined["ok"], joined
                five = ["citizen", "guest", "guest", "interpreter", "supervisor"]
                await roster_where(interpreter, lambda r: roles(r) == five, 10.0)
                # The room is full: no other supervisor can listen in.
                full = await other.call("watch_session", {"room_id": room_id})
                assert full["error"]["code"] == "room_full", full

                process.send_signal(signal.SIGKILL)
                await process.wait()

                three = ["citizen", "guest", "interpreter"]
                for party in (interpreter, citizen, guest):
                    roster = await roster_where(
                        party, lambda r: roles(r) == three, DEADLINE
                    )
                    assert roster["supervisor_present"] is False
                listened = await other.call("watch_session", {"room_id": room_id})
                assert listened["ok"], listened
                four = ["citizen", "guest", "interpreter", "supervisor"]
                roster = await roster_where(other, lambda r: roles(r) == four, 10.0)
                assert [p["role"] for p in roster["parties"] if p["you"]] == [
                    "supervisor"
                ]
                db = await open_database(database_url)
                try:
                    case = await SqlCaseRepository(db).get(ack["case_id"])
                finally:
                    await db.close()
                assert case is not None
                left = [e.detail for e in case.events if e.kind is EventKind.PARTY_LEFT]
                assert sorted(d.split(":")[0] for d in left if d) == [
                    "guest",
                    "supervisor",
                ]
            finally:
                for party in (interpreter, listener, other, citizen, ghost, guest):
                    if party.sio.connected:
                        await party.sio.disconnect()
