"""End-to-end fixtures: the real `dasan serve --demo` and headless Chromium pages."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import (
    Browser,
    ConsoleMessage,
    Page,
    Playwright,
    ViewportSize,
    async_playwright,
)
from playwright.async_api import Error as PlaywrightError

from tests.around_the_clock import open_around_the_clock

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
DEMO_PASSWORD = "e2e-demo-password-0123"
START_DEADLINE_S = 30.0
STOP_DEADLINE_S = 10.0
ACTION_TIMEOUT_MS = 20_000

# No sandbox (containers), no GPU, and nothing that phones home.
QUIET_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)
# A synthetic camera and microphone: a moving test pattern and a beep.
# A fake camera at 30 frames a second, like a real webcam (the default is 20).
FAKE_MEDIA_ARGS = ("--use-fake-device-for-media-stream=fps=30",)
# Answer every camera and microphone prompt with "allow".
AUTO_ALLOW_ARGS = ("--use-fake-ui-for-media-stream",)
# Three fake cameras at 30 frames a second. Chromium makes fake_device_0 an I420
# camera, fake_device_1 a 16-bit depth camera (Y16: it plays in a <video>, but
# WebRTC sends no frames from it) and fake_device_2 an MJPEG camera.
CAMERAS_ARGS = ("--use-fake-device-for-media-stream=fps=30,device-count=3",)
# Chromium's fake devices: none of the cameras, the microphone still there.
NO_CAMERA_ARGS = ("--use-fake-device-for-media-stream=device-count=0",)

OpenPage = Callable[..., Awaitable[Page]]


@dataclass(frozen=True)
class RunningServer:
    url: str
    data_dir: Path
    log: Path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def dasan_command() -> str:
    beside_python = Path(sys.executable).with_name("dasan")
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("dasan")
    if found is None:
        pytest.fail("the dasan command is not installed (pip install -e .)")
    return found


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
            body = json.load(response)
    except (OSError, urllib.error.URLError, ValueError):
        return False
    return isinstance(body, dict) and body.get("status") == "ok"


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if it has not exited by the deadline."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_DEADLINE_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_DEADLINE_S)


def failed(request: pytest.FixtureRequest) -> bool:
    report = getattr(request.node, "report_call", None)
    return report is not None and bool(report.failed)


def artifact_stem(request: pytest.FixtureRequest) -> str:
    return re.sub(r"[^\w.-]+", "_", request.node.name)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the test item, for the artifact fixtures."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@contextmanager
def dasan_serve(root: Path, **env: str) -> Iterator[RunningServer]:
    """`dasan serve --demo` on a free loopback port, its data and log under `root`,
    open around the clock (hours.toml in the data folder); `env` adds settings."""
    port = free_port()
    data_dir = root / "data"
    log = root / "server.log"
    url = f"http://127.0.0.1:{port}"
    data_dir.mkdir(parents=True, exist_ok=True)
    hours = open_around_the_clock(data_dir / "hours.toml")
    environment = {
        **os.environ,
        "DASAN_DEMO_PASSWORD": DEMO_PASSWORD,
        "DASAN_HOURS_FILE": str(hours),
        **env,
    }
    command = [dasan_command(), "serve", "--demo", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--data-dir", str(data_dir)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=REPO, env=environment, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + START_DEADLINE_S
        while not healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(errors="replace")[-4000:]
                pytest.fail(f"dasan serve did not become healthy at {url}:\n{tail}")
            time.sleep(0.1)
        yield RunningServer(url=url, data_dir=data_dir, log=log)
    finally:
        stop(process)


@pytest.fixture
def server(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[RunningServer]:
    """`dasan serve --demo` on a free loopback port with its own data folder."""
    try:
        with dasan_serve(tmp_path) as running:
            yield running
    finally:
        if failed(request):
            ARTIFACTS.mkdir(exist_ok=True)
            log = tmp_path / "server.log"
            shutil.copyfile(log, ARTIFACTS / f"{artifact_stem(request)}-server.log")


@dataclass(frozen=True)
class Site:
    server: RunningServer
    hours_file: Path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One `dasan serve --demo` for every test of a module; each test leaves nobody
    behind (a closed page ends its session at once, so the next test starts clean)."""
    root = tmp_path_factory.mktemp("site")
    with dasan_serve(root, DASAN_RECONNECT_GRACE_SECONDS="0") as running:
        yield Site(running, running.data_dir / "hours.toml")


