"""Combined-video requests kept in the database: two real ``dasan serve`` on one
PostgreSQL or one SQLite file answer for the same job, a job left by a process
killed with SIGKILL is failed after the restart (its partial file gone) and can
be asked for again, and requests at the same moment give one job per case."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from counseling.cases import Case, EndReason, Party
from counseling.services import Language, Service, Skill
from recording.recorder import RecordedFile
from storage.composite_jobs import CompositeState, SqlCompositeJobs
from storage.database import Database, database_url_for_data_dir, open_database
from storage.models import CaseErasureRow
from storage.recordings import SqlRecordings
from storage.sql import SqlCaseRepository
from tests.around_the_clock import open_around_the_clock
from tests.integration.processes import server, server_process
from tests.integration.served_recordings import KEY, place
from tests.pg import fresh_database_url
from tests.recorded_session import record_session, store_session

PASSWORD = "composite-jobs-test-password"
KSL = Skill(Service.SIGN_LANGUAGE, Language.KSL)
DEADLINE_S = 120.0
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def long_session(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, list[RecordedFile]]:
    """A real recorded call long enough that its combined video takes a while."""
    root = tmp_path_factory.mktemp("recorded")
    return root, asyncio.run(record_session(root, KEY, 8.0))


@asynccontextmanager
async def database(kind: str, tmp_path: Path) -> AsyncIterator[tuple[str, Database]]:
    """The URL of an empty database of ``kind`` and a connection to it."""
    if kind == "sqlite":
        url = database_url_for_data_dir(tmp_path / "data")
        (tmp_path / "data").mkdir(exist_ok=True)
        db = await open_database(url)
        try:
            yield url, db
        finally:
            await db.close()
        return
    async with fresh_database_url() as url:
        db = await open_database(url)
        try:
            yield url, db
        finally:
            await db.close()


def env_for(tmp_path: Path, url: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("DASAN_")}
    return base | {
        "DASAN_DATABASE_URL": url,
        "DASAN_DATA_DIR": str(tmp_path / "data"),
        "DASAN_DEMO_PASSWORD": PASSWORD,
        "DASAN_LOG_LEVEL": "WARNING",
        "DASAN_HOURS_FILE": str(open_around_the_clock(tmp_path / "hours.toml")),
    }


async def until(
    check: Callable[[], Awaitable[Any]], what: str, deadline: float = DEADLINE_S
) -> Any:
    end = time.monotonic() + deadline
    while True:
        found = await check()
        if found:
            return found
        assert time.monotonic() < end, f"{what}: not within {deadline} s"
        await asyncio.sleep(0.2)


class Staff:
    """A signed-in staff member's HTTP client, on any process (the login
    session is stored, so the cookie works everywhere)."""

    def __init__(self, token: str, profile: dict[str, Any]) -> None:
        self.http = aiohttp.ClientSession(cookies={"dasan_session": token})
        self.id: str = profile["id"]

    async def json(self, method: str, url: str, status: int = 200) -> Any:
        async with self.http.request(method, url) as response:
            assert response.status == status, await response.text()
            return await response.json()


async def sign_in(url: str, username: str) -> Staff:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{url}/api/login", json={"username": username, "password": PASSWORD}
        ) as response,
    ):
        assert response.status == 200, await response.text()
        return Staff(response.cookies["dasan_session"].value, await response.json())


async def recorded_case(
    db: Database, staff_id: str, files: list[RecordedFile], minutes_ago: int = 30
) -> str:
    """An ended case answered by ``staff_id`` with the recorded files as its rows."""
    at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    case = Case.open(f"{int(at.timestamp() * 1e6):032x}", KSL, at)
    case.offer(staff_id, at + timedelta(seconds=2))
    case.answer(staff_id, at + timedelta(seconds=20))
    case.end(EndReason.COMPLETED, Party.CITIZEN, at + timedelta(minutes=8))
    await SqlCaseRepository(db).add(case)
    await store_session(SqlRecordings(db), case.id, files)
    return case.id


def partial_files(data_dir: Path, job_id: str) -> list[Path]:
    return list(data_dir.rglob(f"{job_id}.composite*"))


# -- the store -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_claims_at_the_same_moment_give_one_job(
    kind: str, tmp_path: Path
) -> None:
    async with database(kind, tmp_path) as (url, db):
        case = Case.open("c" * 32, KSL, T0)
        await SqlCaseRepository(db).add(case)
        # Two engines, as two processes would have.
        other = await open_database(url)
        try:
            stores = [SqlCompositeJobs(db), SqlCompositeJobs(other)]
            claimed = await asyncio.gather(
                *(
                    s.claim(f"{i:032x}", case.id, "staff-1", T0)
                    for i, s in enumerate(stores * 4)
                )
            )
        finally:
            await other.close()
        jobs = SqlCompositeJobs(db)
        assert len({job.id for job, _ in claimed}) == 1
        assert sum(queued for _, queued in claimed) == 1
        (stored,) = await jobs.for_case(case.id)
        assert stored.state is CompositeState.QUEUED
        assert stored.id == claimed[0][0].id

        # Once it is over, the case may have another.
        assert await jobs.finish(stored.id, T0 + timedelta(minutes=1), stored.id)
        again, queued = await jobs.claim("f" * 32, case.id, "staff-2", T0)
        assert queued and again.id == "f" * 32
        assert {(j.id, j.state) for j in await jobs.for_case(case.id)} == {
            (stored.id, CompositeState.DONE),
            ("f" * 32, CompositeState.QUEUED),
        }


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_only_jobs_whose_beat_stopped_are_abandoned_and_retention_forgets(
    kind: str, tmp_path: Path
) -> None:
    async with database(kind, tmp_path) as (_, db):
        cases = SqlCaseRepository(db)
        jobs = SqlCompositeJobs(db)
        first, second = Case.open("a" * 32, KSL, T0), Case.open("b" * 32, KSL, T0)
        await cases.add(first)
        await cases.add(second)
        old, _ = await jobs.claim("1" * 32, first.id, "staff-1", T0)
        assert await jobs.start(old.id, T0, "recordings/x/old.composite.webm.sealed")
        alive, _ = await jobs.claim("2" * 32, second.id, "staff-1", T0)
        await jobs.beat([alive.id], T0 + timedelta(seconds=30))

        left = await jobs.abandon(
            T0 + timedelta(seconds=20), T0 + timedelta(seconds=31), "gone", "ask again"
        )
        assert [(j.id, j.path) for j in left] == [
            (old.id, "recordings/x/old.composite.webm.sealed")
        ]
        failed = await jobs.get(old.id)
        assert failed is not None
        assert (failed.state, failed.error, failed.message) == (
            CompositeState.FAILED,
            "gone",
            "ask again",
        )
        assert failed.finished_at == T0 + timedelta(seconds=31)
        still = await jobs.get(alive.id)
        assert still is not None and still.state is CompositeState.QUEUED
        # A failed job is not failed twice, nor finished afterwards.
        later = T0 + timedelta(hours=1)
        abandoned = await jobs.abandon(later, later, "gone", "ask again")
        assert [j.id for j in abandoned] == [alive.id]
        assert not await jobs.finish(old.id, later, old.id)

        async with db.sessions.begin() as session:
            session.add(
                CaseErasureRow(
                    case_id=first.id,
                    erased_at=later,
                    messages=0,
                    summary=False,
                    comment=False,
                )
            )
        assert await jobs.delete_of_erased_cases() == 1
        assert await jobs.get(old.id) is None
        assert await jobs.get(alive.id) is not None


# -- through two real processes -------------------------------------------------------


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_a_job_asked_on_one_process_is_followed_on_another(
    kind: str,
    tmp_path: Path,
    long_session: tuple[Path, list[RecordedFile]],
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    place(*long_session, data_dir)
    async with database(kind, tmp_path) as (url, db):
        env = env_for(tmp_path, url)
        async with server(env, tmp_path) as first, server(env, tmp_path) as second:
            ksl = await sign_in(first, "interpreter.ksl")
            try:
                case_id = await recorded_case(db, ksl.id, long_session[1])
                # Asked on both at the same moment: one job.
                asked = await asyncio.gather(
                    ksl.json("POST", f"{first}/api/cases/{case_id}/composite", 202),
                    ksl.json("POST", f"{second}/api/cases/{case_id}/composite", 202),
                )
                assert asked[0]["id"] == asked[1]["id"], asked
                job_id = asked[0]["id"]
                stored = await SqlCompositeJobs(db).for_case(case_id)
                assert [j.id for j in stored] == [job_id]

                seen_on_second = await ksl.json(
                    "GET", f"{second}/api/composites/{job_id}"
                )
                assert seen_on_second["state"] in ("queued", "running", "done")
                assert seen_on_second["case_id"] == case_id

                async def done() -> Any:
                    job = await ksl.json("GET", f"{second}/api/composites/{job_id}")
                    return job if job["state"] in ("done", "failed") else None

                job = await until(done, "the combined video")
                assert job["state"] == "done", job
                assert job["recording_id"] == job_id
                assert job["started_at"] is not None
                assert job["finished_at"] is not None

                listing = await ksl.json(
                    "GET", f"{second}/api/cases/{case_id}/recordings"
                )
                assert [(j["id"], j["state"]) for j in listing["composites"]] == [
                    (job_id, "done")
                ]
                kinds = [r["kind"] for r in listing["recordings"]]
                assert kinds.count("composite") == 1
            finally:
                await ksl.http.close()


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
async def test_a_job_cut_by_a_kill_is_failed_after_the_restart(
    kind: str,
    tmp_path: Path,
    long_session: tuple[Path, list[RecordedFile]],
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    place(*long_session, data_dir)
    async with database(kind, tmp_path) as (url, db):
        env = env_for(tmp_path, url)
        jobs = SqlCompositeJobs(db)
        async with server_process(env, tmp_path) as (first, process):
            ksl = await sign_in(first, "interpreter.ksl")
            try:
                case_id = await recorded_case(db, ksl.id, long_session[1])
                job = await ksl.json(
                    "POST", f"{first}/api/cases/{case_id}/composite", 202
                )

                async def running() -> bool:
                    found = await jobs.get(job["id"])
                    return found is not None and found.state is CompositeState.RUNNING

                await until(running, "the job running")

                async def writing() -> bool:
                    return bool(partial_files(data_dir, job["id"]))

                await until(writing, "the combined file being written")
                process.kill()
                await process.wait()
            finally:
                await ksl.http.close()
        cut = await jobs.get(job["id"])
        assert cut is not None
        assert cut.state is CompositeState.RUNNING  # the kill came before the end
        assert partial_files(data_dir, job["id"])  # half written

        async with server(env, tmp_path) as again:
            ksl = await sign_in(again, "interpreter.ksl")
            try:

                async def failed() -> Any:
                    found = await ksl.json("GET", f"{again}/api/composites/{job['id']}")
                    return found if found["state"] != "running" else None

                after = await until(failed, "the cut job failed", 60.0)
                assert after["state"] == "failed", after
                assert after["error"] == "composite_interrupted"
                assert after["message"] == "interrupted by a restart; ask again"
                assert partial_files(data_dir, job["id"]) == []
                listing = await ksl.json(
                    "GET", f"{again}/api/cases/{case_id}/recordings"
                )
                assert [r["kind"] for r in listing["recordings"]].count(
                    "composite"
                ) == 0
                assert listing["composites"][0]["state"] == "failed"

                # The page may ask again: a new job.
                fresh = await ksl.json(
                    "POST", f"{again}/api/cases/{case_id}/composite", 202
                )
                assert fresh["id"] != job["id"]
                assert fresh["state"] in ("queued", "running")
            finally:
                await ksl.http.close()
