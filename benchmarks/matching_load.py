"""The matching load: citizens and interpreters as socket.io parties, and the
echo, steady and backlog phases they play."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

from benchmarks.matching_stats import Phase, ms, percentiles
from benchmarks.signaling_latency import DEADLINE, TimedParty
from dasan.tasks import cancel_and_wait

PHASE_DEADLINE = 600.0
NOTICES = frozenset({"queue_position", "status", "staff_presence", "offer_closed"})
SIGN_LANGUAGE = {"service": "sign_language"}


class Load:
    """One mode's shared state: the current phase, who is busy, what went wrong."""

    def __init__(self, hold: float) -> None:
        self.hold = hold
        self.phase = Phase()
        self.busy = 0  # interpreters between an offer and their session's end
        self.idle = asyncio.Event()
        self.idle.set()
        self.doubles: list[str] = []
        self._starts: Counter[tuple[str, str]] = Counter()  # (namespace, case)

    def session_started(self, party: Party, at: float, data: dict[str, Any]) -> None:
        """Count a double assignment when a party already in a room gets another,
        or a case starts twice on the same side."""
        case = data["case_id"]
        if party.room is not None:
            self.doubles.append(f"{party.name} got {case} while in {party.room}")
        party.room = data["room_id"]
        self._starts[party.namespace, case] += 1
        if self._starts[party.namespace, case] > 1:
            self.doubles.append(f"case {case} started again on {party.namespace}")
        staff = party.namespace == "/staff"
        rooms = self.phase.room_staff if staff else self.phase.room_citizen
        rooms.setdefault(case, at)


class Party(TimedParty):
    """A TimedParty that drops notices nobody waits for and checks each session."""

    def __init__(self, namespace: str, name: str, load: Load) -> None:
        super().__init__(namespace)
        self.name = name
        self.room: str | None = None
        self._load = load

    async def _arrived(self, event: str, data: Any = None) -> None:
        at = time.perf_counter()
        phase = self._load.phase
        if event in NOTICES:
            phase.queue_positions += event == "queue_position"
            return
        if event == "session_started":
            self._load.session_started(self, at, data)
        elif event == "session_ended" and data["room_id"] == self.room:
            self.room = None
        elif event == "offer":
            phase.offered.setdefault(data["case_id"], at)
            hung_up = phase.hung_up.pop(self.name, None)
            if hung_up is not None:
                phase.hang_up_to_offer_ms.append(ms(hung_up, at))
        self._queue(event).put_nowait((at, data))

    def holds(self, event: str) -> bool:
        return not self._queue(event).empty()

    async def wait(self, event: str, deadline: float | None = DEADLINE) -> Any:
        """The payload of the next ``event``."""
        async with asyncio.timeout(deadline):  # wait_for may eat a cancel
            return (await self._queue(event).get())[1]

    async def insist(self, event: str, data: Any, errors: Counter[str]) -> Any:
        """Emit ``event``; after an internal_error try again, twice at most, as a
        person would. Every refusal is counted in ``errors``."""
        for _ in range(3):
            ack = await self.sio.call(
                event, data, namespace=self.namespace, timeout=PHASE_DEADLINE
            )
            if ack.get("ok"):
                break
            errors[f"{event}: {ack['error']['code']}"] += 1
            if ack["error"]["code"] != "internal_error":
                break
        return ack


async def interpret(party: Party, load: Load) -> None:
    """An interpreter in the steady phase: accept every offer, hold, hang up."""
    while True:
        offer = await party.wait("offer", None)
        load.busy += 1
        load.idle.clear()
        phase = load.phase
        try:
            phase.accepted[offer["case_id"]] = time.perf_counter()
            ref = {"offer_id": offer["offer_id"]}
            if (await party.insist("accept_offer", ref, phase.errors)).get("ok"):
                started = await party.wait("session_started")
                await asyncio.sleep(load.hold)
                ref = {"room_id": started["room_id"]}
                await party.insist("hang_up", ref, phase.errors)
                await party.wait("session_ended")
        except Exception as exc:  # keep serving; the error is counted
            phase.errors[f"interpreter: {type(exc).__name__}"] += 1
        finally:
            load.busy -= 1
            if not load.busy:
                load.idle.set()


