"""A sealed recording read back as a seekable plain file, for PyAV (``av.open``)
and the play route's HTTP ranges.

Opening reads only the chunk framing (where each chunk is; AES-GCM adds a tag of
fixed size, so each chunk's plaintext length is known without decrypting it)
and authenticates at most two small things: the closing chunk, whose counts
must match the chunks before it, or, in a file never closed, the last chunk (a
torn tail is left out, as a player would). Reads decrypt and authenticate only
the chunks they touch (the last one is kept), so seeking in an hour of video
never decrypts the hour. The index of a file can be kept in a ``ChunkIndexes``
so repeated opens of the same, unchanged file do not walk it again.
"""

from __future__ import annotations

import bisect
import io
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from recording.errors import TamperedRecording
from recording.keys import RecordingKey
from recording.sealed import (
    AAD,
    CHUNK,
    CLOSE,
    CLOSING,
    DATA,
    HEADER,
    MAX_CHUNK,
    TAG_BYTES,
    Header,
    _nonce,
    file_cipher,
    read_header,
)

KEPT_INDEXES = 48  # files a server keeps indexed (a few dozen open players)


@dataclass(frozen=True, slots=True)
class Located:
    """Where one data chunk is: its file offset and length, and its index."""

    offset: int
    size: int  # header and sealed bytes
    index: int

    @property
    def plaintext_bytes(self) -> int:
        return self.size - CHUNK.size - TAG_BYTES


@dataclass(frozen=True, slots=True)
class ChunkIndex:
    """A file's data chunks, found from their framing; immutable, shared."""

    header: Header
    chunks: tuple[Located, ...]
    starts: tuple[int, ...]  # plaintext offset of each data chunk
    length: int  # plaintext bytes of the data chunks
    closed: bool
    torn: bool  # bytes after the last good chunk, left out


def _authenticate(
    cipher: AESGCM, header: Header, index: int, head: bytes, body: bytes
) -> bytes:
    """The chunk's plaintext; ``InvalidTag`` when it does not authenticate."""
    _, kind, sealed_ms, _ = CHUNK.unpack(head)
    aad = header.raw + AAD.pack(index, kind, sealed_ms)
    return cipher.decrypt(_nonce(header.nonce_prefix, index), body, aad)


def index_chunks(source: BinaryIO, key: RecordingKey) -> ChunkIndex:
    """Walk the framing of ``source`` as ``sealed.iter_chunks`` reads it,
    decrypting only the closing chunk or the last chunk of the file.

    A chunk out of place (its nonce is not its index's, as when chunks are
    reordered or one is dropped), damaged framing before the file's end, a
    closing chunk whose counts do not add up and data after it raise
    ``TamperedRecording``; damage at the very end is a torn tail, left out. A
    data chunk changed in the middle is found when it is read."""
    source.seek(0)
    header = read_header(source, key)
    cipher = file_cipher(key, header.salt)
    end_of_file = os.fstat(source.fileno()).st_size
    offset, index = HEADER.size, 0
    chunks: list[Located] = []
    closed = torn = False
    while offset < end_of_file:
        if closed:
            raise TamperedRecording(index, "data after the closing chunk")
        source.seek(offset)
        head = source.read(CHUNK.size)
        if len(head) < CHUNK.size:
            torn = True  # a header cut short by a crash
            break
        length, kind, _, nonce = CHUNK.unpack(head)
        if not TAG_BYTES <= length <= MAX_CHUNK:
            if offset + CHUNK.size == end_of_file:
                torn = True
                break
            raise TamperedRecording(index, "fails authentication")
        stop = offset + CHUNK.size + length
        if stop > end_of_file:
            torn = True  # sealed bytes cut short by a crash
            break
        last = stop == end_of_file
        if nonce != _nonce(header.nonce_prefix, index) or kind not in (DATA, CLOSE):
            if last:
                torn = True
                break
            raise TamperedRecording(index, "out of place")
        if kind == CLOSE or last:
            try:
                plaintext = _authenticate(
                    cipher, header, index, head, source.read(length)
                )
            except InvalidTag:
                if last:
                    torn = True
                    break
                raise TamperedRecording(index, "fails authentication") from None
            if kind == CLOSE:
                _check_closing(index, plaintext, chunks)
                closed = True
        if kind == DATA:
            chunks.append(Located(offset, stop - offset, index))
        offset, index = stop, index + 1
    starts, length = [], 0
    for chunk in chunks:
        starts.append(length)
        length += chunk.plaintext_bytes
    return ChunkIndex(header, tuple(chunks), tuple(starts), length, closed, torn)


