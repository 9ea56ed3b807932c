"""What the desk needs from the transports around it: media rooms and notifications."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from counseling.services import Service
from interpreter_pool.pool import Pool
from signaling.protocol import Payload


class PoolStore(Protocol):
    """Where the pool lives between commands: this process, or Redis for many.

    ``transaction`` yields the pool to read and change, holding it exclusively
    until the block ends; the changes are kept unless the block raises.
    """

    def transaction(self) -> AbstractAsyncContextManager[Pool]: ...

    def changes_elsewhere(self) -> int:
        """A count that grows each time this process finds the pool changed by
        another process (which may then have written cases too)."""
        ...

    async def claim_once(self, name: str, ttl_seconds: float) -> bool:
        """True for the first caller, in any process, to claim ``name``; for
        things the whole cluster should do once (a warning to all staff)."""
        ...

    async def close(self) -> None: ...


class Orphan(Protocol):
    @property
    def kind(self) -> str: ...

    @property
    def party_id(self) -> str: ...

    @property
    def connection(self) -> str: ...


class Liveness(Protocol):
    """Which connections this process holds, and those of processes that died.

    ``orphans`` hands each dead process's connections to exactly one survivor.
    """

    async def joined(self, kind: str, party_id: str, connection: str) -> None: ...

    async def left(self, kind: str, party_id: str, connection: str) -> None: ...

    async def beat(self) -> None: ...

    async def orphans(self) -> Sequence[Orphan]: ...


class MediaRooms(Protocol):
    """The media rooms of every process: ``owner`` names the process that holds
    a room (a session's ``media_node``; "" for this one)."""

    @property
    def node(self) -> str: ...

    def open_room(self, room_id: str, parties: tuple[str, str]) -> None: ...

    async def connect(
        self, room_id: str, party_id: str, offer_sdp: str, owner: str = ""
    ) -> str: ...

    async def close_room(self, room_id: str, owner: str = "") -> None: ...

    def watch_quality(
        self,
        room_id: str,
        party_id: str,
        on_advice: Callable[[list[str]], Awaitable[None]],
    ) -> None:
        """Check a party's picture in a room of this process; ``on_advice``
        gets the advice codes whenever they change."""
        ...


class Notifier(Protocol):
    async def to_citizen(
        self, citizen_id: str, event: str, payload: Payload
    ) -> None: ...

    async def to_staff(self, staff_id: str, event: str, payload: Payload) -> None: ...

    async def to_supervisors(self, event: str, payload: Payload) -> None: ...

    async def to_service_staff(
        self, service: Service, event: str, payload: Payload
    ) -> None: ...
