"""GET /api/waits from a real ``dasan serve`` whose Redis goes away: 503 with the
error body and Retry-After while it is down, the waits again once it is back.

The Redis here is our own ``redis-server`` on a free port, stopped and started
by the test (never the machine's Redis service).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
from redis.asyncio import Redis

from tests.around_the_clock import open_around_the_clock
from tests.integration.processes import free_port, server_process

REDIS_SERVER = shutil.which("redis-server")
DEADLINE = 30.0


async def until_true(check: Callable[[], Awaitable[Any]], what: str) -> None:
    async def poll() -> None:
        while True:
            try:
                if await check():
                    return
            except (OSError, aiohttp.ClientError, ConnectionError):
                pass  # not up yet
            await asyncio.sleep(0.1)

    try:
        await asyncio.wait_for(poll(), DEADLINE)
    except TimeoutError:
        raise AssertionError(f"timed out: {what}") from None


class OwnRedis:
    """A throwaway redis-server on ``port`` that the test stops and starts."""

    def __init__(self, port: int, folder: Path) -> None:
        self.port = port
        self.folder = folder
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        # Never skipped: the machine's Redis comes from Debian's redis-server
        # package, which brings this binary.
        assert REDIS_SERVER is not None, "redis-server is not on PATH"
        assert self.process is None
        self.folder.mkdir(exist_ok=True)
        self.process = await asyncio.create_subprocess_exec(
            *(REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1"),
            *("--save", "", "--appendonly", "no", "--dir", str(self.folder)),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        client = Redis(host="127.0.0.1", port=self.port)
        try:
            await until_true(client.ping, "our redis-server answers")
        finally:
            await client.aclose()

    async def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.returncode is None:
            process.terminate()
        await asyncio.wait_for(process.wait(), DEADLINE)


async def waits(url: str) -> tuple[int, dict[str, str], dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{url}/api/waits") as response,
    ):
        return response.status, dict(response.headers), await response.json()


async def test_waits_say_unavailable_while_redis_is_down(tmp_path: Path) -> None:
    redis = OwnRedis(free_port(), tmp_path / "redis")
    env = os.environ | {
        "DASAN_REDIS_URL": f"redis://127.0.0.1:{redis.port}/0",
        "DASAN_REDIS_PREFIX": f"test-waits-down-{secrets.token_hex(6)}",
        "DASAN_DEMO_PASSWORD": "waits-down-test-password",
        "DASAN_LOG_LEVEL": "WARNING",
        "DASAN_HOURS_FILE": str(open_around_the_clock(tmp_path / "hours.toml")),
    }
    await redis.start()
    try:
        async with server_process(env, tmp_path) as (url, _):
            status, _, body = await waits(url)
            assert status == 200, body
            assert body["waits"] and all(
                w["wait_seconds"] is None for w in body["waits"]
            )

            # Redis goes away (ours only): once the shared answer is stale the
            # pool cannot be read, and the route says so instead of a plain 500.
            await redis.stop()
            seen: list[tuple[int, dict[str, str], dict[str, Any]]] = []

            async def not_ok() -> bool:
                seen.append(await waits(url))
                return seen[-1][0] != 200

            await until_true(not_ok, "GET /api/waits stops answering 200")
            status, headers, body = seen[-1]
            assert status == 503, body
            assert body == {
                "error": {
                    "code": "pool_unavailable",
                    "message": body["error"]["message"],
                }
            }
            assert body["error"]["message"]
            assert int(headers["Retry-After"]) >= 1

            # Back up (empty, as after a Redis restart): the waits come back.
            await redis.start()

            async def ok_again() -> bool:
                status, _, body = await waits(url)
                return status == 200 and len(body["waits"]) > 0

            await until_true(ok_again, "GET /api/waits answers again")
    finally:
        await redis.stop()
