"""Opening the SQL database: engine, sessions, and Alembic migrations to head."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, make_url, text
from sqlalchemy.engine import Connection
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

PACKAGE_DIR = Path(__file__).parent
MIGRATIONS_DIR = PACKAGE_DIR / "migrations"
ALEMBIC_INI = PACKAGE_DIR / "alembic.ini"

# Any fixed number: processes starting together on PostgreSQL migrate one at a time.
_MIGRATION_LOCK_KEY = 0x0DA5A_0001


@dataclass(frozen=True, slots=True)
class Database:
    """An open database: the engine and the session factory the adapters use."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]

    async def close(self) -> None:
        await self.engine.dispose()


def database_url_for_data_dir(data_dir: Path) -> str:
    """The embedded default: one SQLite file in the service's data folder."""
    return f"sqlite+aiosqlite:///{data_dir}/dasan.db"


def alembic_config() -> Config:
    """Alembic's configuration for this package's migrations, wherever installed."""
    config = Config(str(ALEMBIC_INI))
    # ConfigParser interpolates "%", so a path containing one must be escaped.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    return config


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _upgrade_to_head(connection: Connection, config: Config) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY}
        )
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def open_database(url: str, *, schema: str | None = None) -> Database:
    """Connect to ``url``, migrate it to the newest schema, and return it.

    ``schema`` (PostgreSQL with asyncpg only) puts every connection's
    ``search_path`` on that existing schema, so tables and ``alembic_version`` live
    there; tests use it to give each run a schema of its own.
    """
    connect_args: dict[str, Any] = {}
    if schema is not None:
        if make_url(url).drivername != "postgresql+asyncpg":
            raise ValueError(f"schema= needs a postgresql+asyncpg URL, not {url!r}")
        connect_args["server_settings"] = {"search_path": schema}
    engine = create_async_engine(url, connect_args=connect_args)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade_to_head, alembic_config())
    except BaseException:
        await engine.dispose()
        raise
    return Database(engine, async_sessionmaker(engine, expire_on_commit=False))
