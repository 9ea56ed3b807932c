"""A case survives a crash: on restart, cases left open are closed, not lost."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestServer

from counseling.cases import Case, CaseStatus, EndReason, Party
from counseling.services import Language, Service, Skill
from storage.database import database_url_for_data_dir, open_database
from storage.sql import SqlCaseRepository
from tests.integration.conftest import runtime, start_server

KSL = Skill(Service.SIGN_LANGUAGE, Language.KSL)


async def test_cases_left_open_by_a_crash_end_as_interrupted(
    aiohttp_server: Callable[[web.Application], Awaitable[TestServer]],
    tmp_path: Path,
) -> None:
    # What a killed process leaves behind: one case in session, one waiting.
    t0 = datetime.now(UTC) - timedelta(minutes=10)
    in_session = Case.open("a" * 32, KSL, t0)
    in_session.offer("staff-1", t0 + timedelta(seconds=4))
    in_session.answer("staff-1", t0 + timedelta(seconds=6))
    waiting = Case.open("b" * 32, KSL, t0 + timedelta(seconds=30))
    database = await open_database(database_url_for_data_dir(tmp_path))
    try:
        for case in (in_session, waiting):
            await SqlCaseRepository(database).add(case)
    finally:
        await database.close()

    server = await start_server(aiohttp_server, tmp_path)

    cases = runtime(server).cases
    assert await cases.unfinished() == []
    recovered = await cases.get(in_session.id)
    assert recovered is not None
    assert recovered.status is CaseStatus.ENDED
    assert recovered.end_reason is EndReason.SERVICE_INTERRUPTED
    assert recovered.ended_by is Party.SYSTEM
    # Ended at the last moment it was known alive, not at the restart.
    assert recovered.ended_at == t0 + timedelta(seconds=6)
    assert recovered.handle_seconds == 0
    left_waiting = await cases.get(waiting.id)
    assert left_waiting is not None
    assert left_waiting.end_reason is EndReason.SERVICE_INTERRUPTED
    assert left_waiting.wait_seconds == 0
