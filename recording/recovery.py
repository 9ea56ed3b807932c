"""Start-up recovery: close the files a crash left open, so they play to their end."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from recording.keys import RecordingKey
from recording.sealed import recover


def recover_file(
    root: Path, path: str, key: RecordingKey
) -> tuple[datetime | None, int]:
    """Close one file (``path`` relative to ``root``): its torn tail dropped and
    the closing chunk added. Returns when its last chunk was sealed and its
    size; ``(None, 0)`` when the crash came before the file was made."""
    try:
        recovered = recover(root / path, key)
    except FileNotFoundError:
        return None, 0
    return datetime.fromtimestamp(recovered.last_sealed_ms / 1000, UTC), recovered.size


def recovery_inspector(
    root: Path, key: RecordingKey
) -> Callable[[str], Awaitable[tuple[datetime | None, int]]]:
    """``recover_file`` off the event loop, as ``SqlRecordings.recover`` takes it."""

    async def inspect(path: str) -> tuple[datetime | None, int]:
        return await asyncio.to_thread(recover_file, root, path, key)

    return inspect
