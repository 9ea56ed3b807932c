"""Recording rows and the access audit: the same contract on SQLite and PostgreSQL,
and start-up recovery of files a crash left open."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from counseling.cases import Case
from counseling.services import Language, Service, Skill
from recording.keys import RecordingKey
from recording.recovery import recovery_inspector
from recording.sealed import SealedWriter, scan
from storage.database import Database, database_url_for_data_dir, open_database
from storage.errors import DuplicateKey, NotFound
from storage.models import Base
from storage.recordings import (
    AccessAction,
    AccessEntry,
    Recording,
    RecordingStatus,
    SqlAccessAudit,
    SqlRecordings,
)
from storage.sql import SqlCaseRepository
from tests.pg import fresh_schema_url

SEOUL = ZoneInfo("Asia/Seoul")
T0 = datetime(2025, 3, 14, 9, 30, 0, 123456, tzinfo=SEOUL)
KSL = Skill(Service.SIGN_LANGUAGE, Language.KSL)
KEY = RecordingKey(b"r" * 32)


@dataclass(frozen=True)
class Stores:
    db: Database
    recordings: SqlRecordings
    audit: SqlAccessAudit


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def stores(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Stores]:
    if request.param == "sqlite":
        db = await open_database(database_url_for_data_dir(tmp_path))
        try:
            yield await _with_case(db)
        finally:
            await db.close()
    else:
        async with fresh_schema_url() as (url, schema):
            db = await open_database(url, schema=schema)
            try:
                yield await _with_case(db)
            finally:
                await db.close()


async def _with_case(db: Database) -> Stores:
    await SqlCaseRepository(db).add(Case.open("case-1", KSL, T0))
    return Stores(db, SqlRecordings(db), SqlAccessAudit(db))


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def recording(recording_id: str = "a" * 32, **changes: object) -> Recording:
    base = Recording(
        recording_id,
        "case-1",
        "citizen",
        "party-1",
        "video",
        "vp8",
        f"recordings/2025-03-14/{recording_id}.webm.sealed",
        at(0),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def _drift(connection: Connection) -> list[object]:
    return list(compare_metadata(MigrationContext.configure(connection), Base.metadata))


async def test_migration_0006_matches_the_models(stores: Stores) -> None:
    async with stores.db.engine.connect() as connection:
        assert await connection.run_sync(_drift) == []


async def test_a_recording_is_added_closed_and_listed_with_its_case(
    stores: Stores,
) -> None:
    video, audio = recording("a" * 32), recording("b" * 32, kind="audio", codec="opus")
    await stores.recordings.add(video)
    await stores.recordings.add(audio)
    assert await stores.recordings.get(video.id) == video
    assert await stores.recordings.unfinished() == [video, audio]

    closed = await stores.recordings.close(video.id, at(90), 12345)

    assert closed == replace(
        video, status=RecordingStatus.CLOSED, ended_at=at(90), bytes=12345
    )
    assert closed.ended_at is not None and closed.ended_at.tzinfo is not None
    assert await stores.recordings.get(video.id) == closed
    assert await stores.recordings.unfinished() == [audio]
    assert [r.id for r in await stores.recordings.for_case("case-1")] == [
        audio.id,
        video.id,
    ]
    # Closing twice (a late report after recovery) changes nothing.
    assert await stores.recordings.close(video.id, at(200), 1) == closed
    deleted = await stores.recordings.mark_deleted(video.id)
    assert (deleted.status, deleted.bytes) == (RecordingStatus.DELETED, 0)


async def test_bad_recordings_are_refused(stores: Stores) -> None:
    await stores.recordings.add(recording())
    with pytest.raises(DuplicateKey):
        await stores.recordings.add(recording())
    with pytest.raises(NotFound):
        await stores.recordings.add(recording("c" * 32, case_id="no-such-case"))
    with pytest.raises(NotFound):
        await stores.recordings.close("d" * 32, at(1), 0)
    with pytest.raises(ValueError, match="relative"):
        recording(path="/etc/passwd")
    with pytest.raises(ValueError, match="relative"):
        recording(path="recordings/../../x")
    with pytest.raises(ValueError, match="audio or video"):
        recording(kind="screen")
    with pytest.raises(ValueError, match="timezone"):
        recording(started_at=datetime(2025, 1, 1))
    assert [r.id for r in await stores.recordings.for_case("case-1")] == ["a" * 32]


async def test_recovery_closes_files_a_crash_left_open(
    stores: Stores, tmp_path: Path
) -> None:
    clock = iter(float(t) for t in range(1_750_000_000, 1_750_000_100))
    left_open = recording("e" * 32)
    closed = recording("f" * 32, kind="audio", codec="opus")
    missing = recording("9" * 32, kind="audio", codec="opus")
    for row in (left_open, closed, missing):
        await stores.recordings.add(row)
    writer = SealedWriter(tmp_path / left_open.path, KEY, lambda: next(clock))
    writer.seal(b"cluster one")
    writer.seal(b"cluster two")
    last_sealed = datetime.fromtimestamp(writer.last_sealed_ms / 1000, UTC)
    writer.abandon()  # the process died here
    with (tmp_path / left_open.path).open("ab") as file:
        file.write(b"\x00\x00")  # and a chunk was half written
    await stores.recordings.close(closed.id, at(30), 99)

    recovered = await stores.recordings.recover(recovery_inspector(tmp_path, KEY))

    by_id = {r.id: r for r in recovered}
    assert set(by_id) == {left_open.id, missing.id}
    assert by_id[left_open.id].status is RecordingStatus.RECOVERED
    assert by_id[left_open.id].ended_at == last_sealed
    assert by_id[left_open.id].bytes == (tmp_path / left_open.path).stat().st_size
    assert by_id[missing.id].ended_at == missing.started_at
    assert scan(tmp_path / left_open.path, KEY).closed
    assert await stores.recordings.unfinished() == []
    assert (await stores.recordings.get(closed.id)) == replace(
        closed, status=RecordingStatus.CLOSED, ended_at=at(30), bytes=99
    )
    assert await stores.recordings.recover(recovery_inspector(tmp_path, KEY)) == []


async def test_the_access_audit_keeps_every_attempt(stores: Stores) -> None:
    audit = stores.audit
    played = await audit.record(
        AccessEntry(
            at(10),
            AccessAction.PLAY,
            "sup-1",
            "supervisor",
            "case-1",
            "a" * 32,
            "192.0.2.7",
        )
    )
    refused = await audit.record(
        AccessEntry(at(20), AccessAction.REFUSED, "int-2", "interpreter", "case-1")
    )
    await audit.record(
        AccessEntry(at(30), AccessAction.LIST, "sup-1", "supervisor", "case-2")
    )
    assert len(played.id) == 32 and played.id != refused.id

    assert await audit.entries(case_id="case-1") == [refused, played]
    assert [e.action for e in await audit.entries()] == [
        AccessAction.LIST,
        AccessAction.REFUSED,
        AccessAction.PLAY,
    ]
    assert await audit.entries(since=at(15), until=at(30)) == [refused]
    assert await audit.entries(limit=1) == [(await audit.entries(case_id="case-2"))[0]]
    with pytest.raises(ValueError, match="limit"):
        await audit.entries(limit=0)
