"""A citizen, and a signed-in staff member told their first status, on socket.io
to an in-process server."""

from __future__ import annotations

from aiohttp.test_utils import TestServer

from tests.integration.conftest import base_url, login
from tests.integration.peers import Party


async def citizen(server: TestServer) -> Party:
    party = Party("/citizen")
    await party.connect(base_url(server))
    return party


async def staff(server: TestServer, username: str) -> Party:
    _, token = await login(server, username)
    party = Party("/staff")
    await party.connect(base_url(server), {"Cookie": f"dasan_session={token}"})
    await party.next("status")
    return party
