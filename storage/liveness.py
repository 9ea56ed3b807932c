"""Which process holds which connections, so a dead process's parties are let go.

With several processes on one Redis, a process that dies (a crash, kill -9, a
lost machine) never runs its disconnect handlers: its interpreters would stay
"available" in the shared pool and its waiting citizens in line. Each process
registers the connections it holds and refreshes a heartbeat key; the others
look for processes whose heartbeat has expired, and one of them (whoever claims
it first) takes over their connections and ends them as disconnects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from redis.asyncio import Redis

from interpreter_pool.pool import new_id


@dataclass(frozen=True, slots=True)
class Orphan:
    """A connection that was held by a process that is gone."""

    kind: str  # "staff", "citizen", "guest" or "supervisor" (listening in)
    party_id: str
    connection: str


class MemoryLiveness:
    """One process: when it dies, everything it held dies with it."""

    async def joined(self, kind: str, party_id: str, connection: str) -> None:
        return None

    async def left(self, kind: str, party_id: str, connection: str) -> None:
        return None

    async def beat(self) -> None:
        return None

    async def orphans(self) -> Sequence[Orphan]:
        return ()

    async def close(self) -> None:
        return None


class RedisLiveness:
    """Connections per process in Redis, with a heartbeat per process.

    ``beat`` must run more often than ``ttl_seconds``; a process whose heartbeat
    is older than that is taken for dead.
    """

    def __init__(
        self, url: str, prefix: str = "dasan", ttl_seconds: float = 15.0
    ) -> None:
        self._redis: Redis = Redis.from_url(url)
        self._prefix = prefix
        self._ttl_ms = int(ttl_seconds * 1000)
        self.node = new_id()

    def _nodes(self) -> str:
        return f"{self._prefix}:nodes"

    def _held(self, node: str) -> str:
        return f"{self._prefix}:node:{node}:held"

    def _alive(self, node: str) -> str:
        return f"{self._prefix}:node:{node}:alive"

    @staticmethod
    def _field(kind: str, party_id: str, connection: str) -> str:
        return f"{kind} {party_id} {connection}"

    async def joined(self, kind: str, party_id: str, connection: str) -> None:
        await self._redis.sadd(
            self._held(self.node), self._field(kind, party_id, connection)
        )

    async def left(self, kind: str, party_id: str, connection: str) -> None:
        await self._redis.srem(
            self._held(self.node), self._field(kind, party_id, connection)
        )

    async def beat(self) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.sadd(self._nodes(), self.node)
            pipe.set(self._alive(self.node), b"1", px=self._ttl_ms)
            await pipe.execute()

    async def orphans(self) -> Sequence[Orphan]:
        """The connections of every dead process that this one claims first."""
        found: list[Orphan] = []
        for raw in await self._redis.smembers(self._nodes()):
            node = raw.decode() if isinstance(raw, bytes) else str(raw)
            if node == self.node or await self._redis.exists(self._alive(node)):
                continue
            # Whoever removes the node from the set takes over its connections.
            if not await self._redis.srem(self._nodes(), node):
                continue
            held = await self._redis.smembers(self._held(node))
            await self._redis.delete(self._held(node))
            for item in held:
                text = item.decode() if isinstance(item, bytes) else str(item)
                kind, party_id, connection = text.split(" ", 2)
                found.append(Orphan(kind, party_id, connection))
        return found

    async def close(self) -> None:
        """A clean stop: this process holds nothing any more."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.srem(self._nodes(), self.node)
            pipe.delete(self._held(self.node), self._alive(self.node))
            await pipe.execute()
        await self._redis.aclose()
