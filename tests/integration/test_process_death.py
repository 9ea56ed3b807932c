"""A server process that dies (kill -9) leaves no ghosts in the shared pool: the
surviving process takes its interpreters off duty and its citizens out of line."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
from pathlib import Path

from counseling.cases import CaseStatus, EndReason
from storage.database import open_database
from storage.sql import SqlCaseRepository
from tests.around_the_clock import open_around_the_clock
from tests.integration.peers import Party
from tests.integration.test_scale_out import PASSWORD, server, server_process, sign_in
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
