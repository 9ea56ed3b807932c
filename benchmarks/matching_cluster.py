"""The servers under the matching load: a fresh database with the interpreters,
one or two `dasan serve` processes (on Redis), and their CPU while watched."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import signal
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from benchmarks.matching_stats import note
from benchmarks.signaling_latency import PASSWORD, DasanServer, cpu_seconds
from counseling.services import Language, Service, Skill
from counseling.staff import StaffAccount, StaffRole
from interpreter_pool.pool import new_id
from signaling.auth import Passwords
from storage.database import open_database
from storage.sql import SqlStaffDirectory
from tests.pg import fresh_database_url

# Offers made while the backlog fills are held until the probe; they must not lapse.
OFFER_TIMEOUT_SECONDS = "600"  # the most Settings allows


class Server(DasanServer):
    """`dasan serve --demo` with this benchmark's settings added to its environment."""

    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        data_dir.mkdir()
        super().__init__(data_dir)
        self._extra_env = env

    def _env(self) -> dict[str, str]:
        return {**super()._env(), **self._extra_env}


async def add_interpreters(database_url: str, count: int) -> list[str]:
    """Sign-language interpreters written straight to the database, one hash for all."""
    database = await open_database(database_url)
    try:
        directory = SqlStaffDirectory(database)
        password_hash = Passwords().hash(PASSWORD)
        skills = frozenset({Skill(Service.SIGN_LANGUAGE, Language.KSL)})
        names = [f"bench.{i:04d}" for i in range(count)]
        for name in names:
            account = StaffAccount(
                new_id(), name, name, StaffRole.INTERPRETER, skills, password_hash
            )
            await directory.add(account)
        return names
    finally:
        await database.close()


async def forget_redis(url: str, prefix: str) -> None:
    redis: Redis = Redis.from_url(url)
    try:
        keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
        if keys:
            await redis.delete(*keys)
    finally:
        await redis.aclose()


@contextlib.asynccontextmanager
async def cluster(
    processes: int, args: argparse.Namespace
) -> AsyncIterator[tuple[list[Server], list[str]]]:
    """A fresh PostgreSQL database with the interpreters, and the servers on it;
    with two processes, a Redis prefix of their own. All removed on the way out."""
    async with contextlib.AsyncExitStack() as stack:
        url = await stack.enter_async_context(fresh_database_url(args.postgres_url))
        names = await add_interpreters(url, args.staff)
        env = {
            "DASAN_DATABASE_URL": url,
            "DASAN_WRAP_UP_SECONDS": "0",
            "DASAN_OFFER_TIMEOUT_SECONDS": OFFER_TIMEOUT_SECONDS,
        }
        if processes > 1:
            prefix = f"dasan-bench-{secrets.token_hex(4)}"
            env |= {"DASAN_REDIS_URL": args.redis_url, "DASAN_REDIS_PREFIX": prefix}
            stack.push_async_callback(forget_redis, args.redis_url, prefix)
        folder = stack.enter_context(
            tempfile.TemporaryDirectory(prefix="dasan-matching-")
        )
        servers: list[Server] = []
        for i in range(processes):  # one after the other: each seeds the demo accounts
            server = Server(Path(folder) / f"server{i}", env)
            await stack.enter_async_context(server)
            await server.start()
            note(f"server {i}: pid {server.pid} at {server.url}")
            servers.append(server)
        yield servers, names


def own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


@contextlib.asynccontextmanager
async def watched(
    servers: Sequence[Server], folder: Path | None, label: str
) -> AsyncIterator[dict[str, Any]]:
    """CPU seconds of every server and of this process (the load) meanwhile; with a
    folder, py-spy also samples every server there, as raw collapsed stacks."""
    spies = [
        await asyncio.create_subprocess_exec(
            str(Path(sys.executable).with_name("py-spy")),
            *("record", "--nonblocking", "--format", "raw", "--rate", "200"),
            *("--pid", str(s.pid), "-o", str(folder / f"{label}-{i}.txt")),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        for i, s in enumerate(servers)
        if folder is not None
    ]
    usage: dict[str, Any] = {}
    before, own_before = [cpu_seconds(s.pid) for s in servers], own_cpu_seconds()
    try:
        yield usage
    finally:
        usage["server_cpu_s"] = [
            round(cpu_seconds(s.pid) - b, 2)
            for s, b in zip(servers, before, strict=True)
        ]
        usage["load_cpu_s"] = round(own_cpu_seconds() - own_before, 2)
        for spy in spies:
            with contextlib.suppress(ProcessLookupError):
                spy.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(spy.wait(), 30)
            except TimeoutError:
                spy.kill()
                await spy.wait()
