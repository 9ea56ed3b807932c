"""Timing and statistics of the matching benchmark: what one phase of load saw,
as percentiles, and the issue's goals."""

from __future__ import annotations

import statistics
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

SLICES = 5  # backlog request acks are reported in this many slices of queue length
STARTED = time.perf_counter()


def note(message: str) -> None:
    print(f"[{time.perf_counter() - STARTED:6.1f} s] {message}", file=sys.stderr)


def ms(start: float, end: float) -> float:
    return (end - start) * 1000


def percentiles(values_ms: Sequence[float]) -> dict[str, float]:
    """p50, p99 and max in milliseconds rounded to 0.01, and how many samples."""
    if len(values_ms) < 2:
        return {"n": len(values_ms)}
    cuts = statistics.quantiles(values_ms, n=100, method="inclusive")
    return {
        "p50": round(cuts[49], 2),
        "p99": round(cuts[98], 2),
        "max": round(max(values_ms), 2),
        "n": len(values_ms),
    }


@dataclass
class Phase:
    """What the load saw in one phase; times are time.perf_counter() stamps."""

    requested: dict[str, float] = field(default_factory=dict)  # by case id
    request_acks: list[tuple[int, float]] = field(default_factory=list)
    offered: dict[str, float] = field(default_factory=dict)
    accepted: dict[str, float] = field(default_factory=dict)
    room_staff: dict[str, float] = field(default_factory=dict)
    room_citizen: dict[str, float] = field(default_factory=dict)
    hung_up: dict[str, float] = field(default_factory=dict)  # by interpreter
    hang_up_to_offer_ms: list[float] = field(default_factory=list)
    queue_positions: int = 0
    errors: Counter[str] = field(default_factory=Counter)

    def request_to_offer_ms(self) -> list[float]:
        offered = self.offered
        return [ms(t, offered[c]) for c, t in self.requested.items() if c in offered]

    def accept_to_room_ms(self) -> list[float]:
        both = self.room_staff.keys() & self.room_citizen.keys()
        return [
            ms(t, max(self.room_staff[c], self.room_citizen[c]))
            for c, t in self.accepted.items()
            if c in both
        ]


def backlog_summary(phase: Phase) -> dict[str, Any]:
    acks = sorted(phase.request_acks)
    width = -(-len(acks) // SLICES)
    slices = [acks[i : i + width] for i in range(0, len(acks), width)]
    return {
        "waiting": len(phase.requested),
        "request_ack_ms_by_waiting": [
            {"waiting": [s[0][0], s[-1][0]], **percentiles([t for _, t in s])}
            for s in slices
        ],
        "accept_to_room_ms": percentiles(phase.accept_to_room_ms()),
        "hang_up_to_next_offer_ms": percentiles(phase.hang_up_to_offer_ms),
        "queue_position_events": phase.queue_positions,
        "errors": phase.errors,
    }


def goals(single: dict[str, Any], redis: dict[str, Any]) -> dict[str, Any]:
    """The issue's two goals, each against the echo of its own run."""

    def cut(result: dict[str, Any], series: str, name: str) -> float:
        return float(result[series].get(name, "nan"))

    echo_p50 = cut(single, "echo_rtt_ms", "p50")
    above = {
        mode: round(cut(result, "request_to_offer_ms", "p50") - echo_p50, 2)
        for mode, result in (("single", single), ("redis_two_process", redis))
    }
    ratio = {
        series: round(cut(redis, series, "p99") / cut(single, series, "p99"), 2)
        for series in ("request_to_offer_ms", "accept_to_room_ms")
    }
    return {
        "request_to_offer_p50_above_echo_p50_ms": above,
        "request_to_offer_p50_within_2_ms": {k: v <= 2 for k, v in above.items()},
        "redis_p99_over_single_p99": ratio,
        "redis_p99_within_2x": {k: v <= 2 for k, v in ratio.items()},
    }
