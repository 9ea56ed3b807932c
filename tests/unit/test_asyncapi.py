"""docs/asyncapi.yaml is what signaling.asyncapi builds from EVENTS, and it holds."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import (
    Draft202012Validator,
)
from pydantic import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from counseling.cases import EndReason
from signaling import event_spec, payloads, room_payloads
from signaling.asyncapi import REGENERATE, ack_key, build_document, operation_id
from signaling.event_spec import EventSpec
from signaling.payloads import Payload
from signaling.protocol import EVENTS

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT_PATH = ROOT / "docs" / "asyncapi.yaml"
PROTOCOL_JS = ROOT / "web_client" / "static" / "js" / "protocol.js"
DOCUMENT_URI = "urn:dasan:asyncapi"

ROOM = "0123456789abcdef0123456789abcdef"
CASE = "fedcba9876543210fedcba9876543210"
SDP = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(DOCUMENT_PATH.read_text("utf-8"))
    return loaded


def first_difference(found: object, wanted: object, path: str = "") -> str | None:
    """The JSON pointer of the first place ``found`` differs from ``wanted``."""
    if isinstance(found, dict) and isinstance(wanted, dict):
        for key in wanted:
            if key not in found:
                return f"{path}/{key} is missing"
            difference = first_difference(found[key], wanted[key], f"{path}/{key}")
            if difference is not None:
                return difference
        extra = [key for key in found if key not in wanted]
        return f"{path}/{extra[0]} should not be there" if extra else None
    if isinstance(found, list) and isinstance(wanted, list):
        if len(found) != len(wanted):
            return f"{path} has {len(found)} items instead of {len(wanted)}"
        for index, (item, expected) in enumerate(zip(found, wanted, strict=True)):
            difference = first_difference(item, expected, f"{path}/{index}")
            if difference is not None:
                return difference
        return None
    if found != wanted:
        return f"{path} is {found!r} instead of {wanted!r}"
    return None


def test_first_difference_names_the_path() -> None:
    assert first_difference({"a": [1, {"b": 2}]}, {"a": [1, {"b": 3}]}) == (
        "/a/1/b is 2 instead of 3"
    )
    assert first_difference({"a": 1}, {"a": 1, "c": 2}) == "/c is missing"
    assert first_difference({"a": 1, "d": 0}, {"a": 1}) == "/d should not be there"
    assert first_difference([1], [1, 2]) == " has 1 items instead of 2"
    assert first_difference({"a": [1]}, {"a": [1]}) is None


def test_document_matches_the_protocol_models(document: dict[str, Any]) -> None:
    difference = first_difference(document, build_document())
    assert difference is None, (
        f"docs/asyncapi.yaml is out of date: {difference}. "
        f"Regenerate it with `{REGENERATE}`."
    )


def test_document_says_it_is_generated() -> None:
    head = DOCUMENT_PATH.read_text("utf-8").splitlines()[:2]
    assert head[0].startswith("# Generated")
    assert REGENERATE in head[1]


def test_build_is_deterministic() -> None:
    assert json.dumps(build_document()) == json.dumps(build_document())


def _schema_ref(model: type[Payload]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _message_ref(event: EventSpec, key: str) -> dict[str, str]:
    return {"$ref": f"#/channels/{event.namespace.strip('/')}/messages/{key}"}


@pytest.mark.parametrize(
    "event", EVENTS, ids=[f"{e.namespace}:{e.name}" for e in EVENTS]
)
def test_every_event_is_documented(document: dict[str, Any], event: EventSpec) -> None:
    channel = document["channels"][event.namespace.strip("/")]
    assert channel["address"] == event.namespace
    message = channel["messages"][event.name]
    assert message["name"] == event.name
    assert message["payload"] == _schema_ref(event.payload)
    schemas = document["components"]["schemas"]
    assert event.payload.__name__ in schemas

    operation = document["operations"][operation_id(event)]
    assert operation["messages"] == [_message_ref(event, event.name)]
    if event.direction == "client_to_server":
        assert operation["action"] == "receive"
        assert event.ack is not None, "every client event is acknowledged"
        ack_message = channel["messages"][ack_key(event)]
        assert ack_message["payload"] == _schema_ref(event.ack)
        assert event.ack.__name__ in schemas
        assert operation["reply"]["messages"] == [
            _message_ref(event, ack_key(event)),
            _message_ref(event, "error_ack"),
        ]
        assert operation["x-error-codes"] == list(event.errors)
        for code in event.errors:
            assert f"`{code}`" in operation["description"]
    else:
        assert operation["action"] == "send"
        assert event.ack is None
        assert "reply" not in operation


def test_document_has_no_operation_without_an_event(
    document: dict[str, Any],
) -> None:
    assert set(document["operations"]) == {operation_id(e) for e in EVENTS}


def test_acks_are_told_apart_by_ok(document: dict[str, Any]) -> None:
    """A reply matches exactly one of its two messages: success or ErrorAck."""
    schemas = document["components"]["schemas"]
    acks = {e.ack.__name__ for e in EVENTS if e.ack is not None}
    for name in acks:
        assert schemas[name]["properties"]["ok"]["const"] is True, name
        assert "ok" in schemas[name]["required"], name
    assert schemas["ErrorAck"]["properties"]["ok"]["const"] is False


def _walk(node: object, path: str = "") -> list[tuple[str, str]]:
    """Every ``$ref`` in ``node`` with the path it sits at."""
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                found.append((path, value))
            else:
                found += _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            found += _walk(item, f"{path}/{index}")
    return found


def _resolve(document: dict[str, Any], ref: str) -> object:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def test_every_reference_resolves(document: dict[str, Any]) -> None:
    broken = []
    for path, ref in _walk(document):
        try:
            _resolve(document, ref)
        except (KeyError, IndexError, TypeError):
            broken.append(f"{path}: {ref}")
    assert not broken


def test_every_schema_is_valid_json_schema(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert schemas
    for name, schema in schemas.items():
        Draft202012Validator.check_schema(schema)
        assert schema.get("title", name) == name


def _document_validator(document: dict[str, Any], model: str) -> Any:
    resource = Resource.from_contents(document, default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(DOCUMENT_URI, resource)
    return Draft202012Validator(
        {"$ref": f"{DOCUMENT_URI}#/components/schemas/{model}"},
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def _started(role: str) -> dict[str, object]:
    return {
        "room_id": ROOM,
        "case_id": CASE,
        "service": "foreign_language",
        "language": "vi",
        "peer": {"role": role, "display_name": "Nguyen"},
    }


EXAMPLES: list[tuple[type[Payload], dict[str, Any], bool]] = [
    (payloads.RequestInterpreter, {"service": "sign_language"}, True),
    (payloads.RequestInterpreter, {"service": "sign_language", "language": None}, True),
    (
        payloads.RequestInterpreter,
        {"service": "foreign_language", "language": "vi"},
        True,
    ),
    (payloads.RequestInterpreter, {"service": "astrology"}, False),
    (
        payloads.RequestInterpreter,
        {"service": "foreign_language", "language": "tlh"},
        False,
    ),
    (payloads.RequestInterpreter, {}, False),
    (payloads.RequestInterpreter, {"service": "sign_language", "urgent": True}, False),
    (payloads.Empty, {}, True),
    (payloads.Empty, {"reason": "bored"}, False),
    (payloads.RtcOffer, {"room_id": ROOM, "type": "offer", "sdp": SDP}, True),
    (payloads.RtcOffer, {"room_id": ROOM, "type": "answer", "sdp": SDP}, False),
    (payloads.RtcOffer, {"room_id": ROOM, "type": "offer", "sdp": ""}, False),
    (payloads.RtcOffer, {"room_id": ROOM, "type": "offer", "sdp": "x" * 64_001}, False),
    (payloads.RtcOffer, {"room_id": "lobby", "type": "offer", "sdp": SDP}, False),
    (payloads.RoomRef, {"room_id": ROOM}, True),
    (payloads.RoomRef, {"room_id": ROOM.upper()}, False),
    (payloads.RoomRef, {"room_id": ROOM + "0"}, False),
    (payloads.OfferRef, {"offer_id": CASE}, True),
    (payloads.OfferRef, {}, False),
    (payloads.SetPresence, {"status": "available"}, True),
    (payloads.SetPresence, {"status": "away", "reason": "break"}, True),
    (payloads.SetPresence, {"status": "away", "reason": "missed_offers"}, False),
    (payloads.SetPresence, {"status": "in_session"}, False),
    (payloads.SetPresence, {"available": True}, False),
    (payloads.SetPresence, {"status": None}, False),
    (
        payloads.RequestAck,
        {"ok": True, "case_id": CASE, "position": 1, "estimated_wait_seconds": 0},
        True,
    ),
    (
        payloads.RequestAck,
        {"ok": True, "case_id": CASE, "position": 2, "estimated_wait_seconds": None},
        True,
    ),
    (
        payloads.RequestAck,
        {"ok": True, "case_id": CASE, "position": 0, "estimated_wait_seconds": 0},
        False,
    ),
    (
        payloads.RequestAck,
        {"ok": False, "case_id": CASE, "position": 1, "estimated_wait_seconds": 0},
        False,
    ),
    (payloads.RequestAck, {"ok": True, "case_id": CASE, "position": 1}, False),
    (payloads.OkAck, {"ok": True}, True),
    (payloads.RtcAnswer, {"ok": True, "type": "answer", "sdp": SDP}, True),
    (payloads.StatusAck, {"ok": True, "status": "available", "reason": None}, True),
    (payloads.StatusAck, {"ok": True, "status": "away", "reason": "meal"}, True),
    (payloads.StatusAck, {"ok": True, "status": "asleep", "reason": None}, False),
    (
        payloads.ErrorAck,
        {"ok": False, "error": {"code": "not_waiting", "message": "No request."}},
        True,
    ),
    (payloads.ErrorAck, {"ok": False, "error": {"code": "not_waiting"}}, False),
    (
        payloads.QueuePosition,
        {"case_id": CASE, "position": 3, "estimated_wait_seconds": 240.5, "seq": 7},
        True,
    ),
    (payloads.QueuePosition, {"case_id": CASE, "position": 3}, False),
    (
        payloads.PeerReconnecting,
        {"room_id": ROOM, "deadline": "2026-11-26T09:00:30+00:00"},
        True,
    ),
    (payloads.PeerReconnecting, {"room_id": ROOM, "deadline": "soon"}, False),
    (payloads.PeerReconnected, {"room_id": ROOM}, True),
    (payloads.SendChat, {"room_id": ROOM, "text": "안녕하세요"}, True),
    (payloads.SendChat, {"room_id": ROOM, "text": ""}, False),
    (payloads.SendChat, {"room_id": ROOM, "text": "가" * 1001}, False),
    (payloads.SendChat, {"room_id": ROOM}, False),
    (
        payloads.ChatMessageNotice,
        {
            "room_id": ROOM,
            "case_id": CASE,
            "seq": 0,
            "sender": "citizen",
            "sender_party": ROOM,
            "sender_name": "Citizen",
            "text": "hello",
            "at": "2026-11-26T10:00:00+09:00",
        },
        True,
    ),
    (payloads.ChatHistoryAck, {"ok": True, "messages": [], "you": CASE}, True),
    (payloads.ChatHistoryAck, {"ok": True, "messages": []}, False),
    (
        payloads.ChatAck,
        {
            "ok": True,
            "message": {
                "room_id": ROOM,
                "case_id": CASE,
                "seq": 3,
                "sender": "interpreter",
                "sender_party": CASE,
                "sender_name": "Kim",
                "text": "네",
                "at": "2026-11-26T10:00:00Z",
            },
        },
        True,
    ),
    (payloads.ChatHistoryAck, {"ok": True}, False),
    (
        payloads.ServiceClosingNotice,
        {"service": "sign_language", "closes_at": "2026-11-26T22:00:00+09:00"},
        True,
    ),
    (
        payloads.ServiceClosingNotice,
        {"service": "sign_language", "closes_at": "22:00"},
        False,
    ),
    (
        payloads.ErrorAck,
        {
            "ok": False,
            "error": {
                "code": "service_closed",
                "message": "sign_language is closed",
                "next_open": "2026-11-27T09:00:00+09:00",
            },
        },
        True,
    ),
    (
        payloads.StaffPresenceNotice,
        {
            "staff_id": CASE,
            "display_name": "Kim",
            "status": "away",
            "reason": "missed_offers",
            "since": "2026-11-26T09:00:00+00:00",
        },
        True,
    ),
    (payloads.RequestEndedNotice, {"case_id": CASE, "reason": "declined_by_all"}, True),
    (payloads.RequestEndedNotice, {"case_id": CASE, "reason": "bored"}, False),
    (payloads.SessionStartedNotice, _started("interpreter"), True),
    (payloads.SessionStartedNotice, _started("judge"), False),
    (
        payloads.SessionStartedNotice,
        _started("interpreter") | {"resume_token": ROOM},
        True,
    ),
    (
        payloads.SessionStartedNotice,
        _started("interpreter") | {"resume_token": "not-hex"},
        False,
    ),
    (
        payloads.DashboardNotice,
        {
            "at": "2026-11-26T10:00:00+09:00",
            "queues": [
                {
                    "service": "sign_language",
                    "language": "ksl",
                    "waiting": 2,
                    "longest_wait_seconds": 75.5,
                }
            ],
            "staff": [],
            "sessions": [
                {
                    "room_id": ROOM,
                    "case_id": CASE,
                    "service": "foreign_language",
                    "language": "vi",
                    "staff_id": "s1",
                    "staff_name": "Nguyen",
                    "started_at": "2026-11-26T09:58:00+09:00",
                    "reconnecting": False,
                }
            ],
        },
        True,
    ),
    (
        payloads.DashboardNotice,
        {
            "at": "2026-11-26T10:00:00+09:00",
            "queues": [
                {
                    "service": "sign_language",
                    "language": "ksl",
                    "waiting": 0,
                    "longest_wait_seconds": 1,
                }
            ],
            "staff": [],
            "sessions": [],
        },
        False,
    ),
    (
        payloads.VideoQualityNotice,
        {"room_id": ROOM, "advice": ["too_dark", "no_face"]},
        True,
    ),
    (payloads.VideoQualityNotice, {"room_id": ROOM, "advice": []}, True),
    (payloads.VideoQualityNotice, {"room_id": ROOM, "advice": ["sunny"]}, False),
    (payloads.ResumeSession, {"resume_token": ROOM}, True),
    (payloads.ResumeSession, {"resume_token": "short"}, False),
    (payloads.ResumeSession, {}, False),
    (
        payloads.ResumeAck,
        {"ok": True, "session": _started("interpreter") | {"resume_token": ROOM}},
        True,
    ),
    (payloads.ResumeAck, {"ok": True}, False),
    (
        payloads.SessionEndedNotice,
        {
            "room_id": ROOM,
            "case_id": CASE,
            "reason": "completed",
            "ended_by": "citizen",
        },
        True,
    ),
    (
        payloads.StaffStatusNotice,
        {"status": "wrap_up", "reason": None, "since": "2026-11-26T09:00:00Z"},
        True,
    ),
    (payloads.StaffStatusNotice, {"status": "in_session"}, False),
    (
        payloads.OfferNotice,
        {
            "offer_id": ROOM,
            "case_id": CASE,
            "service": "sign_language",
            "language": "ksl",
            "expires_at": "2025-11-26T09:00:20+00:00",
            "timeout_seconds": 20.0,
        },
        True,
    ),
    (payloads.OfferClosedNotice, {"offer_id": ROOM, "reason": "offer_expired"}, True),
    (payloads.OfferClosedNotice, {"offer_id": ROOM, "reason": "answered"}, False),
    # -- rooms of more than two (three-way sessions) --
    (room_payloads.CreateInvite, {"room_id": ROOM}, True),
    (room_payloads.CreateInvite, {"room_id": ROOM, "expires_in_minutes": 0}, False),
    (
        room_payloads.InviteAck,
        {
            "ok": True,
            "invite": "A" * 22,
            "url": "/guest?invite=" + "A" * 22,
            "expires_at": "2026-11-26T09:30:00Z",
        },
        True,
    ),
    (room_payloads.RequestCounselor, {"room_id": ROOM, "department": "welfare"}, True),
    (
        room_payloads.RequestCounselor,
        {"room_id": ROOM, "department": "Welfare!"},
        False,
    ),
    (room_payloads.TransferSession, {"room_id": ROOM}, True),
    (room_payloads.TransferSession, {"room_id": ROOM, "to_staff_id": CASE}, True),
    (room_payloads.TransferSession, {"room_id": ROOM, "to_staff_id": "kim"}, False),
    (room_payloads.RemoveParty, {"room_id": ROOM, "party": CASE}, True),
    (room_payloads.RemoveParty, {"room_id": ROOM}, False),
    (room_payloads.CancelJoinRequest, {"room_id": ROOM}, True),
    (room_payloads.CancelJoinRequest, {"room_id": "not a room"}, False),
    (room_payloads.CancelJoinRequest, {}, False),
    (room_payloads.DepartmentsAck, {"ok": True, "departments": ["welfare"]}, True),
    (
        room_payloads.WatchAck,
        {
            "ok": True,
            "session": {
                "room_id": ROOM,
                "case_id": CASE,
                "service": "sign_language",
                "language": "ksl",
                "peer": {"role": "citizen", "display_name": "Citizen"},
            },
        },
        True,
    ),
    (room_payloads.GuestJoin, {"invite": "b" * 22, "audio_only": True}, True),
    (room_payloads.GuestJoin, {"invite": "short"}, False),
    (
        room_payloads.GuestJoinAck,
        {
            "ok": True,
            "room_id": ROOM,
            "party": CASE,
            "service": "foreign_language",
            "language": "en",
            "audio_only": False,
            "resume_token": "c" * 22,
        },
        True,
    ),
    (room_payloads.GuestResume, {"resume_token": "c" * 22}, True),
    (room_payloads.GuestResume, {"resume_token": CASE}, False),
    (
        room_payloads.RosterNotice,
        {
            "room_id": ROOM,
            "supervisor_present": False,
            "parties": [
                {
                    "party": CASE,
                    "role": "guest",
                    "label": "Guest",
                    "publishes": True,
                    "audio_only": True,
                    "you": False,
                    "media": {"audio": "3", "video": None},
                }
            ],
        },
        True,
    ),
    (room_payloads.RosterNotice, {"room_id": ROOM, "parties": [{"party": 1}]}, False),
    (room_payloads.GiveConsent, {"room_id": ROOM, "consent": True}, True),
    (room_payloads.GiveConsent, {"room_id": ROOM, "consent": "maybe"}, False),
    (room_payloads.ConsentRequestNotice, {"room_id": ROOM, "records": ["audio"]}, True),
    (
        room_payloads.RecordingStateNotice,
        {
            "room_id": ROOM,
            "state": "paused",
            "reason": None,
            "parties": [
                {"party": CASE, "role": "guest", "consent": "asked", "you": True}
            ],
        },
        True,
    ),
    (
        room_payloads.RecordingStateNotice,
        {"room_id": ROOM, "state": "taping", "parties": []},
        False,
    ),
    (room_payloads.LeftRoomNotice, {"room_id": ROOM, "reason": "removed"}, True),
    (room_payloads.LeftRoomNotice, {"room_id": ROOM, "reason": "bored"}, False),
    (
        room_payloads.JoinRequestEndedNotice,
        {"room_id": ROOM, "kind": "counselor", "reason": "declined_by_all"},
        True,
    ),
    (
        room_payloads.GuestChatMessage,
        {
            "room_id": ROOM,
            "seq": 0,
            "sender": "guest",
            "sender_party": CASE,
            "sender_name": "Guest",
            "text": "hello",
            "at": "2026-11-26T09:00:00Z",
        },
        True,
    ),
    (
        room_payloads.GuestChatAck,
        {
            "ok": True,
            "message": {
                "room_id": ROOM,
                "seq": 1,
                "sender": "interpreter",
                "sender_party": CASE,
                "sender_name": "Kim",
                "text": "hi",
                "at": "2026-11-26T09:00:01Z",
            },
        },
        True,
    ),
    (
        room_payloads.GuestChatHistoryAck,
        {"ok": True, "messages": [], "you": CASE},
        True,
    ),
    (room_payloads.RoomClosedNotice, {"room_id": ROOM}, True),
]


def _check(
    document: dict[str, Any], model: type[Payload], payload: dict[str, Any], valid: bool
) -> None:
    errors = list(_document_validator(document, model.__name__).iter_errors(payload))
    assert (not errors) is valid, [error.message for error in errors]
    try:
        model.model_validate_json(json.dumps(payload))
    except ValidationError as exc:
        accepted, why = False, str(exc)
    else:
        accepted, why = True, f"{model.__name__} accepted {payload}"
    assert accepted is valid, why


@pytest.mark.parametrize(("model", "payload", "valid"), EXAMPLES)
def test_examples_agree_with_document_and_model(
    document: dict[str, Any], model: type[Payload], payload: dict[str, Any], valid: bool
) -> None:
    _check(document, model, payload, valid)


def test_examples_cover_every_model() -> None:
    covered = {model for model, _, valid in EXAMPLES if valid}
    models = {payloads.ErrorAck} | {e.payload for e in EVENTS}
    models |= {e.ack for e in EVENTS if e.ack is not None}
    assert models <= covered


def _quoted(text: str, word: str) -> bool:
    return re.search(rf"""(['"`]){re.escape(word)}\1""", text) is not None


def test_protocol_js_mirrors_the_wire_names() -> None:
    assert PROTOCOL_JS.exists(), f"{PROTOCOL_JS.relative_to(ROOT)} is missing"
    text = PROTOCOL_JS.read_text("utf-8")
    names = {e.name for e in EVENTS}
    names |= {e.namespace for e in EVENTS}
    names |= {code for e in EVENTS for code in e.errors}
    missing = sorted(name for name in names if not _quoted(text, name))
    assert not missing, f"protocol.js does not mention {missing}"


def test_protocol_md_names_every_event_code_and_end_reason() -> None:
    text = (ROOT / "docs" / "protocol.md").read_text("utf-8")
    names = {e.name for e in EVENTS} | {e.namespace for e in EVENTS}
    names |= {code for e in EVENTS for code in e.errors}
    names |= {code.value for code in event_spec.ErrorCode}
    names |= {reason.value for reason in EndReason}
    missing = sorted(name for name in names if f"`{name}`" not in text)
    assert not missing, f"docs/protocol.md does not mention {missing}"


def test_picture_advice_on_the_wire_matches_the_media_server() -> None:
    from rtc_server.quality import Advice

    assert [a.value for a in payloads.PictureAdvice] == [a.value for a in Advice]
