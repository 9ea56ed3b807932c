"""Staff clients of the record program's HTTP API, answered cases, and refusals
read off as their error code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer

from counseling.cases import Case, EndReason, Party
from counseling.services import Language, Service, Skill
from tests.integration.conftest import runtime

KSL = Skill(Service.SIGN_LANGUAGE, Language.KSL)


class Staff:
    """A signed-in staff member's HTTP client."""

    def __init__(self, session: aiohttp.ClientSession, profile: dict[str, Any]) -> None:
        self.http = session
        self.id: str = profile["id"]

    async def call(
        self, method: str, path: str, body: Any = None, status: int = 200
    ) -> Any:
        async with self.http.request(method, path, json=body) as response:
            assert response.status == status, await response.text()
            if response.content_type == "application/json":
                return await response.json()
            return await response.text()


async def answered(
    server: TestServer, staff_id: str, skill: Skill = KSL, minutes_ago: int = 30
) -> Case:
    now = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    case = Case.open(f"{int(now.timestamp() * 1e6):032x}", skill, now)
    case.offer(staff_id, now + timedelta(seconds=2))
    case.answer(staff_id, now + timedelta(seconds=20))
    case.end(EndReason.COMPLETED, Party.CITIZEN, now + timedelta(minutes=8))
    await runtime(server).cases.add(case)
    return case


async def refused(
    client: aiohttp.ClientSession | Staff,
    method: str,
    path: str,
    body: Any = None,
    status: int = 400,
) -> str:
    http = client.http if isinstance(client, Staff) else client
    async with http.request(method, path, json=body) as response:
        assert response.status == status, await response.text()
        error = (await response.json())["error"]
        assert error["message"]
        return str(error["code"])
