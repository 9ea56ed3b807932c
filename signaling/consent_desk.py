"""Consent to recording, where the room lives: every party is asked, the room's
recorder follows their answers, each step goes on the case's timeline, and
everyone in the room is told the recording state.

The desk's hooks (a session started, a party joined or left, the session
ended) and the parties' answers reach the process that holds the room's media
(``consent_op`` on the media rooms, over Redis when it is another process);
there one worker per room applies them in the order they came. A supervisor
listening in publishes nothing, so is not recorded and not asked. What the
parties are told (the request, the recording state) is in consent_notices.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from counseling.cases import Case, EventKind, Party, party_detail
from counseling.consent import (
    ConsentEvent,
    ConsentEventKind,
    NotPresent,
    SessionConsent,
)
from interpreter_pool.errors import NotInRoom
from interpreter_pool.events import RoomParty, Session
from signaling.consent_notices import UNAVAILABLE, ConsentNotices
from signaling.parties import party_ref
from signaling.ports import Notifier
from signaling.room_payloads import ConsentAnswer

if TYPE_CHECKING:
    from signaling.desk import Desk

log = logging.getLogger(__name__)

# Importable from here, as before the notices moved to consent_notices.py.
__all__ = [
    "RECORDER_EVENTS",
    "UNAVAILABLE",
    "ConsentDesk",
    "ConsentRoute",
    "RecorderFactory",
    "RoomConsent",
    "RoomRecording",
    "Step",
]

# The recorder's actions, as the case's timeline names them.
RECORDER_EVENTS = {
    ConsentEventKind.STARTED: EventKind.RECORDING_STARTED,
    ConsentEventKind.PAUSED: EventKind.RECORDING_PAUSED,
    ConsentEventKind.RESUMED: EventKind.RECORDING_RESUMED,
    ConsentEventKind.STOPPED: EventKind.RECORDING_STOPPED,
}


class RoomRecording(Protocol):
    """A room's recorder (``recording.recorder.RoomRecorder``)."""

    def start(self, parties: Iterable[str]) -> None: ...

    def pause(self) -> None: ...

    def resume(self, parties: Iterable[str] = ()) -> None: ...

    async def remove_party(self, party_id: str) -> Sequence[object]: ...

    async def stop(self) -> Sequence[object]: ...


# (room id, case id, the role of a party id) -> that room's recorder; its files'
# rows name the case and each party's role. None: no key, nothing is recorded.
RecorderFactory = Callable[[str, str, Callable[[str], str]], RoomRecording]


class ConsentRoute(Protocol):
    """The media rooms (``signaling.media_cluster``): runs a consent step on
    the process holding the room."""

    async def consent_op(
        self, room_id: str, message: dict[str, Any], owner: str = ""
    ) -> dict[str, Any]: ...


@dataclass(slots=True)
class RoomConsent:
    """One room's consent at its media node."""

    room_id: str
    case_id: str
    consent: SessionConsent
    roles: dict[str, Party] = field(default_factory=dict)  # everyone told
    answers: dict[str, ConsentAnswer] = field(default_factory=dict)  # recorded
    known: dict[str, Party] = field(default_factory=dict)  # ever in the room
    recorder: RoomRecording | None = None
    stopped: bool = False  # by a refusal, until everyone agrees again


Step = tuple[dict[str, Any], asyncio.Future[dict[str, Any]]]


