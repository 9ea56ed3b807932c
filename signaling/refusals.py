"""Refusals as JSON error responses: the HTTP status of each reservation error,
the exception that stops a handler with its response, and JSON bodies parsed
or refused."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from counseling.reservations import ReservationError

_Body = TypeVar("_Body", bound=BaseModel)

# The HTTP status of each refusal; docs/openapi.yaml lists the same codes.
STATUS: dict[str, int] = {
    "invalid_payload": 400,
    "invalid_field": 400,
    "invalid_contact": 400,
    "unknown_service": 400,
    "unknown_language": 400,
    "not_found": 404,
    "join_token_unknown": 404,
    "slot_taken": 409,
    "no_interpreter_free": 409,
    "shift_overlap": 409,
    "shift_has_reservations": 409,
    "reservation_closed": 409,
    "join_too_early": 409,
    "join_token_expired": 410,
    "start_in_past": 422,
    "too_far_ahead": 422,
    "outside_service_hours": 422,
    "outside_shift": 422,
    "not_qualified": 422,
    "unknown_staff": 422,
}


def refusal(status: int, code: str, message: str, field: str | None) -> web.Response:
    """The error body of signaling.http's ``error``, with the field it is about."""
    body = {"error": {"code": code, "message": message, "field": field}}
    return web.json_response(body, status=status)


def refused(exc: ReservationError) -> web.Response:
    return refusal(STATUS.get(exc.code, 400), exc.code, str(exc), exc.field)


class Refused(Exception):
    """Stops a handler with an error response (raised by the helpers below)."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


async def parse_body(
    request: web.Request, model: type[_Body], codes: Mapping[str, str] | None = None
) -> _Body:
    """The JSON body as ``model``, or Refused naming the first bad field (with the
    code ``codes`` gives that field, else ``invalid_payload``)."""
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise Refused(
            refusal(400, "invalid_payload", "send a JSON object", None)
        ) from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first["loc"]) or None
        code = (codes or {}).get(name or "", "invalid_payload")
        message = f"{name}: {first['msg']}" if name else str(first["msg"])
        raise Refused(refusal(400, code, message, name)) from None
