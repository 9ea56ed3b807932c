"""The counseling case: one citizen's request from the first moment to its end."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from counseling.errors import CaseTransitionError
from counseling.services import Skill


class CaseStatus(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"
    IN_SESSION = "in_session"
    ENDED = "ended"


class EndReason(StrEnum):
    """Why a case ended; the statistics screens group by this."""

    COMPLETED = "completed"
    CITIZEN_CANCELLED = "citizen_cancelled"
    CITIZEN_LEFT_WHILE_WAITING = "citizen_left_while_waiting"
    DECLINED_BY_ALL = "declined_by_all"
    CONNECTION_LOST = "connection_lost"
    SERVICE_INTERRUPTED = "service_interrupted"
    NO_SHOW = "no_show"
    """A reservation's citizen did not join within ten minutes of the start."""


class EventKind(StrEnum):
    REQUESTED = "requested"
    RESERVATION = "reservation"
    """The request came through a reservation's join link; detail: its id."""
    OFFERED = "offered"
    DECLINED = "declined"
    OFFER_EXPIRED = "offer_expired"
    OFFER_WITHDRAWN = "offer_withdrawn"
    ANSWERED = "answered"
    ENDED = "ended"


class Party(StrEnum):
    CITIZEN = "citizen"
    INTERPRETER = "interpreter"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class CaseEvent:
    """One line of a case's timeline."""

    at: datetime
    kind: EventKind
    staff_id: str | None = None
    detail: str | None = None

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("case event times must be timezone-aware")


@dataclass(slots=True)
class Case:
    """A counseling case; methods move it along its life cycle or raise."""

    id: str
    skill: Skill
    requested_at: datetime
    channel: str = "video"
    status: CaseStatus = CaseStatus.WAITING
    offered_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    interpreter_id: str | None = None
    end_reason: EndReason | None = None
    ended_by: Party | None = None
    events: list[CaseEvent] = field(default_factory=list)

    @classmethod
    def open(
        cls,
        case_id: str,
        skill: Skill,
        now: datetime,
        reservation_id: str | None = None,
    ) -> Case:
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        case = cls(
            id=case_id, skill=skill, requested_at=now, channel=skill.service.channel
        )
        case.events.append(CaseEvent(now, EventKind.REQUESTED))
        if reservation_id is not None:
            case.events.append(
                CaseEvent(now, EventKind.RESERVATION, detail=reservation_id)
            )
        return case

    @property
    def reservation_id(self) -> str | None:
        """The reservation this case came from, if any."""
        return next(
            (e.detail for e in self.events if e.kind is EventKind.RESERVATION), None
        )

    def _require(self, action: str, *allowed: CaseStatus) -> None:
        if self.status not in allowed:
            raise CaseTransitionError(self.id, self.status.value, action)

    def offer(self, staff_id: str, now: datetime) -> None:
        self._require("offer", CaseStatus.WAITING)
        self.status = CaseStatus.OFFERED
        if self.offered_at is None:
            self.offered_at = now
        self.events.append(CaseEvent(now, EventKind.OFFERED, staff_id))

    def withdraw_offer(self, staff_id: str, kind: EventKind, now: datetime) -> None:
        """The offer to ``staff_id`` was declined, expired or withdrawn."""
        if kind not in (
            EventKind.DECLINED,
            EventKind.OFFER_EXPIRED,
            EventKind.OFFER_WITHDRAWN,
        ):
            raise ValueError(f"{kind} does not withdraw an offer")
        self._require(kind.value, CaseStatus.OFFERED)
        self.status = CaseStatus.WAITING
        self.events.append(CaseEvent(now, kind, staff_id))

    def answer(self, staff_id: str, now: datetime) -> None:
        self._require("answer", CaseStatus.OFFERED)
        self.status = CaseStatus.IN_SESSION
        self.answered_at = now
        self.interpreter_id = staff_id
        self.events.append(CaseEvent(now, EventKind.ANSWERED, staff_id))

    def end(self, reason: EndReason, ended_by: Party, now: datetime) -> None:
        self._require(
            "end", CaseStatus.WAITING, CaseStatus.OFFERED, CaseStatus.IN_SESSION
        )
        if reason is EndReason.COMPLETED and self.status is not CaseStatus.IN_SESSION:
            raise CaseTransitionError(self.id, self.status.value, "complete")
        self.status = CaseStatus.ENDED
        self.ended_at = now
        self.end_reason = reason
        self.ended_by = ended_by
        self.events.append(CaseEvent(now, EventKind.ENDED, detail=reason.value))

    @property
    def wait_seconds(self) -> float | None:
        """Time from asking to being answered, or to giving up if never answered."""
        until = self.answered_at or self.ended_at
        if until is None:
            return None
        return (until - self.requested_at).total_seconds()

    @property
    def handle_seconds(self) -> float | None:
        """Time in session, from answer to end."""
        if self.answered_at is None or self.ended_at is None:
            return None
        return (self.ended_at - self.answered_at).total_seconds()
