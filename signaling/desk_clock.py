"""The desk's clock: timers, the supervisors' dashboard, liveness rounds,
no-shows and closing warnings. Mixed into the Desk."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from counseling.cases import Case, EndReason, Party
from counseling.hours import ServiceHours
from counseling.ports import CaseRepository, ReservationBook
from counseling.services import Service
from interpreter_pool.events import PoolEvent
from interpreter_pool.pool import Pool
from signaling.dashboard import build_dashboard
from signaling.desk_announce import ESTIMATE_STEP_SECONDS
from signaling.parties import HELD, RoomParties
from signaling.payloads import DashboardNotice, ServiceClosingNotice
from signaling.ports import Liveness, LocalSupervisors, Notifier, PoolStore

log = logging.getLogger(__name__)

# How often estimates are refreshed while nothing else happens.
REFRESH_SECONDS = 15.0
CLOSING_WARNING = timedelta(minutes=10)


class DeskClock:
    """The Desk's rounds on the clock, in every process."""

    if TYPE_CHECKING:
        rooms: RoomParties
        _store: PoolStore
        _cases: CaseRepository
        _notifier: Notifier
        _hours: Callable[[], ServiceHours] | None
        _reservations: ReservationBook | None
        _liveness: Liveness | None
        _make_id: Callable[[], str]
        _warned: set[tuple[Service, datetime]]
        _wake: asyncio.Event
        _next_deadline: datetime | None
        _dashboard_stale: bool

        def _now(self) -> datetime: ...

        async def _apply(
            self, pool: Pool, events: list[PoolEvent], new_case: Case | None = None
        ) -> None: ...

        async def staff_disconnected(self, staff_id: str, connection: str) -> None: ...

        async def citizen_left(
            self, citizen_id: str, connection: str | None = None
        ) -> None: ...

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
