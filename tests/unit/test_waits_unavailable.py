"""The waits when the pool store cannot be read: PoolUnavailable, remembered for
a few seconds so that callers during an outage do not each wait for Redis."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from interpreter_pool.pool import Pool
from signaling.waits import PoolUnavailable, WaitBoard

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


class Store:
    """A pool store that fails (or hangs) until told otherwise."""

    def __init__(self) -> None:
        self.down = True
        self.hang = False
        self.reads = 0

    async def snapshot(self) -> Pool:
        self.reads += 1
        if self.hang:
            await asyncio.Event().wait()
        await asyncio.sleep(0)
        if self.down:
            raise ConnectionError("Error 111 connecting to 127.0.0.1:6390.")
        return Pool()


async def test_a_failed_read_is_unavailable_then_retried_after_a_while() -> None:
    store = Store()
    ticks = [100.0]
    board = WaitBoard(store.snapshot, lambda: NOW, monotonic=lambda: ticks[0])
    results = await asyncio.gather(
        *(board.current() for _ in range(20)), return_exceptions=True
    )
    assert all(isinstance(r, PoolUnavailable) for r in results)
    assert store.reads == 1  # the others were answered from the failure
    store.down = False
    ticks[0] += 4.9
    with pytest.raises(PoolUnavailable):
        await board.current()
    assert store.reads == 1
    ticks[0] += 0.2
    body = await board.current()
    assert store.reads == 2
    assert all(w["wait_seconds"] is None for w in body["waits"])


async def test_a_read_that_hangs_is_unavailable_after_the_timeout() -> None:
    store = Store()
    store.hang = True
    board = WaitBoard(store.snapshot, lambda: NOW, read_timeout=0.05)
    with pytest.raises(PoolUnavailable):
        await asyncio.wait_for(board.current(), 5)


def test_timeouts_must_make_sense() -> None:
    with pytest.raises(ValueError, match="read_timeout"):
        WaitBoard(Store().snapshot, lambda: NOW, read_timeout=0)
    with pytest.raises(ValueError, match="retry_seconds"):
        WaitBoard(Store().snapshot, lambda: NOW, retry_seconds=-1)
