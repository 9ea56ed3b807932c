"""The AsyncAPI 3.0 document of the socket.io protocol, built from ``EVENTS``.

``python -m signaling.asyncapi > docs/asyncapi.yaml`` regenerates the file.
"""

from __future__ import annotations

import sys
from typing import Any

import yaml

from signaling.auth import COOKIE_NAME
from signaling.event_spec import (
    CITIZEN_NAMESPACE,
    GUEST_NAMESPACE,
    STAFF_NAMESPACE,
    EventSpec,
)
from signaling.payloads import ErrorAck, Payload
from signaling.protocol import EVENTS

ASYNCAPI_VERSION = "3.0.0"
# Bump when the wire changes: minor for additions, major for anything a client
# written against the previous version would trip over.
PROTOCOL_VERSION = "0.2.0"
REGENERATE = "python -m signaling.asyncapi > docs/asyncapi.yaml"

SCHEMA_REF = "#/components/schemas/{model}"
SERVER_ID = "local"
STAFF_SECURITY = "staffSession"
ERROR_ACK_KEY = "error_ack"

DESCRIPTION = """\
Signaling between the browser clients (citizen page, staff console) and the \
Dasan RTC server: queueing, offers to interpreters, rooms, and the SDP exchange \
with the media server. Human documentation: docs/protocol.md.

The application described is the server: a `receive` operation is an event a \
client emits, a `send` operation is an event the server emits.

Every client event is emitted with a socket.io acknowledgement callback. The ack \
is `{"ok": true, ...}` on success or `{"ok": false, "error": {"code", "message"}}` \
on failure; each operation lists its error codes in `x-error-codes`. Any ack may \
also carry `internal_error` when the server fails unexpectedly. Server events \
carry no ack.

Generated from signaling/protocol.py; regenerate with \
"""
DESCRIPTION += f"`{REGENERATE}`.\n"

SERVER_DESCRIPTION = """\
The aiohttp server with python-socketio attached. AsyncAPI has no socket.io \
binding, so the protocol is given as `ws`: clients connect with a socket.io v4 \
client (Engine.IO protocol 4, socket.io protocol 5), which opens \
`/socket.io/?EIO=4&transport=polling` and upgrades to a WebSocket. On that one \
connection each channel below is a socket.io namespace that the client joins \
with a CONNECT packet. An event travels as an EVENT packet whose data is \
`["<event name>", <payload>]`; the ack comes back as an ACK packet with the \
same packet id whose data is `[<ack>]`. Message payloads below are the \
`<payload>` and `<ack>` parts, always one JSON object.
"""

CHANNELS: dict[str, tuple[str, str]] = {
    CITIZEN_NAMESPACE: (
        "Citizen namespace",
        "Citizens are anonymous: each connection is one citizen, identified by "
        "its socket.io session id, with no account and no cookie. Closing the "
        "connection ends whatever the citizen had going: a waiting request ends "
        "as `citizen_left_while_waiting`, a session as `connection_lost`.",
    ),
    STAFF_NAMESPACE: (
        "Staff namespace",
        "Interpreters and counselors. The connection is refused unless the "
        f"handshake carries a valid `{COOKIE_NAME}` cookie from `POST /api/login`. "
        "On connect the server sends `status` (and the open `offer`, if any). "
        "A staff member may have several connections; they go offline when the "
        "last one closes, which withdraws an open offer (it moves to the next "
        "interpreter) and ends a running session as `connection_lost`.",
    ),
    GUEST_NAMESPACE: (
        "Guest namespace",
        "Third parties without an account (a hearing person with the citizen, "
        "an official), in through a single-use invite link. Anonymous like "
        "citizens; a guest sees the room (roles, labels, chat), never case data. "
        "Closing the connection leaves the room; the session goes on.",
    ),
}


def schema_ref(model: type[Payload]) -> dict[str, str]:
    return {"$ref": SCHEMA_REF.format(model=model.__name__)}


def component_schemas(models: set[type[Payload]]) -> dict[str, Any]:
    """Each model's JSON Schema, its ``$defs`` hoisted beside it, sorted by name."""
    schemas: dict[str, Any] = {}

    def put(name: str, schema: dict[str, Any]) -> None:
        if schemas.setdefault(name, schema) != schema:
            raise ValueError(f"two different schemas are both named {name}")

    for model in sorted(models, key=lambda m: m.__name__):
        schema = model.model_json_schema(ref_template=SCHEMA_REF)
        for name, definition in schema.pop("$defs", {}).items():
            put(name, definition)
        put(model.__name__, schema)
    return dict(sorted(schemas.items()))


def channel_id(namespace: str) -> str:
    return namespace.strip("/")


def operation_id(event: EventSpec) -> str:
    return f"{channel_id(event.namespace)}_{event.name}"


def ack_key(event: EventSpec) -> str:
    return f"{event.name}_ack"


def _message_ref(namespace: str, key: str) -> dict[str, str]:
    return {"$ref": f"#/channels/{channel_id(namespace)}/messages/{key}"}


