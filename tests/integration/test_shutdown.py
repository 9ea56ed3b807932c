"""A server told to stop (SIGTERM) stops by itself, ending every waiting
citizen's case first, even while citizens are leaving at the same moment.

python-engineio's own "disconnect everyone" waited for ever for a connection
whose client left while its disconnect handler ran (its send queue is never
emptied once its writer has ended), and the process had to be killed."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import aiohttp

from counseling.cases import CaseStatus
from storage.database import open_database
from storage.sql import SqlCaseRepository
from tests.around_the_clock import open_around_the_clock
from tests.integration.peers import Party
from tests.integration.processes import PASSWORD, server_process
from tests.pg import fresh_database_url

CITIZENS = 40
STAGES = 8  # turns of the event loop over which the citizens start leaving
STOP_DEADLINE = 30.0  # stopping takes well under a second when nothing hangs


async def until_refused(url: str) -> None:
    """Wait until the server no longer takes connections (it has begun to stop)."""
    async with asyncio.timeout(STOP_DEADLINE), aiohttp.ClientSession() as http:
        while True:
            try:
                async with http.get(f"{url}/healthz") as response:
                    await response.read()
            except aiohttp.ClientConnectionError:
                return
            await asyncio.sleep(0.01)


async def test_a_stopping_server_ends_every_case_and_exits(tmp_path: Path) -> None:
    async with fresh_database_url() as database_url:
        env = os.environ | {
            "DASAN_DATABASE_URL": database_url,
            "DASAN_DEMO_PASSWORD": PASSWORD,
            "DASAN_LOG_LEVEL": "WARNING",
            "DASAN_HOURS_FILE": str(open_around_the_clock(tmp_path / "hours.toml")),
        }
        async with server_process(env, tmp_path) as (url, process):
            citizens = [Party("/citizen") for _ in range(CITIZENS)]
            for citizen in citizens:
                await citizen.connect(url)
            # Chinese: nobody is on duty for it, so everyone stays in line.
            acks = await asyncio.gather(
                *(
                    c.call("request", {"service": "foreign_language", "language": "zh"})
                    for c in citizens
                )
            )
            assert all(ack["ok"] for ack in acks), acks

            # The citizens give up, a few turns of the loop apart, and the
            # server is told to stop while they are at every stage of leaving.
            async def leave(citizen: Party, turns: int) -> None:
                for _ in range(turns):
                    await asyncio.sleep(0)
                await citizen.sio.disconnect()

            leaving = asyncio.gather(
                *(leave(c, i % STAGES) for i, c in enumerate(citizens))
            )
            for _ in range(STAGES // 2):
                await asyncio.sleep(0)
            process.send_signal(signal.SIGTERM)
            await leaving
            try:
                async with asyncio.timeout(STOP_DEADLINE):
                    returncode = await process.wait()
            except TimeoutError:
                raise AssertionError(
                    f"the server still runs {STOP_DEADLINE} s after SIGTERM"
                ) from None
            assert returncode == 0

        database = await open_database(database_url)
        try:
            cases = SqlCaseRepository(database)
            for ack in acks:
                case = await cases.get(ack["case_id"])
                assert case is not None
                assert case.status is CaseStatus.ENDED, case
        finally:
            await database.close()
