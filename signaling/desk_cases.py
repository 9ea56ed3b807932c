"""The desk's cases: pool events recorded on them and stored, one command at a
time, with the stored copies kept in memory. Mixed into the Desk."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from counseling.cases import Case, EndReason, Party
from counseling.ports import CaseRecords, CaseRepository
from counseling.records import FeedbackInvite
from counseling.services import Service
from interpreter_pool.events import (
    OfferClosed,
    OfferMade,
    PoolEvent,
    RequestEnded,
    Session,
    SessionEnded,
    SessionStarted,
)
from interpreter_pool.pool import Pool
from signaling.parties import RoomParties
from signaling.ports import MediaRooms, PoolStore

log = logging.getLogger(__name__)

# Cases kept in memory after a command (a busy hour holds a few hundred open).
STORED_CASES_KEPT = 2000


class DeskCases:
    """The Desk's case records: what each command's events do to the cases."""

    if TYPE_CHECKING:
        rooms: RoomParties
        _store: PoolStore
        _cases: CaseRepository
        _records: CaseRecords | None
        _media: MediaRooms
        _stored: OrderedDict[str, tuple[Case, int]]
        _seen_elsewhere: int

        def _now(self) -> datetime: ...

        async def _announce(self, pool: Pool, event: PoolEvent) -> None: ...

        async def _tell_queue(self, pool: Pool) -> None: ...

        def _watch_picture(self, session: Session) -> None: ...

    async def note_case(self, case_id: str, note: Callable[[Case], None]) -> None:
        """Add steps to a case outside a pool command (consent, recording),
        under the same lock, so no command's save and this one cross."""
        async with self._store.transaction():
            case = await self._case(case_id, {})
            kept = self._stored.get(case_id)
            note(case)
            try:
                await self._cases.save(case, None if kept is None else kept[1])
            except BaseException:
                self._stored.clear()
                raise
            self._remember(case)

    async def close_interrupted(self) -> int:
        """End the cases a previous run left open; returns how many.

        A case still open at start-up that the pool does not know (no process
        holds it waiting or in session) can never continue. It ends at its last
        recorded moment, the last time it was known to be alive, so waits are not
        inflated by the downtime. Call at start-up, before accepting connections.
        """
        async with self._store.transaction() as pool:
            alive = pool.live_cases()
            interrupted = [
                c for c in await self._cases.unfinished() if c.id not in alive
            ]
            for case in interrupted:
                last = case.events[-1].at if case.events else case.requested_at
                case.end(EndReason.SERVICE_INTERRUPTED, Party.SYSTEM, last)
                await self._cases.save(case)
            return len(interrupted)

    async def _apply(
        self, pool: Pool, events: list[PoolEvent], new_case: Case | None = None
    ) -> None:
        """Record events on their cases, store them, then tell the parties.

        Offers go out first, while the cases are being stored: an offer is only
        a question to an interpreter, and answering it needs this command (which
        holds the pool) to finish storing. If storing fails, the command raises
        and the caller withdraws what it offered.
        """
        offered = False
        for event in events:
            if isinstance(event, OfferMade):
                await self._announce(pool, event)
                offered = True
        if offered:
            # An emit only queues the packet for the socket's writer task; let
            # it run now, so the offer leaves before the case writes' CPU work.
            await asyncio.sleep(0)
        touched: dict[str, Case] = {} if new_case is None else {new_case.id: new_case}
        try:
            for event in events:
                await self._record(event, touched)
            if new_case is not None:
                await self._cases.add(touched.pop(new_case.id))
                self._remember(new_case)
            for case in touched.values():
                stored = self._stored.get(case.id)
                await self._cases.save(case, None if stored is None else stored[1])
                self._remember(case)
        except BaseException:
            self._stored.clear()  # what is in memory may not be what is stored
            raise
        for event in events:
            if not isinstance(event, OfferMade):
                await self._announce(pool, event)
        await self._tell_queue(pool)

    async def _invite_feedback(self, case_id: str) -> FeedbackInvite | None:
        """A one-time satisfaction token for the citizen; never blocks the end."""
        if self._records is None:
            return None
        invite = FeedbackInvite.new(self._now())
        try:
            await self._records.issue_feedback(
                case_id, invite.token_hash, invite.expires_at
            )
        except Exception:
            log.exception("no feedback token for case %s", case_id)
            return None
        return invite

    def _remember(self, case: Case) -> None:
        """Keep the case as stored, for the next command on it (skips a read)."""
        self._stored[case.id] = (case, len(case.events))
        self._stored.move_to_end(case.id)
        while len(self._stored) > STORED_CASES_KEPT:
            self._stored.popitem(last=False)

    async def _case(self, case_id: str, touched: dict[str, Case]) -> Case:
        elsewhere = self._store.changes_elsewhere()
        if elsewhere != self._seen_elsewhere:
            self._stored.clear()  # another process may have written any case
            self._seen_elsewhere = elsewhere
        kept = self._stored.get(case_id)
        if kept is not None and len(kept[0].events) != kept[1]:
            kept = None  # changed in memory but not stored: read it again
            del self._stored[case_id]
        case = (
            touched.get(case_id)
            or (None if kept is None else kept[0])
            or await self._cases.get(case_id)
        )
        if case is None:
            raise LookupError(f"case {case_id} is not stored")
        touched[case_id] = case
        return case

    async def _record(self, event: PoolEvent, touched: dict[str, Case]) -> None:
        if await self.rooms.record(event, touched, self._case):
            return
        match event:
            case OfferMade(offer):
                case = await self._case(offer.case_id, touched)
                case.offer(offer.staff_id, offer.made_at)
            case OfferClosed(offer, kind, at):
                case = await self._case(offer.case_id, touched)
                case.withdraw_offer(offer.staff_id, kind, at)
            case SessionStarted(session):
                case = await self._case(session.case_id, touched)
                case.answer(session.staff_id, session.started_at)
                self._media.open_room(
                    session.room_id, (session.citizen_id, session.staff_id)
                )
                if session.skill.service is Service.SIGN_LANGUAGE:
                    self._watch_picture(session)
            case SessionEnded(session, reason, by, at):
                case = await self._case(session.case_id, touched)
                case.end(reason, by, at)
            case RequestEnded(case_id, _, reason, at):
                case = await self._case(case_id, touched)
                by = (
                    Party.SYSTEM
                    if reason is EndReason.DECLINED_BY_ALL
                    else Party.CITIZEN
                )
                case.end(reason, by, at)
            case _:
                return
