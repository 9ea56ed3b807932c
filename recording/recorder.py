"""Recording a room: one sealed file per participant track, from the media
server's taps, paused, resumed and stopped as consent decides.

``RoomRecorder`` needs only ``tap(room_id, party_id, kind)`` from the media
server: each tap gives a party's encoded frames as ``av.Packet`` from a
keyframe on. Muxing and sealing run in one thread per track; the event loop
only hands packets over. ``on_file`` hears of each file twice, in order: when
it is created (``status="recording"``, so a crash leaves a row to recover) and
when it is closed.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any, Protocol

from aiortc.mediastreams import MediaStreamError
from av.packet import Packet

from recording.container import FORMATS, TrackFile, sniff_codec
from recording.errors import RecordingError
from recording.keys import RecordingKey, require_key
from recording.sealed import Clock

log = logging.getLogger(__name__)

KINDS = ("audio", "video")
FOLDER = "recordings"
SUFFIX = {"webm": ".webm.sealed", "matroska": ".mkv.sealed"}


class Tap(Protocol):
    """A party's encoded frames (``rtc_server.tracks.ForwardedTrack``)."""

    async def recv(self) -> Any: ...

    def request_keyframe(self) -> None: ...

    def stop(self) -> None: ...


class MediaTaps(Protocol):
    """What the recorder needs of the media server (``MediaServer.tap``)."""

    def tap(self, room_id: str, party_id: str, kind: str) -> Tap: ...


@dataclass(frozen=True, slots=True)
class RecordedFile:
    """One track's file; ``path`` is relative to the recorder's root folder."""

    recording_id: str
    room_id: str
    party_id: str
    kind: str
    codec: str
    path: str
    started_at: datetime
    ended_at: datetime | None
    bytes: int
    # "recording" while written, then "closed"; "failed" when writing failed
    # (what was sealed stays readable; start-up recovery closes the file).
    status: str