class ConsentDesk(ConsentNotices):
    """Consent and recording of the rooms this process holds, and the hooks
    that route every process's steps to a room's holder."""

    def __init__(
        self,
        desk: Desk,
        route: ConsentRoute,
        notifier: Notifier,
        recorders: RecorderFactory | None,
        clock: Callable[[], datetime],
    ) -> None:
        self._desk = desk
        self._route = route
        self._notifier = notifier
        self._recorders = recorders
        self._clock = clock
        self._rooms: dict[str, RoomConsent] = {}
        self._queues: dict[str, asyncio.Queue[Step]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}

    @property
    def available(self) -> bool:
        """False without a recording key: consent is asked for nothing."""
        return self._recorders is not None

    # -- the desk's hooks (any process; they never wait for the step) ---------

    async def session_started(self, session: Session) -> None:
        parties = [
            [session.citizen_id, Party.CITIZEN.value],
            [session.staff_id, Party.INTERPRETER.value],
            *([p.party_id, p.role.value] for p in session.parties),
        ]
        step = {"do": "open", "case": session.case_id, "parties": parties}
        await self._send(session, step)

    async def party_joined(self, session: Session, party: RoomParty) -> None:
        step = {"do": "join", "party": party.party_id, "role": party.role.value}
        await self._send(session, step)

    async def party_left(self, session: Session, party_id: str) -> None:
        await self._send(session, {"do": "leave", "party": party_id})

    async def party_back(self, session: Session, party_id: str) -> None:
        """A party took their place up again after a reload: show them the
        recording state, and ask again if they had not answered."""
        await self._send(session, {"do": "back", "party": party_id})

    async def session_ended(self, session: Session) -> None:
        await self._send(session, {"do": "end"})

    async def _send(self, session: Session, step: dict[str, Any]) -> None:
        try:
            await self._route.consent_op(
                session.room_id, step, owner=session.media_node
            )
        except Exception:
            log.warning(
                "room %s: consent step %s not delivered", session.room_id, step["do"]
            )

    # -- a party's answer (any process) ------------------------------------------

    async def answer(self, party_id: str, room_id: str, consent: bool) -> None:
        """``party_id`` agrees (or declines, or withdraws); refused with
        ``not_in_room`` for anyone not asked in that room, changing nothing."""
        session = await self._desk.run(
            lambda pool, now: (pool.session_of(party_id), [])
        )
        if session is None or session.room_id != room_id:
            raise NotInRoom(room_id, party_id)
        step = {"do": "answer", "party": party_id, "consent": consent}
        reply = await self._route.consent_op(room_id, step, owner=session.media_node)
        if reply.get("refused"):
            raise NotPresent(party_id)

    # -- at the room's media node --------------------------------------------

    async def handle(self, room_id: str, step: dict[str, Any]) -> dict[str, Any]:
        """Queue a step for the room's worker; an answer waits for its result."""
        done: asyncio.Future[dict[str, Any]] = (
            asyncio.get_running_loop().create_future()
        )
        queue = self._queues.setdefault(room_id, asyncio.Queue())
        queue.put_nowait((step, done))
        if room_id not in self._workers:
            self._workers[room_id] = asyncio.create_task(
                self._work(room_id, queue), name="consent"
            )
        if step.get("do") == "answer":
            return await done
        return {}

    async def _work(self, room_id: str, queue: asyncio.Queue[Step]) -> None:
        try:
            while not queue.empty():
                step, done = queue.get_nowait()
                try:
                    result = await self._apply(room_id, step)
                except Exception as exc:
                    log.exception("room %s: consent step failed", room_id)
                    if not done.done():
                        done.set_exception(exc)
                    continue
                if not done.done():
                    done.set_result(result)
        finally:
            self._workers.pop(room_id, None)
            if queue.empty():
                self._queues.pop(room_id, None)

    async def _apply(self, room_id: str, step: dict[str, Any]) -> dict[str, Any]:
        do, at = step.get("do"), self._clock()
        room = self._rooms.get(room_id)
        if do == "open":
            if room is None:
                await self._open(room_id, str(step["case"]), step["parties"], at)
            return {}
        if room is None:
            return {"refused": "not_in_room"} if do == "answer" else {}
        if do == "join":
            await self._join(room, str(step["party"]), Party(step["role"]), at)
        elif do == "leave":
            await self._leave(room, str(step["party"]), at)
        elif do == "back":
            if room.answers.get(str(step["party"])) == "asked":
                await self._ask(room, str(step["party"]))
            await self._tell(room)
        elif do == "answer":
            party = str(step["party"])
            if party not in room.answers:
                return {"refused": "not_in_room"}
            await self._answer(room, party, bool(step["consent"]), at)
        elif do == "end":
            del self._rooms[room_id]
            await self._drive(room, room.consent.end(at), at)
            if room.recorder is not None:
                await room.recorder.stop()
        return {}

    async def _open(
        self, room_id: str, case_id: str, parties: list[list[str]], at: datetime
    ) -> None:
        room = RoomConsent(room_id, case_id, SessionConsent(self.available))
        self._rooms[room_id] = room
        for party_id, role in parties:
            self._enter(room, party_id, Party(role), at)
        for party_id in room.answers:
            await self._ask(room, party_id)
        await self._tell(room)

    def _enter(
        self, room: RoomConsent, party_id: str, role: Party, at: datetime
    ) -> list[ConsentEvent]:
        room.roles[party_id] = room.known[party_id] = role
        if role is Party.SUPERVISOR or party_id in room.answers:
            return []
        room.answers[party_id] = "asked"
        return room.consent.join(party_id, at)

    async def _join(
        self, room: RoomConsent, party_id: str, role: Party, at: datetime
    ) -> None:
        events = self._enter(room, party_id, role, at)
        await self._drive(room, events, at)
        if party_id in room.answers:
            await self._ask(room, party_id)
        await self._tell(room)

    async def _leave(self, room: RoomConsent, party_id: str, at: datetime) -> None:
        room.roles.pop(party_id, None)
        if room.answers.pop(party_id, None) is None:
            await self._tell(room)
            return
        events = room.consent.leave(party_id, at)
        if room.recorder is not None:
            await room.recorder.remove_party(party_id)
        await self._drive(room, events, at)
        await self._tell(room)

    async def _answer(
        self, room: RoomConsent, party_id: str, consent: bool, at: datetime
    ) -> None:
        before = room.answers[party_id]
        if consent:
            if before == "given":
                return
            room.answers[party_id] = "given"
            kind = EventKind.CONSENT_GIVEN
            events = room.consent.consent(party_id, at)
        else:
            if before in ("declined", "withdrawn"):
                return
            room.answers[party_id] = "withdrawn" if before == "given" else "declined"
            kind = (
                EventKind.CONSENT_WITHDRAWN
                if before == "given"
                else EventKind.CONSENT_DECLINED
            )
            events = room.consent.withdraw(party_id, at)
        await self._drive(room, events, at, (kind, party_id))
        await self._tell(room)

    async def _drive(
        self,
        room: RoomConsent,
        events: list[ConsentEvent],
        at: datetime,
        party_step: tuple[EventKind, str] | None = None,
    ) -> None:
        """The recorder first (a withdrawal stops it at once), then the case."""
        notes: list[tuple[EventKind, str | None, str | None]] = []
        if party_step is not None:
            kind, party_id = party_step
            notes.append((kind, *self._who(room, party_id)))
        for event in events:
            recorded = RECORDER_EVENTS.get(event.kind)
            if recorded is None or self._recorders is None:
                continue
            await self._record(room, event.kind)
            notes.append((recorded, None, None))
        if not notes:
            return

        def note(case: Case) -> None:
            for kind, staff_id, detail in notes:
                case.note(kind, at, staff_id, detail)

        try:
            await self._desk.note_case(room.case_id, note)
        except Exception:
            log.exception("room %s: consent steps not noted on the case", room.room_id)

    async def _record(self, room: RoomConsent, action: ConsentEventKind) -> None:
        present = list(room.answers)
        if action is ConsentEventKind.STARTED:
            if room.recorder is None:
                assert self._recorders is not None
                known = room.known
                room.recorder = self._recorders(
                    room.room_id,
                    room.case_id,
                    lambda party_id: known.get(party_id, Party.GUEST).value,
                )
            room.stopped = False
            room.recorder.start(present)
        elif room.recorder is None:
            return
        elif action is ConsentEventKind.PAUSED:
            room.recorder.pause()
        elif action is ConsentEventKind.RESUMED:
            room.recorder.resume(present)
        elif action is ConsentEventKind.STOPPED:
            room.stopped = True
            await room.recorder.stop()

    def _who(self, room: RoomConsent, party_id: str) -> tuple[str | None, str]:
        """A party as the case's timeline names them (staff by id, guests by
        their roster reference, the citizen by role)."""
        role = room.known.get(party_id, Party.GUEST)
        if role is Party.CITIZEN:
            return None, party_detail(role)
        if role is Party.GUEST:
            return None, party_detail(role, party_ref(room.room_id, party_id))
        return party_id, party_detail(role)

    async def close(self) -> None:
        """Shutting down: stop every recording (files closed) and the workers."""
        for task in list(self._workers.values()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        rooms, self._rooms = list(self._rooms.values()), {}
        for room in rooms:
            if room.recorder is not None:
                await room.recorder.stop()
