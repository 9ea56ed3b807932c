"""Playback's chunk index: opening reads the framing only, a read decrypts the
chunks it covers and no others, damage is found where it is read, torn tails
are left out as before, and kept indexes spare a second walk."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from recording.errors import TamperedRecording, WrongKey
from recording.keys import RecordingKey
from recording.playback import ChunkIndexes, PlaintextFile, index_chunks
from recording.sealed import CHUNK, SealedWriter, file_cipher, recover, scan

KEY = RecordingKey(bytes(range(32)))
PART = 1000  # plaintext bytes of each data chunk
PARTS = [os.urandom(PART) for _ in range(20)]


class Clock:
    def __init__(self) -> None:
        self.now = 1_750_000_000.0

    def __call__(self) -> float:
        self.now += 0.5
        return self.now


class Counting:
    """A file's real cipher that notes the index of every chunk it decrypts."""

    def __init__(self, cipher: AESGCM, seen: list[int]) -> None:
        self._cipher = cipher
        self._seen = seen

    def decrypt(self, nonce: bytes, data: bytes, aad: bytes) -> bytes:
        self._seen.append(int.from_bytes(nonce[4:], "big"))
        return self._cipher.decrypt(nonce, data, aad)


@pytest.fixture
def decrypted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The chunks playback decrypts, by index, in order."""
    seen: list[int] = []

    def counting(key: RecordingKey, salt: bytes) -> Any:
        return Counting(file_cipher(key, salt), seen)

    monkeypatch.setattr("recording.playback.file_cipher", counting)
    return seen


def write(path: Path, parts: list[bytes] = PARTS, close: bool = True) -> Path:
    writer = SealedWriter(path, KEY, Clock())
    for part in parts:
        writer.seal(part)
    if close:
        writer.close()
    else:
        writer.abandon()
    return path


def read(plain: PlaintextFile, start: int, count: int) -> bytes:
    plain.seek(start)
    out = bytearray()
    while len(out) < count:
        buffer = bytearray(count - len(out))
        got = plain.readinto(buffer)
        if not got:
            break
        out += buffer[:got]
    return bytes(out)


def flip(path: Path, chunk: int) -> None:
    """Change one byte of a data chunk's sealed bytes."""
    offset = scan(path, KEY).chunks[chunk].offset + CHUNK.size + 3
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_opening_decrypts_only_the_closing_chunk(
    tmp_path: Path, decrypted: list[int]
) -> None:
    path = write(tmp_path / "a.sealed")
    with PlaintextFile(path, KEY) as plain:
        assert plain.size == PART * len(PARTS)
        assert decrypted == [len(PARTS)]  # the closing chunk, to check its counts


@pytest.mark.parametrize(
    ("start", "count", "chunks"),
    [
        (0, 100, [0]),
        (5 * PART + 500, 1700, [5, 6, 7]),
        (19 * PART, PART, [19]),
        (7 * PART - 1, 2, [6, 7]),
    ],
)
def test_a_range_decrypts_only_the_chunks_it_covers(
    tmp_path: Path, decrypted: list[int], start: int, count: int, chunks: list[int]
) -> None:
    path = write(tmp_path / "a.sealed")
    whole = b"".join(PARTS)
    with PlaintextFile(path, KEY) as plain:
        decrypted.clear()
        assert read(plain, start, count) == whole[start : start + count]
        assert decrypted == chunks


def test_a_changed_chunk_fails_only_the_reads_that_cover_it(
    tmp_path: Path, decrypted: list[int]
) -> None:
    path = write(tmp_path / "a.sealed")
    flip(path, 3)
    whole = b"".join(PARTS)
    with PlaintextFile(path, KEY) as plain:
        assert read(plain, 10 * PART, 2 * PART) == whole[10 * PART : 12 * PART]
        assert read(plain, 0, 3 * PART) == whole[: 3 * PART]
        assert 3 not in decrypted
        with pytest.raises(TamperedRecording, match="chunk 3"):
            read(plain, 3 * PART + 10, 10)
        with pytest.raises(TamperedRecording, match="chunk 3"):
            read(plain, 2 * PART, 2 * PART)


