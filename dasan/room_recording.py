"""The recorder of a room as the consent desk gets it: a ``RoomRecorder`` on
this process's media server whose files become rows of their case."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from recording.keys import RecordingKey
from recording.recorder import RecordedFile, RoomRecorder
from rtc_server.server import MediaServer
from signaling.consent_desk import RecorderFactory
from storage.recordings import Recording, SqlRecordings


def room_recorders(
    media: MediaServer, key: RecordingKey | None, root: Path, rows: SqlRecordings
) -> RecorderFactory | None:
    """Recorders writing under ``root`` (the data folder); None without a key."""
    if key is None:
        return None

    def make(room_id: str, case_id: str, role_of: Callable[[str], str]) -> RoomRecorder:
        async def on_file(file: RecordedFile) -> None:
            if file.status == "recording":
                await rows.add(
                    Recording(
                        file.recording_id,
                        case_id,
                        role_of(file.party_id),
                        file.party_id,
                        file.kind,
                        file.codec,
                        file.path,
                        file.started_at,
                    )
                )
            elif file.status == "closed":
                ended = file.ended_at or file.started_at
                await rows.close(file.recording_id, ended, file.bytes)
            # "failed": the row stays open; start-up recovery closes it.

        return RoomRecorder(media, room_id, key, root, on_file)

    return make
