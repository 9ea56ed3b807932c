"""In-memory adapters for the core's ports: the embedded default and test double."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from counseling.cases import Case, CaseStatus
from counseling.chat import ChatMessage
from counseling.ports import StaffDirectory
from counseling.staff import LoginSession, StaffAccount
from storage.errors import DuplicateKey, NotFound, StaleCase
from storage.types import require_aware, require_aware_case


def _copy(case: Case) -> Case:
    return replace(case, events=list(case.events))


class MemoryCaseRepository:
    """Cases in a dict; stores and returns copies, so callers' edits need ``save``."""

    def __init__(self) -> None:
        self._cases: dict[str, Case] = {}

    async def add(self, case: Case) -> None:
        require_aware_case(case)
        if case.id in self._cases:
            raise DuplicateKey("case", case.id)
        self._cases[case.id] = _copy(case)

    async def save(self, case: Case, stored_events: int | None = None) -> None:
        """Write the case's fields and append the events not stored yet."""
        require_aware_case(case)
        stored = self._cases.get(case.id)
        kept = [] if stored is None else stored.events
        if len(case.events) < len(kept):
            raise StaleCase(case.id)
        if stored_events is not None and (stored is None or stored_events != len(kept)):
            raise StaleCase(case.id)  # as the SQL store: a position already taken
        self._cases[case.id] = replace(case, events=kept + case.events[len(kept) :])

    async def get(self, case_id: str) -> Case | None:
        case = self._cases.get(case_id)
        return None if case is None else _copy(case)

    async def recent(self, limit: int) -> Sequence[Case]:
        """The ``limit`` most recently requested cases, newest first (ties by id)."""
        if limit < 0:
            raise ValueError(f"limit must not be negative, got {limit}")
        newest = sorted(
            self._cases.values(), key=lambda c: (c.requested_at, c.id), reverse=True
        )
        return [_copy(case) for case in newest[:limit]]

    async def unfinished(self) -> Sequence[Case]:
        """Cases that have not ended, oldest first."""
        open_cases = [
            c for c in self._cases.values() if c.status is not CaseStatus.ENDED
        ]
        return [
            _copy(c) for c in sorted(open_cases, key=lambda c: (c.requested_at, c.id))
        ]


class MemoryStaffDirectory:
    """Staff accounts in a dict, with a second index by unique username."""

    def __init__(self) -> None:
        self._accounts: dict[str, StaffAccount] = {}
        self._ids_by_username: dict[str, str] = {}

    async def add(self, account: StaffAccount) -> None:
        if account.username in self._ids_by_username:
            raise DuplicateKey("username", account.username)
        if account.id in self._accounts:
            raise DuplicateKey("staff id", account.id)
        self._accounts[account.id] = account
        self._ids_by_username[account.username] = account.id

    async def by_username(self, username: str) -> StaffAccount | None:
        staff_id = self._ids_by_username.get(username)
        return None if staff_id is None else self._accounts[staff_id]

    async def get(self, staff_id: str) -> StaffAccount | None:
        return self._accounts.get(staff_id)

    async def set_password_hash(self, staff_id: str, password_hash: str) -> None:
        account = self._accounts.get(staff_id)
        if account is None:
            raise NotFound("staff account", staff_id)
        self._accounts[staff_id] = replace(account, password_hash=password_hash)


class MemoryLoginSessions:
    """Login sessions in a dict; like the SQL table, each must name a stored staff."""

    def __init__(self, staff: StaffDirectory) -> None:
        self._staff = staff
        self._sessions: dict[str, LoginSession] = {}

    async def add(self, login: LoginSession) -> None:
        require_aware(created_at=login.created_at, expires_at=login.expires_at)
        if await self._staff.get(login.staff_id) is None:
            raise NotFound("staff account", login.staff_id)
        if login.token_hash in self._sessions:
            raise DuplicateKey("login session", login.token_hash)
        self._sessions[login.token_hash] = login

    async def get(self, token_hash: str) -> LoginSession | None:
        return self._sessions.get(token_hash)

    async def remove(self, token_hash: str) -> None:
        """Forget the session; removing one that is not stored does nothing."""
        self._sessions.pop(token_hash, None)

    async def purge_expired(self, now: datetime) -> int:
        """Delete sessions whose ``expires_at`` is at or before ``now``; count them."""
        require_aware(now=now)
        expired = [t for t, s in self._sessions.items() if s.expires_at <= now]
        for token_hash in expired:
            del self._sessions[token_hash]
        return len(expired)


class MemoryChatLog:
    """Transcripts in lists; a taken position is refused, like the SQL table."""

    def __init__(self) -> None:
        self._messages: dict[str, list[ChatMessage]] = {}

    async def append(self, message: ChatMessage) -> None:
        messages = self._messages.setdefault(message.case_id, [])
        if any(m.seq == message.seq for m in messages):
            raise DuplicateKey("chat message", f"{message.case_id}#{message.seq}")
        messages.append(message)

    async def transcript(self, case_id: str) -> Sequence[ChatMessage]:
        return sorted(self._messages.get(case_id, []), key=lambda m: m.seq)
