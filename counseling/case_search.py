"""Finding cases: the filters staff search by, the results (no personal fields)
and the cursor to the next page, newest first."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from counseling.records import Disposition, InvalidRecordField
from counseling.services import Language, Service

_CURSOR = re.compile(r"^(\d{1,20})_([0-9A-Za-z_-]{1,32})$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class CaseSearch:
    """Filters for finding cases; every given one must match. ``start`` and
    ``end`` bound the request time, ``[start, end)``."""

    start: datetime | None = None
    end: datetime | None = None
    service: Service | None = None
    language: Language | None = None
    interpreter_id: str | None = None
    category: str | None = None
    disposition: Disposition | None = None

    def __post_init__(self) -> None:
        for value in (self.start, self.end):
            if value is not None and value.utcoffset() is None:
                raise ValueError("search times must be timezone-aware")
        if self.start and self.end and self.end <= self.start:
            raise InvalidRecordField("to", "the range ends before it starts")


@dataclass(frozen=True, slots=True)
class SearchCursor:
    """Where the next page of results starts (newest first): after this case."""

    requested_at: datetime
    case_id: str

    def encode(self) -> str:
        micros = (self.requested_at - _EPOCH) // timedelta(microseconds=1)
        return f"{micros}_{self.case_id}"

    @classmethod
    def decode(cls, text: str) -> SearchCursor:
        found = _CURSOR.match(text)
        if found is None:
            raise InvalidRecordField("cursor", "not a cursor this server gave")
        moment = _EPOCH + timedelta(microseconds=int(found.group(1)))
        return cls(moment, found.group(2))


@dataclass(frozen=True, slots=True)
class CaseListing:
    """One search result: the case, who answered, and its record at a glance
    (no personal fields)."""

    id: str
    service: str
    language: str
    channel: str
    status: str
    requested_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    interpreter_id: str | None
    interpreter_name: str | None
    end_reason: str | None
    wait_seconds: float | None
    handle_seconds: float | None
    category: str | None
    disposition: str | None
    score: int | None


@dataclass(frozen=True, slots=True)
class CasePage:
    cases: tuple[CaseListing, ...]
    next_cursor: SearchCursor | None
