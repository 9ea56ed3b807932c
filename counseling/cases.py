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
    PARTY_JOINED = "party_joined"
    """Someone besides the citizen and the answering interpreter joined the room;
    detail: ``role`` or ``role:ref`` (a guest's opaque reference)."""
    PARTY_LEFT = "party_left"
    """A party left the room (left, removed, or handed over); detail as above."""
    COUNSELOR_REQUESTED = "counselor_requested"
    """The interpreter asked for a counselor; detail: the department."""
    TRANSFER_REQUESTED = "transfer_requested"
    """The interpreter asked to hand over; staff_id: the one named, if any."""
    JOIN_REQUEST_CANCELLED = "join_request_cancelled"
    """A counselor or transfer request was withdrawn before anyone took it;
    staff_id: who withdrew it; detail: ``counselor`` or ``transfer``."""
    TRANSFERRED = "transferred"
    """The session passed to staff_id; detail: the interpreter who handed it over."""
    INVITE_CREATED = "invite_created"
    """A guest invite was made; detail: the invite's id (never the token)."""
    INVITE_USED = "invite_used"
    """A guest came in with an invite; detail: ``invite id:guest ref``."""
    RECORDING_RECOVERED = "recording_recovered"
    """A recording a crash left open was closed at start-up; detail: its id."""
    CONSENT_GIVEN = "consent_given"
    """A party agreed to the recording; detail as for party_joined."""
    CONSENT_DECLINED = "consent_declined"
    """A party asked to agree said no; detail as for party_joined."""
    CONSENT_WITHDRAWN = "consent_withdrawn"
    """A party took their consent back; detail as for party_joined."""
    RECORDING_STARTED = "recording_started"
    RECORDING_PAUSED = "recording_paused"
    """Someone present has not consented yet: nothing is written meanwhile."""
    RECORDING_RESUMED = "recording_resumed"
    RECORDING_STOPPED = "recording_stopped"


class Party(StrEnum):
    CITIZEN = "citizen"
    INTERPRETER = "interpreter"
    SYSTEM = "system"
    COUNSELOR = "counselor"
    """Staff of a department, pulled into a session by the interpreter."""
    GUEST = "guest"
    """Someone without an account, in through an invite link."""
    SUPERVISOR = "supervisor"
    """Listens in without publishing."""


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


ROOM_EVENTS = frozenset(
    {
        EventKind.PARTY_JOINED,
        EventKind.PARTY_LEFT,
        EventKind.COUNSELOR_REQUESTED,
        EventKind.TRANSFER_REQUESTED,
        EventKind.JOIN_REQUEST_CANCELLED,
        EventKind.INVITE_CREATED,
        EventKind.INVITE_USED,
    }
)

# Consent and recording: noted while the session runs, and (the recorder
# stopping) just after it ended.
RECORDING_EVENTS = frozenset(
    {
        EventKind.CONSENT_GIVEN,
        EventKind.CONSENT_DECLINED,
        EventKind.CONSENT_WITHDRAWN,
        EventKind.RECORDING_STARTED,
        EventKind.RECORDING_PAUSED,
        EventKind.RECORDING_RESUMED,
        EventKind.RECORDING_STOPPED,
    }
)


@dataclass(frozen=True, slots=True)
class Participant:
    """Someone who was in the session's room, and when (``left_at`` None: still)."""

    role: Party
    staff_id: str | None
    ref: str | None
    joined_at: datetime
    left_at: datetime | None


def party_detail(role: Party, ref: str | None = None) -> str:
    """How a room event names a party: ``role``, or ``role:ref`` for a guest."""
    return role.value if ref is None else f"{role.value}:{ref}"


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

    def note(
        self,
        kind: EventKind,
        now: datetime,
        staff_id: str | None = None,
        detail: str | None = None,
    ) -> None:
        """Record a step in the room of a session in progress: a party joining or
        leaving, a counselor or transfer asked for, an invite made or used."""
        if kind in RECORDING_EVENTS:
            self._require(kind.value, CaseStatus.IN_SESSION, CaseStatus.ENDED)
            self.events.append(CaseEvent(now, kind, staff_id, detail))
            return
        if kind not in ROOM_EVENTS:
            raise ValueError(f"{kind} is not a room event")
        self._require(kind.value, CaseStatus.IN_SESSION)
        self.events.append(CaseEvent(now, kind, staff_id, detail))

    def transfer(self, from_staff: str, to_staff: str, now: datetime) -> None:
        """The session passes to another interpreter, who now owns the case."""
        self._require("transfer", CaseStatus.IN_SESSION)
        if from_staff == to_staff:
            raise ValueError("a transfer goes to someone else")
        self.interpreter_id = to_staff
        self.events.append(CaseEvent(now, EventKind.TRANSFERRED, to_staff, from_staff))

    def participants(self) -> list[Participant]:
        """Everyone who was in the room with their role, from the timeline."""
        if self.answered_at is None:
            return []
        people: list[Participant] = [
            Participant(Party.CITIZEN, None, None, self.answered_at, self.ended_at)
        ]
        open_: dict[tuple[str | None, str], int] = {}
        first = next(e for e in self.events if e.kind is EventKind.ANSWERED)
        open_[(first.staff_id, Party.INTERPRETER.value)] = len(people)
        people.append(
            Participant(Party.INTERPRETER, first.staff_id, None, first.at, None)
        )
        for event in self.events:
            if event.kind is EventKind.PARTY_JOINED and event.detail:
                role, _, ref = event.detail.partition(":")
                open_[(event.staff_id, event.detail)] = len(people)
                joined = Participant(
                    Party(role), event.staff_id, ref or None, event.at, None
                )
                people.append(joined)
            elif event.kind is EventKind.PARTY_LEFT and event.detail:
                index = open_.pop((event.staff_id, event.detail), None)
                if index is not None:
                    people[index] = _left(people[index], event.at)
            elif event.kind is EventKind.TRANSFERRED and event.detail:
                index = open_.pop((event.detail, Party.INTERPRETER.value), None)
                if index is not None:
                    people[index] = _left(people[index], event.at)
        for index in open_.values():
            people[index] = _left(people[index], self.ended_at)
        return people

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


def _left(person: Participant, at: datetime | None) -> Participant:
    return Participant(person.role, person.staff_id, person.ref, person.joined_at, at)
