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

DEMO_PASSWORD = "demo-password-for-tests"

ServerFactory = Callable[..., Awaitable[TestServer]]


@pytest.fixture
async def dasan_server(
    aiohttp_server: Callable[[web.Application], Awaitable[TestServer]],
    tmp_path: Path,
) -> TestServer:
    settings = Settings(
        data_dir=tmp_path,
        demo=True,
        demo_password=DEMO_PASSWORD,
        offer_timeout_seconds=5,
    )
    return await aiohttp_server(create_app(settings))


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