def test_an_unfinished_file_authenticates_its_last_chunk_on_opening(
    tmp_path: Path, decrypted: list[int]
) -> None:
    path = write(tmp_path / "a.sealed", close=False)
    with PlaintextFile(path, KEY) as plain:
        assert plain.size == PART * len(PARTS)
        assert decrypted == [len(PARTS) - 1]


@pytest.mark.parametrize(
    "cut", ["header", "sealed bytes", "tag byte", "closing chunk", "at a chunk"]
)
def test_a_cut_file_plays_what_a_whole_read_keeps(tmp_path: Path, cut: str) -> None:
    """The same chunks as ``scan`` (which authenticates them all), torn tail out."""
    closed = cut in ("closing chunk", "at a chunk")
    path = write(tmp_path / "a.sealed", close=closed)
    size = path.stat().st_size
    last = scan(path, KEY).chunks[-1]
    end = {
        "header": last.offset + 5,
        "sealed bytes": last.offset + CHUNK.size + 40,
        "tag byte": size - 1,
        "closing chunk": size - 3,
        "at a chunk": last.offset,
    }[cut]
    with path.open("r+b") as file:
        file.truncate(end)
    found = scan(path, KEY)
    with path.open("rb") as source:
        index = index_chunks(source, KEY)
    assert (index.closed, index.torn) == (found.closed, found.torn)
    assert [c.offset for c in index.chunks] == [c.offset for c in found.chunks]
    with PlaintextFile(path, KEY) as plain:
        assert plain.read() == b"".join(c.plaintext for c in found.chunks)


def test_a_last_chunk_that_fails_authentication_is_a_torn_tail(
    tmp_path: Path,
) -> None:
    path = write(tmp_path / "a.sealed", close=False)
    flip(path, len(PARTS) - 1)
    with PlaintextFile(path, KEY) as plain:
        assert plain.read() == b"".join(PARTS[:-1])


def test_reordered_dropped_or_miscounted_chunks_are_refused_on_opening(
    tmp_path: Path,
) -> None:
    path = write(tmp_path / "a.sealed", [b"one", b"two", b"three"])
    offsets = [c.offset for c in scan(path, KEY).chunks]
    data = path.read_bytes()
    first, second = data[offsets[0] : offsets[1]], data[offsets[1] : offsets[2]]
    path.write_bytes(data[: offsets[0]] + second + first + data[offsets[2] :])
    with pytest.raises(TamperedRecording, match="chunk 0: out of place"):
        PlaintextFile(path, KEY)

    path.write_bytes(data[: offsets[1]] + data[offsets[2] :])
    with pytest.raises(TamperedRecording, match="chunk 1: out of place"):
        PlaintextFile(path, KEY)

    path.write_bytes(data + b"x" * 40)
    with pytest.raises(TamperedRecording, match="after the closing chunk"):
        PlaintextFile(path, KEY)

    miscounted = tmp_path / "b.sealed"
    writer = SealedWriter(miscounted, KEY, Clock())
    writer.seal(b"one")
    writer.plaintext_bytes += 1  # a closing chunk that does not add up
    writer.close()
    with pytest.raises(TamperedRecording, match="does not add up"):
        PlaintextFile(miscounted, KEY)


def test_kept_indexes_spare_the_walk_until_the_file_changes(
    tmp_path: Path, decrypted: list[int]
) -> None:
    indexes = ChunkIndexes(2)
    path = write(tmp_path / "a.sealed", close=False)
    with PlaintextFile(path, KEY, indexes) as plain:
        assert plain.size == PART * len(PARTS)
    decrypted.clear()
    for _ in range(3):  # a seeking player's ranges
        with PlaintextFile(path, KEY, indexes) as plain:
            assert read(plain, 4 * PART, 10) == PARTS[4][:10]
    assert decrypted == [4, 4, 4]

    recover(path, KEY)  # the file changes: indexed again, now closed
    decrypted.clear()
    with PlaintextFile(path, KEY, indexes) as plain:
        assert plain.size == PART * len(PARTS)
    assert decrypted == [len(PARTS)]

    with pytest.raises(WrongKey):  # another key never gets a kept index
        PlaintextFile(path, RecordingKey(b"k" * 32), indexes)
    for name in ("b", "c"):
        with PlaintextFile(write(tmp_path / f"{name}.sealed"), KEY, indexes):
            pass
    assert len(indexes) == 2


def test_indexes_are_bounded() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        ChunkIndexes(0)
