"""The durations, windows and limits of reservations, and the states a
reservation goes through."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

DEFAULT_DURATION = timedelta(minutes=30)
MIN_DURATION = timedelta(minutes=10)
MAX_DURATION = timedelta(hours=3)
MAX_SHIFT = timedelta(hours=16)
BOOKING_HORIZON = timedelta(days=90)
"""How far ahead a slot may be booked."""
JOIN_EARLY = timedelta(minutes=10)
"""The join link works from this long before the start to the end of the slot."""
NO_SHOW_AFTER = timedelta(minutes=10)
"""A citizen not joined this long after the start is a no-show; the slot is freed."""
SLOT_STEP = timedelta(minutes=30)
"""The grid of start times offered to citizens (from local midnight)."""
HISTORY = timedelta(days=7)
"""How far back the automatic choice looks for an interpreter's last booking."""
NAME_MAX = 100
CONTACT_MAX = 100
NOTES_MAX = 1000


class ReservationStatus(StrEnum):
    BOOKED = "booked"
    """Holds the slot; the citizen has not joined yet."""
    CLAIMED = "claimed"
    """The citizen joined with the link; the slot stays held."""
    NO_SHOW = "no_show"
    """Nobody joined within NO_SHOW_AFTER of the start; the slot was freed."""
    CANCELLED = "cancelled"

    @property
    def holds_slot(self) -> bool:
        return self in (ReservationStatus.BOOKED, ReservationStatus.CLAIMED)


HOLDING = frozenset(s for s in ReservationStatus if s.holds_slot)
