"""Chat text as stored: trimmed, no hidden control characters, at most 1,000."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from counseling.cases import Party
from counseling.chat import MAX_CHAT_LENGTH, ChatMessage, clean_text


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("  안녕하세요  ", "안녕하세요"),
        ("line one\r\nline two", "line one\nline two"),
        ("bell\x07 and escape\x1b[31m", "bell and escape[31m"),
        ("right-to-left \u202eoverride", "right-to-left override"),
        ("👩\u200d💻 developer", "👩\u200d💻 developer"),
        ("tab\there", "tab\there"),
    ],
)
def test_text_is_cleaned_as_stored(raw: str, stored: str) -> None:
    assert clean_text(raw) == stored


@pytest.mark.parametrize("raw", ["", "   ", "\x00\x01", "\n\t\n"])
def test_empty_messages_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="empty"):
        clean_text(raw)


def test_the_length_limit_counts_the_stored_text() -> None:
    assert len(clean_text("가" * MAX_CHAT_LENGTH)) == MAX_CHAT_LENGTH
    with pytest.raises(ValueError, match="1000"):
        clean_text("가" * (MAX_CHAT_LENGTH + 1))


@given(st.text(max_size=MAX_CHAT_LENGTH))
def test_cleaning_is_idempotent(raw: str) -> None:
    try:
        once = clean_text(raw)
    except ValueError:
        return
    assert clean_text(once) == once
    assert once == once.strip()


def test_a_message_must_hold_cleaned_text_and_a_person() -> None:
    now = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="cleaned"):
        ChatMessage("c", 0, now, Party.CITIZEN, None, " padded ")
    with pytest.raises(ValueError, match="system"):
        ChatMessage("c", 0, now, Party.SYSTEM, None, "hi")
    with pytest.raises(ValueError, match="aware"):
        ChatMessage("c", 0, datetime(2026, 1, 1), Party.CITIZEN, None, "hi")
