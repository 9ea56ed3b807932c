"""The desk: runs each command on the pool, keeps its cases, opens and closes rooms.

One lock orders commands, so the pool, the stored cases and what parties are told
never disagree. Media negotiation runs outside the lock.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from counseling.cases import Case, EndReason, Party
from counseling.chat import ChatMessage, clean_text
from counseling.hours import ClosingSoon, ServiceHours
from counseling.ports import CaseRecords, CaseRepository, ChatLog, ReservationBook
from counseling.records import FeedbackInvite
from counseling.reservations import JoinTokenUnknown, Reservation
from counseling.services import Service, Skill
from counseling.staff import StaffAccount, StaffRole
from interpreter_pool.errors import NotInRoom
from interpreter_pool.events import (
    AwayReason,
    CitizenConnectionLost,
    CitizenReconnected,
    Offer,
    OfferClosed,
    OfferMade,
    PoolEvent,
    RequestEnded,
    Session,
    SessionEnded,
    SessionStarted,
    StaffConnectionLost,
    StaffReconnected,
    StaffStatus,
    StaffStatusChanged,
)
from interpreter_pool.pool import Pool, QueueEntry, new_id
from signaling.after_release import AfterRelease
from signaling.dashboard import build_dashboard, presence_notice
from signaling.parties import (
    HELD,
    RoomParties,
    sender_name,
    sender_party,
    sender_role,
)
from signaling.payloads import (
    ChatMessageNotice,
    DashboardNotice,
    OfferClosedNotice,
    OfferNotice,
    PeerInfo,
    PeerReconnected,
    PeerReconnecting,
    PictureAdvice,
    QueuePosition,
    RequestEndedNotice,
    ServiceClosingNotice,
    SessionEndedNotice,
    SessionStartedNotice,
    StaffPresenceNotice,
    StaffStatusNotice,
    VideoQualityNotice,
)
from signaling.ports import (
    Liveness,
    LocalSupervisors,
    MediaRooms,
    Notifier,
    PoolStore,
)

if TYPE_CHECKING:
    from signaling.consent_desk import ConsentDesk

log = logging.getLogger(__name__)
T = TypeVar("T")

CITIZEN_LABEL = "Citizen"
# Waiting citizens hear again when their estimate moves by this much.
ESTIMATE_STEP_SECONDS = 10.0
# How often estimates are refreshed while nothing else happens.
REFRESH_SECONDS = 15.0
CLOSING_WARNING = timedelta(minutes=10)
# Cases kept in memory after a command (a busy hour holds a few hundred open).
STORED_CASES_KEPT = 2000


def utc_now() -> datetime:
    return datetime.now(UTC)


def _started(
    session: Session, peer: PeerInfo, resume_token: str | None = None
) -> SessionStartedNotice:
    return SessionStartedNotice(
        room_id=session.room_id,
        case_id=session.case_id,
        service=session.skill.service,
        language=session.skill.language,
        peer=peer,
        resume_token=resume_token,
    )


def token_hash(token: str) -> str:
    """What the pool keeps of a resume token: never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


