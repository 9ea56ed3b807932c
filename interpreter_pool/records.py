"""The pool's records and rules: what it keeps about each staff member and request."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from counseling.services import Skill
from interpreter_pool.events import AwayReason, JoinKind, StaffStatus


def new_id() -> str:
    """A 128-bit random identifier, hex encoded."""
    return secrets.token_hex(16)


def pick_longest_idle(
    candidates: Iterable[tuple[str, datetime]],
) -> str | None:
    """The staff id idle the longest; ties go to the smaller id, for determinism."""
    best = min(candidates, key=lambda c: (c[1], c[0]), default=None)
    return None if best is None else best[0]


@dataclass(frozen=True, slots=True)
class PoolRules:
    """The pool's timings; zero wrap-up or grace means none."""

    offer_timeout: timedelta = timedelta(seconds=20)
    wrap_up: timedelta = timedelta(seconds=60)
    reconnect_grace: timedelta = timedelta(seconds=30)
    missed_offers_limit: int = 3
    default_handle: timedelta = timedelta(minutes=5)

    def __post_init__(self) -> None:
        if self.offer_timeout <= timedelta(0):
            raise ValueError("offer_timeout must be positive")
        if self.wrap_up < timedelta(0) or self.reconnect_grace < timedelta(0):
            raise ValueError("wrap_up and reconnect_grace must not be negative")
        if self.missed_offers_limit < 1:
            raise ValueError("missed_offers_limit must be at least 1")
        if self.default_handle <= timedelta(0):
            raise ValueError("default_handle must be positive")


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """A waiting citizen's place, and seconds until answered (None: nobody on duty)."""

    case_id: str
    citizen_id: str
    skill: Skill
    position: int
    estimated_wait: float | None


@dataclass(slots=True)
class StaffRecord:
    skills: frozenset[Skill]
    status: StaffStatus
    since: datetime
    idle_since: datetime
    reason: AwayReason | None = None
    name: str = ""
    connections: set[str] = field(default_factory=set)
    offer_id: str | None = None
    room_id: str | None = None
    missed: int = 0
    wrap_up_until: datetime | None = None
    wrap_up_skill: Skill | None = None
    grace_until: datetime | None = None
    departments: frozenset[str] = frozenset()


@dataclass(slots=True)
class WaitingRequest:
    case_id: str
    citizen_id: str
    skill: Skill
    asked_at: datetime
    priority: bool = False
    declined_by: set[str] = field(default_factory=set)
    offer_id: str | None = None
    told: tuple[int, int | None] | None = None
    preferred: str | None = None
    """The staff member reserved for this citizen: offered first when available."""


@dataclass(slots=True)
class JoinRequest:
    """The interpreter of a session asks for someone to join it: a department's
    counselor, or an interpreter to take over (``only``: that one)."""

    room_id: str
    case_id: str
    kind: JoinKind
    skill: Skill
    asked_at: datetime
    requested_by: str
    department: str | None = None
    only: str | None = None
    declined_by: set[str] = field(default_factory=set)
    offer_id: str | None = None


@dataclass(frozen=True, slots=True)
class Invite:
    """A single-use guest invite to a room; the pool keeps its token's hash."""

    id: str
    token_hash: str
    room_id: str
    created_by: str
    created_at: datetime
    expires_at: datetime
    used_by: str | None = None
