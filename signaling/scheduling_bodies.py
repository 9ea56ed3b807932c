"""The JSON bodies of the scheduling routes, and ``parse``, which validates one or
refuses naming the first bad field."""

from __future__ import annotations

from datetime import timedelta
from typing import TypeVar

from aiohttp import web
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from counseling.reservations import DEFAULT_DURATION
from counseling.services import Language, Service, Skill
from signaling.refusals import Refused, parse_body, refusal

JOIN_LINK_SHAPE = r"^[A-Za-z0-9_-]{20,100}$"
_Body = TypeVar("_Body", bound=BaseModel)


class StrictBody(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SlotFields(StrictBody):
    service: Service
    language: Language | None = None
    start: AwareDatetime

    def skill(self) -> Skill:
        try:
            return Skill.for_request(self.service, self.language)
        except ValueError as exc:
            raise Refused(
                refusal(400, "unknown_language", f"language: {exc}", "language")
            ) from None


class CitizenBookingBody(SlotFields):
    citizen_name: str | None = Field(default=None, max_length=2000)
    citizen_contact: str | None = Field(default=None, max_length=2000)


class BookingBody(CitizenBookingBody):
    duration_minutes: int = Field(
        default=int(DEFAULT_DURATION / timedelta(minutes=1)), ge=1, le=24 * 60
    )
    staff_id: str | None = Field(default=None, min_length=1, max_length=64)
    notes: str | None = Field(default=None, max_length=10_000)


class MoveBody(StrictBody):
    start: AwareDatetime
    duration_minutes: int | None = Field(default=None, ge=1, le=24 * 60)
    staff_id: str | None = Field(default=None, min_length=1, max_length=64)


class TokenBody(StrictBody):
    token: str = Field(pattern=JOIN_LINK_SHAPE)


class ShiftTimes(StrictBody):
    start: AwareDatetime
    end: AwareDatetime


class ShiftBody(ShiftTimes):
    staff_id: str = Field(min_length=1, max_length=64)


# An unknown service or language is refused with its own code.
UNKNOWN = {"service": "unknown_service", "language": "unknown_language"}


async def parse(request: web.Request, model: type[_Body]) -> _Body:
    """The JSON body as ``model``, or Refused naming the first bad field."""
    return await parse_body(request, model, UNKNOWN)
