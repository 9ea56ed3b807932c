"""Demo staff accounts for `dasan serve --demo`, with fresh passwords each start,
and two weeks of shifts for the demo interpreters."""

from __future__ import annotations

import secrets
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from counseling.ports import ReservationBook, StaffDirectory
from counseling.reservations import Shift, ShiftOverlap, StartInPast
from counseling.services import Language, Service, Skill
from counseling.staff import StaffAccount, StaffRole
from interpreter_pool.pool import new_id
from signaling.auth import Passwords

DEMO_STAFF: tuple[tuple[str, str, StaffRole, frozenset[Skill]], ...] = (
    (
        "interpreter.ksl",
        "Kim Suhwa",
        StaffRole.INTERPRETER,
        frozenset(
            {
                Skill(Service.SIGN_LANGUAGE, Language.KSL),
                Skill(Service.CHAT, Language.KO),
            }
        ),
    ),
    (
        "counselor.en",
        "Emily Park",
        StaffRole.INTERPRETER,
        frozenset({Skill(Service.FOREIGN_LANGUAGE, Language.EN)}),
    ),
    (
        "counselor.welfare",
        "Lee Bokji",
        StaffRole.INTERPRETER,
        frozenset(),
    ),
    ("scheduler", "Demo scheduler", StaffRole.SCHEDULER, frozenset()),
    ("supervisor", "Demo supervisor", StaffRole.SUPERVISOR, frozenset()),
)

# Departments whose counselor a demo account can be (the counselor queue).
DEMO_DEPARTMENTS: dict[str, frozenset[str]] = {
    "counselor.welfare": frozenset({"welfare"}),
}

# Local working hours of the demo interpreters, every day.
DEMO_SHIFTS: tuple[tuple[str, time, time], ...] = (
    ("interpreter.ksl", time(9), time(18)),
    ("counselor.en", time(13), time(22)),
)
DEMO_SHIFT_DAYS = 14


async def seed_demo(
    staff: StaffDirectory, passwords: Passwords, password: str | None
) -> list[tuple[str, str, str]]:
    """Create or reset the demo accounts; returns (username, role, password)."""
    created: list[tuple[str, str, str]] = []
    for username, name, role, skills in DEMO_STAFF:
        secret = password or secrets.token_urlsafe(9)
        password_hash = passwords.hash(secret)
        existing = await staff.by_username(username)
        if existing is None:
            await staff.add(
                StaffAccount(
                    new_id(),
                    username,
                    name,
                    role,
                    skills,
                    password_hash,
                    DEMO_DEPARTMENTS.get(username, frozenset()),
                )
            )
        else:
            await staff.set_password_hash(existing.id, password_hash)
        created.append((username, role.value, secret))
    return created


async def seed_demo_shifts(
    staff: StaffDirectory, book: ReservationBook, tz: ZoneInfo, now: datetime
) -> int:
    """Give the demo interpreters a shift on each of the coming DEMO_SHIFT_DAYS days
    (today included) where they have none yet; returns how many were added."""
    added = 0
    today = now.astimezone(tz).date()
    for username, begins, ends in DEMO_SHIFTS:
        account = await staff.by_username(username)
        if account is None:
            continue
        for n in range(DEMO_SHIFT_DAYS):
            day = today + timedelta(days=n)
            start = datetime.combine(day, begins, tz)
            end = datetime.combine(day, ends, tz)
            try:
                await book.add_shift(Shift(new_id(), account.id, start, end), now)
            except (ShiftOverlap, StartInPast):
                continue  # already seeded by an earlier start, or already over
            added += 1
    return added
