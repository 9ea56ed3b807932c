"""The values of reservations: join tokens, the citizen's details, interpreters,
shifts, slot requests and the reservation itself with its life cycle."""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from counseling.reservation_errors import (
    InvalidContact,
    InvalidField,
    JoinTokenExpired,
    JoinTooEarly,
    ReservationClosed,
)
from counseling.reservation_terms import (
    CONTACT_MAX,
    DEFAULT_DURATION,
    JOIN_EARLY,
    MAX_DURATION,
    MAX_SHIFT,
    MIN_DURATION,
    NAME_MAX,
    NO_SHOW_AFTER,
    NOTES_MAX,
    ReservationStatus,
)
from counseling.services import Skill

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")
_PHONE = re.compile(r"^\+?[(0-9][0-9 ().-]*[0-9]$")


def new_join_token() -> str:
    """The secret in a citizen's join link: 256 random bits."""
    return secrets.token_urlsafe(32)


def join_token_hash(token: str) -> str:
    """What is stored for a join token, so a database leak gives no usable link."""
    return hashlib.sha256(token.encode()).hexdigest()


def _instant(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidField(name, "give a date and time with a UTC offset")
    if value.second or value.microsecond:
        raise InvalidField(name, "times are whole minutes")
    return value.astimezone(UTC)


def _one_line(text: str | None, name: str, limit: int, multiline: bool) -> str | None:
    if text is None:
        return None
    given = text.replace("\r\n", "\n").strip()
    kept = "".join(
        ch
        for ch in given
        if (multiline and ch in "\n\t") or unicodedata.category(ch)[0] != "C"
    )
    if len(kept) > limit:
        raise InvalidField(name, f"at most {limit} characters")
    if kept != given:
        raise InvalidField(name, "control characters are not allowed")
    return kept or None


def clean_contact(text: str | None) -> str | None:
    """A phone number or e-mail address, trimmed; None when empty."""
    kept = _one_line(text, "citizen_contact", CONTACT_MAX, multiline=False)
    if kept is None:
        return None
    if "@" in kept:
        if _EMAIL.match(kept) and len(kept) <= CONTACT_MAX:
            return kept
        raise InvalidContact
    digits = sum(ch.isdigit() for ch in kept)
    if _PHONE.match(kept) and kept.isascii() and 8 <= digits <= 15:
        return " ".join(kept.split())
    raise InvalidContact


@dataclass(frozen=True, slots=True)
class CitizenDetails:
    """Personal data the citizen gave: every read is audited, never logged."""

    name: str | None = None
    contact: str | None = None
    notes: str | None = None

    @classmethod
    def create(
        cls, name: str | None, contact: str | None, notes: str | None
    ) -> CitizenDetails:
        """Cleaned and checked; InvalidField names the field that is wrong."""
        return cls(
            _one_line(name, "citizen_name", NAME_MAX, multiline=False),
            clean_contact(contact),
            _one_line(notes, "notes", NOTES_MAX, multiline=True),
        )


@dataclass(frozen=True, slots=True)
class Interpreter:
    """A staff member who can hold reservations, as the scheduler sees them."""

    id: str
    display_name: str
    skills: frozenset[Skill]


@dataclass(frozen=True, slots=True)
class Shift:
    """When a staff member works: reservations for them must fit inside one."""

    id: str
    staff_id: str
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", _instant(self.start, "start"))
        object.__setattr__(self, "end", _instant(self.end, "end"))
        if self.end <= self.start:
            raise InvalidField("end", "a shift must end after it starts")
        if self.end - self.start > MAX_SHIFT:
            hours = MAX_SHIFT // timedelta(hours=1)
            raise InvalidField("end", f"a shift lasts at most {hours} hours")

    def covers(self, start: datetime, end: datetime) -> bool:
        return self.start <= start and end <= self.end

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return self.start < end and start < self.end


@dataclass(frozen=True, slots=True)
class SlotRequest:
    """What a scheduler or citizen asks for; ``staff_id`` None: choose for me."""

    skill: Skill
    start: datetime
    duration: timedelta = DEFAULT_DURATION
    staff_id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", _instant(self.start, "start"))
        minutes = self.duration / timedelta(minutes=1)
        if minutes != int(minutes):
            raise InvalidField("duration_minutes", "whole minutes only")
        if not MIN_DURATION <= self.duration <= MAX_DURATION:
            low, high = (
                int(d / timedelta(minutes=1)) for d in (MIN_DURATION, MAX_DURATION)
            )
            raise InvalidField("duration_minutes", f"must be {low}-{high} minutes")

    @property
    def end(self) -> datetime:
        return self.start + self.duration


@dataclass(frozen=True, slots=True)
class Reservation:
    """A slot held for a citizen with one interpreter."""

    id: str
    skill: Skill
    staff_id: str
    start: datetime
    end: datetime
    status: ReservationStatus
    join_token_hash: str
    citizen: CitizenDetails
    booked_by: str | None
    """The scheduler's staff id; None when the citizen booked."""
    created_at: datetime
    revision: int = 0
    """Raised by every move or cancellation (an .ics file's SEQUENCE)."""
    claimed_at: datetime | None = None
    closed_at: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("start", "end", "created_at", "claimed_at", "closed_at"):
            value = getattr(self, name)
            if value is not None:
                if value.utcoffset() is None:
                    raise ValueError(f"{name} must be timezone-aware")
                object.__setattr__(self, name, value.astimezone(UTC))
        if self.end <= self.start:
            raise ValueError("a reservation must end after it starts")

    @property
    def join_opens_at(self) -> datetime:
        return self.start - JOIN_EARLY

    @property
    def no_show_at(self) -> datetime:
        return self.start + NO_SHOW_AFTER

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return self.start < end and start < self.end

    def is_no_show(self, now: datetime) -> bool:
        return self.status is ReservationStatus.BOOKED and now >= self.no_show_at

    def check_join(self, now: datetime) -> None:
        """Raise unless the join link works at ``now``."""
        if self.status is ReservationStatus.CANCELLED:
            raise JoinTokenExpired("the reservation was cancelled")
        if self.status is ReservationStatus.NO_SHOW or self.is_no_show(now):
            raise JoinTokenExpired("nobody joined in time and the slot was released")
        if now >= self.end:
            raise JoinTokenExpired("the slot has ended")
        if now < self.join_opens_at:
            raise JoinTooEarly(self.join_opens_at)

    def claimed(self, now: datetime) -> Reservation:
        """Joined at ``now``; claiming again (a reload) keeps the first time."""
        self.check_join(now)
        if self.status is ReservationStatus.CLAIMED:
            return self
        return replace(self, status=ReservationStatus.CLAIMED, claimed_at=now)

    def ensure_changeable(self) -> None:
        """Raise ReservationClosed unless still booked (not joined, ended or
        cancelled): only then may it move, be cancelled or get a new link."""
        if self.status is not ReservationStatus.BOOKED:
            raise ReservationClosed(self.status)

    def cancelled(self, now: datetime) -> Reservation:
        self.ensure_changeable()
        return replace(
            self,
            status=ReservationStatus.CANCELLED,
            closed_at=now,
            revision=self.revision + 1,
        )

    def released_as_no_show(self, now: datetime) -> Reservation:
        if not self.is_no_show(now):
            raise ValueError(f"reservation {self.id} is not a no-show at {now}")
        return replace(self, status=ReservationStatus.NO_SHOW, closed_at=now)

    def moved(self, staff_id: str, start: datetime, end: datetime) -> Reservation:
        self.ensure_changeable()
        return replace(
            self, staff_id=staff_id, start=start, end=end, revision=self.revision + 1
        )

    def with_token_hash(self, token_hash: str) -> Reservation:
        self.ensure_changeable()
        return replace(self, join_token_hash=token_hash)


@dataclass(frozen=True, slots=True)
class JoinClaim:
    """A citizen joined with a valid link; ``first`` is False on a rejoin."""

    reservation: Reservation
    first: bool
