"""The SQL record stores on SQLite and PostgreSQL, a seeded month, answered cases
and wrap-up drafts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

import pytest

from counseling.cases import Case, EndReason, Party
from counseling.records import DEFAULT_TAXONOMY, Disposition, WrapupDraft
from counseling.services import Language, Service, Skill
from storage.database import Database
from storage.records import SqlCaseRecords
from storage.sql import SqlCaseRepository, SqlChatLog, SqlStaffDirectory
from tests.records_month import SeededCase, generate_month

KSL = Skill(Service.SIGN_LANGUAGE, Language.KSL)
MARCH = (date(2026, 3, 1), date(2026, 3, 31))
NOW = datetime(2026, 4, 10, 3, 0, tzinfo=UTC)


@cache
def seeded_month(scale: float = 1.0) -> list[SeededCase]:
    """March 2026 at the real center's volumes (about 80,000 cases)."""
    return generate_month(2026, MARCH[0], 31, ["a" * 32, "b" * 32, "c" * 32], scale)


@dataclass(frozen=True)
class Stores:
    db: Database
    records: SqlCaseRecords
    cases: SqlCaseRepository
    chat: SqlChatLog
    staff: SqlStaffDirectory


@pytest.fixture
def stores(database: Database) -> Stores:
    return Stores(
        database,
        SqlCaseRecords(database),
        SqlCaseRepository(database),
        SqlChatLog(database),
        SqlStaffDirectory(database),
    )


async def answered_case(
    stores: Stores,
    case_id: str,
    staff_id: str,
    requested: datetime,
    skill: Skill = KSL,
    *,
    wait: float = 30.0,
    end: bool = True,
) -> Case:
    """A case that went through the real life cycle: asked, offered, answered."""
    case = Case.open(case_id, skill, requested)
    case.offer(staff_id, requested + timedelta(seconds=1))
    case.answer(staff_id, requested + timedelta(seconds=wait))
    if end:
        case.end(EndReason.COMPLETED, Party.CITIZEN, requested + timedelta(minutes=10))
    await stores.cases.add(case)
    return case


def draft(category: str = "transport", **changes: Any) -> WrapupDraft:
    fields: dict[str, Any] = {
        "summary": "버스 노선 문의",
        "disposition": Disposition.ANSWERED,
    } | changes
    return WrapupDraft.create(DEFAULT_TAXONOMY, category, **fields)
