"""Failed sign-in throttling: a few tries per key, then a pause that grows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(slots=True)
class _Failures:
    count: int
    last: datetime


class Throttle:
    """Allows ``free`` failures per key; each one after that doubles the wait."""

    def __init__(
        self,
        free: int = 5,
        base: timedelta = timedelta(seconds=30),
        forget_after: timedelta = timedelta(minutes=15),
        max_keys: int = 10_000,
    ) -> None:
        if free < 1:
            raise ValueError("free must be at least 1")
        self._free = free
        self._base = base
        self._forget = forget_after
        self._max_keys = max_keys
        self._failures: dict[str, _Failures] = {}

    def retry_after(self, key: str, now: datetime) -> float:
        """Seconds to wait before ``key`` may try again; 0 when it may now."""
        entry = self._failures.get(key)
        if entry is None:
            return 0.0
        if now - entry.last >= self._forget:
            del self._failures[key]
            return 0.0
        over = entry.count - self._free
        if over < 0:
            return 0.0
        wait = self._base * (1 << min(over, 10))
        return max(0.0, (entry.last + wait - now).total_seconds())

    def failed(self, key: str, now: datetime) -> None:
        entry = self._failures.get(key)
        if entry is None:
            if len(self._failures) >= self._max_keys:
                oldest = min(self._failures, key=lambda k: self._failures[k].last)
                del self._failures[oldest]
            self._failures[key] = _Failures(1, now)
        else:
            entry.count += 1
            entry.last = now

    def succeeded(self, key: str) -> None:
        self._failures.pop(key, None)