async def request(citizen: Party, phase: Phase, waiting: int) -> str | None:
    """Ask for sign language; ``waiting`` is how many wait ahead (-1: not counted).
    Returns the case id, or None when refused."""
    start = time.perf_counter()
    ack = await citizen.insist("request", SIGN_LANGUAGE, phase.errors)
    phase.request_acks.append((waiting, ms(start, time.perf_counter())))
    if not ack.get("ok"):
        return None
    phase.requested[ack["case_id"]] = start
    return str(ack["case_id"])


async def steady(
    load: Load, citizens: Sequence[Party], interpreters: Sequence[Party], rate: float
) -> Phase:
    """Each citizen asks once, on a fixed open-loop schedule of ``rate`` per second;
    interpreters accept every offer, hold the session, hang up."""
    load.phase = phase = Phase()

    async def call(citizen: Party) -> None:
        try:
            if await request(citizen, phase, -1):
                await citizen.wait("session_started")
                await citizen.wait("session_ended", DEADLINE + load.hold)
        except TimeoutError:
            phase.errors["citizen not served in time"] += 1

    workers = [asyncio.create_task(interpret(p, load)) for p in interpreters]
    calls: list[asyncio.Task[None]] = []
    try:
        start = time.perf_counter()
        for i, citizen in enumerate(citizens):
            await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
            calls.append(asyncio.create_task(call(citizen)))
        await asyncio.wait_for(asyncio.gather(*calls), PHASE_DEADLINE)
        try:
            await asyncio.wait_for(load.idle.wait(), PHASE_DEADLINE)
        except TimeoutError:
            phase.errors["interpreters still busy at the end"] += load.busy
    finally:
        await cancel_and_wait((*calls, *workers))
    return phase


async def backlog(
    load: Load, citizens: Sequence[Party], interpreters: Sequence[Party], probes: int
) -> Phase:
    """Every citizen asks, one after another, while interpreters hold their offers;
    then ``probes`` interpreters, one at a time, accept and hang up, which offers
    them the next citizen in line; then every citizen cancels, from the back."""
    load.phase = phase = Phase()
    asked: dict[str, Party] = {}
    for waiting, citizen in enumerate(citizens):
        case = await request(citizen, phase, waiting)
        if case is not None:
            asked[case] = citizen
    holders = [p for p in interpreters if p.holds("offer")][:probes]
    for interpreter in holders:
        offer = await interpreter.wait("offer")
        citizen = asked.pop(offer["case_id"])
        phase.accepted[offer["case_id"]] = time.perf_counter()
        try:
            ref = {"offer_id": offer["offer_id"]}
            await interpreter.insist("accept_offer", ref, phase.errors)
            started = await interpreter.wait("session_started")
            await citizen.wait("session_started")
            phase.hung_up[interpreter.name] = time.perf_counter()
            ref = {"room_id": started["room_id"]}
            await interpreter.insist("hang_up", ref, phase.errors)
            await citizen.wait("session_ended")
        except TimeoutError:
            phase.errors["probe: no session in time"] += 1
    for citizen in reversed(asked.values()):
        await citizen.insist("cancel", {}, phase.errors)
    return phase


async def echo(citizens: Sequence[Party], rounds: int) -> dict[str, dict[str, float]]:
    """`cancel` with nothing waiting (through the desk and its lock), and `cancel`
    with a bad payload (refused before the desk: socket.io and pydantic only)."""
    series: dict[str, list[float]] = {"echo_rtt_ms": [], "transport_rtt_ms": []}
    for i in range(rounds):
        citizen = citizens[i % len(citizens)]
        for name, payload, code in (
            ("echo_rtt_ms", {}, "not_waiting"),
            ("transport_rtt_ms", {"echo": i}, "invalid_payload"),
        ):
            start = time.perf_counter()
            ack = await citizen.call("cancel", payload)
            series[name].append(ms(start, time.perf_counter()))
            if ack.get("error", {}).get("code") != code:
                raise RuntimeError(f"cancel {payload}: {ack}")
    return {name: percentiles(values) for name, values in series.items()}
