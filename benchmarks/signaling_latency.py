"""Signaling latency of a call (request, accept, hang up) against a bare socket.io ack;
also the server subprocess and /proc readers that media_room.py shares.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import aiohttp
import socketio

from signaling.auth import COOKIE_NAME
from tests.around_the_clock import open_around_the_clock

PASSWORD = "benchmark-password"
DEADLINE = 20.0
START_DEADLINE = 30.0
STOP_DEADLINE = 10.0


def free_port() -> int:
    """A TCP port on loopback that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def rss_kb(pid: int) -> int:
    """Resident set size of a process in KiB (VmRSS of /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise ValueError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process, all threads (/proc/<pid>/stat)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    # fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def machine_info() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def spread(values_ms: Sequence[float]) -> dict[str, float]:
    """p50, p95 and max of a sample, in milliseconds rounded to 0.01."""
    if len(values_ms) < 2:
        raise ValueError("need at least two values")
    cuts = statistics.quantiles(values_ms, n=100, method="inclusive")
    return {
        "p50": round(cuts[49], 2),
        "p95": round(cuts[94], 2),
        "max": round(max(values_ms), 2),
    }


class DasanServer:
    """`dasan serve --demo` in a subprocess on a free loopback port."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log_path = data_dir / "server.log"
        self._proc: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int:
        if self._proc is None:
            raise RuntimeError("the server is not running")
        return self._proc.pid

    def _command(self, *args: str) -> list[str]:
        # The console script installed next to this interpreter in the virtualenv.
        return [str(Path(sys.executable).with_name("dasan")), *args]

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(DASAN_DEMO_PASSWORD=PASSWORD, DASAN_LOG_LEVEL="WARNING")
        # Measure at any hour: open every service all day around today.
        hours = open_around_the_clock(self.data_dir / "hours.toml")
        env.update(DASAN_HOURS_FILE=str(hours))
        return env

    async def add_interpreter(self, username: str) -> None:
        """Create one more sign-language interpreter (before `start`)."""
        proc = await asyncio.create_subprocess_exec(
            *self._command(
                "add-staff",
                username,
                "--name",
                f"Benchmark {username}",
                "--skill",
                "sign_language/ksl",
                "--data-dir",
                str(self.data_dir),
            ),
            env={**self._env(), "DASAN_NEW_STAFF_PASSWORD": PASSWORD},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), START_DEADLINE)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        if proc.returncode != 0:
            raise RuntimeError(f"add-staff {username} failed: {out.decode()}")

    async def start(self) -> None:
        with self._log_path.open("wb") as log:
            self._proc = await asyncio.create_subprocess_exec(
                *self._command(
                    "serve",
                    "--demo",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--data-dir",
                    str(self.data_dir),
                ),
                env=self._env(),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        loop = asyncio.get_running_loop()
        end = loop.time() + START_DEADLINE
        probe_timeout = aiohttp.ClientTimeout(total=2)
        async with aiohttp.ClientSession(timeout=probe_timeout) as http:
            while True:
                if self._proc.returncode is not None:
                    raise RuntimeError(f"the server exited:\n{self.log_tail()}")
                try:
                    async with http.get(f"{self.url}/healthz") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                if loop.time() > end:
                    raise TimeoutError(f"no /healthz in time:\n{self.log_tail()}")
                await asyncio.sleep(0.1)

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self._log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL when it has not exited by the deadline."""
        proc, self._proc = self._proc, None
        if proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):  # it may be exiting already
            proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), STOP_DEADLINE)
        except TimeoutError:
            proc.kill()
            await proc.wait()

    async def login(self, username: str) -> str:
        """Sign in over HTTP; returns the session cookie value."""
        jar = aiohttp.CookieJar(unsafe=True)  # accept cookies from 127.0.0.1
        timeout = aiohttp.ClientTimeout(total=DEADLINE)
        async with (
            aiohttp.ClientSession(cookie_jar=jar, timeout=timeout) as http,
            http.post(
                f"{self.url}/api/login",
                json={"username": username, "password": PASSWORD},
            ) as response,
        ):
            if response.status != 200:
                raise RuntimeError(f"login {username}: {response.status}")
            return response.cookies[COOKIE_NAME].value

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.stop()


class TimedParty:
    """A socket.io connection that stamps every server event on arrival."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        # handle_sigint=False: engine.io's own SIGINT handler would cancel every
        # task, our clean-up included; asyncio.run's handler cancels only the main.
        self.sio = socketio.AsyncClient(reconnection=False, handle_sigint=False)
        self._queues: dict[str, asyncio.Queue[tuple[float, Any]]] = {}
        self.sio.on("*", self._arrived, namespace=namespace)

    async def _arrived(self, event: str, data: Any = None) -> None:
        self._queue(event).put_nowait((time.perf_counter(), data))

    def _queue(self, event: str) -> asyncio.Queue[tuple[float, Any]]:
        return self._queues.setdefault(event, asyncio.Queue())

    async def connect(self, url: str, headers: dict[str, str] | None = None) -> None:
        await self.sio.connect(
            url,
            namespaces=[self.namespace],
            headers=headers or {},
            transports=["websocket"],
            wait_timeout=DEADLINE,
        )

    async def call(self, event: str, data: Any = None) -> Any:
        return await self.sio.call(
            event, data, namespace=self.namespace, timeout=DEADLINE
        )

    async def next(self, event: str) -> tuple[float, Any]:
        """The next ``event``: when it arrived (perf_counter) and its payload."""
        return await asyncio.wait_for(self._queue(event).get(), DEADLINE)

    async def until(self, event: str, key: str, value: Any) -> None:
        """Skip ``event``s until one whose ``key`` is ``value``."""

        async def find() -> None:
            while (await self._queue(event).get())[1].get(key) != value:
                pass

        await asyncio.wait_for(find(), DEADLINE)

    @property
    def connected(self) -> bool:
        return bool(self.sio.connected)

    async def disconnect(self) -> None:
        await asyncio.wait_for(self.sio.disconnect(), DEADLINE)


def ms_since(start: float, end: float) -> float:
    return (end - start) * 1000


def expect_ok(ack: Any, what: str) -> None:
    if not (isinstance(ack, dict) and ack.get("ok")):
        raise RuntimeError(f"{what} refused: {ack}")


async def one_call(
    url: str, interpreter: TimedParty, samples: dict[str, list[float]]
) -> None:
    """One whole call without media; appends one sample to every series."""
    citizen = TimedParty("/citizen")
    await citizen.connect(url)
    try:
        start = time.perf_counter()
        ack = await citizen.call("cancel", {})
        samples["socketio_ack_roundtrip_ms"].append(
            ms_since(start, time.perf_counter())
        )
        if ack.get("error", {}).get("code") != "not_waiting":
            raise RuntimeError(f"cancel without a request: {ack}")

        start = time.perf_counter()
        ack, (arrived, offer) = await asyncio.gather(
            citizen.call("request", {"service": "sign_language"}),
            interpreter.next("offer"),
        )
        samples["request_to_offer_ms"].append(ms_since(start, arrived))
        expect_ok(ack, "request")

        start = time.perf_counter()
        ack, (arrived, started), _ = await asyncio.gather(
            interpreter.call("accept_offer", {"offer_id": offer["offer_id"]}),
            citizen.next("session_started"),
            interpreter.next("session_started"),
        )
        samples["accept_to_session_started_ms"].append(ms_since(start, arrived))
        expect_ok(ack, "accept_offer")

        start = time.perf_counter()
        ack, (arrived, _), _ = await asyncio.gather(
            citizen.call("hang_up", {"room_id": started["room_id"]}),
            interpreter.next("session_ended"),
            citizen.next("session_ended"),
        )
        samples["hang_up_to_session_ended_ms"].append(ms_since(start, arrived))
        expect_ok(ack, "hang_up")
        # The interpreter ends wrap-up at once, as after a short call.
        await interpreter.until("status", "status", "wrap_up")
        expect_ok(
            await interpreter.call("set_presence", {"status": "available"}),
            "set_presence",
        )
        await interpreter.until("status", "status", "available")
    finally:
        await citizen.disconnect()


SERIES = (
    "request_to_offer_ms",
    "accept_to_session_started_ms",
    "hang_up_to_session_ended_ms",
    "socketio_ack_roundtrip_ms",
)


async def run(calls: int, warmup: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="dasan-bench-") as data_dir:
        async with DasanServer(Path(data_dir)) as server:
            await server.start()
            token = await server.login("interpreter.ksl")
            interpreter = TimedParty("/staff")
            await interpreter.connect(server.url, {"Cookie": f"{COOKIE_NAME}={token}"})
            try:
                expect_ok(
                    await interpreter.call("set_presence", {"status": "available"}),
                    "set_presence",
                )
                await interpreter.until("status", "status", "available")
                scratch: dict[str, list[float]] = {name: [] for name in SERIES}
                for _ in range(warmup):
                    await one_call(server.url, interpreter, scratch)
                rss_before = rss_kb(server.pid)
                samples: dict[str, list[float]] = {name: [] for name in SERIES}
                for _ in range(calls):
                    await one_call(server.url, interpreter, samples)
                rss_after = rss_kb(server.pid)
            finally:
                await interpreter.disconnect()
    return {
        "benchmark": "signaling_latency",
        "calls": calls,
        "warmup_calls": warmup,
        "project": {name: spread(samples[name]) for name in SERIES[:3]},
        "baseline": {SERIES[3]: spread(samples[SERIES[3]])},
        "server": {"rss_kb_before_calls": rss_before, "rss_kb_after_calls": rss_after},
        "loadavg": loadavg(),
        "machine": machine_info(),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=50, help="measured calls")
    parser.add_argument("--warmup", type=int, default=3, help="calls not measured")
    args = parser.parse_args(argv)
    if args.calls < 2 or args.warmup < 0:
        parser.error("--calls must be 2 or more and --warmup 0 or more")
    print(json.dumps(asyncio.run(run(args.calls, args.warmup)), indent=2))


if __name__ == "__main__":
    main()
