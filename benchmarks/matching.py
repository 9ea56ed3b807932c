"""Matching under load: N citizens and M interpreters on one in-memory process and on
two processes sharing Redis, beside a bare socket.io ack round trip on the same server.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from benchmarks.matching_cluster import cluster, watched
from benchmarks.matching_load import Load, Party, backlog, echo, steady
from benchmarks.matching_stats import backlog_summary, goals, note, percentiles
from benchmarks.signaling_latency import loadavg, machine_info
from signaling.auth import COOKIE_NAME
from tests.pg import POSTGRES_URL

REDIS_URL = "redis://127.0.0.1:6379/0"
CONNECT_CONCURRENCY = 50
SIGN_IN_CONCURRENCY = 4  # argon2 verifications run on the server's two cores


async def bounded(
    limit: int, items: Iterable[Any], job: Callable[[Any], Awaitable[None]]
) -> None:
    slots = asyncio.Semaphore(limit)

    async def one(item: Any) -> None:
        async with slots:
            await job(item)

    await asyncio.gather(*(one(item) for item in items))


async def mode(name: str, processes: int, args: argparse.Namespace) -> dict[str, Any]:
    """The whole load against ``processes`` servers: echo, steady, backlog."""
    load = Load(args.hold)
    parties: list[Party] = []
    async with cluster(processes, args) as (servers, names):
        try:
            logins = asyncio.Semaphore(SIGN_IN_CONCURRENCY)

            async def sign_in(i: int) -> None:
                server = servers[i % processes]
                party = Party("/staff", names[i], load)
                async with logins:  # 50 staff connects at once starved the Redis lock
                    token = await server.login(names[i])
                    parties.append(party)
                    cookie = {"Cookie": f"{COOKIE_NAME}={token}"}
                    await party.connect(server.url, cookie)
                    ack = await party.call("set_presence", {"status": "available"})
                if not ack.get("ok"):
                    raise RuntimeError(f"set_presence {names[i]}: {ack}")

            async def arrive(i: int) -> None:
                party = Party("/citizen", f"citizen.{i:05d}", load)
                parties.append(party)
                await party.connect(servers[i % processes].url)

            await bounded(CONNECT_CONCURRENCY, range(args.staff), sign_in)
            interpreters = parties[:]
            note(f"{name}: {args.staff} interpreters signed in and available")
            await bounded(CONNECT_CONCURRENCY, range(args.citizens), arrive)
            citizens = sorted(parties[args.staff :], key=lambda p: p.name)
            note(f"{name}: {args.citizens} citizens connected")
            result: dict[str, Any] = await echo(citizens, args.echo)
            async with watched(servers, args.profile, f"{name}-steady") as usage:
                calls = citizens[: args.calls]
                phase = await steady(load, calls, interpreters, args.rate)
            note(f"{name}: steady phase done")
            result |= {
                "request_to_offer_ms": percentiles(phase.request_to_offer_ms()),
                "accept_to_room_ms": percentiles(phase.accept_to_room_ms()),
                "request_ack_ms": percentiles([t for _, t in phase.request_acks]),
                "queue_position_events": phase.queue_positions,
                "errors": phase.errors,
                **usage,
            }
            if args.backlog:
                async with watched(servers, args.profile, f"{name}-backlog") as usage:
                    queued = citizens[: args.backlog]
                    phase = await backlog(load, queued, interpreters, args.probes)
                note(f"{name}: backlog phase done")
                result["backlog"] = backlog_summary(phase) | usage
            result["double_assignments"] = load.doubles
        finally:

            async def leave(party: Party) -> None:
                with contextlib.suppress(Exception):
                    await party.disconnect()

            await bounded(CONNECT_CONCURRENCY, parties, leave)
    return result


async def run(args: argparse.Namespace) -> dict[str, Any]:
    load_at_start = loadavg()  # other work on the machine shows here
    note(f"one process in memory: {args.citizens} citizens, {args.staff} staff")
    single = await mode("single", 1, args)
    note("two processes on Redis")
    redis = await mode("redis", 2, args)
    doubles = single.pop("double_assignments") + redis.pop("double_assignments")
    return {
        "benchmark": "matching",
        "citizens": args.citizens,
        "staff": args.staff,
        "steady": {"calls": args.calls, "rate_per_s": args.rate, "hold_s": args.hold},
        "backlog": {"citizens": args.backlog, "probes": args.probes},
        "echo_rtt_ms": single["echo_rtt_ms"],
        "single": single,
        "redis_two_process": redis,
        "goals": goals(single, redis),
        "double_assignments": len(doubles),
        "double_assignment_examples": doubles[:10],
        "loadavg_at_start": load_at_start,
        "loadavg": loadavg(),
        "machine": machine_info(),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    add = parser.add_argument
    add("--json", type=Path, help="also write the result to this file")
    add("--quick", action="store_true", help="100 citizens, 20 staff, 60 calls")
    add("--citizens", type=int, help="citizens connected (default 1000)")
    add("--staff", type=int, help="interpreters available (default 200)")
    add("--calls", type=int, help="steady calls, one per citizen (default 300)")
    add("--rate", type=float, default=5.0, help="steady calls per second")
    add("--hold", type=float, default=0.5, help="seconds an interpreter holds a call")
    add("--backlog", type=int, help="citizens in the backlog (default all)")
    add("--probes", type=int, default=20, help="accepts timed at the full backlog")
    add("--echo", type=int, default=200, help="echo round trips")
    add("--postgres-url", default=POSTGRES_URL, help="server for throwaway databases")
    add("--redis-url", default=REDIS_URL)
    add("--profile", type=Path, help="folder for py-spy stacks of each server")
    args = parser.parse_args(argv)
    args.citizens = args.citizens or (100 if args.quick else 1000)
    args.staff = args.staff or (20 if args.quick else 200)
    args.calls = args.calls or min(args.citizens, 60 if args.quick else 300)
    args.backlog = args.citizens if args.backlog is None else args.backlog
    if not 2 <= args.calls <= args.citizens or not 0 <= args.backlog <= args.citizens:
        parser.error("--calls must be 2 to --citizens, --backlog 0 to --citizens")
    if min(args.staff, args.probes, args.echo) < 2 or args.rate <= 0 or args.hold < 0:
        parser.error("--staff, --probes and --echo 2 or more, --rate above 0")
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
    result = asyncio.run(run(args))
    text = json.dumps(result, indent=2)
    if args.json is not None:
        args.json.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
