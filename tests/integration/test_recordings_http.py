"""A case's recordings over HTTP through the whole app, with files recorded from
real aiortc peers: who may list, play and download them, the audit row each
access and each refused attempt leaves, range requests that decode, bad input,
start-up recovery, retention, and a server without a key."""

from __future__ import annotations

import io
import logging
import secrets
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import av
import pytest
from av.container import InputContainer

from counseling.cases import Case, EndReason, EventKind, Party
from dasan.app import create_app
from dasan.demo import seed_demo
from dasan.settings import Settings
from recording.keys import DEMO_KEY_FILE
from recording.recorder import RecordedFile
from recording.sealed import SealedWriter, read_plaintext
from signaling.auth import Passwords
from signaling.recordings_http import PLAY_AUDIT_WINDOW, RECORDINGS
from signaling.records_http import RECORDS
from signaling.retention import retention_pass
from storage.database import database_url_for_data_dir, open_database
from storage.recordings import (
    AccessAction,
    AccessEntry,
    Recording,
    RecordingStatus,
    SqlAccessAudit,
    SqlRecordings,
)
from storage.sql import SqlCaseRepository, SqlStaffDirectory
from tests.around_the_clock import open_around_the_clock
from tests.integration.conftest import (
    DEMO_PASSWORD,
    AppServer,
    login,
    runtime,
    start_server,
)
from tests.integration.served_recordings import (
    KEY,
    KSL,
    Served,
    Staff,
    answered_case,
    close,
    serve,
    session,
)
from tests.pg import fresh_database_url
from tests.recorded_session import as_recording

__all__ = ["session"]  # fixtures used here

UNKNOWN = "0" * 32


@pytest.fixture(params=["sqlite", "postgres"])
async def served(
    request: pytest.FixtureRequest,
    aiohttp_server: AppServer,
    tmp_path: Path,
    session: tuple[Path, list[RecordedFile]],
) -> AsyncIterator[Served]:
    if request.param == "sqlite":
        it = await serve(aiohttp_server, tmp_path, session)
        yield it
        await close(it)
        return
    async with fresh_database_url() as url:
        it = await serve(aiohttp_server, tmp_path, session, url)
        yield it
        await close(it)
        await it.server.close()


def decode(data: bytes) -> tuple[str, int, int]:
    """(codec, frames, width) of a WebM held in memory."""
    with av.open(io.BytesIO(data), "r") as container:
        assert isinstance(container, InputContainer)
        stream = container.streams[0]
        frames, width = 0, 0
        for frame in container.decode(stream):
            frames += 1
            width = getattr(frame, "width", 0)
        return stream.codec_context.name, frames, width


def plaintext(served: Served, row: Recording) -> bytes:
    return read_plaintext(served.data_dir / row.path, KEY)


async def actions(served: Served) -> list[tuple[str | None, str, str | None]]:
    found = await served.audit.entries(case_id=served.case.id)
    return sorted(
        ((e.staff_id, e.action.value, e.recording_id) for e in found),
        key=lambda t: (t[0] or "", t[1], t[2] or ""),
    )


# -- access by role, and the audit -------------------------------------------------


