"""The waits before asking: one entry per offered skill, as the pool estimates them,
recomputed at most once per cache period however many callers ask."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from counseling.services import LANGUAGES_BY_SERVICE, Language, Service, Skill
from interpreter_pool.events import StaffStatus
from interpreter_pool.pool import Pool
from signaling.waits import WaitBoard, offered_skills, waits_in

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
KSL = Skill(Service.SIGN_LANGUAGE, Language.KSL)


def test_every_offered_skill_once() -> None:
    skills = offered_skills()
    assert len(skills) == len(set(skills))
    assert len(skills) == sum(len(langs) for langs in LANGUAGES_BY_SERVICE.values())


def test_waits_are_the_pools_estimates() -> None:
    pool = Pool()
    assert all(w.seconds is None for w in waits_in(pool, NOW).waits)
    pool.staff_online("s1", frozenset({KSL}), NOW)
    pool.set_presence("s1", StaffStatus.AVAILABLE, NOW)
    pool.request("c1", "case1", KSL, NOW)  # offered to s1: s1 is no longer free
    waits = {w.skill: w.seconds for w in waits_in(pool, NOW).waits}
    assert waits[KSL] == pool.estimate_for_new(KSL, NOW)
    assert waits[Skill(Service.FOREIGN_LANGUAGE, Language.EN)] is None
    body = waits_in(pool, NOW).to_data()
    assert body["as_of"] == NOW.isoformat()
    assert {"service": "chat", "language": "ko", "wait_seconds": None} in body["waits"]


class Snapshots:
    def __init__(self, pool: Pool) -> None:
        self.pool = pool
        self.taken = 0

    async def __call__(self) -> Pool:
        self.taken += 1
        await asyncio.sleep(0)  # a Redis read yields to other callers
        return self.pool


async def test_callers_within_the_cache_period_share_one_computation() -> None:
    snapshots = Snapshots(Pool())
    ticks = [100.0]
    board = WaitBoard(snapshots, lambda: NOW, monotonic=lambda: ticks[0])
    answers = await asyncio.gather(*(board.current() for _ in range(50)))
    assert snapshots.taken == 1
    assert all(a is answers[0] for a in answers)
    ticks[0] += 4.9
    await board.current()
    assert snapshots.taken == 1
    ticks[0] += 0.2
    await board.current()
    assert snapshots.taken == 2


async def test_a_new_answer_follows_the_pool() -> None:
    pool = Pool()
    ticks = [0.0]
    clock = [NOW]
    board = WaitBoard(Snapshots(pool), lambda: clock[0], monotonic=lambda: ticks[0])
    first = await board.current()
    pool.staff_online("s1", frozenset({KSL}), NOW)
    pool.set_presence("s1", StaffStatus.AVAILABLE, NOW)
    ticks[0], clock[0] = 6.0, NOW + timedelta(seconds=6)
    second = await board.current()
    ksl = {"service": "sign_language", "language": "ksl"}
    assert ksl | {"wait_seconds": None} in first["waits"]
    assert ksl | {"wait_seconds": 0} in second["waits"]
    assert second["as_of"] == clock[0].isoformat()


def test_a_negative_cache_period_is_refused() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        WaitBoard(Snapshots(Pool()), lambda: NOW, cache_seconds=-1)
