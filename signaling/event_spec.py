"""What the event table is made of: namespaces, ``EventSpec`` and the error codes
of the transport itself (signaling/protocol.py assembles the table)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from signaling.payloads import Payload

CITIZEN_NAMESPACE = "/citizen"
STAFF_NAMESPACE = "/staff"
GUEST_NAMESPACE = "/guest"


class ErrorCode(StrEnum):
    """Error codes that the transport itself produces (the core adds its own)."""

    INVALID_PAYLOAD = "invalid_payload"
    UNKNOWN_SERVICE = "unknown_service"
    MEDIA_FAILED = "media_failed"
    INTERNAL = "internal_error"


@dataclass(frozen=True, slots=True)
class EventSpec:
    namespace: str
    name: str
    direction: Literal["client_to_server", "server_to_client"]
    payload: type[Payload]
    summary: str
    ack: type[Payload] | None = None
    errors: tuple[str, ...] = ()


# Short names: the event tables use them on almost every row.
IN: Literal["client_to_server"] = "client_to_server"
OUT: Literal["server_to_client"] = "server_to_client"
BAD = (ErrorCode.INVALID_PAYLOAD.value,)
