"""The sealed recording format: round trip, torn tails, tampering, wrong keys."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recording.errors import (
    NotARecording,
    RecordingRefused,
    TamperedRecording,
    WrongKey,
)
from recording.keys import RecordingKey, load_or_create_demo_key, require_key
from recording.playback import open_recording
from recording.sealed import (
    CHUNK,
    HEADER,
    SealedWriter,
    read_plaintext,
    recover,
    scan,
)

KEY = RecordingKey(bytes(range(32)))
PARTS = [b"first chunk " * 10, b"second", os.urandom(5000), b"last"]


class Clock:
    def __init__(self) -> None:
        self.now = 1_750_000_000.0

    def __call__(self) -> float:
        self.now += 0.5
        return self.now


def write(path: Path, parts: list[bytes], close: bool = True) -> SealedWriter:
    writer = SealedWriter(path, KEY, Clock())
    for part in parts:
        writer.seal(part)
    if close:
        writer.close()
    else:
        writer.abandon()
    return writer


def chunk_offsets(path: Path) -> list[int]:
    return [c.offset for c in scan(path, KEY).chunks]


def test_a_closed_file_reads_back_whole(tmp_path: Path) -> None:
    path = tmp_path / "a.sealed"
    writer = write(path, PARTS)
    found = scan(path, KEY)
    assert found.closed and not found.torn
    assert [c.plaintext for c in found.chunks] == PARTS
    assert read_plaintext(path, KEY) == b"".join(PARTS)
    assert writer.size == path.stat().st_size
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_no_plaintext_reaches_the_disk(tmp_path: Path) -> None:
    path = tmp_path / "a.sealed"
    write(path, [b"very secret words " * 50])
    assert b"secret" not in path.read_bytes()


@given(parts=st.lists(st.binary(min_size=1, max_size=300), max_size=8))
@settings(max_examples=40, deadline=None)
def test_any_chunks_round_trip_and_seek(
    tmp_path_factory: pytest.TempPathFactory, parts: list[bytes]
) -> None:
    path = tmp_path_factory.mktemp("rt") / "a.sealed"
    write(path, parts)
    whole = b"".join(parts)
    with open_recording(path, KEY) as plain:
        assert plain.read() == whole
        if whole:
            middle = len(whole) // 2
            plain.seek(middle)
            assert plain.read(7) == whole[middle : middle + 7]
            tail = min(3, len(whole))
            plain.seek(-tail, os.SEEK_END)
            assert plain.read() == whole[-tail:]


@pytest.mark.parametrize("cut", [1, CHUNK.size - 1, CHUNK.size + 5, "all-but-tag-byte"])
def test_a_torn_tail_loses_only_the_unfinished_chunk(
    tmp_path: Path, cut: object
) -> None:
    path = tmp_path / "a.sealed"
    write(path, PARTS, close=False)
    last = chunk_offsets(path)[-1]
    size = path.stat().st_size
    end = size - 1 if cut == "all-but-tag-byte" else last + int(str(cut))
    with path.open("r+b") as file:
        file.truncate(end)
    found = scan(path, KEY)
    assert found.torn and not found.closed
    assert [c.plaintext for c in found.chunks] == PARTS[:-1]
    with open_recording(path, KEY) as plain:
        assert plain.read() == b"".join(PARTS[:-1])


def test_recovery_cuts_the_torn_tail_and_closes_the_file(tmp_path: Path) -> None:
    path = tmp_path / "a.sealed"
    write(path, PARTS, close=False)
    sealed_times = [c.sealed_ms for c in scan(path, KEY).chunks]
    with path.open("ab") as file:
        file.write(b"\x00\x00\x01")  # a chunk header cut short by the crash

    recovered = recover(path, KEY)

    assert not recovered.was_closed
    assert recovered.chunks == len(PARTS)
    assert recovered.last_sealed_ms == sealed_times[-1]
    again = scan(path, KEY)
    assert again.closed and not again.torn
    assert [c.plaintext for c in again.chunks] == PARTS
    assert recover(path, KEY).was_closed  # a second run changes nothing


def test_a_changed_chunk_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.sealed"
    write(path, PARTS)
    second = chunk_offsets(path)[1]
    data = bytearray(path.read_bytes())
    data[second + CHUNK.size + 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(TamperedRecording, match="chunk 1"):
        scan(path, KEY)
    # Playback opens from the framing alone: the change is found on reading it.
    with open_recording(path, KEY) as plain, pytest.raises(TamperedRecording):
        plain.read()


def test_reordered_chunks_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.sealed"
    write(path, [b"one", b"two", b"three"])
    offsets = chunk_offsets(path)
    data = path.read_bytes()
    first, second = data[offsets[0] : offsets[1]], data[offsets[1] : offsets[2]]
    swapped = data[: offsets[0]] + second + first + data[offsets[2] :]
    path.write_bytes(swapped)
    with pytest.raises(TamperedRecording, match="chunk 0"):
        scan(path, KEY)


def test_a_dropped_middle_chunk_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.sealed"
    write(path, [b"one", b"two", b"three"])
    offsets = chunk_offsets(path)
    data = path.read_bytes()
    path.write_bytes(data[: offsets[1]] + data[offsets[2] :])
    with pytest.raises(TamperedRecording, match="chunk 1"):
        scan(path, KEY)


def test_a_chunk_from_another_file_is_refused(tmp_path: Path) -> None:
    one, two = tmp_path / "one.sealed", tmp_path / "two.sealed"
    write(one, [b"aaa", b"bbb"])
    write(two, [b"ccc", b"ddd"])
    a, b = one.read_bytes(), two.read_bytes()
    path = tmp_path / "mixed.sealed"
    path.write_bytes(a[: HEADER.size] + b[HEADER.size :])
    with pytest.raises(TamperedRecording):
        scan(path, KEY)


def test_data_after_the_closing_chunk_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.sealed"
    write(path, [b"one"])
    with path.open("ab") as file:
        file.write(b"x" * 40)
    with pytest.raises(TamperedRecording, match="after the closing chunk"):
        scan(path, KEY)


def test_the_wrong_key_is_named_not_tried(tmp_path: Path) -> None:
    path = tmp_path / "a.sealed"
    write(path, PARTS)
    other = RecordingKey(secrets.token_bytes(32))
    with pytest.raises(WrongKey):
        scan(path, other)
    with pytest.raises(WrongKey):
        open_recording(path, other)


def test_other_files_are_not_recordings(tmp_path: Path) -> None:
    path = tmp_path / "a.webm"
    path.write_bytes(b"\x1aE\xdf\xa3" + bytes(100))
    with pytest.raises(NotARecording):
        scan(path, KEY)


def test_no_key_refuses_recording() -> None:
    with pytest.raises(RecordingRefused, match="DASAN_RECORDING_KEY"):
        require_key(None)
    with pytest.raises(ValueError, match="32 bytes"):
        RecordingKey(b"short")
    assert require_key(KEY.secret) == KEY


def test_the_demo_key_is_made_once_and_private(tmp_path: Path) -> None:
    key = load_or_create_demo_key(tmp_path / "var")
    path = tmp_path / "var" / "recording.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_demo_key(tmp_path / "var") == key
    assert RecordingKey.from_base64(key.to_base64()) == key
    assert list((tmp_path / "var").iterdir()) == [path]
    assert key.secret.hex() not in repr(key)
