"""What the parties hear of consent: the request to each party asked, and the
room's recording state told to everyone in it. Mixed into ``ConsentDesk``."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from counseling.cases import Party
from counseling.consent import RecordingState
from signaling.parties import party_ref
from signaling.payloads import Payload
from signaling.ports import Notifier
from signaling.room_payloads import (
    ConsentParty,
    ConsentRequestNotice,
    RecordingStateName,
    RecordingStateNotice,
)

if TYPE_CHECKING:
    from signaling.consent_desk import RecorderFactory, RoomConsent

log = logging.getLogger(__name__)

UNAVAILABLE = "recording_unavailable"


class ConsentNotices:
    """The ConsentDesk's notices to the parties of a room."""

    if TYPE_CHECKING:
        _notifier: Notifier
        _recorders: RecorderFactory | None

        @property
        def available(self) -> bool: ...

    def state(self, room: RoomConsent) -> RecordingStateName:
        if self._recorders is None:
            return "off"
        if room.consent.state is RecordingState.RECORDING:
            return "recording"
        if room.consent.state is RecordingState.PAUSED:
            return "paused"
        refused = any(a in ("declined", "withdrawn") for a in room.answers.values())
        return "stopped" if room.stopped or refused else "waiting"

    async def _ask(self, room: RoomConsent, party_id: str) -> None:
        if self._recorders is None:
            return
        notice = ConsentRequestNotice(room_id=room.room_id, records=["audio", "video"])
        await self._to(party_id, room.roles[party_id], "consent_request", notice)

    async def _tell(self, room: RoomConsent) -> None:
        state = self.state(room)
        for viewer, role in room.roles.items():
            notice = RecordingStateNotice(
                room_id=room.room_id,
                state=state,
                reason=None if self.available else UNAVAILABLE,
                parties=[
                    ConsentParty(
                        party=party_ref(room.room_id, party_id),
                        role=room.known[party_id],
                        consent=answer,
                        you=party_id == viewer,
                    )
                    for party_id, answer in room.answers.items()
                ],
            )
            await self._to(viewer, role, "recording_state", notice)

    async def _to(
        self, party_id: str, role: Party, event: str, notice: Payload
    ) -> None:
        try:
            if role is Party.CITIZEN:
                await self._notifier.to_citizen(party_id, event, notice)
            elif role is Party.GUEST:
                await self._notifier.to_guest(party_id, event, notice)
            else:
                await self._notifier.to_staff(party_id, event, notice)
        except Exception:
            log.warning("a %s notice was not sent", event)
