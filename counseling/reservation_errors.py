"""Why a booking, move, cancellation, shift change or join was refused: each error
names the field of the request it is about."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from counseling.errors import CounselingError
from counseling.reservation_terms import BOOKING_HORIZON, ReservationStatus
from counseling.services import Skill


class ReservationError(CounselingError):
    """A booking, move, cancellation, shift change or join was refused."""

    code = "reservation_error"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InvalidField(ReservationError, ValueError):
    """A value is malformed or out of range."""

    code = "invalid_field"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", field)


class InvalidContact(InvalidField):
    code = "invalid_contact"

    def __init__(self) -> None:
        super().__init__(
            "citizen_contact",
            "give a phone number (8-15 digits, e.g. 010-1234-5678) or an e-mail "
            "address (name@example.kr)",
        )


class StartInPast(ReservationError):
    code = "start_in_past"

    def __init__(self, field: str = "start") -> None:
        super().__init__(f"{field}: the time has already passed", field)


class TooFarAhead(ReservationError):
    code = "too_far_ahead"

    def __init__(self) -> None:
        days = BOOKING_HORIZON.days
        super().__init__(f"start: book at most {days} days ahead", "start")


class OutsideServiceHours(ReservationError):
    code = "outside_service_hours"

    def __init__(self, skill: Skill) -> None:
        super().__init__(
            f"start: {skill.service.value} is not open for the whole slot", "start"
        )


class UnknownStaff(ReservationError):
    code = "unknown_staff"

    def __init__(self, staff_id: str) -> None:
        super().__init__(
            f"staff_id: no interpreter has the id {staff_id!r}", "staff_id"
        )
        self.staff_id = staff_id


class NotQualified(ReservationError):
    code = "not_qualified"

    def __init__(self, staff_id: str, skill: Skill) -> None:
        super().__init__(
            f"staff_id: this interpreter does not offer {skill}", "staff_id"
        )


class OutsideShift(ReservationError):
    code = "outside_shift"

    def __init__(self) -> None:
        super().__init__(
            "start: the interpreter has no shift covering the whole slot", "start"
        )


class SlotTaken(ReservationError):
    code = "slot_taken"

    def __init__(self, conflict_id: str | None) -> None:
        super().__init__(
            "start: the interpreter already has a reservation overlapping this slot",
            "start",
        )
        self.conflict_id = conflict_id


class NoInterpreterFree(ReservationError):
    code = "no_interpreter_free"

    def __init__(self, skill: Skill) -> None:
        super().__init__(
            f"start: no interpreter for {skill} is on shift and free for this slot",
            "start",
        )


class ShiftOverlap(ReservationError):
    code = "shift_overlap"

    def __init__(self, conflict_id: str | None) -> None:
        super().__init__(
            "start: the staff member already has a shift overlapping this one", "start"
        )
        self.conflict_id = conflict_id


class ShiftHoldsReservations(ReservationError):
    code = "shift_has_reservations"

    def __init__(self, reservation_ids: Sequence[str]) -> None:
        super().__init__(
            f"start: {len(reservation_ids)} reservation(s) would fall outside the "
            "shift; move or cancel them first",
            "start",
        )
        self.reservation_ids = tuple(reservation_ids)


class NotFound(ReservationError):
    code = "not_found"

    def __init__(self, what: str, key: str) -> None:
        super().__init__(f"no {what} has this id", f"{what}_id")
        self.key = key


class ReservationClosed(ReservationError):
    code = "reservation_closed"

    def __init__(self, status: ReservationStatus) -> None:
        super().__init__(
            f"reservation_id: the reservation is {status.value} and cannot change",
            "reservation_id",
        )
        self.status = status


class JoinTokenUnknown(ReservationError):
    code = "join_token_unknown"

    def __init__(self) -> None:
        super().__init__(
            "token: this join link does not belong to a reservation", "token"
        )


class JoinTooEarly(ReservationError):
    code = "join_too_early"

    def __init__(self, opens_at: datetime) -> None:
        super().__init__(
            f"token: the join link works from {opens_at.isoformat()}", "token"
        )
        self.opens_at = opens_at


class JoinTokenExpired(ReservationError):
    code = "join_token_expired"

    def __init__(self, reason: str) -> None:
        super().__init__(f"token: the join link no longer works ({reason})", "token")
        self.reason = reason
