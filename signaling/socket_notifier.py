"""The desk's notifier over socket.io: each party has its own socket.io room
(named here), and every notice is emitted to one."""

from __future__ import annotations

import socketio

from counseling.services import Service
from signaling.event_spec import CITIZEN_NAMESPACE, GUEST_NAMESPACE, STAFF_NAMESPACE
from signaling.payloads import Payload

SUPERVISORS_ROOM = "supervisors"


class SocketNotifier:
    """The desk's notifier: each party has its own socket.io room."""

    def __init__(self, sio: socketio.AsyncServer) -> None:
        self._sio = sio

    async def to_citizen(self, citizen_id: str, event: str, payload: Payload) -> None:
        await self._sio.emit(
            event,
            payload.model_dump(mode="json"),
            to=citizen_room(citizen_id),
            namespace=CITIZEN_NAMESPACE,
        )

    async def to_staff(self, staff_id: str, event: str, payload: Payload) -> None:
        await self._sio.emit(
            event,
            payload.model_dump(mode="json"),
            to=staff_room(staff_id),
            namespace=STAFF_NAMESPACE,
        )

    async def to_guest(self, guest_id: str, event: str, payload: Payload) -> None:
        await self._sio.emit(
            event,
            payload.model_dump(mode="json"),
            to=guest_room(guest_id),
            namespace=GUEST_NAMESPACE,
        )

    async def to_service_staff(
        self, service: Service, event: str, payload: Payload
    ) -> None:
        await self._sio.emit(
            event,
            payload.model_dump(mode="json"),
            to=service_room(service),
            namespace=STAFF_NAMESPACE,
        )

    async def to_supervisors(self, event: str, payload: Payload) -> None:
        await self._sio.emit(
            event,
            payload.model_dump(mode="json"),
            to=SUPERVISORS_ROOM,
            namespace=STAFF_NAMESPACE,
        )

    def supervisors_here(self) -> bool:
        """Whether a supervisor is connected to this process."""
        rooms = self._sio.manager.get_participants(STAFF_NAMESPACE, SUPERVISORS_ROOM)
        return next(iter(rooms), None) is not None

    async def to_supervisors_here(self, event: str, payload: Payload) -> None:
        """To the supervisors connected to this process only."""
        await self._sio.emit(
            event,
            payload.model_dump(mode="json"),
            to=SUPERVISORS_ROOM,
            namespace=STAFF_NAMESPACE,
            ignore_queue=True,
        )


def citizen_room(citizen_id: str) -> str:
    return f"citizen:{citizen_id}"


def staff_room(staff_id: str) -> str:
    return f"staff:{staff_id}"


def guest_room(guest_id: str) -> str:
    return f"guest:{guest_id}"


def service_room(service: Service) -> str:
    return f"service:{service.value}"
