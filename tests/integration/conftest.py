"""A real Dasan server on loopback, and signed-in staff for the tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from dasan.app import RUNTIME, create_app
from dasan.settings import Settings
from signaling.auth import COOKIE_NAME
from storage.database import Database, database_url_for_data_dir, open_database
from tests.around_the_clock import open_around_the_clock
from tests.pg import fresh_database_url, fresh_schema_url

DEMO_PASSWORD = "demo-password-for-tests"


AppServer = Callable[[web.Application], Awaitable[TestServer]]


async def start_server(
    aiohttp_server: AppServer,
    tmp_path: Path,
    database_url: str | None = None,
    **overrides: Any,
) -> TestServer:
    hours = overrides.pop("hours_file", None) or open_around_the_clock(
        tmp_path / "hours.toml"
    )
    settings = Settings(
        data_dir=tmp_path,
        hours_file=hours,
        database_url=database_url,
        demo=True,
        demo_password=DEMO_PASSWORD,
        **({"offer_timeout_seconds": 5} | overrides),
    )
    return await aiohttp_server(create_app(settings))


@pytest.fixture
async def dasan_server(aiohttp_server: AppServer, tmp_path: Path) -> TestServer:
    """The whole service on its embedded default: SQLite in a temporary folder."""
    return await start_server(aiohttp_server, tmp_path)


@pytest.fixture(params=["sqlite", "postgres"])
async def any_db_server(
    request: pytest.FixtureRequest, aiohttp_server: AppServer, tmp_path: Path
) -> AsyncIterator[TestServer]:
    """The whole service on SQLite, then on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield await start_server(aiohttp_server, tmp_path)
        return
    async with fresh_database_url() as url:
        server = await start_server(aiohttp_server, tmp_path, url)
        yield server
        await server.close()


def base_url(server: TestServer) -> str:
    return str(server.make_url("")).rstrip("/")


async def login(server: TestServer, username: str) -> tuple[dict[str, Any], str]:
    """Sign in over HTTP; returns the profile and the session cookie value."""
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{base_url(server)}/api/login",
            json={"username": username, "password": DEMO_PASSWORD},
        ) as response,
    ):
        assert response.status == 200, await response.text()
        profile: dict[str, Any] = await response.json()
        token = response.cookies[COOKIE_NAME].value
    return profile, token


@pytest.fixture
async def http(dasan_server: TestServer) -> AsyncIterator[aiohttp.ClientSession]:
    # unsafe: accept cookies from an IP-address host (the test server's 127.0.0.1)
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(base_url(dasan_server), cookie_jar=jar) as session:
        yield session


def runtime(server: TestServer) -> Any:
    return server.app[RUNTIME]


# A database on SQLite, then on a fresh PostgreSQL schema: for the stores' tests.
@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        db = await open_database(database_url_for_data_dir(tmp_path))
        try:
            yield db
        finally:
            await db.close()
        return
    async with fresh_schema_url() as (url, schema):
        db = await open_database(url, schema=schema)
        try:
            yield db
        finally:
            await db.close()
