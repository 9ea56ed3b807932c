"""Real ``dasan serve`` processes for the tests: started on a free port, healthy
before use, stopped with SIGTERM; and staff signed in to one over socket.io."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp

from tests.integration.peers import Party

PASSWORD = "scale-out-test-password"
DASAN = str(Path(sys.executable).parent / "dasan")
# A server told to stop closes its sockets, rooms and recordings within seconds
# (tests/integration/test_shutdown.py); one still up after this is a hang.
STOP_DEADLINE = 15.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def server(env: dict[str, str], data_dir: Path) -> AsyncIterator[str]:
    async with server_process(env, data_dir) as (url, _):
        yield url


@asynccontextmanager
async def server_process(
    env: dict[str, str], data_dir: Path
) -> AsyncIterator[tuple[str, asyncio.subprocess.Process]]:
    """A healthy ``dasan serve`` and its process (to kill it in a test)."""
    port = free_port()
    log = (data_dir / f"server-{port}.log").open("w")
    process = await asyncio.create_subprocess_exec(
        *(DASAN, "serve", "--host", "127.0.0.1", "--port", str(port), "--demo"),
        env=env,
        cwd=data_dir,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    stuck = False
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(300):
                if process.returncode is not None:
                    raise RuntimeError(f"server on {port} exited {process.returncode}")
                try:
                    async with http.get(f"{url}/healthz") as response:
                        if response.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError(f"server on {port} never became healthy")
        yield url, process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(STOP_DEADLINE):
                    await process.wait()
            except TimeoutError:
                stuck = True
                process.kill()
                await process.wait()
        log.close()
        # Shown by pytest when the test fails.
        print(f"--- server {port} log ---")
        print((data_dir / f"server-{port}.log").read_text()[-5000:])
    # Only when the test itself passed: its own failure says more.
    assert not stuck, f"server on {port} still up {STOP_DEADLINE} s after SIGTERM"


async def sign_in(url: str, username: str) -> Party:
    jar = aiohttp.CookieJar(unsafe=True)
    async with (
        aiohttp.ClientSession(cookie_jar=jar) as http,
        http.post(
            f"{url}/api/login", json={"username": username, "password": PASSWORD}
        ) as response,
    ):
        assert response.status == 200, await response.text()
        token = response.cookies["dasan_session"].value
    party = Party("/staff")
    await party.connect(url, {"Cookie": f"dasan_session={token}"})
    return party
