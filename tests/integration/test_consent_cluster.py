"""Consent across processes: two real ``dasan serve`` on one Redis and one
PostgreSQL, the room on the first, the citizen connected to the second.

The citizen's answers reach the room's process over Redis (``consent_op``):
once both agreed the owner records (rows appear, files grow); a stranger's
answer through the second process is refused with ``not_in_room`` and changes
nothing; the citizen's withdrawal through the second process stops every file
within a second, checked on the last packet written.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path

import pytest

from benchmarks.media_relay import EncodedClip, encode_audio, encode_video
from counseling.cases import EventKind
from recording.keys import load_or_create_demo_key
from storage.database import open_database
from storage.recordings import RecordingStatus, SqlRecordings
from storage.sql import SqlCaseRepository
from tests.integration import peers
from tests.integration.processes import server
from tests.integration.recorded_calls import (
    TRACKS,
    answer,
    close_all,
    files_grow,
    recorded_session,
    rows_until,
    service_env,
    told,
    tracks,
)
from tests.integration.rooms import Someone
from tests.pg import fresh_database_url
from tests.recordings import play

WITHIN = 1.0  # a withdrawal stops the recording within a second


@pytest.fixture(scope="module")
def clips() -> dict[str, dict[str, EncodedClip]]:
    names = ("citizen", "interpreter", "stranger")
    return {
        name: {
            "video": encode_video(2, 160, 120, seed=70 + i),
            "audio": encode_audio(1, hz=300 + 90 * i),
        }
        for i, name in enumerate(names)
    }


async def test_consent_through_another_process_drives_the_owners_recorder(
    tmp_path: Path, clips: dict[str, dict[str, EncodedClip]]
) -> None:
    data_dir = tmp_path / "data"
    made: list[Someone] = []
    async with fresh_database_url() as database_url:
        env = service_env(
            tmp_path,
            database_url,
            DASAN_REDIS_URL="redis://127.0.0.1:6379/0",
            DASAN_REDIS_PREFIX=f"test{secrets.token_hex(6)}",
        )
        db = await open_database(database_url)
        try:
            async with server(env, tmp_path) as first, server(env, tmp_path) as second:
                try:
                    # Accepted on the first process: the room and recorder live there.
                    citizen, interpreter, case_id = await recorded_session(
                        second, first, clips, made
                    )
                    assert await answer(interpreter, True) == {"ok": True}
                    assert await answer(citizen, True) == {"ok": True}
                    await told(citizen, "recording")
                    await told(interpreter, "recording")
                    rows = await rows_until(
                        db, case_id, lambda r: tracks(r) == TRACKS, "four files"
                    )
                    await files_grow(data_dir, rows)

                    # A stranger's answer through the second process is refused.
                    stranger = Someone(
                        "stranger", peers.Party("/citizen"), clips["stranger"]
                    )
                    made.append(stranger)
                    await stranger.io.connect(second)
                    stranger.room_id = citizen.room_id
                    cases = SqlCaseRepository(db)
                    before = await cases.get(case_id)
                    for consent in (True, False):
                        refused = await answer(stranger, consent)
                        assert refused["ok"] is False, refused
                        assert refused["error"]["code"] == "not_in_room"
                    assert await cases.get(case_id) == before
                    still = await SqlRecordings(db).for_case(case_id)
                    assert still == rows
                    await files_grow(data_dir, rows)

                    # The citizen withdraws through the second process.
                    withdrawn_at = time.time()
                    assert await answer(citizen, False) == {"ok": True}
                    stopped = await told(interpreter, "stopped")
                    assert {p["role"]: p["consent"] for p in stopped["parties"]} == {
                        "citizen": "withdrawn",
                        "interpreter": "given",
                    }
                    files = await rows_until(
                        db,
                        case_id,
                        lambda r: all(f.status is RecordingStatus.CLOSED for f in r),
                        "every file closed",
                    )
                    assert {f.id for f in files} == {r.id for r in rows}
                    key = load_or_create_demo_key(data_dir)
                    for file in files:
                        played = play(data_dir / file.path, key)
                        assert played.packets, file
                        last = file.started_at.timestamp() + played.packets[-1][1]
                        assert last <= withdrawn_at + WITHIN, (
                            f"{file.kind} of {file.party_role} written "
                            f"{last - withdrawn_at:.2f} s after the withdrawal"
                        )
                        if file.kind == "video":
                            assert played.decoded > 0

                    case = await cases.get(case_id)
                    assert case is not None
                    steps = [
                        (e.kind, e.detail)
                        for e in case.events
                        if e.kind.value.startswith(("consent_", "recording_"))
                    ]
                    assert steps == [
                        (EventKind.CONSENT_GIVEN, "interpreter"),
                        (EventKind.CONSENT_GIVEN, "citizen"),
                        (EventKind.RECORDING_STARTED, None),
                        (EventKind.CONSENT_WITHDRAWN, "citizen"),
                        (EventKind.RECORDING_STOPPED, None),
                    ]
                    room_id = citizen.room_id
                    assert (await citizen.io.call("hang_up", {"room_id": room_id}))[
                        "ok"
                    ]
                    assert (await interpreter.io.next("session_ended"))[
                        "room_id"
                    ] == room_id
                finally:
                    await close_all(made)
        finally:
            await db.close()
