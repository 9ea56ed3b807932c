"""GET /api/waits over a real server: the wait a new request would have now, as the
pool estimates it, with nobody on duty, someone free, and a line behind a session."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from counseling.services import Language, Service, Skill
from tests.integration.conftest import AppServer, base_url, runtime, start_server
from tests.integration.local_redis import REDIS_URL
from tests.integration.peers import Party
from tests.integration.pool_parties import citizen, staff

KSL = Skill(Service.SIGN_LANGUAGE, Language.KSL)
# The answer is shared for 5 s: long enough to see it change.
DEADLINE = 20.0


async def get_waits(server: TestServer) -> tuple[dict[str, Any], str]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{base_url(server)}/api/waits") as response,
    ):
        assert response.status == 200, await response.text()
        body: dict[str, Any] = await response.json()
        return body, response.headers["Cache-Control"]


def wait_for(body: dict[str, Any], skill: Skill) -> Any:
    (found,) = [
        w["wait_seconds"]
        for w in body["waits"]
        if (w["service"], w["language"]) == (skill.service.value, skill.language.value)
    ]
    return found


async def waits_until(
    server: TestServer, done: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """Ask again (the answer is cached a few seconds) until ``done`` holds."""

    async def poll() -> dict[str, Any]:
        while True:
            body, _ = await get_waits(server)
            if done(body):
                return body
            await asyncio.sleep(0.25)

    return await asyncio.wait_for(poll(), DEADLINE)


@pytest.fixture(params=["memory", "redis"])
async def server(
    request: pytest.FixtureRequest, aiohttp_server: AppServer, tmp_path: Path
) -> TestServer:
    """The service with its pool in this process, then in Redis."""
    if request.param == "memory":
        return await start_server(aiohttp_server, tmp_path)
    return await start_server(
        aiohttp_server,
        tmp_path,
        redis_url=REDIS_URL,
        redis_prefix=f"test-waits-{secrets.token_hex(6)}",
    )


async def test_the_wait_before_asking_follows_who_is_on_duty_and_the_line(
    server: TestServer,
) -> None:
    # Nobody on duty: no estimate for any service, rather than a made-up one.
    body, cache = await get_waits(server)
    assert cache == "public, max-age=5"
    offered = {(w["service"], w["language"]) for w in body["waits"]}
    assert ("sign_language", "ksl") in offered and ("foreign_language", "mn") in offered
    assert all(w["wait_seconds"] is None for w in body["waits"])

    interpreter, _ = await staff(server, "interpreter.ksl")
    parties: list[Party] = [interpreter]
    try:
        # Someone qualified is free and nobody waits: no wait.
        await interpreter.call("set_presence", {"status": "available"})
        body = await waits_until(server, lambda b: wait_for(b, KSL) is not None)
        assert wait_for(body, KSL) == 0
        # Only sign language has someone on duty.
        en = Skill(Service.FOREIGN_LANGUAGE, Language.EN)
        assert wait_for(body, en) is None

        # The interpreter takes one citizen; another waits behind the session.
        first = await citizen(server)
        parties.append(first)
        await first.call("request", {"service": "sign_language"})
        offer = await interpreter.next("offer")
        accepted = await interpreter.call(
            "accept_offer", {"offer_id": offer["offer_id"]}
        )
        assert accepted["ok"], accepted
        second = await citizen(server)
        parties.append(second)
        queued = await second.call("request", {"service": "sign_language"})
        assert queued["position"] == 1
        since = datetime.now(UTC)
        body = await waits_until(
            server, lambda b: datetime.fromisoformat(b["as_of"]) >= since
        )
        # What the pool itself estimates for a new request at that moment.
        pool = await runtime(server).desk._store.snapshot()
        as_of = datetime.fromisoformat(body["as_of"])
        expected = pool.estimate_for_new(KSL, as_of)
        assert expected is not None and expected > 0
        assert wait_for(body, KSL) == round(expected) > 0
        # The newcomer waits for the session and the citizen ahead: longer
        # than the citizen already in line.
        assert wait_for(body, KSL) > (queued["estimated_wait_seconds"] or 0)
    finally:
        for party in parties:
            await party.sio.disconnect()


async def test_callers_share_one_answer_for_a_few_seconds(
    dasan_server: TestServer,
) -> None:
    answers = await asyncio.gather(*(get_waits(dasan_server) for _ in range(20)))
    assert len({body["as_of"] for body, _ in answers}) == 1
    assert all(body["max_age_seconds"] == 5 for body, _ in answers)