async def test_who_may_list_play_and_download_and_each_attempt_is_audited(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "dasan.audit")
    ksl, boss = served.staff["interpreter.ksl"], served.staff["supervisor"]
    other, scheduler = served.staff["counselor.en"], served.staff["scheduler"]
    case_id, video = served.case.id, served.video("interpreter")

    listing = await ksl.json("GET", f"/api/cases/{case_id}/recordings")
    assert listing["configured"] is True
    assert {(r["party_role"], r["kind"]) for r in listing["recordings"]} == {
        (p, k) for p in ("citizen", "interpreter") for k in ("audio", "video")
    }
    shown = next(r for r in listing["recordings"] if r["id"] == video.id)
    assert shown["media_type"] == "video/webm"
    assert shown["play_url"] == f"/api/recordings/{video.id}/play"
    assert 2.5 < shown["duration_seconds"] < 4
    assert "path" not in shown

    body, response = await ksl.get(f"/api/recordings/{video.id}/play")
    assert response.headers["Content-Type"] == "video/webm"
    assert response.headers["Accept-Ranges"] == "bytes"
    assert body == plaintext(served, video)
    assert decode(body)[:1] == ("vp8",) and decode(body)[1] > 60

    body, response = await boss.get(f"/api/recordings/{video.id}/download")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert ".webm" in response.headers["Content-Disposition"]
    assert body == plaintext(served, video)

    await other.get(f"/api/recordings/{video.id}/play", status=403)
    await other.json("GET", f"/api/cases/{case_id}/recordings", status=403)
    await scheduler.get(f"/api/recordings/{video.id}/download", status=403)
    await scheduler.json("POST", f"/api/cases/{case_id}/composite", status=403)
    await served.anonymous.get(f"/api/recordings/{video.id}/play", status=401)

    assert await actions(served) == sorted(
        [
            (ksl.id, "list", None),
            (ksl.id, "play", video.id),
            (boss.id, "download", video.id),
            (other.id, "refused", video.id),
            (other.id, "refused", None),
            (scheduler.id, "refused", video.id),
            (scheduler.id, "refused", None),
        ],
        key=lambda t: (t[0] or "", t[1], t[2] or ""),
    )
    everything = await served.audit.entries()
    anonymous = [e for e in everything if e.staff_id is None]
    assert [(e.action, e.recording_id) for e in anonymous] == [
        (AccessAction.REFUSED, video.id)
    ]
    assert {e.client_address for e in everything} == {"127.0.0.1"}
    roles = {e.staff_id: e.role for e in everything if e.staff_id}
    assert roles == {
        ksl.id: "interpreter",
        boss.id: "supervisor",
        other.id: "interpreter",
        scheduler.id: "scheduler",
    }

    # The supervisor reads the audit; an interpreter is refused (and audited).
    read = await boss.json("GET", f"/api/recordings/audit?case_id={case_id}")
    assert len(read["entries"]) == 7
    assert read["entries"][0]["at"] >= read["entries"][-1]["at"]
    assert {e["action"] for e in read["entries"]} == {
        "list",
        "play",
        "download",
        "refused",
    }
    await ksl.json("GET", "/api/recordings/audit", status=403)
    refused = [
        e for e in await served.audit.entries() if e.case_id is None and e.staff_id
    ]
    assert [(e.staff_id, e.action) for e in refused] == [(ksl.id, AccessAction.REFUSED)]
    today = datetime.now(UTC).astimezone(served.server.app[RECORDINGS].tz)
    day = today.date().isoformat()
    ranged = await boss.json("GET", f"/api/recordings/audit?from={day}&to={day}")
    assert len(ranged["entries"]) == 9
    before = (today.date() - timedelta(days=3)).isoformat()
    empty = await boss.json("GET", f"/api/recordings/audit?from={before}&to={before}")
    assert empty["entries"] == []

    # The logger carries ids only.
    lines = [r.getMessage() for r in caplog.records if r.name == "dasan.audit"]
    assert any(video.id in line and "play" in line for line in lines)
    assert sum("refused" in line for line in lines) == 6
    assert not any("Kim" in line or "kim" in line for line in lines)