def _when(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class TrackRecorder:
    """Writes one tap into one sealed file, from its first packet on."""

    def __init__(
        self,
        tap: Tap,
        *,
        room_id: str,
        party_id: str,
        kind: str,
        root: Path,
        key: RecordingKey,
        report: Callable[[RecordedFile], None],
        seal_every: float = 1.0,
        clock: Clock = time.time,
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"not a media kind: {kind!r}")
        self.party_id = party_id
        self.kind = kind
        self._tap = tap
        self._room_id = room_id
        self._root = root
        self._key = key
        self._report = report
        self._seal_every = seal_every
        self._clock = clock
        self._thread = ThreadPoolExecutor(1, thread_name_prefix=f"record-{kind}")
        self._file: TrackFile | None = None  # used in the thread only
        self._record: RecordedFile | None = None
        self._origin = 0
        self._paused = False
        self._want_keyframe = False
        self._failed = False
        self._last_job: asyncio.Future[Any] | None = None
        self._finished: RecordedFile | None = None
        self._closing: asyncio.Task[RecordedFile | None] | None = None
        self._reader = asyncio.ensure_future(self._read())
        self._ticker = asyncio.ensure_future(self._tick())

    @property
    def file(self) -> RecordedFile | None:
        return self._finished or self._record

    @property
    def paused(self) -> bool:
        return self._paused

    def pause(self) -> None:
        """Stop writing packets (the file stays open)."""
        if not self._paused:
            self._paused = True
            if self._record is not None:
                self._submit(self._seal)

    def resume(self) -> None:
        """Write again; video waits for a keyframe, asked for now."""
        if self._paused:
            self._paused = False
            if self.kind == "video" and self._record is not None:
                self._want_keyframe = True
                self._tap.request_keyframe()

    def _submit(self, job: Callable[..., Any], *args: Any) -> None:
        if self._failed:
            return
        future = asyncio.get_running_loop().run_in_executor(self._thread, job, *args)
        future.add_done_callback(self._check)
        self._last_job = future

    def _check(self, future: asyncio.Future[Any]) -> None:
        if future.cancelled() or future.exception() is None:
            return
        if not self._failed:
            self._failed = True
            log.error(
                "recording %s stopped: %r",
                self._record.recording_id if self._record else "?",
                future.exception(),
            )

    async def _read(self) -> None:
        try:
            while True:
                item = await self._tap.recv()
                if isinstance(item, Packet) and not self._paused and not self._failed:
                    self._take(item)
        except MediaStreamError:
            pass  # the publisher left or the room closed
        finally:
            if self._closing is None:
                self._closing = asyncio.ensure_future(self._close())

    async def _tick(self) -> None:
        """Seal at least every ``seal_every`` seconds even when packets pause."""
        while True:
            await asyncio.sleep(self._seal_every / 2)
            if self._record is not None and not self._failed:
                self._submit(self._seal_if_due)

    def _take(self, packet: Packet[Any]) -> None:
        keyframe = bool(packet.is_keyframe)
        if self._want_keyframe:
            if not keyframe:
                self._tap.request_keyframe()
                return
            self._want_keyframe = False
        data = bytes(packet)
        pts = packet.pts or 0
        if self._record is None:
            if self.kind == "video" and not keyframe:
                self._tap.request_keyframe()
                return
            time_base = Fraction(packet.time_base or Fraction(1, 90000))
            self._start(data, pts, time_base)
        self._submit(self._write, data, pts - self._origin, keyframe)

    def _start(self, first: bytes, pts: int, time_base: Fraction) -> None:
        codec = sniff_codec(self.kind, first, time_base.denominator)
        recording_id = secrets.token_hex(16)
        now = self._clock()
        day = _when(now).strftime("%Y-%m-%d")
        path = f"{FOLDER}/{day}/{recording_id}{SUFFIX[FORMATS[codec][0]]}"
        self._origin = pts
        self._record = RecordedFile(
            recording_id,
            self._room_id,
            self.party_id,
            self.kind,
            codec,
            path,
            _when(now),
            None,
            0,
            "recording",
        )
        self._submit(self._open, self._root / path, codec, time_base, first)
        self._report(self._record)

    # -- in the track's thread ---------------------------------------------------

    def _open(self, path: Path, codec: str, time_base: Fraction, first: bytes) -> None:
        self._file = TrackFile(
            path, self._key, codec, time_base, first, self._seal_every, self._clock
        )

    def _write(self, data: bytes, pts: int, keyframe: bool) -> None:
        if self._file is not None:
            self._file.write(data, pts, keyframe)

    def _seal(self) -> None:
        if self._file is not None:
            self._file.seal()

    def _seal_if_due(self) -> None:
        if self._file is not None:
            self._file.seal_if_due()

    def _finish_file(self) -> int:
        file, self._file = self._file, None
        if file is None:
            return 0
        if self._failed:
            file.abandon()
            return file.size
        return file.close()

    # -- stopping ------------------------------------------------------------------

    async def _close(self) -> RecordedFile | None:
        self._ticker.cancel()
        self._tap.stop()
        loop = asyncio.get_running_loop()
        size = 0
        try:
            size = await loop.run_in_executor(self._thread, self._finish_file)
        except (RecordingError, OSError, ValueError) as exc:
            log.error("a recording could not be closed: %r", exc)
        finally:
            self._thread.shutdown(wait=False)
        if self._record is None:
            return None
        self._finished = replace(
            self._record,
            ended_at=_when(self._clock()),
            bytes=size,
            status="failed" if self._failed else "closed",
        )
        self._report(self._finished)
        return self._finished

    async def stop(self) -> RecordedFile | None:
        """No packet is written after this is called; the file is closed."""
        self._reader.cancel()
        await asyncio.wait([self._reader])
        assert self._closing is not None
        return await self._closing


class RoomRecorder:
    """Records every party of a room, one file per track; refuses without a key."""

    def __init__(
        self,
        media: MediaTaps,
        room_id: str,
        key: bytes | RecordingKey | None,
        root: Path,
        on_file: Callable[[RecordedFile], Awaitable[None]] | None = None,
        *,
        seal_every: float = 1.0,
        clock: Clock = time.time,
    ) -> None:
        if not 0 < seal_every <= 1.0:
            raise ValueError("files are sealed at least every second")
        self.room_id = room_id
        self._key = require_key(key)
        self._media = media
        self._root = root
        self._on_file = on_file
        self._seal_every = seal_every
        self._clock = clock
        self._tracks: dict[tuple[str, str], TrackRecorder] = {}
        self._paused = False
        self._events: asyncio.Queue[RecordedFile] = asyncio.Queue()
        self._notifier: asyncio.Task[None] | None = None
        self.files: list[RecordedFile] = []  # every closed file, in order

    @property
    def recording(self) -> bool:
        return bool(self._tracks) and not self._paused

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def parties(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(party for party, _ in self._tracks))

    def _report(self, file: RecordedFile) -> None:
        if file.status != "recording":
            self.files.append(file)
        if self._on_file is not None:
            self._events.put_nowait(file)
            if self._notifier is None or self._notifier.done():
                self._notifier = asyncio.ensure_future(self._notify())

    async def _notify(self) -> None:
        assert self._on_file is not None
        while not self._events.empty():
            file = self._events.get_nowait()
            try:
                await self._on_file(file)
            except Exception:
                log.exception("on_file failed for recording %s", file.recording_id)

    def add_party(self, party_id: str) -> None:
        """Record ``party_id``'s audio and video (paused while the room is)."""
        for kind in KINDS:
            if (party_id, kind) in self._tracks:
                continue
            track = TrackRecorder(
                self._media.tap(self.room_id, party_id, kind),
                room_id=self.room_id,
                party_id=party_id,
                kind=kind,
                root=self._root,
                key=self._key,
                report=self._report,
                seal_every=self._seal_every,
                clock=self._clock,
            )
            if self._paused:
                track.pause()
            self._tracks[party_id, kind] = track

    def start(self, parties: Iterable[str]) -> None:
        """Start (or go on) recording these parties."""
        self._paused = False
        for party_id in parties:
            self.add_party(party_id)
        for track in self._tracks.values():
            track.resume()

    def pause(self) -> None:
        """No packet is written until ``resume``; the files stay open."""
        self._paused = True
        for track in self._tracks.values():
            track.pause()

    def resume(self, parties: Iterable[str] = ()) -> None:
        """Write again (video from a keyframe), adding ``parties`` not yet recorded."""
        self.start(parties)

    async def remove_party(self, party_id: str) -> list[RecordedFile]:
        """Close a party's files (they left the room)."""
        tracks = [self._tracks.pop((party_id, kind), None) for kind in KINDS]
        done = await asyncio.gather(*(t.stop() for t in tracks if t is not None))
        await self._drain()
        return [f for f in done if f is not None]

    async def stop(self) -> list[RecordedFile]:
        """Stop every track at once and close its file; returns the files."""
        tracks, self._tracks = list(self._tracks.values()), {}
        self._paused = False
        done = await asyncio.gather(*(t.stop() for t in tracks))
        await self._drain()
        return [f for f in done if f is not None]

    async def _drain(self) -> None:
        """Wait until ``on_file`` has heard of everything so far."""
        while self._notifier is not None and not self._notifier.done():
            await asyncio.shield(self._notifier)
