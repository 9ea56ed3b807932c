"""One real recorded call, and a server with its files in the data folder and its
staff signed in over HTTP."""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from counseling.cases import Case, EndReason, Party
from counseling.services import Language, Service, Skill
from recording.keys import DEMO_KEY_FILE, RecordingKey
from recording.recorder import RecordedFile
from storage.recordings import Recording, SqlAccessAudit, SqlRecordings
from tests.integration.conftest import AppServer, base_url, login, runtime, start_server
from tests.recorded_session import record_session, store_session

KEY = RecordingKey(b"r" * 32)
KSL = Skill(Service.SIGN_LANGUAGE, Language.KSL)
STAFF = ("interpreter.ksl", "counselor.en", "scheduler", "supervisor")


@pytest.fixture(scope="module")
def session(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, list[RecordedFile]]:
    """One real recorded call, shared by the tests (each copies its files)."""
    root = tmp_path_factory.mktemp("recorded")
    return root, asyncio.run(record_session(root, KEY, 3.0))


def place(root: Path, files: list[RecordedFile], data_dir: Path) -> None:
    """The recorded files and their key into a server's data folder."""
    (data_dir / DEMO_KEY_FILE).write_text(KEY.to_base64() + "\n")
    for file in files:
        (data_dir / file.path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / file.path, data_dir / file.path)


class Staff:
    def __init__(self, server: TestServer, token: str | None, profile: Any) -> None:
        cookies = {} if token is None else {"dasan_session": token}
        self.http = aiohttp.ClientSession(base_url(server), cookies=cookies)
        self.id: str | None = None if profile is None else profile["id"]

    async def get(
        self, path: str, status: int = 200, **headers: str
    ) -> tuple[bytes, aiohttp.ClientResponse]:
        async with self.http.get(path, headers=headers) as response:
            body = await response.read()
            assert response.status == status, body[:500]
            return body, response

    async def json(self, method: str, path: str, status: int = 200) -> Any:
        async with self.http.request(method, path) as response:
            assert response.status == status, await response.text()
            return await response.json()


@dataclass
class Served:
    server: TestServer
    case: Case
    rows: list[Recording]
    staff: dict[str, Staff]
    anonymous: Staff
    audit: SqlAccessAudit
    data_dir: Path

    def video(self, party: str) -> Recording:
        return next(r for r in self.rows if r.kind == "video" and r.party_id == party)


async def answered_case(server: TestServer, staff_id: str, minutes_ago: int) -> Case:
    at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    case = Case.open(f"{int(at.timestamp() * 1e6):032x}", KSL, at)
    case.offer(staff_id, at + timedelta(seconds=2))
    case.answer(staff_id, at + timedelta(seconds=20))
    case.end(EndReason.COMPLETED, Party.CITIZEN, at + timedelta(minutes=8))
    await runtime(server).cases.add(case)
    return case


async def serve(
    aiohttp_server: AppServer,
    tmp_path: Path,
    recorded: tuple[Path, list[RecordedFile]],
    database_url: str | None = None,
) -> Served:
    place(*recorded, tmp_path)
    server = await start_server(aiohttp_server, tmp_path, database_url)
    staff = {}
    for username in STAFF:
        profile, token = await login(server, username)
        staff[username] = Staff(server, token, profile)
    case = await answered_case(server, staff["interpreter.ksl"].id or "", 30)
    database = runtime(server).database
    rows = await store_session(SqlRecordings(database), case.id, recorded[1])
    return Served(
        server,
        case,
        rows,
        staff,
        Staff(server, None, None),
        SqlAccessAudit(database),
        tmp_path,
    )


async def close(served: Served) -> None:
    for client in (*served.staff.values(), served.anonymous):
        await client.http.close()
