"""The recording key: 32 bytes from settings, or a demo key kept in the data folder."""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from recording.errors import RecordingRefused

KEY_BYTES = 32
DEMO_KEY_FILE = "recording.key"


@dataclass(frozen=True, slots=True)
class RecordingKey:
    """An AES-256 master key; files carry its fingerprint, never the key."""

    secret: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.secret) != KEY_BYTES:
            raise ValueError(f"a recording key is {KEY_BYTES} bytes")

    @property
    def fingerprint(self) -> bytes:
        """8 bytes that name the key in a file's header."""
        return hashlib.sha256(b"dasan-rtc recording key id\x00" + self.secret).digest()[
            :8
        ]

    @classmethod
    def from_base64(cls, text: str) -> RecordingKey:
        try:
            raw = base64.b64decode(text.strip(), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("a recording key is base64") from exc
        return cls(raw)

    def to_base64(self) -> str:
        return base64.b64encode(self.secret).decode("ascii")


def require_key(key: bytes | RecordingKey | None) -> RecordingKey:
    """The key to record with; ``RecordingRefused`` when none is configured."""
    if key is None:
        raise RecordingRefused(
            "recording needs a key: set DASAN_RECORDING_KEY (32 bytes, base64)"
        )
    return key if isinstance(key, RecordingKey) else RecordingKey(key)


def load_or_create_demo_key(data_dir: Path) -> RecordingKey:
    """The demo's key: ``<data_dir>/recording.key`` (base64, mode 0600), made
    on first use so recordings of earlier demo runs stay readable."""
    path = data_dir / DEMO_KEY_FILE
    try:
        return RecordingKey.from_base64(path.read_text())
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    key = RecordingKey(secrets.token_bytes(KEY_BYTES))
    # Written whole under another name, then linked: a reader never sees half a key.
    draft = data_dir / f".{DEMO_KEY_FILE}.{secrets.token_hex(4)}"
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(key.to_base64() + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.link(draft, path)
    except FileExistsError:  # another process made it first
        return RecordingKey.from_base64(path.read_text())
    finally:
        draft.unlink(missing_ok=True)
    return key