def _check_closing(index: int, plaintext: bytes, chunks: list[Located]) -> None:
    """As ``sealed._check_closing``, from the chunks' lengths alone."""
    if len(plaintext) != CLOSING.size:
        raise TamperedRecording(index, "the closing chunk does not add up")
    total, count = CLOSING.unpack(plaintext)
    if count != len(chunks) or total != sum(c.plaintext_bytes for c in chunks):
        raise TamperedRecording(index, "the closing chunk does not add up")


class ChunkIndexes:
    """The last few files' indexes, by path, size, modification time and key:
    a file that changes (recovery closing it) is indexed again. Thread-safe."""

    def __init__(self, capacity: int = KEPT_INDEXES) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._capacity = capacity
        self._kept: OrderedDict[tuple[str, int, int, bytes], ChunkIndex] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._kept)

    def index(self, path: Path, source: BinaryIO, key: RecordingKey) -> ChunkIndex:
        """The index of ``source`` (opened from ``path``), walked on a miss."""
        found = os.fstat(source.fileno())
        kept = (str(path.absolute()), found.st_size, found.st_mtime_ns, key.fingerprint)
        with self._lock:
            cached = self._kept.get(kept)
            if cached is not None:
                self._kept.move_to_end(kept)
                return cached
        made = index_chunks(source, key)  # outside the lock: it reads the file
        with self._lock:
            self._kept[kept] = made
            self._kept.move_to_end(kept)
            while len(self._kept) > self._capacity:
                self._kept.popitem(last=False)
        return made


class PlaintextFile(io.RawIOBase):
    """Read-only, seekable view of a recording's plaintext."""

    def __init__(
        self, path: Path, key: RecordingKey, indexes: ChunkIndexes | None = None
    ) -> None:
        super().__init__()
        self._source: BinaryIO = path.open("rb")
        try:
            if indexes is None:
                self._index = index_chunks(self._source, key)
            else:
                self._index = indexes.index(path, self._source, key)
            self._cipher = file_cipher(key, self._index.header.salt)
        except BaseException:
            self._source.close()
            raise
        self._position = 0
        self._cached: tuple[int, bytes] | None = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    @property
    def size(self) -> int:
        return self._index.length

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self.size}
        if whence not in base:
            raise ValueError(f"bad whence {whence}")
        position = base[whence] + offset
        if position < 0:
            raise ValueError("negative seek position")
        self._position = position
        return position

    def _plaintext(self, number: int) -> bytes:
        if self._cached is not None and self._cached[0] == number:
            return self._cached[1]
        chunk = self._index.chunks[number]
        self._source.seek(chunk.offset)
        raw = self._source.read(chunk.size)
        try:
            if len(raw) != chunk.size:
                raise InvalidTag
            plaintext = _authenticate(
                self._cipher,
                self._index.header,
                chunk.index,
                raw[: CHUNK.size],
                raw[CHUNK.size :],
            )
        except InvalidTag:  # changed in the middle, or since it was indexed
            raise TamperedRecording(chunk.index, "fails authentication") from None
        self._cached = (number, plaintext)
        return plaintext

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._position >= self.size:
            return 0
        starts = self._index.starts
        number = bisect.bisect_right(starts, self._position) - 1
        plaintext = self._plaintext(number)
        within = self._position - starts[number]
        count = min(len(buffer), len(plaintext) - within)
        buffer[:count] = plaintext[within : within + count]
        self._position += count
        return count

    def close(self) -> None:
        if not self.closed:
            self._source.close()
        super().close()


def open_recording(
    path: Path, key: RecordingKey, indexes: ChunkIndexes | None = None
) -> io.BufferedReader:
    """The recording's container bytes, to pass to ``av.open``."""
    return io.BufferedReader(PlaintextFile(path, key, indexes), buffer_size=256 * 1024)
