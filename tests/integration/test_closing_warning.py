"""Staff hear ten minutes ahead that their service closes: once, however many
processes run the timer."""

from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from counseling.hours import DEFAULT_WEEKLY, ServiceHours, no_holidays
from counseling.services import Service
from signaling.desk import Desk
from signaling.payloads import ServiceClosingNotice
from storage.database import database_url_for_data_dir, open_database
from storage.pool_store import RedisPoolStore
from storage.sql import SqlCaseRepository, SqlChatLog
from tests.integration.desk_parts import Clock, _NoMedia
from tests.integration.local_redis import REDIS_URL

SEOUL = ZoneInfo("Asia/Seoul")
HOURS = ServiceHours(SEOUL, DEFAULT_WEEKLY, no_holidays)


class Recorder:
    """A notifier that keeps what staff of each service were told."""

    def __init__(self) -> None:
        self.told: list[tuple[Service, str, Any]] = []

    async def to_citizen(self, citizen_id: str, event: str, payload: Any) -> None:
        return None

    async def to_staff(self, staff_id: str, event: str, payload: Any) -> None:
        return None

    async def to_guest(self, guest_id: str, event: str, payload: Any) -> None:
        return None

    async def to_supervisors(self, event: str, payload: Any) -> None:
        return None

    async def to_service_staff(
        self, service: Service, event: str, payload: Any
    ) -> None:
        self.told.append((service, event, payload))


async def test_two_processes_warn_each_service_once(tmp_path: Path) -> None:
    db = await open_database(database_url_for_data_dir(tmp_path))
    key = f"test-{secrets.token_hex(6)}"
    stores = [RedisPoolStore(REDIS_URL, key=key) for _ in range(2)]
    told = Recorder()
    # A Thursday: every service closes at 22:00 in Seoul.
    clock = Clock(datetime(2026, 11, 26, 21, 40, tzinfo=SEOUL))
    desks = [
        Desk(
            store,
            SqlCaseRepository(db),
            SqlChatLog(db),
            _NoMedia(),
            told,
            hours=lambda: HOURS,
            clock=clock,
        )
        for store in stores
    ]
    try:
        for desk in desks:
            await desk.warn_closing()
        assert told.told == []  # twenty minutes to go: too early
        clock.now = datetime(2026, 11, 26, 21, 51, tzinfo=SEOUL)
        for desk in desks + desks:
            await desk.warn_closing()
        assert sorted(s.value for s, _, _ in told.told) == [
            "chat",
            "foreign_language",
            "sign_language",
        ]
        for _, event, notice in told.told:
            assert event == "service_closing"
            assert isinstance(notice, ServiceClosingNotice)
            assert notice.closes_at == datetime(2026, 11, 26, 22, 0, tzinfo=SEOUL)
    finally:
        await stores[0].reset()
        for store in stores:
            await store.close()
        await db.close()
