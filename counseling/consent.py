"""Consent to recording: who is present, who agreed, and what the recorder must do.

The rule: a session is recorded only while every party present has consented.
A party who joins without consent pauses the recording; their consent resumes
it. A withdrawal stops it (files closed); it starts again, in new files, only
when everyone present consents again. A session without full consent is still
a case, just without media. Each command takes ``at`` and returns the events
to store on the case, the recorder's action among them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from counseling.errors import CounselingError


class ConsentEventKind(StrEnum):
    JOINED = "party_joined"
    LEFT = "party_left"
    CONSENTED = "consent_given"
    WITHDRAWN = "consent_withdrawn"
    STARTED = "recording_started"
    PAUSED = "recording_paused"
    RESUMED = "recording_resumed"
    STOPPED = "recording_stopped"


RECORDER_ACTIONS = frozenset(
    {
        ConsentEventKind.STARTED,
        ConsentEventKind.PAUSED,
        ConsentEventKind.RESUMED,
        ConsentEventKind.STOPPED,
    }
)


class RecordingState(StrEnum):
    OFF = "off"  # not yet recorded, or stopped by a withdrawal or the end
    RECORDING = "recording"
    PAUSED = "paused"  # someone present has not consented yet


@dataclass(frozen=True, slots=True)
class ConsentEvent:
    """Something to put on the case's timeline; ``party_id`` is None for the
    recorder's own actions, which follow the party event that caused them."""

    kind: ConsentEventKind
    at: datetime
    party_id: str | None = None

    @property
    def recorder_action(self) -> bool:
        return self.kind in RECORDER_ACTIONS


class NotPresent(CounselingError):
    """A consent command for a party who is not in the session."""

    code = "not_in_room"

    def __init__(self, party_id: str) -> None:
        super().__init__("this party is not in the session")
        self.party_id = party_id


class AlreadyPresent(CounselingError):
    code = "already_in_room"

    def __init__(self, party_id: str) -> None:
        super().__init__("this party is already in the session")
        self.party_id = party_id


class SessionConsent:
    """The consent of one session's parties and the recording state it allows."""

    def __init__(self, requested: bool = True) -> None:
        """``requested=False``: the session is not to be recorded at all."""
        self._requested = requested
        self._present: dict[str, bool] = {}  # party -> consented
        self._state = RecordingState.OFF

    @property
    def state(self) -> RecordingState:
        return self._state

    @property
    def present(self) -> dict[str, bool]:
        return dict(self._present)

    @property
    def allowed(self) -> bool:
        """Every party present has consented (and someone is present)."""
        return self._requested and bool(self._present) and all(self._present.values())

    def missing(self) -> tuple[str, ...]:
        """The parties present whose consent is still missing."""
        return tuple(p for p, ok in self._present.items() if not ok)

    def _require(self, party_id: str) -> None:
        if party_id not in self._present:
            raise NotPresent(party_id)

    def _settle(self, at: datetime, stop: bool = False) -> list[ConsentEvent]:
        """The recorder's action after a change."""
        before = self._state
        if stop or not self._present:
            after = RecordingState.OFF
        elif self.allowed:
            after = RecordingState.RECORDING
        elif before is RecordingState.RECORDING:
            after = RecordingState.PAUSED
        else:
            after = before
        self._state = after
        if after is before:
            return []
        kind = {
            (RecordingState.OFF, RecordingState.RECORDING): ConsentEventKind.STARTED,
            (RecordingState.RECORDING, RecordingState.PAUSED): ConsentEventKind.PAUSED,
            (RecordingState.PAUSED, RecordingState.RECORDING): ConsentEventKind.RESUMED,
        }.get((before, after), ConsentEventKind.STOPPED)
        return [ConsentEvent(kind, at)]

    def join(
        self, party_id: str, at: datetime, consented: bool = False
    ) -> list[ConsentEvent]:
        """A party enters; without consent a running recording pauses."""
        if not party_id:
            raise ValueError("a party needs an id")
        if party_id in self._present:
            raise AlreadyPresent(party_id)
        self._present[party_id] = consented
        events = [ConsentEvent(ConsentEventKind.JOINED, at, party_id)]
        if consented:
            events.append(ConsentEvent(ConsentEventKind.CONSENTED, at, party_id))
        return events + self._settle(at)

    def consent(self, party_id: str, at: datetime) -> list[ConsentEvent]:
        """A party agrees; once all present have, recording starts or resumes.
        Agreeing twice changes nothing."""
        self._require(party_id)
        if self._present[party_id]:
            return []
        self._present[party_id] = True
        return [
            ConsentEvent(ConsentEventKind.CONSENTED, at, party_id),
            *self._settle(at),
        ]

    def withdraw(self, party_id: str, at: datetime) -> list[ConsentEvent]:
        """A party takes their consent back (or refuses while a recording waits
        for them): recording stops."""
        self._require(party_id)
        if not self._present[party_id] and self._state is RecordingState.OFF:
            return []
        self._present[party_id] = False
        return [
            ConsentEvent(ConsentEventKind.WITHDRAWN, at, party_id),
            *self._settle(at, stop=True),
        ]

    def leave(self, party_id: str, at: datetime) -> list[ConsentEvent]:
        """A party leaves; if they were the one missing, recording resumes."""
        self._require(party_id)
        del self._present[party_id]
        return [ConsentEvent(ConsentEventKind.LEFT, at, party_id), *self._settle(at)]

    def end(self, at: datetime) -> list[ConsentEvent]:
        """The session ends: recording stops."""
        return self._settle(at, stop=True)
