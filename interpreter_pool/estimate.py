"""Wait estimates: when each waiting citizen will be answered, from recent sessions."""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Iterable, Sequence

from counseling.services import Skill


def estimate_starts(
    free_in: Iterable[float], queue_length: int, turnaround: float
) -> list[float]:
    """Seconds until each of the next ``queue_length`` citizens is answered.

    ``free_in`` holds, for every qualified staff member on duty, the seconds until
    they are free (0 when free now). Citizens are served in order by whoever
    frees up first; each session then keeps that staff member for ``turnaround``
    seconds (handle time plus wrap-up). Empty ``free_in`` means nobody will come.
    """
    if turnaround < 0:
        raise ValueError("turnaround must not be negative")
    heap = [max(0.0, f) for f in free_in]
    if not heap:
        return []
    heapq.heapify(heap)
    starts: list[float] = []
    for _ in range(queue_length):
        start = heapq.heappop(heap)
        starts.append(start)
        heapq.heappush(heap, start + turnaround)
    return starts


class HandleTimes:
    """The last ``keep`` handle and wrap-up times per skill, with a prior to start."""

    def __init__(
        self, default_handle: float, default_wrap_up: float, keep: int = 30
    ) -> None:
        if default_handle <= 0 or default_wrap_up < 0 or keep < 1:
            raise ValueError("defaults must be positive and keep at least 1")
        self._default_handle = default_handle
        self._default_wrap_up = default_wrap_up
        self._keep = keep
        self._handle: dict[Skill, deque[float]] = {}
        self._wrap_up: dict[Skill, deque[float]] = {}

    def add_handle(self, skill: Skill, seconds: float) -> None:
        self._handle.setdefault(skill, deque(maxlen=self._keep)).append(seconds)

    def add_wrap_up(self, skill: Skill, seconds: float) -> None:
        self._wrap_up.setdefault(skill, deque(maxlen=self._keep)).append(seconds)

    def handle(self, skill: Skill) -> float:
        return _mean(self._handle.get(skill, ()), self._default_handle)

    def wrap_up(self, skill: Skill) -> float:
        return _mean(self._wrap_up.get(skill, ()), self._default_wrap_up)


def _mean(values: Sequence[float] | deque[float], default: float) -> float:
    return sum(values) / len(values) if values else default
