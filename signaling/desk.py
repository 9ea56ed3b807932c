"""The desk: runs each command on the pool, keeps its cases, opens and closes rooms.

One lock orders commands, so the pool, the stored cases and what parties are told
never disagree. Media negotiation runs outside the lock. What commands do to the
cases, what the parties hear and the rounds on the clock are mixed in from
desk_cases.py, desk_announce.py and desk_clock.py.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from counseling.cases import Case, Party
from counseling.chat import ChatMessage, clean_text
from counseling.hours import ClosingSoon, ServiceHours
from counseling.ports import CaseRecords, CaseRepository, ChatLog, ReservationBook
from counseling.reservations import JoinTokenUnknown, Reservation
from counseling.services import Service, Skill
from counseling.staff import StaffAccount, StaffRole
from interpreter_pool.errors import NotInRoom
from interpreter_pool.events import (
    AwayReason,
    OfferClosed,
    PoolEvent,
    Session,
    StaffStatus,
)
from interpreter_pool.pool import Pool, QueueEntry, new_id
from signaling.after_release import AfterRelease
from signaling.desk_announce import (
    CITIZEN_LABEL,
    ESTIMATE_STEP_SECONDS,
    DeskAnnounce,
    started_notice,
    token_hash,
)
from signaling.desk_cases import STORED_CASES_KEPT, DeskCases
from signaling.desk_clock import CLOSING_WARNING, REFRESH_SECONDS, DeskClock
from signaling.parties import RoomParties, sender_name, sender_party, sender_role
from signaling.payloads import (
    ChatMessageNotice,
    OfferNotice,
    PeerInfo,
    QueuePosition,
    SessionStartedNotice,
    StaffPresenceNotice,
    StaffStatusNotice,
)
from signaling.ports import Liveness, MediaRooms, Notifier, PoolStore

if TYPE_CHECKING:
    from signaling.consent_desk import ConsentDesk

# Importable from here, as before the desk's concerns moved to their own modules.
__all__ = [
    "CITIZEN_LABEL",
    "CLOSING_WARNING",
    "ESTIMATE_STEP_SECONDS",
    "REFRESH_SECONDS",
    "STORED_CASES_KEPT",
    "Desk",
    "token_hash",
    "utc_now",
]

T = TypeVar("T")


def utc_now() -> datetime:
    return datetime.now(UTC)


class Desk(DeskCases, DeskAnnounce, DeskClock):
    """Application service between the transports and the pure pool.

    Every command is one store transaction: the pool is changed, the cases are
    recorded and stored, and the parties are told, before the next command runs,
    in this process or (with Redis) in any other.
    """

    def __init__(
        self,
        store: PoolStore,
        cases: CaseRepository,
        chat: ChatLog,
        media: MediaRooms,
        notifier: Notifier,
        hours: Callable[[], ServiceHours] | None = None,
        clock: Callable[[], datetime] = utc_now,
        make_id: Callable[[], str] = new_id,
        refuse_past_close: bool = True,
        reservations: ReservationBook | None = None,
        liveness: Liveness | None = None,
        records: CaseRecords | None = None,
    ) -> None:
        self._records = records
        # Cases as this process last stored them, while no other process can
        # have written them (see PoolStore.changes_elsewhere).
        self._stored: OrderedDict[str, tuple[Case, int]] = OrderedDict()
        self._seen_elsewhere = 0
        self._dashboard_stale = True
        self._reservations = reservations
        self._liveness = liveness
        self._hours = hours
        self._refuse_past_close = refuse_past_close
        self._warned: set[tuple[Service, datetime]] = set()
        # Queue notices wait for the command that made them to let go of the
        # pool (they can be many); each carries its round, for stale ones.
        self._queue_notices: list[tuple[str, QueuePosition]] = []
        self._store: PoolStore = AfterRelease(store, self._send_queue_notices)
        self._cases = cases
        self._chat = chat
        self._media = media
        self._notifier = notifier
        self._clock = clock
        self._make_id = make_id
        self._wake = asyncio.Event()
        self._next_deadline: datetime | None = None
        # Rooms of more than two: invites, counselors, transfers, listening in.
        self.rooms = RoomParties(self, media, notifier, make_id, liveness=liveness)
        # Consent and recording (signaling/consent_desk.py), set at start-up.
        self.consent: ConsentDesk | None = None

    async def run(
        self, command: Callable[[Pool, datetime], tuple[T, list[PoolEvent]]]
    ) -> T:
        """Run a pool command under the lock, then record, store and announce
        its events like every other command; returns what the command returns."""
        async with self._store.transaction() as pool:
            result, events = command(pool, self._now())
            await self._apply(pool, events)
            return result

    # -- staff --------------------------------------------------------------

    async def staff_connected(
        self, account: StaffAccount, connection: str
    ) -> StaffStatusNotice | None:
        """A staff tab connected; interpreters join the pool. Returns their state."""
        async with self._store.transaction() as pool:
            if account.role is StaffRole.INTERPRETER:
                events = pool.staff_online(
                    account.id,
                    account.skills,
                    self._now(),
                    connection,
                    account.display_name,
                    account.departments,
                )
                await self._apply(pool, events)
            presence = pool.presence(account.id)
        if self._liveness is not None and presence is not None:
            await self._liveness.joined("staff", account.id, connection)
        return None if presence is None else self._status_notice(presence)

    async def staff_disconnected(self, staff_id: str, connection: str) -> None:
        async with self._store.transaction() as pool:
            events = pool.staff_offline(staff_id, self._now(), connection)
            events += pool.connection_gone(staff_id, connection, self._now())
            await self._apply(pool, events)
        if self._liveness is not None:
            await self._liveness.left("staff", staff_id, connection)

    async def everyone(self) -> list[StaffPresenceNotice]:
        async with self._store.transaction() as pool:
            return [self._presence_notice(pool, p) for p in pool.everyone()]

    async def open_offer_notice(self, staff_id: str) -> OfferNotice | None:
        async with self._store.transaction() as pool:
            offer = pool.open_offer(staff_id)
            return None if offer is None else self._offer_notice(offer)

    async def current_session(self, party_id: str) -> SessionStartedNotice | None:
        async with self._store.transaction() as pool:
            session = pool.session_of(party_id)
        if session is None:
            return None
        return started_notice(
            session, PeerInfo(role=Party.CITIZEN, display_name=CITIZEN_LABEL)
        )

    async def set_presence(
        self, staff_id: str, status: StaffStatus, reason: AwayReason | None
    ) -> StaffStatusNotice:
        async with self._store.transaction() as pool:
            events = pool.set_presence(staff_id, status, self._now(), reason)
            await self._apply(pool, events)
            presence = pool.presence(staff_id)
            assert presence is not None
            return self._status_notice(presence)

    async def accept(self, staff_id: str, offer_id: str) -> None:
        async with self._store.transaction() as pool:
            events = pool.accept(staff_id, offer_id, self._now(), self._media.node)
            await self._apply(pool, events)

    async def decline(self, staff_id: str, offer_id: str) -> None:
        async with self._store.transaction() as pool:
            await self._apply(pool, pool.decline(staff_id, offer_id, self._now()))

    # -- citizens -----------------------------------------------------------

    async def request(
        self,
        citizen_id: str,
        skill: Skill,
        priority: bool = False,
        join_token: str | None = None,
    ) -> QueueEntry:
        """Open a case and queue it; returns the citizen's place in the queue.

        ``priority`` puts the request ahead of others. A reservation's
        ``join_token``, valid now, does that and asks for the reserved
        interpreter first; service hours are not checked again, since the
        reservation was booked inside them.
        """
        reservation: Reservation | None = None
        if join_token is not None:
            if self._reservations is None:
                raise JoinTokenUnknown
            claim = await self._reservations.claim(join_token, self._now())
            reservation = claim.reservation
            skill, priority = reservation.skill, True
        async with self._store.transaction() as pool:
            now = self._now()
            case = Case.open(
                self._make_id(),
                skill,
                now,
                None if reservation is None else reservation.id,
            )
            # Check first, so a refused request leaves nothing behind.
            pool.check_can_request(citizen_id)
            if reservation is None:
                self._check_hours(pool, skill, now)
            events = pool.request(
                citizen_id,
                case.id,
                skill,
                now,
                priority,
                None if reservation is None else reservation.staff_id,
            )
            try:
                await self._apply(pool, events, new_case=case)
            except Exception:
                # Not stored: take the request back, so no one holds an offer
                # for a case that does not exist, and let the error reach the ack.
                undo = pool.citizen_gone(citizen_id, now)
                withdrawn: list[PoolEvent] = [
                    e
                    for e in undo
                    if isinstance(e, OfferClosed) and e.offer.case_id == case.id
                ]
                await self._announce_all(pool, withdrawn)
                await self._apply(pool, [e for e in undo if e not in withdrawn])
                raise
            entry = pool.queue_entry(citizen_id, now)
            return entry or QueueEntry(case.id, citizen_id, skill, 1, 0.0)

    async def cancel(self, citizen_id: str) -> None:
        async with self._store.transaction() as pool:
            await self._apply(pool, pool.cancel(citizen_id, self._now()))

    async def citizen_connected(self, citizen_id: str) -> None:
        if self._liveness is not None:
            await self._liveness.joined("citizen", citizen_id, citizen_id)

    async def citizen_left(
        self, citizen_id: str, connection: str | None = None
    ) -> None:
        """A citizen's connection closed (``connection``: which, after a resume)."""
        link = citizen_id if connection is None else connection
        async with self._store.transaction() as pool:
            await self._apply(pool, pool.citizen_left(citizen_id, self._now(), link))
        if self._liveness is not None:
            await self._liveness.left("citizen", citizen_id, link)

    async def resume(
        self, connected_as: str, token: str, connection: str
    ) -> tuple[str, SessionStartedNotice]:
        """A citizen's new connection (``connected_as``, a fresh id) takes up the
        session its resume token belongs to; returns the session's citizen id.

        Raises NotInRoom when the token is unknown or its session is over.
        """
        async with self._store.transaction() as pool:
            citizen_id, events = pool.resume(token_hash(token), self._now(), connection)
            await self._apply(pool, events)
            session = pool.session_of(citizen_id)
            assert session is not None
            interpreter = PeerInfo(
                role=Party.INTERPRETER, display_name=pool.name_of(session.staff_id)
            )
        if self._liveness is not None:
            await self._liveness.left("citizen", connected_as, connected_as)
            await self._liveness.joined("citizen", citizen_id, connection)
        return citizen_id, started_notice(session, interpreter, token)

    # -- either side --------------------------------------------------------

    async def hang_up(self, party_id: str, room_id: str) -> None:
        async with self._store.transaction() as pool:
            await self._apply(pool, pool.hang_up(party_id, room_id, self._now()))

    async def connect_media(self, party_id: str, room_id: str, offer_sdp: str) -> str:
        async with self._store.transaction() as pool:
            session = pool.session_of(party_id)
        if session is None or session.room_id != room_id:
            raise NotInRoom(room_id, party_id)
        answer = await self._media.connect(
            room_id, party_id, offer_sdp, owner=session.media_node
        )
        await self.rooms.connected(session, party_id)
        return answer

    async def send_chat(
        self, party_id: str, room_id: str, text: str
    ) -> ChatMessageNotice:
        """Add a message to the room's transcript and give it to both parties."""
        cleaned = clean_text(text)
        async with self._store.transaction() as pool:
            session = self._session_in(pool, party_id, room_id)
            by_citizen = party_id == session.citizen_id
            seq = len(await self._chat.transcript(session.case_id))
            message = ChatMessage(
                session.case_id,
                seq,
                self._now(),
                sender_role(session, party_id),
                None if by_citizen else party_id,
                cleaned,
            )
            await self._chat.append(message)
            notice = self._chat_notice(pool, session, message)
            await self.rooms.tell_chat(session, notice)
            return notice

    async def chat_history(
        self, party_id: str, room_id: str
    ) -> list[ChatMessageNotice]:
        async with self._store.transaction() as pool:
            session = self._session_in(pool, party_id, room_id)
            transcript = await self._chat.transcript(session.case_id)
            return [self._chat_notice(pool, session, m) for m in transcript]

    @staticmethod
    def _session_in(pool: Pool, party_id: str, room_id: str) -> Session:
        session = pool.session_of(party_id)
        if session is None or session.room_id != room_id:
            raise NotInRoom(room_id, party_id)
        return session

    @staticmethod
    def _chat_notice(
        pool: Pool, session: Session, message: ChatMessage
    ) -> ChatMessageNotice:
        return ChatMessageNotice(
            room_id=session.room_id,
            case_id=message.case_id,
            seq=message.seq,
            sender=message.sender,
            sender_party=sender_party(session, message),
            sender_name=sender_name(pool, session, message),
            text=message.text,
            at=message.at,
        )

    # -- internals ----------------------------------------------------------

    def _now(self) -> datetime:
        return self._clock()

    def _check_hours(self, pool: Pool, skill: Skill, now: datetime) -> None:
        """Refuse outside the service's hours, or when the wait runs past closing."""
        if self._hours is None:
            return
        hours = self._hours()
        hours.ensure_open(skill.service, now)
        closes_at = hours.next_close(skill.service, now)
        if not self._refuse_past_close or closes_at is None:
            return
        wait = pool.estimate_for_new(skill, now)
        if wait is None:
            return
        if now + timedelta(seconds=wait) >= closes_at:
            next_open = hours.next_open(skill.service, closes_at)
            raise ClosingSoon(
                skill.service,
                closes_at.astimezone(hours.tz),
                None if next_open is None else next_open.astimezone(hours.tz),
            )
