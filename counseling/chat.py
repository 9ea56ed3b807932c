"""Text chat in a session: what was written, by whom, when; kept with the case."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from counseling.cases import Party

MAX_CHAT_LENGTH = 1000
# Invisible but meaningful: they join emoji sequences and shape some scripts.
JOINERS = "\u200c\u200d"


def clean_text(text: str) -> str:
    """The message as it will be stored: trimmed, with no control or format
    characters except line breaks, tabs and joiners; ValueError when empty or
    too long."""
    kept = "".join(
        ch
        for ch in text.replace("\r\n", "\n")
        if ch in "\n\t" or ch in JOINERS or unicodedata.category(ch)[0] != "C"
    ).strip()
    if not kept:
        raise ValueError("the message is empty")
    if len(kept) > MAX_CHAT_LENGTH:
        raise ValueError(f"a message holds at most {MAX_CHAT_LENGTH} characters")
    return kept


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message of a case's transcript; ``seq`` orders it within the case."""

    case_id: str
    seq: int
    at: datetime
    sender: Party
    sender_id: str | None
    text: str

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("chat times must be timezone-aware")
        if self.seq < 0:
            raise ValueError("seq must not be negative")
        if self.sender is Party.SYSTEM:
            raise ValueError("the system does not chat")
        if clean_text(self.text) != self.text:
            raise ValueError("chat text must be cleaned before it is stored")
