"""The desk: runs each command on the pool, keeps its cases, opens and closes rooms.

One lock orders commands, so the pool, the stored cases and what parties are told
never disagree. Media negotiation runs outside the lock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from counseling.cases import Case, EndReason, Party
from counseling.ports import CaseRepository, StaffDirectory
from counseling.services import Skill
from counseling.staff import StaffAccount
from interpreter_pool.errors import NotInRoom
from interpreter_pool.events import (
    Offer,
    OfferClosed,
    OfferMade,
    PoolEvent,
    PositionChanged,
    Queued,
    RequestEnded,
    Session,
    SessionEnded,
    SessionStarted,
    StaffStatus,
    StaffStatusChanged,
)
from interpreter_pool.pool import Pool, new_id
from signaling.ports import MediaRooms, Notifier
from signaling.protocol import (
    OfferClosedNotice,
    OfferNotice,
    PeerInfo,
    QueuePosition,
    RequestEndedNotice,
    SessionEndedNotice,
    SessionStartedNotice,
    StaffStatusNotice,
)

log = logging.getLogger(__name__)

CITIZEN_LABEL = "Citizen"


def utc_now() -> datetime:
    return datetime.now(UTC)


def _started(session: Session, peer: PeerInfo) -> SessionStartedNotice:
    return SessionStartedNotice(
        room_id=session.room_id,
        case_id=session.case_id,
        service=session.skill.service,
        language=session.skill.language,
        peer=peer,
    )


class Desk:
    """Application service between the transports and the pure pool."""

    def __init__(
        self,
        pool: Pool,
        cases: CaseRepository,
        staff: StaffDirectory,
        media: MediaRooms,
        notifier: Notifier,
        clock: Callable[[], datetime] = utc_now,
        make_id: Callable[[], str] = new_id,
    ) -> None:
        self._pool = pool
        self._cases = cases
        self._staff = staff
        self._media = media
        self._notifier = notifier
        self._clock = clock
        self._make_id = make_id
        self._lock = asyncio.Lock()
        self._live: dict[str, Case] = {}
        self._names: dict[str, str] = {}
        self._wake = asyncio.Event()

    async def close_interrupted(self) -> int:
        """End the cases a previous run left open; returns how many.

        Live state (queues, offers, rooms) is in the process, so a case still
        open at start-up can never continue. It ends at its last recorded moment,
        the last time it was known to be alive, so waits are not inflated by the
        downtime. Call once at start-up, before any connection is accepted.
        """
        async with self._lock:
            interrupted = await self._cases.unfinished()
            for case in interrupted:
                last = case.events[-1].at if case.events else case.requested_at
                case.end(EndReason.SERVICE_INTERRUPTED, Party.SYSTEM, last)
                await self._cases.save(case)
            return len(interrupted)

    # -- staff --------------------------------------------------------------

    async def staff_connected(self, account: StaffAccount) -> StaffStatus:
        async with self._lock:
            self._names[account.id] = account.display_name
            await self._apply(
                self._pool.staff_online(account.id, account.skills, self._now())
            )
            return self._pool.staff_status(account.id)

    async def staff_disconnected(self, staff_id: str) -> None:
        async with self._lock:
            await self._apply(self._pool.staff_offline(staff_id, self._now()))

    def staff_status(self, staff_id: str) -> StaffStatus:
        return self._pool.staff_status(staff_id)

    def open_offer_notice(self, staff_id: str) -> OfferNotice | None:
        offer = self._pool.open_offer(staff_id)
        return None if offer is None else self._offer_notice(offer)

    async def set_available(self, staff_id: str, available: bool) -> StaffStatus:
        async with self._lock:
            await self._apply(
                self._pool.set_available(staff_id, available, self._now())
            )
            return self._pool.staff_status(staff_id)

    async def accept(self, staff_id: str, offer_id: str) -> None:
        async with self._lock:
            await self._apply(self._pool.accept(staff_id, offer_id, self._now()))

    async def decline(self, staff_id: str, offer_id: str) -> None:
        async with self._lock:
            await self._apply(self._pool.decline(staff_id, offer_id, self._now()))

    # -- citizens -----------------------------------------------------------

    async def request(self, citizen_id: str, skill: Skill) -> tuple[str, int]:
        """Open a case and queue it; returns the case id and the queue position."""
        async with self._lock:
            now = self._now()
            case = Case.open(self._make_id(), skill, now)
            # Check before storing so a refused request leaves nothing behind.
            self._pool.check_can_request(citizen_id)
            await self._cases.add(case)
            self._live[case.id] = case
            events = self._pool.request(citizen_id, case.id, skill, now)
            await self._apply(events)
            position = self._pool.position(citizen_id)
            return case.id, position or 1

    async def cancel(self, citizen_id: str) -> None:
        async with self._lock:
            await self._apply(self._pool.cancel(citizen_id, self._now()))

    async def citizen_left(self, citizen_id: str) -> None:
        async with self._lock:
            await self._apply(self._pool.citizen_left(citizen_id, self._now()))

    # -- either side --------------------------------------------------------

    async def hang_up(self, party_id: str, room_id: str) -> None:
        async with self._lock:
            await self._apply(self._pool.hang_up(party_id, room_id, self._now()))

    async def connect_media(self, party_id: str, room_id: str, offer_sdp: str) -> str:
        session = self._pool.session_of(party_id)
        if session is None or session.room_id != room_id:
            raise NotInRoom(room_id, party_id)
        return await self._media.connect(room_id, party_id, offer_sdp)

    # -- time ---------------------------------------------------------------

    async def expire_offers(self) -> None:
        async with self._lock:
            await self._apply(self._pool.expire(self._now()))

    async def run_timers(self) -> None:
        """Expire offers on time; runs until cancelled."""
        while True:
            self._wake.clear()
            due = self._pool.next_expiry()
            timeout = None
            if due is not None:
                timeout = max(0.0, (due - self._now()).total_seconds())
            try:
                await asyncio.wait_for(self._wake.wait(), timeout)
            except TimeoutError:
                await self.expire_offers()

    # -- internals ----------------------------------------------------------

    def _now(self) -> datetime:
        return self._clock()

    async def _case(self, case_id: str) -> Case:
        case = self._live.get(case_id)
        if case is None:
            stored = await self._cases.get(case_id)
            if stored is None:
                raise LookupError(f"case {case_id} is not stored")
            case = self._live[case_id] = stored
        return case

    def _offer_notice(self, offer: Offer) -> OfferNotice:
        return OfferNotice(
            offer_id=offer.id,
            case_id=offer.case_id,
            service=offer.skill.service,
            language=offer.skill.language,
            expires_at=offer.expires_at,
            timeout_seconds=(offer.expires_at - offer.made_at).total_seconds(),
        )

    async def _apply(self, events: list[PoolEvent]) -> None:
        """Record events on their cases, store them, then tell the parties."""
        touched: dict[str, Case] = {}
        for event in events:
            await self._record(event, touched)
        for case in touched.values():
            await self._cases.save(case)
            if case.end_reason is not None:
                self._live.pop(case.id, None)
        for event in events:
            await self._announce(event)
        self._wake.set()

    async def _record(self, event: PoolEvent, touched: dict[str, Case]) -> None:
        match event:
            case OfferMade(offer):
                case = await self._case(offer.case_id)
                case.offer(offer.staff_id, offer.made_at)
            case OfferClosed(offer, kind, at):
                case = await self._case(offer.case_id)
                case.withdraw_offer(offer.staff_id, kind, at)
            case SessionStarted(session):
                case = await self._case(session.case_id)
                case.answer(session.staff_id, session.started_at)
                self._media.open_room(
                    session.room_id, (session.citizen_id, session.staff_id)
                )
            case SessionEnded(session, reason, by, at):
                case = await self._case(session.case_id)
                case.end(reason, by, at)
            case RequestEnded(case_id, _, reason, at):
                case = await self._case(case_id)
                by = (
                    Party.SYSTEM
                    if reason is EndReason.DECLINED_BY_ALL
                    else Party.CITIZEN
                )
                case.end(reason, by, at)
            case _:
                return
        touched[case.id] = case

    async def _announce(self, event: PoolEvent) -> None:
        n = self._notifier
        match event:
            case Queued(case_id, citizen_id, position) | PositionChanged(
                case_id, citizen_id, position
            ):
                await n.to_citizen(
                    citizen_id,
                    "queue_position",
                    QueuePosition(case_id=case_id, position=position),
                )
            case StaffStatusChanged(staff_id, status):
                await n.to_staff(staff_id, "status", StaffStatusNotice(status=status))
            case OfferMade(offer):
                await n.to_staff(offer.staff_id, "offer", self._offer_notice(offer))
            case OfferClosed(offer, kind, _):
                await n.to_staff(
                    offer.staff_id,
                    "offer_closed",
                    OfferClosedNotice(offer_id=offer.id, reason=kind),
                )
            case SessionStarted(session):
                interpreter = PeerInfo(
                    role=Party.INTERPRETER,
                    display_name=self._names.get(session.staff_id, ""),
                )
                citizen = PeerInfo(role=Party.CITIZEN, display_name=CITIZEN_LABEL)
                await n.to_citizen(
                    session.citizen_id,
                    "session_started",
                    _started(session, interpreter),
                )
                await n.to_staff(
                    session.staff_id, "session_started", _started(session, citizen)
                )
            case SessionEnded(session, reason, by, _):
                await self._media.close_room(session.room_id)
                notice = SessionEndedNotice(
                    room_id=session.room_id,
                    case_id=session.case_id,
                    reason=reason,
                    ended_by=by,
                )
                await n.to_citizen(session.citizen_id, "session_ended", notice)
                await n.to_staff(session.staff_id, "session_ended", notice)
            case RequestEnded(case_id, citizen_id, reason, _):
                await n.to_citizen(
                    citizen_id,
                    "request_ended",
                    RequestEndedNotice(case_id=case_id, reason=reason),
                )
            case _:
                pass
