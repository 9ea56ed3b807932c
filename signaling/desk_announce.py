"""What the desk tells the parties of pool events, and the notices it builds.
Mixed into the Desk; queue notices go out once a command lets go of the pool."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from counseling.cases import Party
from counseling.records import FeedbackInvite
from counseling.services import Service
from interpreter_pool.events import (
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
    StaffStatusChanged,
)
from interpreter_pool.pool import Pool
from signaling.dashboard import presence_notice
from signaling.parties import RoomParties
from signaling.payloads import (
    OfferClosedNotice,
    OfferNotice,
    PeerInfo,
    PeerReconnected,
    PeerReconnecting,
    PictureAdvice,
    QueuePosition,
    RequestEndedNotice,
    SessionEndedNotice,
    SessionStartedNotice,
    StaffPresenceNotice,
    StaffStatusNotice,
    VideoQualityNotice,
)
from signaling.ports import MediaRooms, Notifier
from signaling.room_roster import members

if TYPE_CHECKING:
    from signaling.consent_desk import ConsentDesk

log = logging.getLogger(__name__)

CITIZEN_LABEL = "Citizen"
# Waiting citizens hear again when their estimate moves by this much.
ESTIMATE_STEP_SECONDS = 10.0


def started_notice(
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


class DeskAnnounce:
    """The Desk's announcements: who hears what of each pool event."""

    if TYPE_CHECKING:
        rooms: RoomParties
        consent: ConsentDesk | None
        _notifier: Notifier
        _media: MediaRooms
        _make_id: Callable[[], str]
        _queue_notices: list[tuple[str, QueuePosition]]
        _wake: asyncio.Event
        _next_deadline: datetime | None
        _dashboard_stale: bool

        def _now(self) -> datetime: ...

        async def _invite_feedback(self, case_id: str) -> FeedbackInvite | None: ...

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
                    started_notice(session, interpreter, token),
                )
                await n.to_staff(
                    session.staff_id,
                    "session_started",
                    started_notice(session, citizen),
                )
                if self.consent is not None:
                    await self.consent.session_started(session)
                if session.skill.service is Service.CHAT:
                    # Rosters go out when media connects; a text chat has none.
                    await self.rooms.send_roster(session, members(pool, session))
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
