"""Demo staff accounts for `dasan serve --demo`, with fresh passwords each start."""

from __future__ import annotations

import secrets

from counseling.ports import StaffDirectory
from counseling.services import Language, Service, Skill
from counseling.staff import StaffAccount, StaffRole
from interpreter_pool.pool import new_id
from signaling.auth import Passwords

DEMO_STAFF: tuple[tuple[str, str, StaffRole, frozenset[Skill]], ...] = (
    (
        "interpreter.ksl",
        "Kim Suhwa (KSL interpreter)",
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
        "Emily Park (English counselor)",
        StaffRole.INTERPRETER,
        frozenset({Skill(Service.FOREIGN_LANGUAGE, Language.EN)}),
    ),
    ("supervisor", "Demo supervisor", StaffRole.SUPERVISOR, frozenset()),
)


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
                StaffAccount(new_id(), username, name, role, skills, password_hash)
            )
        else:
            await staff.set_password_hash(existing.id, password_hash)
        created.append((username, role.value, secret))
    return created
