"""The sealed file: a header, then chunks each encrypted on its own with AES-GCM.

Layout (big-endian)::

    header  magic "DASANREC", version, key fingerprint (8), salt (16),
            nonce prefix (4), created (ms since the epoch)
    chunk   length of the sealed bytes (4), kind (1), sealed at (ms, 8),
            nonce (12), ciphertext and tag

Every file has its own AES-256 key, derived from the master key and the
file's random salt (HKDF-SHA256), so nonces never repeat across files. A chunk's
nonce is the file's prefix and the chunk's index; the header, the index, the
kind and the time are its associated data, so a chunk cannot be moved, dropped
from the middle or taken into another file without failing authentication.
Each chunk is appended and fsync'd whole: a crash loses at most the chunk being
written, and the reader stops cleanly at such a torn tail. A final ``CLOSE``
chunk (the plaintext bytes and data chunks before it) marks a finished file.
"""

from __future__ import annotations

import os
import secrets
import struct
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from recording.errors import NotARecording, TamperedRecording, WrongKey
from recording.keys import RecordingKey

MAGIC = b"DASANREC"
VERSION = 1
HEADER = struct.Struct(">8sB8s16s4sQ")
CHUNK = struct.Struct(">IBQ12s")
AAD = struct.Struct(">QBQ")
TAG_BYTES = 16
MAX_CHUNK = 64 * 1024 * 1024  # a longer length field is damage, not data
DATA, CLOSE = 1, 2
CLOSING = struct.Struct(">QQ")  # plaintext bytes, data chunks

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class Header:
    key_id: bytes
    salt: bytes
    nonce_prefix: bytes
    created_ms: int
    raw: bytes

    @classmethod
    def parse(cls, raw: bytes) -> Header:
        if len(raw) < HEADER.size:
            raise NotARecording("the header is cut short")
        magic, version, key_id, salt, prefix, created = HEADER.unpack(raw)
        if magic != MAGIC:
            raise NotARecording("wrong magic")
        if version != VERSION:
            raise NotARecording(f"version {version} is not known")
        return cls(key_id, salt, prefix, created, raw)


@dataclass(frozen=True, slots=True)
class Chunk:
    """One authenticated chunk; ``offset`` is where it starts in the file."""

    index: int
    kind: int
    sealed_ms: int
    offset: int
    size: int  # header and sealed bytes: the chunk's length in the file
    plaintext: bytes


def file_cipher(key: RecordingKey, salt: bytes) -> AESGCM:
    derived = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=salt,
        info=b"dasan-rtc recording v1",
    ).derive(key.secret)
    return AESGCM(derived)


def _nonce(prefix: bytes, index: int) -> bytes:
    return prefix + index.to_bytes(8, "big")


