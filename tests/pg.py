"""PostgreSQL for tests: the service's URL and a throwaway schema per test."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import NamedTuple

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from sqlalchemy.schema import CreateSchema, DropSchema

POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


class FreshSchema(NamedTuple):
    """Where a test's tables go: pass both to ``open_database(url, schema=schema)``."""

    url: str
    schema: str


@asynccontextmanager
async def fresh_schema_url(url: str = POSTGRES_URL) -> AsyncIterator[FreshSchema]:
    """Create a uniquely named schema, yield it with ``url``, then drop it CASCADE.

    The schema is not folded into the URL: asyncpg takes ``search_path`` as a
    connect argument (``server_settings``), which ``open_database(url, schema=...)``
    sets. An unreachable server raises here, so PostgreSQL tests fail, never skip.
    """
    schema = f"test_{secrets.token_hex(6)}"
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            await connection.execute(CreateSchema(schema))
        try:
            yield FreshSchema(url, schema)
        finally:
            async with engine.begin() as connection:
                await connection.execute(DropSchema(schema, cascade=True))
    finally:
        await engine.dispose()


@asynccontextmanager
async def fresh_database_url(url: str = POSTGRES_URL) -> AsyncIterator[str]:
    """Create a throwaway database and yield a URL for it; drop it afterwards.

    For tests that run the whole service, which takes a plain database URL.
    """
    name = f"dasan_test_{secrets.token_hex(6)}"
    engine = create_async_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield url.rsplit("/", 1)[0] + "/" + name
        finally:
            async with engine.connect() as connection:
                await connection.execute(
                    text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                )
    finally:
        await engine.dispose()
