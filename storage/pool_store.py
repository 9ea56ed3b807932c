"""Where the pool lives between commands: in this process, or in Redis for many."""

from __future__ import annotations

import asyncio
import json
import time
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
        self._claims: dict[str, float] = {}

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Pool]:
        async with self._lock:
            yield self._pool

    def changes_elsewhere(self) -> int:
        return 0  # one process

    async def claim_once(self, name: str, ttl_seconds: float) -> bool:
        """True the first time ``name`` is claimed (until ``ttl_seconds`` pass)."""
        now = time.monotonic()
        self._claims = {k: v for k, v in self._claims.items() if v > now}
        if name in self._claims:
            return False
        self._claims[name] = now + ttl_seconds
        return True

    async def close(self) -> None:
        return None


class RedisPoolStore:
    """One pool shared by every process: a Redis lock around load, change, save.

    The lock expires after ``lock_seconds`` so a process that dies holding it
    does not stop the others for longer than that. Within a process, commands
    queue on a local lock first, so only one of them polls Redis for the shared
    lock (every ``poll_seconds``) and they are served in order.

    Each save bumps a version number beside the pool. A process keeps the pool it
    last saw, with that version, and loads the pool again only when another
    process has saved since: with one busy process, most commands skip the
    load. A command that leaves the pool unchanged writes nothing.
    """

    def __init__(
        self,
        url: str,
        rules: PoolRules | None = None,
        key: str = "dasan:pool",
        lock_seconds: float = 30.0,
        wait_seconds: float = 15.0,
        poll_seconds: float = 0.002,
    ) -> None:
        self._redis: Redis = Redis.from_url(url)
        self._rules = rules
        self._key = key
        self._version_key = f"{key}:version"
        self._lock_seconds = lock_seconds
        self._wait_seconds = wait_seconds
        self._poll_seconds = poll_seconds
        self._local = asyncio.Lock()
        self._cached: tuple[int, str, Pool] | None = None
        self._elsewhere = 0

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Pool]:
        async with self._local:
            lock = self._redis.lock(
                f"{self._key}:lock",
                timeout=self._lock_seconds,
                blocking_timeout=self._wait_seconds,
                sleep=self._poll_seconds,
            )
            async with lock:
                version, raw, pool = await self._current()
                try:
                    yield pool
                except BaseException:
                    self._cached = None  # changed in memory, not saved: reload
                    raise
                after = json.dumps(dump(pool))
                if after != raw:
                    async with self._redis.pipeline(transaction=True) as pipe:
                        pipe.set(self._key, after)
                        pipe.incr(self._version_key)
                        _, version = await pipe.execute()
                self._cached = (int(version), after, pool)

    async def _current(self) -> tuple[int, str, Pool]:
        """The shared pool: this process's copy when no one saved since."""
        stored = await self._redis.get(self._version_key)
        version = 0 if stored is None else int(stored)
        if self._cached is not None and self._cached[0] == version:
            return self._cached
        self._elsewhere += 1
        raw = await self._redis.get(self._key)
        if raw is None:
            pool = Pool(self._rules)
            return version, json.dumps(dump(pool)), pool
        text = raw.decode() if isinstance(raw, bytes) else str(raw)
        return version, text, load(json.loads(text), self._rules)

    def changes_elsewhere(self) -> int:
        return self._elsewhere

    async def claim_once(self, name: str, ttl_seconds: float) -> bool:
        """True for the one process that claims ``name`` first (for ``ttl_seconds``)."""
        claimed = await self._redis.set(
            f"{self._key}:once:{name}", b"1", nx=True, px=int(ttl_seconds * 1000)
        )
        return bool(claimed)

    async def reset(self) -> None:
        """Forget the shared pool (tests, or a cold start of every process)."""
        await self._redis.delete(self._key, self._version_key, f"{self._key}:lock")
        self._cached = None

    async def close(self) -> None:
        await self._redis.aclose()