async def test_range_requests_give_bytes_that_decode(served: Served) -> None:
    ksl = served.staff["interpreter.ksl"]
    video = served.video("citizen")
    whole = plaintext(served, video)
    size = len(whole)
    url = f"/api/recordings/{video.id}/play"

    head, response = await ksl.get(url, status=206, Range="bytes=0-99")
    assert response.headers["Content-Range"] == f"bytes 0-99/{size}"
    assert head == whole[:100]
    tail, response = await ksl.get(url, status=206, Range="bytes=-100")
    assert tail == whole[-100:]
    assert response.headers["Content-Range"] == f"bytes {size - 100}-{size - 1}/{size}"
    # A player reading in pieces gets the file, which decodes.
    pieces, at = [], 0
    while at < size:
        part, _ = await ksl.get(url, status=206, Range=f"bytes={at}-{at + 65535}")
        pieces.append(part)
        at += len(part)
    joined = b"".join(pieces)
    assert joined == whole
    codec, frames, width = decode(joined)
    assert (codec, width) == ("vp8", 240) and frames > 60
    rest, _ = await ksl.get(url, status=206, Range=f"bytes={size // 2}-")
    assert rest == whole[size // 2 :]

    audit_rows = len(await served.audit.entries())
    for bad in (f"bytes={size}-", "bytes=500-100", "pages=1-2", "bytes=0-1,5-9"):
        _, response = await ksl.get(url, status=416, Range=bad)
        assert response.headers["Content-Range"] == f"bytes */{size}"
    # Within the viewing the first range opened: no row each.
    assert len(await served.audit.entries()) == audit_rows


async def test_a_seeking_viewing_is_audited_once(served: Served) -> None:
    ksl, boss = served.staff["interpreter.ksl"], served.staff["supervisor"]
    other = served.staff["counselor.en"]
    video = served.video("citizen")
    audio = next(r for r in served.rows if r.kind == "audio")
    whole = plaintext(served, video)
    size = len(whole)
    url = f"/api/recordings/{video.id}/play"

    # A video element: the first range, a seek forward, back, the tail.
    spans = [(0, size), (size // 2, size), (1000, 5096), (size - 100, size)]
    for start, stop in spans:
        body, _ = await ksl.get(url, status=206, Range=f"bytes={start}-{stop - 1}")
        assert body == whole[start:stop]
    assert await actions(served) == [(ksl.id, "play", video.id)]

    # Another account's viewing, another recording, downloads (ranged or not),
    # a play without a range and refusals each leave a row.
    await boss.get(url, status=206, Range="bytes=0-")
    await boss.get(url, status=206, Range="bytes=4096-")
    await ksl.get(f"/api/recordings/{audio.id}/play", status=206, Range="bytes=0-")
    download = f"/api/recordings/{video.id}/download"
    await ksl.get(download)
    await ksl.get(download, status=206, Range="bytes=0-99")
    await ksl.get(url)
    for _ in range(2):
        await other.get(url, status=403, Range="bytes=0-")
    assert await actions(served) == sorted(
        [
            (ksl.id, "play", video.id),
            (boss.id, "play", video.id),
            (ksl.id, "play", audio.id),
            (ksl.id, "download", video.id),
            (ksl.id, "download", video.id),
            (ksl.id, "play", video.id),
            (other.id, "refused", video.id),
            (other.id, "refused", video.id),
        ],
        key=lambda t: (t[0] or "", t[1], t[2] or ""),
    )

    # The window is read from storage, whichever process wrote the play: one
    # written a minute ago covers a range; one older than the window does not.
    before = len(await served.audit.entries())
    now = datetime.now(UTC)
    seen = (
        (audio, timedelta(minutes=1), 0),
        (served.video("interpreter"), PLAY_AUDIT_WINDOW, 1),
    )
    for row, ago, added in seen:
        await served.audit.record(
            AccessEntry(
                now - ago, AccessAction.PLAY, boss.id, "supervisor",
                served.case.id, row.id, "127.0.0.1",
            )
        )  # fmt: skip
        await boss.get(f"/api/recordings/{row.id}/play", status=206, Range="bytes=0-")
        before += 1 + added
        assert len(await served.audit.entries()) == before


async def test_bad_input_gets_a_stable_code_and_writes_nothing(
    served: Served,
) -> None:
    boss = served.staff["supervisor"]
    before = len(await served.audit.entries())

    async def code(method: str, path: str, status: int) -> str:
        body = await boss.json(method, path, status=status)
        assert body["error"]["message"]
        return str(body["error"]["code"])

    assert await code("GET", "/api/recordings/xyz/play", 400) == "invalid_id"
    assert await code("GET", f"/api/recordings/{'A' * 32}/play", 400) == ("invalid_id")
    assert await code("GET", f"/api/recordings/{UNKNOWN}/download", 404) == (
        "not_found"
    )
    assert await code("GET", f"/api/cases/{UNKNOWN}/recordings", 404) == "not_found"
    assert await code("GET", "/api/cases/nope/recordings", 400) == "invalid_id"
    assert await code("POST", f"/api/cases/{UNKNOWN}/composite", 404) == "not_found"
    assert await code("GET", f"/api/composites/{UNKNOWN}", 404) == "not_found"
    audit = "/api/recordings/audit"
    assert await code("GET", f"{audit}?from=2026-03-05&to=2026-03-01", 400) == (
        "range_reversed"
    )
    assert await code("GET", f"{audit}?from=2024-01-01&to=2026-03-01", 400) == (
        "range_too_long"
    )
    assert await code("GET", f"{audit}?limit=0", 400) == "invalid_field"
    assert await code("GET", f"{audit}?case_id=x", 400) == "invalid_field"
    assert await code("GET", f"{audit}?from=yesterday", 400) == "invalid_field"
    assert await code("GET", f"{audit}?who=me", 400) == "invalid_field"
    assert len(await served.audit.entries()) == before


# -- a deleted file, recovery at start-up, retention ------------------------------


async def test_retention_deletes_the_recordings_of_erased_cases(
    aiohttp_server: AppServer,
    tmp_path: Path,
    session: tuple[Path, list[RecordedFile]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, "dasan.audit")
    served = await serve(aiohttp_server, tmp_path, session)
    try:
        ksl = served.staff["interpreter.ksl"]
        recent = served.case
        old = await answered_case(served.server, ksl.id or "", 60 * 24 * 40)
        # The same files once more, as the old case's.
        root, files = session
        old_rows = []
        for file in files:
            path = f"recordings/old/{file.recording_id}.webm.sealed"
            (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(root / file.path, tmp_path / path)
            row = as_recording(old.id, file)
            row = Recording(
                secrets.token_hex(16), old.id, row.party_role, row.party_id, row.kind,
                row.codec, path, row.started_at, row.ended_at, row.status, row.bytes,
            )  # fmt: skip
            old_rows.append(row)
        recordings = SqlRecordings(runtime(served.server).database)
        for row in old_rows:
            await recordings.add(row)
        library = served.server.app[RECORDINGS].library
        records = served.server.app[RECORDINGS].cases
        assert records is runtime(served.server).cases

        report = await retention_pass(
            served.server.app[RECORDS].records,
            lambda: datetime.now(UTC),
            30,
            library.apply_retention,  # type: ignore[attr-defined]
        )
        assert report.cases == 1
        for row in old_rows:
            assert not (tmp_path / row.path).exists()
            gone = await recordings.get(row.id)
            assert gone is not None
            assert (gone.status, gone.bytes) == (RecordingStatus.DELETED, 0)
        for row in served.rows:
            assert (tmp_path / row.path).exists()
            kept = await recordings.get(row.id)
            assert kept is not None and kept.status is RecordingStatus.CLOSED
        deletions = await served.audit.entries(case_id=old.id)
        assert sorted(e.recording_id or "" for e in deletions) == sorted(
            r.id for r in old_rows
        )
        assert {e.action for e in deletions} == {AccessAction.DELETE}
        lines = [r.getMessage() for r in caplog.records if r.name == "dasan.audit"]
        for row in old_rows:
            assert any(f"retention deleted recording {row.id}" in x for x in lines)

        # The deleted files are listed (for the audit) but neither play nor combine.
        listing = await ksl.json("GET", f"/api/cases/{old.id}/recordings")
        assert {r["status"] for r in listing["recordings"]} == {"deleted"}
        assert {r["play_url"] for r in listing["recordings"]} == {None}
        body = await ksl.json("GET", f"/api/recordings/{old_rows[0].id}/play", 410)
        assert body["error"]["code"] == "recording_gone"
        body = await ksl.json("POST", f"/api/cases/{old.id}/composite", 409)
        assert body["error"]["code"] == "no_recordings"
        # A second pass finds nothing more to delete.
        assert await library.apply_retention() == 0  # type: ignore[attr-defined]
        assert recent.id != old.id
    finally:
        await close(served)


async def test_a_file_left_open_by_a_crash_is_closed_and_attached_at_start_up(
    aiohttp_server: AppServer,
    tmp_path: Path,
    session: tuple[Path, list[RecordedFile]],
) -> None:
    root, files = session
    (tmp_path / DEMO_KEY_FILE).write_text(KEY.to_base64() + "\n")
    video = next(f for f in files if f.kind == "video")
    whole = read_plaintext(root / video.path, KEY)
    path = f"recordings/crashed/{video.recording_id}.webm.sealed"
    writer = SealedWriter(tmp_path / path, KEY)
    writer.seal(whole[: len(whole) // 2])
    writer.abandon()  # as a kill -9 leaves it: no closing chunk
    db = await open_database(database_url_for_data_dir(tmp_path))
    try:
        at = datetime.now(UTC) - timedelta(hours=1)
        case = Case.open("e" * 32, KSL, at)
        case.offer("k" * 32, at)
        case.answer("k" * 32, at + timedelta(seconds=5))
        case.end(EndReason.SERVICE_INTERRUPTED, Party.SYSTEM, at + timedelta(minutes=1))
        await SqlCaseRepository(db).add(case)
        await SqlRecordings(db).add(
            Recording(
                video.recording_id, case.id, "interpreter", "interpreter", "video",
                "vp8", path, video.started_at,
            )
        )  # fmt: skip
    finally:
        await db.close()

    server = await start_server(aiohttp_server, tmp_path)
    stored = await SqlRecordings(runtime(server).database).get(video.recording_id)
    assert stored is not None and stored.status is RecordingStatus.RECOVERED
    assert stored.bytes == (tmp_path / path).stat().st_size
    reread = await runtime(server).cases.get(case.id)
    assert reread is not None
    event = reread.events[-1]
    assert (event.kind, event.detail) == (
        EventKind.RECORDING_RECOVERED,
        video.recording_id,
    )
    # It plays: the half that was sealed.
    profile, token = await login(server, "supervisor")
    boss = Staff(server, token, profile)
    try:
        body, _ = await boss.get(f"/api/recordings/{video.recording_id}/play")
        assert body == whole[: len(whole) // 2]
        assert decode(body)[1] > 10
    finally:
        await boss.http.close()


async def test_without_a_key_nothing_plays_and_the_page_is_told(
    aiohttp_server: AppServer, tmp_path: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path, hours_file=open_around_the_clock(tmp_path / "hours.toml")
    )
    server = await aiohttp_server(create_app(settings))
    db = runtime(server).database
    await seed_demo(SqlStaffDirectory(db), Passwords(), DEMO_PASSWORD)
    profile, token = await login(server, "supervisor")
    boss = Staff(server, token, profile)
    try:
        case = await answered_case(server, profile["id"], 10)
        await SqlRecordings(db).add(
            Recording(
                "a" * 32, case.id, "citizen", "citizen", "video", "vp8",
                "recordings/x/a.webm.sealed", case.requested_at,
                case.ended_at, RecordingStatus.CLOSED, 10,
            )
        )  # fmt: skip
        listing = await boss.json("GET", f"/api/cases/{case.id}/recordings")
        assert listing["configured"] is False
        body = await boss.json("GET", f"/api/recordings/{'a' * 32}/play", 409)
        assert body["error"]["code"] == "recording_unavailable"
        body = await boss.json("POST", f"/api/cases/{case.id}/composite", 409)
        assert body["error"]["code"] == "recording_unavailable"
        assert not (tmp_path / DEMO_KEY_FILE).exists()
        entries = await SqlAccessAudit(db).entries(case_id=case.id)
        assert [e.action for e in entries] == [AccessAction.LIST]
        assert isinstance(entries[0], AccessEntry)
    finally:
        await boss.http.close()
