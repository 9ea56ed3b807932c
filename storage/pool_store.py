"""Where the pool lives between commands: in this process, or in Redis for many."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis
from redis.exceptions import LockError, LockNotOwnedError

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

    async def snapshot(self) -> Pool:
        return self._pool  # the live pool: read it before the next await

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


# Take the lock, unless another process has claimed the next turn; returns the
# pool's version, or -1 (claiming the next turn, when turns are on and no one
# else holds it). KEYS: lock, turn, version. ARGV: process, token, lock ms,
# turn ms (0: no turns).
_ACQUIRE = """
local turn = redis.call('get', KEYS[2])
if turn and turn ~= ARGV[1] then return -1 end
if redis.call('set', KEYS[1], ARGV[2], 'NX', 'PX', ARGV[3]) then
  if turn then redis.call('del', KEYS[2]) end
  return tonumber(redis.call('get', KEYS[3]) or '0')
end
if ARGV[4] ~= '0' then redis.call('set', KEYS[2], ARGV[1], 'PX', ARGV[4]) end
return -1
"""
# Save (when changed) and let go, only while still holding the lock; returns
# the version saved, or -1 when the lock had expired (nothing saved).
# KEYS: lock, pool, version. ARGV: token, "1" when changed, pool.
_SAVE = """
if redis.call('get', KEYS[1]) ~= ARGV[1] then return -1 end
local version
if ARGV[2] == '1' then
  redis.call('set', KEYS[2], ARGV[3])
  version = redis.call('incr', KEYS[3])
else
  version = tonumber(redis.call('get', KEYS[3]) or '0')
end
redis.call('del', KEYS[1])
return version
"""
# Let go without saving. KEYS: lock. ARGV: token.
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class RedisPoolStore:
    """One pool shared by every process: a Redis lock around load, change, save.

    The lock expires after ``lock_seconds`` so a process that dies holding it
    does not stop the others for longer than that. Within a process, commands
    queue on a local lock first, so only one of them polls Redis for the shared
    lock (every ``poll_seconds``) and they are served in order. Between
    processes, whoever polls when the lock is free takes it. With
    ``turn_seconds`` above 0, turns alternate instead: a process that finds the
    lock taken claims the next turn (for that long, renewed at each poll), and
    the holder's next command waits for it, so a busy process cannot starve a
    quiet one. Off by default: on two shared cores the handovers left the lock
    idle while the claimer waited for CPU (BENCHMARKS.md, matching).

    Each save bumps a version number beside the pool. A process keeps the pool it
    last saw, with that version, and loads the pool again only when another
    process has saved since: with one busy process, most commands skip the
    load. A command that leaves the pool unchanged writes nothing. Taking the
    lock reads the version, and saving lets go of the lock, in one round trip
    each. Readers that need no lock (the supervisors' dashboard, the timers'
    look at what is due) take a ``snapshot``: that copy, or the pool as last
    saved when another process saved since.
    """

    def __init__(
        self,
        url: str,
        rules: PoolRules | None = None,
        key: str = "dasan:pool",
        lock_seconds: float = 30.0,
        wait_seconds: float = 15.0,
        poll_seconds: float = 0.002,
        turn_seconds: float = 0.0,
    ) -> None:
        self._redis: Redis = Redis.from_url(url)
        self._rules = rules
        self._key = key
        self._version_key = f"{key}:version"
        self._lock_key = f"{key}:lock"
        self._turn_key = f"{key}:turn"
        self._lock_ms = int(lock_seconds * 1000)
        self._turn_ms = 0 if turn_seconds <= 0 else max(1, int(turn_seconds * 1000))
        self._wait_seconds = wait_seconds
        self._poll_seconds = poll_seconds
        self._process = secrets.token_hex(8)
        self._acquire_script = self._redis.register_script(_ACQUIRE)
        self._save_script = self._redis.register_script(_SAVE)
        self._release_script = self._redis.register_script(_RELEASE)
        self._local = asyncio.Lock()
        self._cached: tuple[int, str, Pool] | None = None
        self._elsewhere = 0

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Pool]:
        async with self._local:
            token = secrets.token_hex(16)
            version = await self._acquire(token)
            saved = -1
            try:
                version, raw, pool = await self._current(version)
                yield pool
                after = json.dumps(dump(pool))
                changed = after != raw
                save = self._save_script(
                    keys=[self._lock_key, self._key, self._version_key],
                    args=[token, "1" if changed else "0", after if changed else ""],
                )
                # Shielded: a cancelled command still saves and lets go.
                saved = int(await asyncio.shield(save))
            finally:
                if saved < 0:
                    self._cached = None  # changed in memory, not saved: reload
                    release = self._release_script(keys=[self._lock_key], args=[token])
                    await asyncio.shield(release)
            if saved < 0:
                raise LockNotOwnedError("the pool's lock expired before the save")
            self._cached = (saved, after, pool)

    async def _acquire(self, token: str) -> int:
        """Take the shared lock; returns the pool's version."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._wait_seconds
        keys = [self._lock_key, self._turn_key, self._version_key]
        args: list[str | int] = [self._process, token, self._lock_ms, self._turn_ms]
        while True:
            version = int(await self._acquire_script(keys=keys, args=args))
            if version >= 0:
                return version
            if loop.time() >= deadline:
                raise LockError("the pool's lock stayed taken")
            await asyncio.sleep(self._poll_seconds)

    async def _current(self, version: int) -> tuple[int, str, Pool]:
        """The shared pool at ``version``: this process's copy when no one
        saved since."""
        if self._cached is not None and self._cached[0] == version:
            return self._cached
        # No command of this process is running (we hold the local lock), so
        # the last copy is only read from now on: its unchanged records can
        # stand in the new one.
        return await self._saved(None if self._cached is None else self._cached[2])

    async def _saved(self, previous: Pool | None = None) -> tuple[int, str, Pool]:
        """The pool as last saved, with its version, read in one round trip;
        records equal to those of ``previous`` are taken from it."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.get(self._version_key)
            pipe.get(self._key)
            stored, raw = await pipe.execute()
        self._elsewhere += 1
        version = 0 if stored is None else int(stored)
        if raw is None:
            pool = Pool(self._rules)
            return version, json.dumps(dump(pool)), pool
        text = raw.decode() if isinstance(raw, bytes) else str(raw)
        return version, text, load(json.loads(text), self._rules, previous=previous)

    async def snapshot(self) -> Pool:
        """The pool to read without the lock; never to change, nor to hold
        across an await. A command of this process may be halfway through it."""
        stored = await self._redis.get(self._version_key)
        version = 0 if stored is None else int(stored)
        cached = self._cached
        if cached is not None and cached[0] == version:
            return cached[2]
        saved = await self._saved()
        cached = self._cached  # a command may have saved a newer one meanwhile
        if cached is None or saved[0] > cached[0]:
            self._cached = saved  # the next command can skip its load
        return saved[2]

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
        await self._redis.delete(
            self._key, self._version_key, self._lock_key, self._turn_key
        )
        self._cached = None

    async def close(self) -> None:
        await self._redis.aclose()
