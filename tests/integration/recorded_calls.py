"""A recorded sign-language call through real ``dasan serve`` processes: their
environment, the consent answers, and the recording rows and files it leaves."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks.media_relay import EncodedClip
from storage.database import Database
from storage.recordings import Recording, SqlRecordings
from tests.around_the_clock import open_around_the_clock
from tests.integration import peers
from tests.integration.processes import PASSWORD, sign_in
from tests.integration.rooms import Someone, until

DEADLINE = 30.0
TRACKS = {(p, k) for p in ("citizen", "interpreter") for k in ("audio", "video")}


def service_env(tmp_path: Path, database_url: str, **more: str) -> dict[str, str]:
    """The environment of a ``dasan serve --demo`` on PostgreSQL, files in
    ``tmp_path/data``."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("DASAN_")}
    return base | {
        "DASAN_DATABASE_URL": database_url,
        "DASAN_DATA_DIR": str(tmp_path / "data"),
        "DASAN_DEMO_PASSWORD": PASSWORD,
        "DASAN_LOG_LEVEL": "WARNING",
        "DASAN_HOURS_FILE": str(open_around_the_clock(tmp_path / "hours.toml")),
        **more,
    }


async def recorded_session(
    citizen_url: str,
    interpreter_url: str,
    clips: dict[str, dict[str, EncodedClip]],
    made: list[Someone],
) -> tuple[Someone, Someone, str]:
    """A sign-language session, the citizen on ``citizen_url`` and
    interpreter.ksl on ``interpreter_url`` (who accepts there: the room lives
    on that process); both publish, neither has answered the consent yet."""
    interpreter = Someone(
        "interpreter",
        await sign_in(interpreter_url, "interpreter.ksl"),
        clips["interpreter"],
    )
    made.append(interpreter)
    citizen = Someone("citizen", peers.Party("/citizen"), clips["citizen"])
    made.append(citizen)
    await citizen.io.connect(citizen_url)
    await interpreter.io.next_matching("status", "status", "away")
    ack = await interpreter.io.call("set_presence", {"status": "available"})
    assert ack["ok"], ack
    asked = await citizen.io.call("request", {"service": "sign_language"})
    assert asked["ok"], asked
    offer = await interpreter.io.next("offer")
    ack = await interpreter.io.call("accept_offer", {"offer_id": offer["offer_id"]})
    assert ack["ok"], ack
    room_id = (await citizen.io.next("session_started"))["room_id"]
    interpreter.room_id = citizen.room_id = room_id
    for someone in (citizen, interpreter):
        request = await someone.io.next("consent_request")
        assert request["room_id"] == room_id
        await someone.connect_media()
    return citizen, interpreter, str(asked["case_id"])


async def answer(someone: Someone, consent: bool) -> dict[str, Any]:
    ack: dict[str, Any] = await someone.io.call(
        "give_consent", {"room_id": someone.room_id, "consent": consent}
    )
    return ack


async def told(someone: Someone, state: str) -> dict[str, Any]:
    """Wait until ``someone`` is told the recording ``state``."""
    while True:
        notice: dict[str, Any] = await someone.io.next("recording_state", DEADLINE)
        if notice["state"] == state:
            return notice


async def rows_until(
    db: Database,
    case_id: str,
    check: Callable[[Sequence[Recording]], bool],
    what: str,
) -> Sequence[Recording]:
    end = time.monotonic() + DEADLINE
    while not check(found := await SqlRecordings(db).for_case(case_id)):
        assert time.monotonic() < end, f"timed out: {what}; rows {found}"
        await asyncio.sleep(0.1)
    return found


def tracks(rows: Sequence[Recording]) -> set[tuple[str, str]]:
    return {(r.party_role, r.kind) for r in rows}


async def files_grow(root: Path, rows: Sequence[Recording]) -> None:
    """Wait until every row's file has grown twice (sealed chunk after chunk)."""
    for _ in range(2):
        sizes = {r.id: (root / r.path).stat().st_size for r in rows}
        await until(
            lambda sizes=sizes: all(
                (root / r.path).stat().st_size > sizes[r.id] for r in rows
            ),
            "every file grows",
        )


async def close_all(made: list[Someone]) -> None:
    for someone in made:
        if someone.peer is not None:
            await someone.peer.close()
        if someone.io.sio.connected:
            await someone.io.sio.disconnect()
