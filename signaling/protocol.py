"""The socket.io wire protocol: the table of every event, its payload, ack and errors.

docs/asyncapi.yaml is generated from ``EVENTS`` and a test keeps the two equal;
web_client/static/js/protocol.js mirrors the names for the browser. The payload
models are in signaling/payloads.py (one-to-one call) and signaling/room_payloads.py
(rooms of more than two); each namespace's events in its own module.
"""

from __future__ import annotations

from signaling.citizen_events import CITIZEN_EVENTS
from signaling.event_spec import EventSpec
from signaling.guest_events import GUEST_EVENTS
from signaling.room_events import CONSENT_EVENTS, ROOM_CONTROL_EVENTS, ROSTER_EVENTS
from signaling.staff_events import STAFF_EVENTS, STAFF_ROOM_EVENTS

# This order is the order of the operations and messages in docs/asyncapi.yaml.
EVENTS: tuple[EventSpec, ...] = (
    *CITIZEN_EVENTS,
    *STAFF_EVENTS,
    *ROSTER_EVENTS,
    *CONSENT_EVENTS,
    *ROOM_CONTROL_EVENTS,
    *STAFF_ROOM_EVENTS,
    *GUEST_EVENTS,
)


def spec(namespace: str, name: str) -> EventSpec:
    for event in EVENTS:
        if event.namespace == namespace and event.name == name:
            return event
    raise KeyError(f"{namespace} {name}")
