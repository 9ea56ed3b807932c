"""Errors of the recorder: one root, subclasses with a stable code."""

from __future__ import annotations

from typing import ClassVar


class RecordingError(Exception):
    """Root of every error the recording package raises."""

    code: ClassVar[str] = "recording_failed"


class RecordingRefused(RecordingError):
    """Recording cannot start: no key is configured (never stored in clear)."""

    code = "recording_unavailable"


class NotARecording(RecordingError):
    """The file does not start with a sealed recording's header."""

    code = "not_a_recording"

    def __init__(self, why: str) -> None:
        super().__init__(f"not a sealed recording: {why}")


class WrongKey(RecordingError):
    """The file was sealed with another key than the one given."""

    code = "wrong_recording_key"

    def __init__(self, expected: str, given: str) -> None:
        super().__init__(f"sealed with key {expected}, not with key {given}")
        self.expected = expected
        self.given = given


class TamperedRecording(RecordingError):
    """A chunk fails authentication, is out of place, or follows the end."""

    code = "recording_tampered"

    def __init__(self, index: int, why: str) -> None:
        super().__init__(f"chunk {index}: {why}")
        self.index = index
