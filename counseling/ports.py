"""Ports the core needs from storage; adapters implement these protocols."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from counseling.case_search import CaseListing, CasePage, CaseSearch, SearchCursor
from counseling.cases import Case
from counseling.chat import ChatMessage
from counseling.hours import ServiceHours
from counseling.records import (
    CaseRecord,
    Feedback,
    RetentionReport,
    Wrapup,
    WrapupDraft,
)
from counseling.reservations import (
    CitizenDetails,
    Interpreter,
    JoinClaim,
    Reservation,
    Shift,
    SlotRequest,
)
from counseling.services import Skill
from counseling.staff import LoginSession, StaffAccount
from counseling.statistics import Statistics, StatsQuery


class CaseRepository(Protocol):
    async def add(self, case: Case) -> None: ...

    async def save(self, case: Case, stored_events: int | None = None) -> None:
        """Write the case and append its new events. ``stored_events``: how many
        of its events are stored already, when the caller knows (saves a read)."""
        ...

    async def get(self, case_id: str) -> Case | None: ...

    async def recent(self, limit: int) -> Sequence[Case]: ...

    async def unfinished(self) -> Sequence[Case]: ...


class ChatLog(Protocol):
    """Each case's transcript, in order; messages are never changed once added."""

    async def append(self, message: ChatMessage) -> None: ...

    async def transcript(self, case_id: str) -> Sequence[ChatMessage]: ...


class StaffDirectory(Protocol):
    async def add(self, account: StaffAccount) -> None: ...

    async def by_username(self, username: str) -> StaffAccount | None: ...

    async def get(self, staff_id: str) -> StaffAccount | None: ...

    async def set_password_hash(self, staff_id: str, password_hash: str) -> None: ...


class LoginSessions(Protocol):
    async def add(self, session: LoginSession) -> None: ...

    async def get(self, token_hash: str) -> LoginSession | None: ...

    async def remove(self, token_hash: str) -> None: ...

    async def purge_expired(self, now: datetime) -> int: ...


class ReservationBook(Protocol):
    """Reservations and staff shifts. Every change is checked against the rules in
    ``counseling.reservations`` inside one serialized transaction, so two bookings
    racing for one interpreter's slot (on any number of processes) cannot both win.

    Refusals raise ``ReservationError`` subclasses and change nothing.
    """

    async def book(
        self,
        reservation_id: str,
        request: SlotRequest,
        citizen: CitizenDetails,
        token_hash: str,
        booked_by: str | None,
        now: datetime,
        hours: ServiceHours,
    ) -> Reservation: ...

    async def move(
        self,
        reservation_id: str,
        request: SlotRequest,
        now: datetime,
        hours: ServiceHours,
    ) -> Reservation:
        """New start, duration and interpreter; ``request.staff_id`` None keeps the
        current interpreter when they can take the new slot, else chooses one."""
        ...

    async def cancel(self, reservation_id: str, now: datetime) -> Reservation: ...

    async def reissue_token(
        self, reservation_id: str, token_hash: str
    ) -> Reservation: ...

    async def get(self, reservation_id: str) -> Reservation | None: ...

    async def by_token(self, token: str) -> Reservation | None: ...

    async def between(
        self, start: datetime, end: datetime, staff_id: str | None = None
    ) -> Sequence[Reservation]:
        """Reservations (any status) overlapping ``[start, end)``, by start."""
        ...

    async def claim(self, token: str, now: datetime) -> JoinClaim:
        """The reservation of a join link valid at ``now``, marked claimed.

        Raises JoinTokenUnknown, JoinTooEarly or JoinTokenExpired.
        """
        ...

    async def release_no_shows(self, now: datetime) -> Sequence[Reservation]:
        """Mark no-show every booked reservation nobody joined by its start plus
        NO_SHOW_AFTER, freeing its slot; returns them (each once, ever)."""
        ...

    async def add_shift(self, shift: Shift, now: datetime) -> Shift: ...

    async def change_shift(
        self, shift_id: str, start: datetime, end: datetime, now: datetime
    ) -> Shift: ...

    async def remove_shift(self, shift_id: str, now: datetime) -> Shift: ...

    async def shifts(
        self, start: datetime, end: datetime, staff_id: str | None = None
    ) -> Sequence[Shift]: ...

    async def free_slots(
        self, skill: Skill, now: datetime, hours: ServiceHours, count: int
    ) -> Sequence[tuple[datetime, datetime]]:
        """The next ``count`` slots a citizen may book (``counseling.reservations.
        free_slots``), over the coming two weeks."""
        ...

    async def interpreters(self) -> Sequence[Interpreter]:
        """Every interpreter account, by display name."""
        ...

    async def set_feed_token(
        self, staff_id: str, token_hash: str, now: datetime
    ) -> None:
        """Give the staff member a new calendar-feed link; the old one stops."""
        ...

    async def staff_for_feed(self, token_hash: str) -> str | None:
        """Whose calendar feed this link opens, if anyone's."""
        ...


class CaseRecords(Protocol):
    """The record program: wrap-ups, satisfaction, search, statistics, export and
    retention. Refusals raise ``counseling.records.RecordError`` subclasses and
    change nothing; every query runs in the database."""

    async def save_wrapup(
        self, case_id: str, draft: WrapupDraft, staff_id: str, now: datetime
    ) -> Wrapup:
        """Write (or rewrite) the case's wrap-up. Raises CaseNotFound,
        CaseNotAnswered or CaseErased."""
        ...

    async def get_wrapup(self, case_id: str) -> Wrapup | None: ...

    async def record(self, case_id: str) -> CaseRecord:
        """The case's wrap-up, feedback and erasure (each None when absent)."""
        ...

    async def issue_feedback(
        self, case_id: str, token_hash: str, expires_at: datetime
    ) -> None:
        """Store a one-time satisfaction link for an answered case, replacing an
        unused one. Raises CaseNotFound, CaseNotAnswered or FeedbackUsed."""
        ...

    async def give_feedback(
        self, token_hash: str, score: int, comment: str | None, now: datetime
    ) -> Feedback:
        """Record the citizen's answer once. Raises FeedbackTokenUnknown,
        FeedbackUsed or FeedbackExpired."""
        ...

    async def search(
        self, filters: CaseSearch, limit: int, cursor: SearchCursor | None
    ) -> CasePage:
        """Matching cases, newest first, ``limit`` at a time."""
        ...

    async def statistics(self, query: StatsQuery) -> Statistics: ...

    async def open311(
        self,
        start: datetime,
        end: datetime,
        limit: int,
        category: str | None = None,
        closed: bool | None = None,
    ) -> Sequence[tuple[CaseListing, Wrapup | None]]:
        """Cases requested in ``[start, end)``, oldest first, with their wrap-ups;
        only of ``category`` and only ended (``closed``) or not, when given."""
        ...

    async def interpreters(self) -> Sequence[tuple[str, str]]:
        """(id, display name) of every interpreter account, by name."""
        ...

    async def apply_retention(self, now: datetime, days: int) -> RetentionReport:
        """Erase the personal fields of ended cases requested more than ``days``
        before ``now`` (summary, comment, chat) and of reservations that ended
        before then (name, contact, notes); log each erasure."""
        ...