def _event_message(event: EventSpec) -> dict[str, Any]:
    return {
        "name": event.name,
        "summary": event.summary,
        "payload": schema_ref(event.payload),
    }


def _ack_message(event: EventSpec, ack: type[Payload]) -> dict[str, Any]:
    return {
        "name": ack_key(event),
        "summary": f"The acknowledgement of a successful `{event.name}`.",
        "payload": schema_ref(ack),
        "x-ack-of": event.name,
    }


def _error_message() -> dict[str, Any]:
    return {
        "name": ERROR_ACK_KEY,
        "summary": "The acknowledgement of any client event that failed.",
        "payload": schema_ref(ErrorAck),
    }


def _channel(namespace: str, events: list[EventSpec]) -> dict[str, Any]:
    messages: dict[str, Any] = {}
    for event in events:
        messages[event.name] = _event_message(event)
    for event in events:
        if event.ack is not None:
            key = ack_key(event)
            if key in messages:
                raise ValueError(f"{namespace}: {key} is both an event and an ack")
            messages[key] = _ack_message(event, event.ack)
    if any(event.ack is not None for event in events):
        messages[ERROR_ACK_KEY] = _error_message()
    title, description = CHANNELS[namespace]
    return {
        "address": namespace,
        "title": title,
        "description": description,
        "servers": [{"$ref": f"#/servers/{SERVER_ID}"}],
        "messages": messages,
    }


def _codes(codes: tuple[str, ...]) -> str:
    return ", ".join(f"`{code}`" for code in codes)


def _operation(event: EventSpec) -> dict[str, Any]:
    channel = {"$ref": f"#/channels/{channel_id(event.namespace)}"}
    operation: dict[str, Any] = {
        "action": "receive" if event.direction == "client_to_server" else "send",
        "channel": channel,
        "summary": event.summary,
    }
    if event.ack is None:
        operation["description"] = (
            f"{event.summary} Sent by the server as `{event.name}`; no ack."
        )
    else:
        failure = (
            f"`ErrorAck` with one of {_codes(event.errors)}"
            if event.errors
            else "`ErrorAck`"
        )
        operation["description"] = (
            f"{event.summary} Emitted by the client as `{event.name}` with an ack "
            f"callback. The ack is `{event.ack.__name__}` on success, otherwise "
            f"{failure}."
        )
    if event.namespace == STAFF_NAMESPACE:
        operation["security"] = [
            {"$ref": f"#/components/securitySchemes/{STAFF_SECURITY}"}
        ]
    operation["messages"] = [_message_ref(event.namespace, event.name)]
    if event.ack is not None:
        operation["reply"] = {
            "channel": dict(channel),
            "messages": [
                _message_ref(event.namespace, ack_key(event)),
                _message_ref(event.namespace, ERROR_ACK_KEY),
            ],
        }
        operation["x-error-codes"] = list(event.errors)
    return operation


def build_document() -> dict[str, Any]:
    """The AsyncAPI document for ``EVENTS``; the same input gives the same output."""
    by_namespace: dict[str, list[EventSpec]] = {}
    for event in EVENTS:
        by_namespace.setdefault(event.namespace, []).append(event)
    operations: dict[str, Any] = {}
    for event in EVENTS:
        key = operation_id(event)
        if key in operations:
            raise ValueError(f"{event.namespace} declares {event.name} twice")
        operations[key] = _operation(event)
    models: set[type[Payload]] = {ErrorAck}
    for event in EVENTS:
        models.add(event.payload)
        if event.ack is not None:
            models.add(event.ack)
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "Dasan RTC signaling",
            "version": PROTOCOL_VERSION,
            "description": DESCRIPTION,
        },
        "defaultContentType": "application/json",
        "servers": {
            SERVER_ID: {
                "host": "localhost:8080",
                "protocol": "ws",
                "pathname": "/socket.io/",
                "title": "Development server",
                "description": SERVER_DESCRIPTION,
            }
        },
        "channels": {
            channel_id(namespace): _channel(namespace, events)
            for namespace, events in by_namespace.items()
        },
        "operations": operations,
        "components": {
            "schemas": component_schemas(models),
            "securitySchemes": {
                STAFF_SECURITY: {
                    "type": "httpApiKey",
                    "in": "cookie",
                    "name": COOKIE_NAME,
                    "description": (
                        "The opaque token `POST /api/login` sets; the staff "
                        "namespace refuses a handshake without a valid one."
                    ),
                }
            },
        },
    }


def render() -> str:
    """The YAML text of docs/asyncapi.yaml, header comment included."""
    header = (
        "# Generated from signaling/protocol.py by signaling/asyncapi.py: "
        "do not edit.\n"
        f"# Regenerate: {REGENERATE}\n"
    )
    body = yaml.safe_dump(build_document(), sort_keys=False, allow_unicode=True)
    return header + body


def main() -> None:
    sys.stdout.write(render())


if __name__ == "__main__":
    main()
