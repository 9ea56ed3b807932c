"""Contract tests: every storage backend (memory, SQLite, PostgreSQL) behaves alike."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection

from counseling.cases import Case, CaseStatus, EndReason, EventKind, Party
from counseling.chat import ChatMessage
from counseling.ports import CaseRepository, ChatLog, LoginSessions, StaffDirectory
from counseling.services import Language, Service, Skill
from counseling.staff import LoginSession, StaffAccount, StaffRole
from storage.database import (
    Database,
    alembic_config,
    database_url_for_data_dir,
    open_database,
)
from storage.errors import DuplicateKey, NotFound, StaleCase
from storage.memory import (
    MemoryCaseRepository,
    MemoryChatLog,
    MemoryLoginSessions,
    MemoryStaffDirectory,
)
from storage.models import Base
from storage.sql import (
    SqlCaseRepository,
    SqlChatLog,
    SqlLoginSessions,
    SqlStaffDirectory,
)
from tests.pg import fresh_schema_url

SEOUL = ZoneInfo("Asia/Seoul")
# Microseconds and a non-UTC zone: both must survive every backend.
T0 = datetime(2025, 3, 14, 9, 30, 0, 123456, tzinfo=SEOUL)
KSL = Skill(Service.SIGN_LANGUAGE, Language.KSL)
HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()
ENGLISH = Skill(Service.FOREIGN_LANGUAGE, Language.EN)


@dataclass(frozen=True)
class Stores:
    cases: CaseRepository
    staff: StaffDirectory
    logins: LoginSessions
    chat: ChatLog


def _sql_stores(db: Database) -> Stores:
    return Stores(
        SqlCaseRepository(db),
        SqlStaffDirectory(db),
        SqlLoginSessions(db),
        SqlChatLog(db),
    )


@pytest.fixture(
    params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def stores(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Stores]:
    if request.param == "memory":
        staff = MemoryStaffDirectory()
        yield Stores(
            MemoryCaseRepository(), staff, MemoryLoginSessions(staff), MemoryChatLog()
        )
    elif request.param == "sqlite":
        db = await open_database(database_url_for_data_dir(tmp_path))
        try:
            yield _sql_stores(db)
        finally:
            await db.close()
    else:
        async with fresh_schema_url() as (url, schema):
            db = await open_database(url, schema=schema)
            try:
                yield _sql_stores(db)
            finally:
                await db.close()


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def account(
    staff_id: str = "staff-1", username: str = "kim.interp", **changes: str
) -> StaffAccount:
    values = {"display_name": "Kim Minji", "password_hash": "$argon2id$v=19$old"}
    values.update(changes)
    return StaffAccount(
        id=staff_id,
        username=username,
        role=StaffRole.INTERPRETER,
        skills=frozenset({KSL, ENGLISH}),
        display_name=values["display_name"],
        password_hash=values["password_hash"],
    )


async def test_case_round_trips_through_its_whole_life_cycle(stores: Stores) -> None:
    case = Case.open("case-1", KSL, T0)
    await stores.cases.add(case)
    steps: list[Callable[[], None]] = [
        lambda: case.offer("staff-1", at(5)),
        lambda: case.withdraw_offer("staff-1", EventKind.DECLINED, at(20)),
        lambda: case.offer("staff-2", at(25)),
        lambda: case.answer("staff-2", at(30)),
        lambda: case.end(EndReason.COMPLETED, Party.CITIZEN, at(600)),
    ]
    for step in steps:
        step()
        await stores.cases.save(case)

    stored = await stores.cases.get("case-1")

    assert stored == case
    assert stored.status is CaseStatus.ENDED
    assert (stored.offered_at, stored.answered_at, stored.ended_at) == (
        at(5),
        at(30),
        at(600),
    )
    assert stored.interpreter_id == "staff-2"
    assert (stored.end_reason, stored.ended_by) == (EndReason.COMPLETED, Party.CITIZEN)
    assert (stored.wait_seconds, stored.handle_seconds) == (30.0, 570.0)
    assert [(e.kind, e.staff_id, e.at) for e in stored.events] == [
        (EventKind.REQUESTED, None, T0),
        (EventKind.OFFERED, "staff-1", at(5)),
        (EventKind.DECLINED, "staff-1", at(20)),
        (EventKind.OFFERED, "staff-2", at(25)),
        (EventKind.ANSWERED, "staff-2", at(30)),
        (EventKind.ENDED, None, at(600)),
    ]
    assert stored.events[-1].detail == "completed"


async def test_times_come_back_aware_and_equal(stores: Stores) -> None:
    case = Case.open("case-1", ENGLISH, datetime(2025, 1, 1, 23, 59, 59, 999999, UTC))
    case.offer("staff-1", T0)
    await stores.cases.add(case)

    stored = await stores.cases.get("case-1")

    assert stored is not None
    times = [stored.requested_at, stored.offered_at, *(e.at for e in stored.events)]
    assert all(t is not None and t.utcoffset() is not None for t in times)
    assert times == [case.requested_at, T0, case.requested_at, T0]


async def test_saving_twice_does_not_duplicate_events(stores: Stores) -> None:
    case = Case.open("case-1", KSL, T0)
    await stores.cases.add(case)
    case.offer("staff-1", at(5))

    await stores.cases.save(case)
    await stores.cases.save(case)

    stored = await stores.cases.get("case-1")
    assert stored is not None
    assert [e.kind for e in stored.events] == [EventKind.REQUESTED, EventKind.OFFERED]


async def test_save_of_a_case_never_added_stores_it(stores: Stores) -> None:
    case = Case.open("case-1", KSL, T0)
    case.offer("staff-1", at(5))

    await stores.cases.save(case)

    assert await stores.cases.get("case-1") == case


async def test_save_from_a_stale_copy_is_refused(stores: Stores) -> None:
    await stores.cases.add(Case.open("case-1", KSL, T0))
    first = await stores.cases.get("case-1")
    second = await stores.cases.get("case-1")
    assert first is not None and second is not None
    first.offer("staff-1", at(5))
    first.answer("staff-1", at(10))
    await stores.cases.save(first)
    second.end(EndReason.CITIZEN_CANCELLED, Party.CITIZEN, at(12))

    with pytest.raises(StaleCase):
        await stores.cases.save(second)

    assert await stores.cases.get("case-1") == first


async def test_a_save_that_knows_what_is_stored_appends_only_the_new_events(
    stores: Stores,
) -> None:
    case = Case.open("case-1", KSL, T0)
    await stores.cases.add(case)
    case.offer("staff-1", at(5))
    await stores.cases.save(case, stored_events=1)
    case.answer("staff-1", at(10))
    await stores.cases.save(case, stored_events=2)
    assert await stores.cases.get("case-1") == case
    # Another writer got there first: the same positions are taken.
    rival = await stores.cases.get("case-1")
    assert rival is not None
    rival.end(EndReason.CONNECTION_LOST, Party.CITIZEN, at(11))
    await stores.cases.save(rival, stored_events=3)
    case.end(EndReason.COMPLETED, Party.INTERPRETER, at(12))
    with pytest.raises(StaleCase):
        await stores.cases.save(case, stored_events=3)
    assert await stores.cases.get("case-1") == rival
    # A case that was never stored cannot be appended to.
    with pytest.raises(StaleCase):
        await stores.cases.save(Case.open("case-2", KSL, T0), stored_events=1)
    assert await stores.cases.get("case-2") is None


async def test_stored_case_changes_only_on_save(stores: Stores) -> None:
    case = Case.open("case-1", KSL, T0)
    await stores.cases.add(case)
    case.offer("staff-1", at(5))
    fetched = await stores.cases.get("case-1")
    assert fetched is not None
    fetched.end(EndReason.CITIZEN_CANCELLED, Party.CITIZEN, at(6))

    stored = await stores.cases.get("case-1")

    assert stored == Case.open("case-1", KSL, T0)


async def test_unknown_case_is_none(stores: Stores) -> None:
    assert await stores.cases.get("no-such-case") is None


async def test_recent_is_newest_requested_first_and_limited(stores: Stores) -> None:
    # Requested at 09:30 Seoul, 00:35 UTC (09:35 Seoul), 09:32 Seoul: order by instant.
    await stores.cases.add(Case.open("case-a", KSL, T0))
    await stores.cases.add(Case.open("case-b", KSL, at(300).astimezone(UTC)))
    await stores.cases.add(Case.open("case-c", ENGLISH, at(120)))
    await stores.cases.add(Case.open("case-d", ENGLISH, at(120)))

    everything = await stores.cases.recent(10)
    newest_two = await stores.cases.recent(2)

    assert [c.id for c in everything] == ["case-b", "case-d", "case-c", "case-a"]
    assert [c.id for c in newest_two] == ["case-b", "case-d"]
    assert everything[0] == Case.open("case-b", KSL, at(300))
    assert await stores.cases.recent(0) == []
    with pytest.raises(ValueError, match="limit"):
        await stores.cases.recent(-1)


async def test_unfinished_lists_open_cases_oldest_first(stores: Stores) -> None:
    ended = Case.open("case-ended", KSL, T0)
    ended.end(EndReason.CITIZEN_CANCELLED, Party.CITIZEN, at(5))
    in_session = Case.open("case-live", KSL, at(10))
    in_session.offer("staff-1", at(11))
    in_session.answer("staff-1", at(12))
    for case in (ended, in_session, Case.open("case-waiting", ENGLISH, at(1))):
        await stores.cases.add(case)

    unfinished = await stores.cases.unfinished()

    assert [c.id for c in unfinished] == ["case-waiting", "case-live"]
    assert unfinished[1] == in_session


async def test_chat_transcript_keeps_order_text_and_senders(stores: Stores) -> None:
    case = Case.open("case-chat", KSL, T0)
    await stores.cases.add(case)
    written = [
        ChatMessage(
            "case-chat", 1, at(2), Party.INTERPRETER, "staff-1", "네, 말씀하세요."
        ),
        ChatMessage(
            "case-chat", 0, at(1), Party.CITIZEN, None, "안녕하세요\n질문이 있어요"
        ),
    ]
    for message in written:
        await stores.chat.append(message)
    transcript = await stores.chat.transcript("case-chat")
    assert [m.seq for m in transcript] == [0, 1]
    assert transcript[0] == written[1]
    assert transcript[1].at == at(2)
    assert await stores.chat.transcript("no-such-case") == []


async def test_a_taken_chat_position_is_refused_and_keeps_the_first(
    stores: Stores,
) -> None:
    await stores.cases.add(Case.open("case-chat", KSL, T0))
    first = ChatMessage("case-chat", 0, at(1), Party.CITIZEN, None, "first")
    await stores.chat.append(first)
    with pytest.raises(DuplicateKey):
        await stores.chat.append(
            ChatMessage("case-chat", 0, at(2), Party.CITIZEN, None, "second")
        )
    assert await stores.chat.transcript("case-chat") == [first]


async def test_duplicate_case_is_refused_and_stored_case_unchanged(
    stores: Stores,
) -> None:
    original = Case.open("case-1", KSL, T0)
    await stores.cases.add(original)
    impostor = Case.open("case-1", ENGLISH, at(60))
    impostor.offer("staff-9", at(61))

    with pytest.raises(DuplicateKey) as raised:
        await stores.cases.add(impostor)

    assert (raised.value.what, raised.value.key) == ("case", "case-1")
    assert await stores.cases.get("case-1") == original


async def test_naive_times_are_refused(stores: Stores) -> None:
    case = Case.open("case-1", KSL, T0)
    case.offer("staff-1", at(5))
    case.answer("staff-1", at(10))
    case.answered_at = datetime(2025, 3, 14, 9, 31)
    await stores.staff.add(account())
    naive_login = LoginSession("t" * 64, "staff-1", datetime(2025, 3, 14), T0)

    with pytest.raises(ValueError, match="answered_at"):
        await stores.cases.add(case)
    with pytest.raises(ValueError, match="answered_at"):
        await stores.cases.save(case)
    with pytest.raises(ValueError, match="created_at"):
        await stores.logins.add(naive_login)
    with pytest.raises(ValueError, match="now"):
        await stores.logins.purge_expired(datetime(2025, 3, 14))
    assert await stores.cases.get("case-1") is None


async def test_staff_account_round_trips(stores: Stores) -> None:
    kim = account()
    await stores.staff.add(kim)
    await stores.staff.add(account("staff-2", "lee.sched", display_name="Lee"))

    assert await stores.staff.get("staff-1") == kim
    assert await stores.staff.by_username("kim.interp") == kim
    assert await stores.staff.get("nobody") is None
    assert await stores.staff.by_username("nobody") is None


async def test_password_hash_can_be_replaced(stores: Stores) -> None:
    await stores.staff.add(account())

    await stores.staff.set_password_hash("staff-1", "$argon2id$v=19$new")

    assert await stores.staff.get("staff-1") == account(
        password_hash="$argon2id$v=19$new"
    )
    with pytest.raises(NotFound):
        await stores.staff.set_password_hash("nobody", "$argon2id$v=19$x")


async def test_duplicate_username_or_id_is_refused(stores: Stores) -> None:
    kim = account()
    await stores.staff.add(kim)

    with pytest.raises(DuplicateKey) as same_name:
        await stores.staff.add(account("staff-2", "kim.interp", display_name="Kim 2"))
    with pytest.raises(DuplicateKey) as same_id:
        await stores.staff.add(account("staff-1", "park.interp"))

    assert (same_name.value.what, same_name.value.key) == ("username", "kim.interp")
    assert (same_id.value.what, same_id.value.key) == ("staff id", "staff-1")
    assert await stores.staff.get("staff-1") == kim
    assert await stores.staff.by_username("park.interp") is None


def login(token: str, expires_in: float) -> LoginSession:
    return LoginSession(token * 64, "staff-1", T0, at(expires_in))


async def test_login_sessions_add_get_remove(stores: Stores) -> None:
    await stores.staff.add(account())
    session = login("a", 3600)
    await stores.logins.add(session)

    assert await stores.logins.get("a" * 64) == session
    with pytest.raises(DuplicateKey):
        await stores.logins.add(login("a", 60))
    with pytest.raises(NotFound):
        await stores.logins.add(LoginSession("b" * 64, "nobody", T0, at(60)))

    await stores.logins.remove("a" * 64)
    await stores.logins.remove("a" * 64)

    assert await stores.logins.get("a" * 64) is None


async def test_purge_expired_deletes_sessions_expired_by_now(stores: Stores) -> None:
    await stores.staff.add(account())
    for token, expires_in in [("a", 60), ("b", 120), ("c", 121), ("d", 3600)]:
        await stores.logins.add(login(token, expires_in))

    purged = await stores.logins.purge_expired(at(120).astimezone(UTC))

    assert purged == 2
    assert [await stores.logins.get(token * 64) is not None for token in "abcd"] == [
        False,
        False,
        True,
        True,
    ]
    assert await stores.logins.purge_expired(at(120)) == 0


def _version_and_drift(connection: Connection) -> tuple[str | None, list[object]]:
    context = MigrationContext.configure(connection)
    return context.get_current_revision(), compare_metadata(context, Base.metadata)


async def test_open_database_migrates_a_new_sqlite_file_once(tmp_path: Path) -> None:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    url = database_url_for_data_dir(tmp_path)
    db = await open_database(url)
    case = Case.open("case-1", KSL, T0)
    try:
        await SqlCaseRepository(db).add(case)
    finally:
        await db.close()

    again = await open_database(url)
    try:
        async with again.engine.connect() as connection:
            versions = await connection.execute(text("SELECT * FROM alembic_version"))
            assert versions.all() == [(head,)]
            assert await connection.run_sync(_version_and_drift) == (head, [])
        assert await SqlCaseRepository(again).get("case-1") == case
    finally:
        await again.close()
    assert head == HEAD
    assert (tmp_path / "dasan.db").is_file()


@pytest.mark.postgres
async def test_postgres_schema_matches_the_models() -> None:
    async with fresh_schema_url() as (url, schema):
        db = await open_database(url, schema=schema)
        try:
            async with db.engine.connect() as connection:
                version, drift = await connection.run_sync(_version_and_drift)
                tables = await connection.execute(
                    text("SELECT count(*) FROM pg_tables WHERE schemaname = :s"),
                    {"s": schema},
                )
        finally:
            await db.close()
    assert (version, drift) == (HEAD, [])
    assert tables.scalar_one() == 15  # 14 tables and alembic_version


async def test_schema_option_needs_postgres(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="postgresql"):
        await open_database(database_url_for_data_dir(tmp_path), schema="elsewhere")