def _fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class SealedWriter:
    """Appends sealed chunks to a new file; blocking, for one thread at a time."""

    def __init__(self, path: Path, key: RecordingKey, clock: Clock = time.time):
        self.path = path
        self._clock = clock
        salt, prefix = secrets.token_bytes(16), secrets.token_bytes(4)
        created = int(clock() * 1000)
        self._header = HEADER.pack(
            MAGIC, VERSION, key.fingerprint, salt, prefix, created
        )
        self._prefix = prefix
        self._cipher = file_cipher(key, salt)
        self._index = 0
        self.plaintext_bytes = 0
        self.closed = False
        self.last_sealed_ms = created
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd: int | None = os.open(
            path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600
        )
        self._append(self._header)
        _fsync_directory(path.parent)
        self.size = len(self._header)

    def _append(self, data: bytes) -> None:
        assert self._fd is not None
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        os.fsync(self._fd)

    def _seal(self, kind: int, plaintext: bytes, sealed_ms: int | None = None) -> None:
        if self.closed:
            raise ValueError("the file is closed")
        at = int(self._clock() * 1000) if sealed_ms is None else sealed_ms
        nonce = _nonce(self._prefix, self._index)
        aad = self._header + AAD.pack(self._index, kind, at)
        sealed = self._cipher.encrypt(nonce, plaintext, aad)
        chunk = CHUNK.pack(len(sealed), kind, at, nonce) + sealed
        self._append(chunk)
        self._index += 1
        self.size += len(chunk)
        self.last_sealed_ms = at

    def seal(self, plaintext: bytes) -> None:
        """Encrypt ``plaintext`` as the next chunk, write it and fsync."""
        if not plaintext:
            return
        self._seal(DATA, plaintext)
        self.plaintext_bytes += len(plaintext)

    def close(self, sealed_ms: int | None = None) -> None:
        """Write the closing chunk; the file is then complete."""
        if self.closed:
            return
        self._seal(CLOSE, CLOSING.pack(self.plaintext_bytes, self._index), sealed_ms)
        self.closed = True
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def abandon(self) -> None:
        """Close the descriptor without the closing chunk (recovery closes it)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


@dataclass(frozen=True, slots=True)
class Scan:
    """What a read of a whole file found."""

    header: Header
    chunks: tuple[Chunk, ...]  # the data chunks, authenticated
    closed: bool
    end: int  # file offset just after the last good chunk
    torn: bool  # bytes after ``end`` that are not a whole, good chunk


def read_header(source: BinaryIO, key: RecordingKey) -> Header:
    header = Header.parse(source.read(HEADER.size))
    if header.key_id != key.fingerprint:
        raise WrongKey(header.key_id.hex(), key.fingerprint.hex())
    return header


def iter_chunks(source: BinaryIO, key: RecordingKey) -> Iterator[Chunk | None]:
    """Authenticated chunks from the start of ``source``, in order.

    Yields ``None`` once, last, for a torn tail: a chunk cut short, or a last
    chunk that fails authentication in a file that was never closed (what a
    crash during its write can leave). Raises ``TamperedRecording`` for
    anything else that does not authenticate.
    """
    source.seek(0)
    header = read_header(source, key)
    cipher = file_cipher(key, header.salt)
    offset = HEADER.size
    index = 0
    closed = False
    while True:
        head = source.read(CHUNK.size)
        if not head:
            return
        if closed:
            raise TamperedRecording(index, "data after the closing chunk")
        if len(head) < CHUNK.size:
            yield None
            return
        length, kind, sealed_ms, nonce = CHUNK.unpack(head)
        body = source.read(length) if TAG_BYTES <= length <= MAX_CHUNK else b""
        whole = len(body) == length
        try:
            if not whole:
                raise InvalidTag
            if nonce != _nonce(header.nonce_prefix, index) or kind not in (
                DATA,
                CLOSE,
            ):
                raise TamperedRecording(index, "out of place")
            aad = header.raw + AAD.pack(index, kind, sealed_ms)
            plaintext = cipher.decrypt(nonce, body, aad)
        except (InvalidTag, TamperedRecording) as exc:
            if not source.read(1):  # the last thing in the file: a torn tail
                yield None
                return
            if isinstance(exc, TamperedRecording):
                raise
            raise TamperedRecording(index, "fails authentication") from None
        size = CHUNK.size + length
        if kind == CLOSE:
            closed = True
        yield Chunk(index, kind, sealed_ms, offset, size, plaintext)
        offset += size
        index += 1


def scan(path: Path, key: RecordingKey) -> Scan:
    """Read and authenticate a whole file."""
    with path.open("rb") as source:
        header = read_header(source, key)
        chunks: list[Chunk] = []
        closed = torn = False
        end = HEADER.size
        for chunk in iter_chunks(source, key):
            if chunk is None:
                torn = True
                break
            end = chunk.offset + chunk.size
            if chunk.kind == CLOSE:
                closed = True
                _check_closing(chunk, chunks)
            else:
                chunks.append(chunk)
    return Scan(header, tuple(chunks), closed, end, torn)


def _check_closing(closing: Chunk, chunks: list[Chunk]) -> None:
    total, count = CLOSING.unpack(closing.plaintext)
    if count != len(chunks) or total != sum(len(c.plaintext) for c in chunks):
        raise TamperedRecording(closing.index, "the closing chunk does not add up")


def read_plaintext(path: Path, key: RecordingKey) -> bytes:
    """The whole recording decrypted (small files and tests)."""
    return b"".join(c.plaintext for c in scan(path, key).chunks)


@dataclass(frozen=True, slots=True)
class Recovered:
    """An unfinished file after recovery: cut after its last good chunk, closed."""

    path: Path
    was_closed: bool
    chunks: int
    plaintext_bytes: int
    last_sealed_ms: int  # the last data chunk's time (the header's when none)
    size: int


def recover(path: Path, key: RecordingKey) -> Recovered:
    """Close a file a crash left open: drop a torn tail, append the closing
    chunk stamped with the last data chunk's time. A closed file is left as is."""
    found = scan(path, key)
    last_ms = found.chunks[-1].sealed_ms if found.chunks else found.header.created_ms
    total = sum(len(c.plaintext) for c in found.chunks)
    if not found.closed:
        cipher = file_cipher(key, found.header.salt)
        index = len(found.chunks)
        nonce = _nonce(found.header.nonce_prefix, index)
        aad = found.header.raw + AAD.pack(index, CLOSE, last_ms)
        sealed = cipher.encrypt(nonce, CLOSING.pack(total, index), aad)
        closing = CHUNK.pack(len(sealed), CLOSE, last_ms, nonce) + sealed
        fd = os.open(path, os.O_WRONLY)
        try:
            os.ftruncate(fd, found.end)
            os.lseek(fd, found.end, os.SEEK_SET)
            view = memoryview(closing)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
    return Recovered(
        path,
        found.closed,
        len(found.chunks),
        total,
        last_ms,
        path.stat().st_size,
    )