class Desk:
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
        return _started(
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
        return citizen_id, _started(session, interpreter, token)

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

    # -- time ---------------------------------------------------------------

    async def tick(self) -> None:
        """Do what is due; without the lock when a snapshot shows nothing is."""
        snapshot = await self._store.snapshot()
        if not snapshot.needs_tick(self._now(), ESTIMATE_STEP_SECONDS):
            self._next_deadline = snapshot.next_deadline()
            return
        async with self._store.transaction() as pool:
            await self._apply(pool, pool.tick(self._now()))

    async def run_timers(self) -> None:
        """Lapse offers, end wrap-ups and grace periods, refresh estimates."""
        while True:
            self._wake.clear()
            timeout = REFRESH_SECONDS
            if self._next_deadline is not None:
                until = (self._next_deadline - self._now()).total_seconds()
                timeout = min(timeout, max(0.0, until))
            try:
                # Not wait_for: on Python 3.11 it returns, swallowing a
                # cancel, when the wake comes in the same turn as the cancel,
                # and shutting down would wait for this loop forever.
                async with asyncio.timeout(timeout):
                    await self._wake.wait()
            except TimeoutError:
                try:
                    await self.tick()
                    await self.warn_closing()
                    await self.release_no_shows()
                except Exception:
                    log.exception("timer tick failed; trying again later")

    async def dashboard(self) -> DashboardNotice:
        """What supervisors see: every queue, staff member and session now.

        Read from a snapshot of the pool: it never waits for the lock."""
        pool = await self._store.snapshot()
        return build_dashboard(pool, self._now())

    async def run_dashboard(
        self, supervisors: LocalSupervisors, every_seconds: float = 1.0
    ) -> None:
        """Show the dashboard to the supervisors connected to this process after
        the pool changed (in any process), at most once every ``every_seconds``,
        and at least every 15 s (waits grow while queued). Nothing is built
        while none is connected, and building never takes the lock."""
        quiet, seen = 0.0, -1
        while True:
            await asyncio.sleep(every_seconds)
            quiet += every_seconds
            if not supervisors.supervisors_here():
                seen = -1  # whoever connects is shown the dashboard at once
                continue
            try:
                pool = await self._store.snapshot()
                elsewhere = self._store.changes_elsewhere()
                moved = self._dashboard_stale or elsewhere != seen
                if not moved and quiet < REFRESH_SECONDS:
                    continue
                self._dashboard_stale, seen, quiet = False, elsewhere, 0.0
                board = build_dashboard(pool, self._now())
                await supervisors.to_supervisors_here("dashboard", board)
            except Exception:
                log.exception("dashboard push failed; trying again later")

    async def run_liveness(self, every_seconds: float = 5.0) -> None:
        """Keep this process's heartbeat, and let go of dead processes' parties:
        their interpreters go offline (or into their reconnect grace), their
        citizens leave the line, their guests and listening supervisors leave
        their rooms."""
        if self._liveness is None:
            return
        while True:
            try:
                await self._liveness.beat()
                for orphan in await self._liveness.orphans():
                    if orphan.kind == "staff":
                        await self.staff_disconnected(
                            orphan.party_id, orphan.connection
                        )
                    elif orphan.kind in HELD.values():
                        await self.rooms.holder_died(orphan.party_id, orphan.connection)
                    else:
                        await self.citizen_left(orphan.party_id, orphan.connection)
            except Exception:
                log.exception("liveness round failed; trying again later")
            await asyncio.sleep(every_seconds)

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

    async def release_no_shows(self) -> int:
        """Free the slots of reservations nobody joined; each becomes a no-show case.

        The book hands each reservation out once, whichever process asks, so a
        no-show is recorded once however many processes run this.
        """
        if self._reservations is None:
            return 0
        now = self._now()
        released = await self._reservations.release_no_shows(now)
        for reservation in released:
            case = Case.open(
                self._make_id(), reservation.skill, reservation.start, reservation.id
            )
            case.end(EndReason.NO_SHOW, Party.SYSTEM, now)
            await self._cases.add(case)
        return len(released)

    async def warn_closing(self) -> None:
        """Tell staff ten minutes ahead that their service closes."""
        if self._hours is None:
            return
        hours, now = self._hours(), self._now()
        for service in Service:
            closes_at = hours.next_close(service, now)
            if closes_at is None or closes_at - now > CLOSING_WARNING:
                continue
            if (service, closes_at) in self._warned:
                continue
            self._warned = {w for w in self._warned if w[1] > now}
            self._warned.add((service, closes_at))
            # Every process runs this timer; the staff hear it once.
            name = f"closing:{service.value}:{closes_at.isoformat()}"
            ttl = (closes_at - now).total_seconds() + 60
            if not await self._store.claim_once(name, ttl):
                continue
            await self._notifier.to_service_staff(
                service,
                "service_closing",
                ServiceClosingNotice(
                    service=service, closes_at=closes_at.astimezone(hours.tz)
                ),
            )

    def _offer_notice(self, offer: Offer) -> OfferNotice:
        return OfferNotice(
            offer_id=offer.id,
            case_id=offer.case_id,
            service=offer.skill.service,
            language=offer.skill.language,
            expires_at=offer.expires_at,
            timeout_seconds=(offer.expires_at - offer.made_at).total_seconds(),
        )

    @staticmethod
    def _status_notice(presence: StaffStatusChanged) -> StaffStatusNotice:
        return StaffStatusNotice(
            status=presence.status, reason=presence.reason, since=presence.since
        )

    @staticmethod
    def _presence_notice(
        pool: Pool, presence: StaffStatusChanged
    ) -> StaffPresenceNotice:
        return presence_notice(pool, presence)

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

    async def _announce_all(self, pool: Pool, events: list[PoolEvent]) -> None:
        """Tell the parties without recording: for undoing an unstored command."""
        for event in events:
            await self._announce(pool, event)
        await self._tell_queue(pool)

    async def _tell_queue(self, pool: Pool) -> None:
        """Note what waiting citizens are to be told; it goes out once the
        command has let go of the pool (``_send_queue_notices``)."""
        for entry in pool.queue_changes(self._now(), ESTIMATE_STEP_SECONDS):
            notice = QueuePosition(
                case_id=entry.case_id,
                position=entry.position,
                estimated_wait_seconds=entry.estimated_wait,
                seq=pool.queue_seq,
            )
            self._queue_notices.append((entry.citizen_id, notice))
        self._next_deadline = pool.next_deadline()
        self._wake.set()
        self._dashboard_stale = True

    async def _send_queue_notices(self) -> None:
        # Taken before the first await: what a later command notes is its own.
        notices, self._queue_notices = self._queue_notices, []
        for citizen_id, notice in notices:
            try:
                await self._notifier.to_citizen(citizen_id, "queue_position", notice)
            except Exception:
                log.exception("queue notice not sent; the next one will be")

    def _watch_picture(self, session: Session) -> None:
        """Tell a signer what to fix in their picture, as the server sees it."""

        async def advise(codes: list[str]) -> None:
            notice = VideoQualityNotice(
                room_id=session.room_id, advice=[PictureAdvice(c) for c in codes]
            )
            await self._notifier.to_citizen(session.citizen_id, "video_quality", notice)

        try:
            self._media.watch_quality(session.room_id, session.citizen_id, advise)
        except Exception:
            log.exception("room %s: no picture checks", session.room_id)

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

    async def _announce(self, pool: Pool, event: PoolEvent) -> None:
        if await self.rooms.announce(pool, event):
            return
        n = self._notifier
        match event:
            case StaffStatusChanged():
                await n.to_staff(event.staff_id, "status", self._status_notice(event))
                await n.to_supervisors(
                    "staff_presence", self._presence_notice(pool, event)
                )
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
                    role=Party.INTERPRETER, display_name=pool.name_of(session.staff_id)
                )
                citizen = PeerInfo(role=Party.CITIZEN, display_name=CITIZEN_LABEL)
                # A reload keeps the session: the page holds this token for it.
                token = self._make_id()
                pool.allow_resume(
                    session.citizen_id, token_hash(token), session.citizen_id
                )
                await n.to_citizen(
                    session.citizen_id,
                    "session_started",
                    _started(session, interpreter, token),
                )
                await n.to_staff(
                    session.staff_id, "session_started", _started(session, citizen)
                )
                if self.consent is not None:
                    await self.consent.session_started(session)
            case StaffConnectionLost(session, deadline):
                await n.to_citizen(
                    session.citizen_id,
                    "peer_reconnecting",
                    PeerReconnecting(room_id=session.room_id, deadline=deadline),
                )
            case CitizenConnectionLost(session, deadline):
                await n.to_staff(
                    session.staff_id,
                    "peer_reconnecting",
                    PeerReconnecting(room_id=session.room_id, deadline=deadline),
                )
            case CitizenReconnected(session):
                await n.to_staff(
                    session.staff_id,
                    "peer_reconnected",
                    PeerReconnected(room_id=session.room_id),
                )
            case StaffReconnected(session):
                # The reconnecting tab learns its session from the connect handler.
                await n.to_citizen(
                    session.citizen_id,
                    "peer_reconnected",
                    PeerReconnected(room_id=session.room_id),
                )
            case SessionEnded(session, reason, by, _):
                if self.consent is not None:
                    await self.consent.session_ended(session)
                await self._media.close_room(session.room_id, owner=session.media_node)
                notice = SessionEndedNotice(
                    room_id=session.room_id,
                    case_id=session.case_id,
                    reason=reason,
                    ended_by=by,
                )
                invite = await self._invite_feedback(session.case_id)
                await n.to_citizen(
                    session.citizen_id,
                    "session_ended",
                    notice
                    if invite is None
                    else notice.model_copy(
                        update={
                            "feedback_token": invite.token,
                            "feedback_expires_at": invite.expires_at,
                        }
                    ),
                )
                await n.to_staff(session.staff_id, "session_ended", notice)
            case RequestEnded(case_id, citizen_id, reason, _):
                await n.to_citizen(
                    citizen_id,
                    "request_ended",
                    RequestEndedNotice(case_id=case_id, reason=reason),
                )
            case _:
                pass
