"""One contract for both pool stores: in this process, and in Redis."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from redis.exceptions import LockNotOwnedError

from counseling.services import Language, Service, Skill
from interpreter_pool.events import StaffStatus
from interpreter_pool.pool import PoolRules
from interpreter_pool.state import dump, load
from signaling.ports import PoolStore
from storage.pool_store import MemoryPoolStore, RedisPoolStore
from tests.integration.local_redis import REDIS_URL

KSL = Skill(Service.SIGN_LANGUAGE, Language.KSL)
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[PoolStore]:
    if request.param == "memory":
        yield MemoryPoolStore(PoolRules())
        return
    redis = RedisPoolStore(REDIS_URL, PoolRules(), key=f"test-{secrets.token_hex(6)}")
    try:
        yield redis
    finally:
        await redis.reset()
        await redis.close()


async def test_changes_in_a_transaction_are_there_in_the_next(store: PoolStore) -> None:
    async with store.transaction() as pool:
        pool.staff_online("s1", frozenset({KSL}), NOW, "tab-1", "Kim")
        pool.set_presence("s1", StaffStatus.AVAILABLE, NOW)
        pool.request("c1", "case-1", KSL, NOW)
    async with store.transaction() as pool:
        assert pool.staff_status("s1") is StaffStatus.OFFERED
        assert pool.name_of("s1") == "Kim"
        offer = pool.open_offer("s1")
        assert offer is not None
        assert offer.case_id == "case-1"


async def test_transactions_take_turns(store: PoolStore) -> None:
    order: list[str] = []

    async def command(name: str) -> None:
        async with store.transaction() as pool:
            order.append(f"{name} in")
            await asyncio.sleep(0.05)
            pool.request(name, f"case-{name}", KSL, NOW)
            order.append(f"{name} out")

    await asyncio.gather(*(command(f"c{i}") for i in range(4)))
    for i in range(0, len(order), 2):
        assert order[i].split()[0] == order[i + 1].split()[0], order
    async with store.transaction() as pool:
        assert sorted(e.citizen_id for e in pool.queue(NOW)) == ["c0", "c1", "c2", "c3"]


async def test_redis_discards_a_transaction_that_raises() -> None:
    store = RedisPoolStore(REDIS_URL, key=f"test-{secrets.token_hex(6)}")

    async def failing_command() -> None:
        async with store.transaction() as pool:
            pool.request("c1", "case-1", KSL, NOW)
            raise RuntimeError("storage failed after the pool changed")

    try:
        async with store.transaction() as pool:  # this process now holds a copy
            pool.request("c0", "case-0", KSL, NOW)
        with pytest.raises(RuntimeError):
            await failing_command()
        async with store.transaction() as pool:
            assert [e.citizen_id for e in pool.queue(NOW)] == ["c0"]
    finally:
        await store.reset()
        await store.close()


async def test_two_stores_on_one_redis_share_one_pool() -> None:
    key = f"test-{secrets.token_hex(6)}"
    first, second = (
        RedisPoolStore(REDIS_URL, key=key),
        RedisPoolStore(REDIS_URL, key=key),
    )
    try:
        async with first.transaction() as pool:
            pool.request("c1", "case-1", KSL, NOW)
        async with second.transaction() as pool:
            assert pool.position("c1") == 1
            pool.request("c2", "case-2", KSL, NOW)
            snapshot = dump(pool)
        assert dump(load(snapshot)) == snapshot
        # The first store's copy is out of date now: it must see c2 too, and
        # what it changes must reach the second store.
        async with first.transaction() as pool:
            assert pool.position("c2") == 2
            pool.cancel("c1", NOW)
        async with second.transaction() as pool:
            assert [e.citizen_id for e in pool.queue(NOW)] == ["c2"]
        async with first.transaction() as pool:  # read only: nothing written
            pass
        async with second.transaction() as pool:
            assert pool.position("c2") == 1
    finally:
        await first.reset()
        await first.close()
        await second.close()


async def test_a_name_is_claimed_once(store: PoolStore) -> None:
    assert await store.claim_once("closing:sign_language:22:00", 60)
    assert not await store.claim_once("closing:sign_language:22:00", 60)
    assert await store.claim_once("closing:chat:22:00", 60)


async def test_expired_claims_can_be_made_again(store: PoolStore) -> None:
    assert await store.claim_once("short", 0.05)
    deadline = asyncio.get_running_loop().time() + 5
    while not await store.claim_once("short", 0.05):
        assert asyncio.get_running_loop().time() < deadline, "claim never expired"
        await asyncio.sleep(0.01)


async def test_of_many_processes_one_claims_a_name() -> None:
    key = f"test-{secrets.token_hex(6)}"
    stores = [RedisPoolStore(REDIS_URL, key=key) for _ in range(4)]
    try:
        claims = await asyncio.gather(
            *(s.claim_once("closing:foreign_language:x", 60) for s in stores)
        )
        assert sorted(claims) == [False, False, False, True]
    finally:
        await stores[0].reset()
        for s in stores:
            await s.close()


async def test_a_snapshot_shows_the_pool_without_the_lock(store: PoolStore) -> None:
    async with store.transaction() as pool:
        pool.request("c1", "case-1", KSL, NOW)
    entered, leave = asyncio.Event(), asyncio.Event()

    async def holder() -> None:
        async with store.transaction():
            entered.set()
            await leave.wait()

    task = asyncio.create_task(holder())
    try:
        await asyncio.wait_for(entered.wait(), 10)
        snapshot = await asyncio.wait_for(store.snapshot(), 10)
        assert snapshot.position("c1") == 1
    finally:
        leave.set()
        await task


async def test_a_snapshot_sees_what_another_process_saved() -> None:
    key = f"test-{secrets.token_hex(6)}"
    first, second = (
        RedisPoolStore(REDIS_URL, key=key),
        RedisPoolStore(REDIS_URL, key=key),
    )
    try:
        async with second.transaction() as pool:  # second holds a copy now
            pass
        async with first.transaction() as pool:
            pool.request("c1", "case-1", KSL, NOW)
        seen = second.changes_elsewhere()
        assert (await second.snapshot()).position("c1") == 1
        # Counted as a change by another process (the desk's stored cases go).
        assert second.changes_elsewhere() > seen
        async with second.transaction() as pool:
            pool.request("c2", "case-2", KSL, NOW)
        async with first.transaction() as pool:
            assert [e.citizen_id for e in pool.queue(NOW)] == ["c1", "c2"]
    finally:
        await first.reset()
        await first.close()
        await second.close()


async def test_a_busy_process_lets_a_waiting_one_have_the_next_turn() -> None:
    key = f"test-{secrets.token_hex(6)}"
    busy = RedisPoolStore(REDIS_URL, key=key, turn_seconds=10)
    # Polling seldom, the quiet one would rarely find the lock free.
    quiet = RedisPoolStore(REDIS_URL, key=key, poll_seconds=0.05, turn_seconds=10)
    done_by_busy: list[int] = []
    stop = asyncio.Event()
    entered = asyncio.Event()

    async def keep_busy() -> None:
        n = 0
        while not stop.is_set():
            async with busy.transaction():
                entered.set()
                await asyncio.sleep(0.02)
            n += 1
            done_by_busy.append(n)

    task = asyncio.create_task(keep_busy())
    try:
        await asyncio.wait_for(entered.wait(), 10)
        before = len(done_by_busy)
        async with quiet.transaction() as pool:
            after = len(done_by_busy)
            pool.request("c1", "case-1", KSL, NOW)
        # The one the busy process held when the quiet one asked, at most.
        assert after - before <= 1, (before, after)
    finally:
        stop.set()
        await task
        await busy.reset()
        await busy.close()
        await quiet.close()


async def test_a_command_that_outlives_the_lock_saves_nothing() -> None:
    key = f"test-{secrets.token_hex(6)}"
    slow = RedisPoolStore(REDIS_URL, key=key, lock_seconds=0.2)
    other = RedisPoolStore(REDIS_URL, key=key)

    async def outlive_the_lock() -> None:
        async with slow.transaction() as pool:
            pool.request("c1", "case-1", KSL, NOW)
            # The lock lapses; another process takes it and saves.
            async with other.transaction() as shared:
                shared.request("c2", "case-2", KSL, NOW)

    try:
        with pytest.raises(LockNotOwnedError):
            await outlive_the_lock()
        async with slow.transaction() as pool:
            assert [e.citizen_id for e in pool.queue(NOW)] == ["c2"]
    finally:
        await slow.reset()
        await slow.close()
        await other.close()
