"""Where the pool lives between commands: in this process, or in Redis for many."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis

from interpreter_pool.pool import Pool, PoolRules
from interpreter_pool.state import dump, load


class MemoryPoolStore:
    """The embedded default: one pool object, one lock, one process."""

    def __init__(self, rules: PoolRules | None = None) -> None:
        self._pool = Pool(rules)
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Pool]:
        async with self._lock:
            yield self._pool

    async def close(self) -> None:
        return None


class RedisPoolStore:
    """One pool shared by every process: a Redis lock around load, change, save.

    The lock expires after ``lock_seconds`` so a process that dies holding it
    does not stop the others for longer than that.
    """

    def __init__(
        self,
        url: str,
        rules: PoolRules | None = None,
        key: str = "dasan:pool",
        lock_seconds: float = 30.0,
        wait_seconds: float = 15.0,
    ) -> None:
        self._redis: Redis = Redis.from_url(url)
        self._rules = rules
        self._key = key
        self._lock_seconds = lock_seconds
        self._wait_seconds = wait_seconds

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Pool]:
        lock = self._redis.lock(
            f"{self._key}:lock",
            timeout=self._lock_seconds,
            blocking_timeout=self._wait_seconds,
        )
        async with lock:
            raw = await self._redis.get(self._key)
            pool = (
                Pool(self._rules) if raw is None else load(json.loads(raw), self._rules)
            )
            yield pool
            await self._redis.set(self._key, json.dumps(dump(pool)))

    async def reset(self) -> None:
        """Forget the shared pool (tests, or a cold start of every process)."""
        await self._redis.delete(self._key, f"{self._key}:lock")

    async def close(self) -> None:
        await self._redis.aclose()
