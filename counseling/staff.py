"""Staff accounts: who works at the center, in which role, with which skills."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from counseling.services import Skill

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")


class StaffRole(StrEnum):
    INTERPRETER = "interpreter"
    SCHEDULER = "scheduler"
    SUPERVISOR = "supervisor"


@dataclass(frozen=True, slots=True)
class StaffAccount:
    """A staff member as stored; the password hash never leaves the server."""

    id: str
    username: str
    display_name: str
    role: StaffRole
    skills: frozenset[Skill]
    password_hash: str
    departments: frozenset[str] = frozenset()
    """Departments whose counselor this staff member can be (counselor queue)."""

    def __post_init__(self) -> None:
        if not USERNAME.match(self.username):
            raise ValueError(f"not a valid username: {self.username!r}")
        if not self.display_name.strip():
            raise ValueError("display name must not be empty")


@dataclass(frozen=True, slots=True)
class LoginSession:
    """A signed-in browser: the hash of its cookie token and when it expires."""

    token_hash: str
    staff_id: str
    created_at: datetime
    expires_at: datetime

    def valid_at(self, now: datetime) -> bool:
        return self.created_at <= now < self.expires_at
