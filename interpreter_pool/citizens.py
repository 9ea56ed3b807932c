"""The citizens' side: requests queued, cancelled or dropped, connections lost
and resumed with a token. Mixed into the Pool; pure like it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from counseling.cases import EndReason, EventKind, Party
from counseling.services import Skill
from interpreter_pool.errors import AlreadyWaiting, NotInRoom, NotWaiting
from interpreter_pool.events import (
    CitizenConnectionLost,
    CitizenReconnected,
    PoolEvent,
    RequestEnded,
    Session,
)
from interpreter_pool.records import PoolRules, WaitingRequest


class CitizenCommands:
    """The Pool's citizens: their requests in the queue, and their connections."""

    if TYPE_CHECKING:
        rules: PoolRules
        _waiting: list[WaitingRequest]
        _citizen_grace: dict[str, datetime]
        _resume: dict[str, str]
        _citizen_links: dict[str, set[str]]

        def session_of(self, party_id: str) -> Session | None: ...

        def _end_session(
            self, room_id: str, reason: EndReason, by: Party, now: datetime
        ) -> list[PoolEvent]: ...

        # From Dispatch.
        def _close_offer(
            self, offer_id: str, kind: EventKind, now: datetime
        ) -> list[PoolEvent]: ...

        def _settle(self, now: datetime) -> list[PoolEvent]: ...

        def _dispatch(self, now: datetime) -> list[PoolEvent]: ...

    # -- citizen commands ---------------------------------------------------

    def allow_resume(
        self, citizen_id: str, token_hash: str, connection: str = ""
    ) -> None:
        """Let the holder of the token behind ``token_hash`` come back as this
        citizen while their session lasts (a page reload keeps the session).
        ``connection`` is the citizen's connection now."""
        if self.session_of(citizen_id) is None:
            raise NotInRoom("", citizen_id)
        self._resume[token_hash] = citizen_id
        self._citizen_links.setdefault(citizen_id, set()).add(connection)

    def resume(
        self, token_hash: str, now: datetime, connection: str = ""
    ) -> tuple[str, list[PoolEvent]]:
        """The citizen behind a resume token is back on ``connection``; returns
        their id. Raises NotInRoom when the token is unknown or its session ended.
        """
        citizen_id = self._resume.get(token_hash)
        session = None if citizen_id is None else self.session_of(citizen_id)
        if citizen_id is None or session is None:
            raise NotInRoom("", "resume")
        self._citizen_links.setdefault(citizen_id, set()).add(connection)
        if self._citizen_grace.pop(citizen_id, None) is None:
            return citizen_id, []  # a second tab, or back before the drop was seen
        return citizen_id, [CitizenReconnected(session)]

    def check_can_request(self, citizen_id: str) -> None:
        """Raise if this citizen already waits or is in a session."""
        if self._request_of(citizen_id) is not None or self.session_of(citizen_id):
            raise AlreadyWaiting(citizen_id)

    def request(
        self,
        citizen_id: str,
        case_id: str,
        skill: Skill,
        now: datetime,
        priority: bool = False,
        preferred: str | None = None,
    ) -> list[PoolEvent]:
        """Queue a request; ``priority`` (a reservation due now) goes first.

        A ``preferred`` staff member (the one reserved) gets the offer when
        available; otherwise the request is offered like any other.
        """
        self.check_can_request(citizen_id)
        request = WaitingRequest(
            case_id, citizen_id, skill, now, priority, preferred=preferred
        )
        if priority:
            index = next(
                (i for i, r in enumerate(self._waiting) if not r.priority),
                len(self._waiting),
            )
            self._waiting.insert(index, request)
        else:
            self._waiting.append(request)
        return self._dispatch(now)

    def cancel(
        self,
        citizen_id: str,
        now: datetime,
        reason: EndReason = EndReason.CITIZEN_CANCELLED,
    ) -> list[PoolEvent]:
        request = self._request_of(citizen_id)
        if request is None:
            raise NotWaiting(citizen_id)
        return self._drop_request(request, reason, now)

    def citizen_gone(self, citizen_id: str, now: datetime) -> list[PoolEvent]:
        """Take a request back without a trace: its case was never stored.

        Its open offer is withdrawn and offers move on; no request-ended event,
        since there is no case to end.
        """
        request = self._request_of(citizen_id)
        if request is None:
            return []
        events = [
            e
            for e in self._drop_request(request, EndReason.CITIZEN_CANCELLED, now)
            if not (isinstance(e, RequestEnded) and e.case_id == request.case_id)
        ]
        return events

    def citizen_left(
        self, citizen_id: str, now: datetime, connection: str = ""
    ) -> list[PoolEvent]:
        """A citizen's connection closed: end whatever they had going.

        A citizen in session who holds a resume token has the reconnect grace
        period to come back; while another of their connections is open (a
        reload's new page arrived before the old one left), nothing happens.
        """
        request = self._request_of(citizen_id)
        if request is not None:
            return self._drop_request(
                request, EndReason.CITIZEN_LEFT_WHILE_WAITING, now
            )
        session = self.session_of(citizen_id)
        if session is None:
            return []
        links = self._citizen_links.get(citizen_id)
        if links is not None:
            links.discard(connection)
            if links:
                return []
        resumable = citizen_id in self._resume.values()
        if resumable and self.rules.reconnect_grace > timedelta(0):
            if citizen_id in self._citizen_grace:
                return []
            deadline = now + self.rules.reconnect_grace
            self._citizen_grace[citizen_id] = deadline
            return [CitizenConnectionLost(session, deadline)]
        events = self._end_session(
            session.room_id, EndReason.CONNECTION_LOST, Party.CITIZEN, now
        )
        return events + self._settle(now)

    # -- internals ----------------------------------------------------------

    def _request_of(self, citizen_id: str) -> WaitingRequest | None:
        return next((r for r in self._waiting if r.citizen_id == citizen_id), None)

    def _request_by_case(self, case_id: str) -> WaitingRequest:
        return next(r for r in self._waiting if r.case_id == case_id)

    def _drop_request(
        self, request: WaitingRequest, reason: EndReason, now: datetime
    ) -> list[PoolEvent]:
        events: list[PoolEvent] = []
        if request.offer_id is not None:
            events += self._close_offer(
                request.offer_id, EventKind.OFFER_WITHDRAWN, now
            )
        self._waiting.remove(request)
        events.append(RequestEnded(request.case_id, request.citizen_id, reason, now))
        return events + self._settle(now)
