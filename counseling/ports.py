"""Ports the core needs from storage; adapters implement these protocols."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from counseling.cases import Case
from counseling.chat import ChatMessage
from counseling.staff import LoginSession, StaffAccount


class CaseRepository(Protocol):
    async def add(self, case: Case) -> None: ...

    async def save(self, case: Case) -> None: ...

    async def get(self, case_id: str) -> Case | None: ...

    async def recent(self, limit: int) -> Sequence[Case]: ...

    async def unfinished(self) -> Sequence[Case]: ...


class ChatLog(Protocol):
    """Each case's transcript, in order; messages are never changed once added."""

    async def append(self, message: ChatMessage) -> None: ...

    async def transcript(self, case_id: str) -> Sequence[ChatMessage]: ...


class StaffDirectory(Protocol):
    async def add(self, account: StaffAccount) -> None: ...

    async def by_username(self, username: str) -> StaffAccount | None: ...

    async def get(self, staff_id: str) -> StaffAccount | None: ...

    async def set_password_hash(self, staff_id: str, password_hash: str) -> None: ...


class LoginSessions(Protocol):
    async def add(self, session: LoginSession) -> None: ...

    async def get(self, token_hash: str) -> LoginSession | None: ...

    async def remove(self, token_hash: str) -> None: ...

    async def purge_expired(self, now: datetime) -> int: ...
