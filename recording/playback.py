"""A sealed recording read back as a seekable plain file, for PyAV (``av.open``).

Opening authenticates every chunk once and keeps only where each one is; reads
decrypt the chunks they touch (the last one is kept), so an hour of video is
never all in memory. A torn tail is left out, as a player would.
"""

from __future__ import annotations

import bisect
import io
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag

from recording.errors import TamperedRecording
from recording.keys import RecordingKey
from recording.sealed import (
    AAD,
    CHUNK,
    CLOSE,
    file_cipher,
    iter_chunks,
    read_header,
)


class PlaintextFile(io.RawIOBase):
    """Read-only, seekable view of a recording's plaintext."""

    def __init__(self, path: Path, key: RecordingKey) -> None:
        super().__init__()
        self._source: BinaryIO = path.open("rb")
        try:
            self._header = read_header(self._source, key)
            self._cipher = file_cipher(key, self._header.salt)
            self._starts: list[int] = []  # plaintext offset of each data chunk
            self._chunks: list[tuple[int, int, int]] = []  # file offset, size, index
            length = 0
            for chunk in iter_chunks(self._source, key):
                if chunk is None:
                    break
                if chunk.kind == CLOSE:
                    continue
                self._starts.append(length)
                self._chunks.append((chunk.offset, chunk.size, chunk.index))
                length += len(chunk.plaintext)
        except BaseException:
            self._source.close()
            raise
        self._length = length
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
        return self._length

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._length}
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
        offset, size, index = self._chunks[number]
        self._source.seek(offset)
        raw = self._source.read(size)
        _, kind, sealed_ms, nonce = CHUNK.unpack_from(raw)
        aad = self._header.raw + AAD.pack(index, kind, sealed_ms)
        try:
            plaintext = self._cipher.decrypt(nonce, raw[CHUNK.size :], aad)
        except InvalidTag:  # changed since it was opened
            raise TamperedRecording(index, "fails authentication") from None
        self._cached = (number, plaintext)
        return plaintext

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._position >= self._length:
            return 0
        number = bisect.bisect_right(self._starts, self._position) - 1
        plaintext = self._plaintext(number)
        within = self._position - self._starts[number]
        count = min(len(buffer), len(plaintext) - within)
        buffer[:count] = plaintext[within : within + count]
        self._position += count
        return count

    def close(self) -> None:
        if not self.closed:
            self._source.close()
        super().close()


def open_recording(path: Path, key: RecordingKey) -> io.BufferedReader:
    """The recording's container bytes, to pass to ``av.open``."""
    return io.BufferedReader(PlaintextFile(path, key), buffer_size=256 * 1024)
