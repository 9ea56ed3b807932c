"""What the desk needs from the transports around it: media rooms and notifications."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from counseling.services import Service
from interpreter_pool.pool import Pool
from signaling.payloads import Payload


class PoolStore(Protocol):
    """Where the pool lives between commands: this process, or Redis for many.

    ``transaction`` yields the pool to read and change, holding it exclusively
    until the block ends; the changes are kept unless the block raises.
    """

    def transaction(self) -> AbstractAsyncContextManager[Pool]: ...

    async def snapshot(self) -> Pool:
        """The pool to read without waiting for the lock (a dashboard): recent,
        maybe halfway through a command; never to change, nor to keep across
        an await."""
        ...

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

    async def add_party(
        self, room_id: str, party_id: str, publishes: bool, owner: str = ""
    ) -> None:
        """Admit a party (``publishes=False``: a supervisor); they then connect."""
        ...

    async def remove_party(self, room_id: str, party_id: str, owner: str = "") -> None:
        """The party leaves; everyone else's media goes on."""
        ...

    async def replace_party(
        self, room_id: str, old: str, new: str, owner: str = ""
    ) -> None:
        """Warm transfer: ``new`` takes ``old``'s slots with every viewer."""
        ...

    async def roster(
        self, room_id: str, owner: str = ""
    ) -> dict[str, dict[str, dict[str, str]]]:
        """For each viewer: publisher -> kind -> mid of the slot carrying it."""
        ...

    def watch_quality(
        self,
        room_id: str,
        party_id: str,
        on_advice: Callable[[list[str]], Awaitable[None]],
    ) -> None:
        """Check a party's picture in a room of this process; ``on_advice``
        gets the advice codes whenever they change."""
        ...


class LocalSupervisors(Protocol):
    """The supervisors connected to this process: each process shows its own
    the dashboard, built from the shared pool."""

    def supervisors_here(self) -> bool: ...

    async def to_supervisors_here(self, event: str, payload: Payload) -> None: ...


class Notifier(Protocol):
    async def to_citizen(
        self, citizen_id: str, event: str, payload: Payload
    ) -> None: ...

    async def to_staff(self, staff_id: str, event: str, payload: Payload) -> None: ...

    async def to_guest(self, guest_id: str, event: str, payload: Payload) -> None: ...

    async def to_supervisors(self, event: str, payload: Payload) -> None: ...

    async def to_service_staff(
        self, service: Service, event: str, payload: Payload
    ) -> None: ...