@pytest.fixture
def server_url(server: RunningServer) -> str:
    return server.url


@pytest.fixture
def database(server: RunningServer) -> Path:
    """The server's SQLite file (the embedded default in the data folder)."""
    return server.data_dir / "dasan.db"


@pytest.fixture
def demo_password() -> str:
    return DEMO_PASSWORD


def chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.fail("chromium is not installed: run make chromium (make test does)")
    return path


@pytest.fixture
async def playwright() -> AsyncIterator[Playwright]:
    async with async_playwright() as driver:
        yield driver


async def launch(playwright: Playwright, *args: str) -> Browser:
    return await playwright.chromium.launch(
        executable_path=chromium(), args=[*args, *QUIET_ARGS]
    )


@pytest.fixture
async def browser(playwright: Playwright) -> AsyncIterator[Browser]:
    """Chromium with a fake camera and microphone that pages may use unasked."""
    launched = await launch(playwright, *FAKE_MEDIA_ARGS, *AUTO_ALLOW_ARGS)
    yield launched
    await launched.close()


@pytest.fixture
async def asking_browser(playwright: Playwright) -> AsyncIterator[Browser]:
    """Chromium with a fake camera whose permission prompt nobody answers "allow"."""
    launched = await launch(playwright, *FAKE_MEDIA_ARGS)
    yield launched
    await launched.close()


@pytest.fixture
async def cameras_browser(playwright: Playwright) -> AsyncIterator[Browser]:
    """Chromium on a device with three cameras, prompts allowed."""
    launched = await launch(playwright, *CAMERAS_ARGS, *AUTO_ALLOW_ARGS)
    yield launched
    await launched.close()


@pytest.fixture
async def no_camera_browser(playwright: Playwright) -> AsyncIterator[Browser]:
    """Chromium on a device with a microphone and no camera, prompts allowed."""
    launched = await launch(playwright, *NO_CAMERA_ARGS, *AUTO_ALLOW_ARGS)
    yield launched
    await launched.close()


@pytest.fixture
async def open_page(
    request: pytest.FixtureRequest,
) -> AsyncIterator[OpenPage]:
    """Open a named page in its own context (own cookies), in English.

    Call as ``await open_page(browser, "citizen", viewport=..., permissions=[...])``.
    When the test fails, each page is saved to test-artifacts/ with its console log.
    """
    pages: dict[str, Page] = {}
    logs: dict[str, list[str]] = {}

    async def open_(
        browser: Browser,
        name: str,
        *,
        viewport: ViewportSize,
        permissions: list[str],
    ) -> Page:
        context = await browser.new_context(
            viewport=viewport, locale="en-US", permissions=permissions
        )
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        page = await context.new_page()
        lines = logs.setdefault(name, [])

        def record(message: ConsoleMessage) -> None:
            lines.append(f"{message.type}: {message.text}")

        page.on("console", record)
        page.on("pageerror", lambda error: lines.append(f"pageerror: {error}"))
        pages[name] = page
        return page

    yield open_
    if not failed(request):
        return
    ARTIFACTS.mkdir(exist_ok=True)
    stem = artifact_stem(request)
    for name, page in pages.items():
        (ARTIFACTS / f"{stem}-{name}.log").write_text("\n".join(logs[name]) + "\n")
        try:
            await page.screenshot(path=ARTIFACTS / f"{stem}-{name}.png", full_page=True)
        except PlaywrightError as exc:  # the browser may already be gone
            (ARTIFACTS / f"{stem}-{name}.png.txt").write_text(f"no screenshot: {exc}\n")
