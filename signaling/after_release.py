"""A pool store that does some work once each command has let go of the pool."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from interpreter_pool.pool import Pool
from signaling.ports import PoolStore


class AfterRelease:
    """``store``, running ``after`` when each transaction has ended, raised or
    not: the desk sends the queue notices a command made there, so the next
    command need not wait for them."""

    def __init__(self, store: PoolStore, after: Callable[[], Awaitable[None]]) -> None:
        self._store = store
        self._after = after

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Pool]:
        try:
            async with self._store.transaction() as pool:
                yield pool
        finally:
            await self._after()

    async def snapshot(self) -> Pool:
        return await self._store.snapshot()

    def changes_elsewhere(self) -> int:
        return self._store.changes_elsewhere()

    async def claim_once(self, name: str, ttl_seconds: float) -> bool:
        return await self._store.claim_once(name, ttl_seconds)

    async def close(self) -> None:
        await self._store.close()
