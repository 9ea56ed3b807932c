"""What tests give a Desk or a reservation book they build themselves: Seoul's
default service hours, a clock they set, and media that must not be used."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from counseling.hours import DEFAULT_WEEKLY, ServiceHours, no_holidays

SEOUL = ZoneInfo("Asia/Seoul")
HOURS = ServiceHours(SEOUL, DEFAULT_WEEKLY, no_holidays)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class _NoMedia:
    node = ""

    def open_room(self, room_id: str, parties: tuple[str, str]) -> None:
        raise AssertionError("no session in this test")

    async def connect(
        self, room_id: str, party_id: str, offer_sdp: str, owner: str = ""
    ) -> str:
        raise AssertionError("no session in this test")

    async def close_room(self, room_id: str, owner: str = "") -> None:
        raise AssertionError("no session in this test")

    def watch_quality(
        self,
        room_id: str,
        party_id: str,
        on_advice: Callable[[list[str]], Awaitable[None]],
    ) -> None:
        raise AssertionError("no session in this test")

    async def add_party(
        self, room_id: str, party_id: str, publishes: bool, owner: str = ""
    ) -> None:
        raise AssertionError("no session in this test")

    async def remove_party(self, room_id: str, party_id: str, owner: str = "") -> None:
        raise AssertionError("no session in this test")

    async def replace_party(
        self, room_id: str, old: str, new: str, owner: str = ""
    ) -> None:
        raise AssertionError("no session in this test")

    async def roster(
        self, room_id: str, owner: str = ""
    ) -> dict[str, dict[str, dict[str, str]]]:
        raise AssertionError("no session in this test")
