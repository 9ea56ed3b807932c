"""Where the pool lives between commands: in this process, or in Redis for many."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from redis.asyncio import Redis
from redis.exceptions import LockError, LockNotOwnedError

from interpreter_pool.pool import Pool, PoolRules
from interpreter_pool.state import Codec, decode, encode


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


# Take the lock, unless another process has claimed the next turn; returns
# {version, pool} (the pool only when its version is not ARGV[5], the one this
# process holds), or {-1} (claiming the next turn, when turns are on and no
# one else holds it). KEYS: lock, turn, version, pool. ARGV: process, token,
# lock ms, turn ms (0: no turns), version held here.
_ACQUIRE = """
local turn = redis.call('get', KEYS[2])
if turn and turn ~= ARGV[1] then return {-1} end
if redis.call('set', KEYS[1], ARGV[2], 'NX', 'PX', ARGV[3]) then
  if turn then redis.call('del', KEYS[2]) end
  local version = tonumber(redis.call('get', KEYS[3]) or '0')
  if tostring(version) == ARGV[5] then return {version} end
  return {version, redis.call('get', KEYS[4]) or ''}
end
if ARGV[4] ~= '0' then redis.call('set', KEYS[2], ARGV[1], 'PX', ARGV[4]) end
return {-1}
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


@dataclass(slots=True)
class _Copy:
    """This process's copy of the shared pool: its version, its text as saved,
    and the codec that describes it (a load reuses its unchanged records)."""

    version: int
    text: str
    pool: Pool
    codec: Codec = field(default_factory=Codec)


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
    lock reads the version (and brings the pool's text when another process
    saved since), and saving lets go of the lock, in one round trip each. The
    text holds each record as its own JSON text (``interpreter_pool.state``
    ``encode``): a save encodes only the records the command changed, and a
    load decodes only the texts another process changed, keeping the rest of
    this process's copy. Readers that need no lock (the supervisors'
    dashboard, the timers' look at what is due) take a ``snapshot``: that copy,
    or the pool as last saved when another process saved since.
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
        self._cached: _Copy | None = None
        self._elsewhere = 0

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Pool]:
        async with self._local:
            token = secrets.token_hex(16)
            saved = -1
            try:
                # Inside the try: if decoding the other process's text fails
                # after the lock is taken, the lock is still let go (releasing
                # a lock never taken is a no-op: the script checks the token).
                copy = await self._acquire(token)
                yield copy.pool
                after = encode(copy.pool, copy.codec)
                changed = after != copy.text
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
            copy.version, copy.text = saved, after
            self._cached = copy

    async def _acquire(self, token: str) -> _Copy:
        """Take the shared lock; returns the pool as it is now. The same round
        trip brings the pool's text when another process saved since."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._wait_seconds
        keys = [self._lock_key, self._turn_key, self._version_key, self._key]
        while True:
            mine = self._cached
            held = -1 if mine is None else mine.version
            args: list[str | int] = [
                *(self._process, token, self._lock_ms, self._turn_ms, held)
            ]
            reply = await self._acquire_script(keys=keys, args=args)
            version = int(reply[0])
            if version >= 0:
                break
            if loop.time() >= deadline:
                raise LockError("the pool's lock stayed taken")
            await asyncio.sleep(self._poll_seconds)
        if len(reply) == 1 and mine is not None:
            return mine  # no one saved since: the pool is the one held here
        # No command of this process is running (we hold the local lock), so
        # the last copy is only read from now on: its unchanged records can
        # stand in the new one.
        return self._decoded(version, reply[1], mine)

    def _decoded(self, version: int, raw: bytes | str, mine: _Copy | None) -> _Copy:
        """The pool saved at ``version`` as ``raw``; records whose text did not
        change since ``mine`` are ``mine``'s."""
        self._elsewhere += 1
        text = raw.decode() if isinstance(raw, bytes) else str(raw)
        codec = Codec() if mine is None else mine.codec
        if not text:
            pool = Pool(self._rules)
            return _Copy(version, encode(pool, codec), pool, codec)
        previous = None if mine is None else mine.pool
        return _Copy(version, text, decode(text, self._rules, codec, previous), codec)

    async def snapshot(self) -> Pool:
        """The pool to read without the lock; never to change, nor to hold
        across an await. A command of this process may be halfway through it."""
        stored = await self._redis.get(self._version_key)
        version = 0 if stored is None else int(stored)
        cached = self._cached
        if cached is not None and cached.version == version:
            return cached.pool
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.get(self._version_key)
            pipe.get(self._key)
            stored, raw = await pipe.execute()
        version = 0 if stored is None else int(stored)
        saved = self._decoded(version, raw or b"", None)  # its own codec
        cached = self._cached  # a command may have saved a newer one meanwhile
        if cached is None or saved.version > cached.version:
            self._cached = saved  # the next command can skip its load
        return saved.pool

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
