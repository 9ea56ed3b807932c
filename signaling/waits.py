"""The wait a request made now would have, per service and language, read before
asking: computed from a lock-free snapshot of the pool and kept a few seconds."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web

from counseling.services import LANGUAGES_BY_SERVICE, Skill
from interpreter_pool.pool import Pool
from signaling.http import error

log = logging.getLogger(__name__)

# Anonymous callers share one answer for this long: polling never makes the
# server play the queues forward more often than this.
CACHE_SECONDS = 5.0
# How long reading the pool store (Redis) may take before the answer is 503,
# and how long a failed read is remembered: callers during an outage are
# answered at once instead of each waiting for Redis in turn.
READ_TIMEOUT_SECONDS = 2.0
RETRY_SECONDS = 5.0


class PoolUnavailable(Exception):
    """The pool store could not be read (Redis down or too slow): no estimate."""


@dataclass(frozen=True, slots=True)
class WaitNow:
    """The estimated wait of a new request for ``skill``; None: nobody qualified
    is on duty."""

    skill: Skill
    seconds: float | None


@dataclass(frozen=True, slots=True)
class Waits:
    as_of: datetime
    waits: tuple[WaitNow, ...]

    def to_data(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "max_age_seconds": CACHE_SECONDS,
            "waits": [
                {
                    "service": w.skill.service.value,
                    "language": w.skill.language.value,
                    "wait_seconds": None if w.seconds is None else round(w.seconds),
                }
                for w in self.waits
            ],
        }


def offered_skills() -> list[Skill]:
    """Every service in every language it runs in, in a stable order."""
    return [
        Skill(service, language)
        for service, languages in LANGUAGES_BY_SERVICE.items()
        for language in sorted(languages)
    ]


def waits_in(pool: Pool, now: datetime) -> Waits:
    """What ``pool`` estimates for a new request of each offered skill at ``now``."""
    return Waits(
        now,
        tuple(WaitNow(s, pool.estimate_for_new(s, now)) for s in offered_skills()),
    )


class WaitBoard:
    """The current waits, recomputed at most once every ``cache_seconds``.

    Reads ``snapshot`` (the pool store's lock-free copy), never the pool lock;
    concurrent callers with a stale answer wait for one recomputation.
    """

    def __init__(
        self,
        snapshot: Callable[[], Awaitable[Pool]],
        clock: Callable[[], datetime],
        cache_seconds: float = CACHE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
        read_timeout: float = READ_TIMEOUT_SECONDS,
        retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        if cache_seconds < 0 or retry_seconds < 0:
            raise ValueError("cache_seconds and retry_seconds must not be negative")
        if read_timeout <= 0:
            raise ValueError("read_timeout must be positive")
        self._snapshot = snapshot
        self._clock = clock
        self._cache_seconds = cache_seconds
        self._monotonic = monotonic
        self._read_timeout = read_timeout
        self._retry_seconds = retry_seconds
        self._cached: tuple[float, dict[str, Any]] | None = None
        self._failed_at: float | None = None
        self._refreshing = asyncio.Lock()

    async def current(self) -> dict[str, Any]:
        """The waits as the JSON body of ``GET /api/waits``; raises
        PoolUnavailable while the pool store cannot be read."""
        fresh = self._fresh()
        if fresh is not None:
            return fresh
        self._check_not_failing()
        async with self._refreshing:
            fresh = self._fresh()  # another caller may have just refreshed it
            if fresh is not None:
                return fresh
            self._check_not_failing()  # or just failed to
            pool = await self._read()
            # Read the snapshot before the next await: it may change after.
            body = waits_in(pool, self._clock()).to_data()
            self._cached = (self._monotonic(), body)
            return body

    async def _read(self) -> Pool:
        """The pool store's snapshot, or PoolUnavailable when reading it fails
        or takes longer than the read timeout."""
        try:
            async with asyncio.timeout(self._read_timeout):
                pool = await self._snapshot()
        except Exception as exc:  # whatever the store raised, there is no pool
            self._failed_at = self._monotonic()
            log.warning(
                "waits: the pool store could not be read (%s)", type(exc).__name__
            )
            raise PoolUnavailable from exc
        self._failed_at = None
        return pool

    def _check_not_failing(self) -> None:
        failed = self._failed_at
        if failed is not None and self._monotonic() - failed < self._retry_seconds:
            raise PoolUnavailable

    def _fresh(self) -> dict[str, Any] | None:
        if self._cached is None:
            return None
        at, body = self._cached
        return body if self._monotonic() - at < self._cache_seconds else None


WAITS = web.AppKey("waits", WaitBoard)


async def get_waits(request: web.Request) -> web.Response:
    try:
        body = await request.app[WAITS].current()
    except PoolUnavailable:
        response = error(
            503,
            "pool_unavailable",
            "the wait cannot be estimated right now; you can still ask",
        )
        response.headers["Retry-After"] = str(int(RETRY_SECONDS))
        response.headers["Cache-Control"] = "no-store"
        return response
    return web.json_response(
        body, headers={"Cache-Control": f"public, max-age={int(CACHE_SECONDS)}"}
    )


def add_wait_routes(app: web.Application) -> None:
    """``GET /api/waits``: public, no input; docs/openapi.yaml describes it."""
    app.router.add_get("/api/waits", get_waits)
