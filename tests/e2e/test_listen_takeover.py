"""A supervisor's dashboard whose next page connects before the server saw the
old one close (a reload racing its own disconnect; here the old page simply
stays open, as another window would): the new page listens again without an
error, and the old one stops listening and says why, without taking the place
back. Headless Chromium, as in ``test_threeway``."""

from __future__ import annotations

import json

import pytest
from playwright.async_api import Browser, Page, expect

from tests.e2e.conftest import OpenPage
from tests.e2e.journeys import (
    DESKTOP,
    INTERPRETER,
    MEDIA,
    PHONE,
    message,
    open_dashboard,
    start_a_sign_language_call,
)
from tests.e2e.media import frames_keep_coming, sees_video_of

pytestmark = pytest.mark.browser

LISTENING = "dasan:listening"

# Keeps the page's socket.io sockets within reach of the test (window.io is
# assigned by the vendored client), and counts the session_started they get
# (in the same dispatch as the page's own handler: once counted, it ran).
KEEP_SOCKETS = """(() => {
  let real;
  window.__sockets = [];
  window.__sessionStarted = 0;
  Object.defineProperty(window, 'io', {
    configurable: true,
    get: () => real,
    set: (io) => {
      real = Object.assign((...args) => {
        const socket = io(...args);
        window.__sockets.push(socket);
        socket.on('session_started', () => { window.__sessionStarted += 1; });
        return socket;
      }, io);
    },
  });
})();"""


async def sessions_started(page: Page) -> int:
    return int(await page.evaluate("window.__sessionStarted"))


async def test_the_next_page_listens_again_while_the_old_one_is_still_open(
    server_url: str, demo_password: str, browser: Browser, open_page: OpenPage
) -> None:
    staff = await open_page(browser, "staff", viewport=DESKTOP, permissions=MEDIA)
    citizen = await open_page(browser, "citizen", viewport=PHONE, permissions=MEDIA)
    old = await open_page(browser, "supervisor", viewport=DESKTOP, permissions=[])
    await old.add_init_script(KEEP_SOCKETS)
    await start_a_sign_language_call(staff, citizen, server_url, demo_password)
    await open_dashboard(old, server_url, demo_password)
    await old.locator("#sessions-body button.listen-in").click()
    await sees_video_of(old, {"citizen", "interpreter"})
    listening = await old.evaluate(f"sessionStorage.getItem('{LISTENING}')")
    assert json.loads(listening)["room_id"]

    # The same tab's next page: same cookie, same sessionStorage, while the
    # server still has the old page's connection.
    new = await old.context.new_page()
    await new.add_init_script(
        f"sessionStorage.setItem('{LISTENING}', {json.dumps(listening)});"
    )
    await new.goto(f"{server_url}/supervisor")
    await expect(new.locator("body")).to_have_attribute("data-state", "dashboard")
    await expect(new.locator("#listen")).to_be_visible()
    await sees_video_of(new, {"citizen", "interpreter"})
    live = f"Listening in to the session of {INTERPRETER}."
    await expect(new.locator("#listen .status")).to_have_text(live)
    await expect(new.locator("#error")).to_be_empty()
    # The old page is told it listens elsewhere now: it stops, says so in its
    # panel (no error), and forgets the session.
    elsewhere = message("en", "supervisor.listen.elsewhere")
    await expect(old.locator("#listen .status")).to_have_text(elsewhere)
    await expect(old.locator("#listen")).to_be_visible()
    await expect(old.locator("#listen-stop")).to_be_hidden()
    await expect(old.locator("#listen .listen-stage")).to_be_hidden()
    await expect(old.locator("#sessions-body button.listen-in")).to_be_enabled()
    await expect(old.locator("#error")).to_be_empty()
    assert await old.evaluate(f"sessionStorage.getItem('{LISTENING}')") is None
    # One supervisor in the room, listening.
    await expect(staff.locator("#room-parties [data-role='supervisor']")).to_have_count(
        1
    )
    await expect(citizen.locator(".supervisor-badge")).to_be_visible()

    # The old page's connection drops and comes back: the server hands it the
    # session again, and it stays stopped instead of taking the place back.
    before = await sessions_started(old)
    await old.evaluate("window.__sockets.at(-1).io.engine.close()")
    await old.wait_for_function("n => window.__sessionStarted > n", arg=before)
    await expect(old.locator("#listen .status")).to_have_text(elsewhere)
    await expect(old.locator("#listen-stop")).to_be_hidden()
    await frames_keep_coming(new, {"citizen", "interpreter"})
    await expect(new.locator("#listen .status")).to_have_text(live)
    await expect(staff.locator("#room-parties [data-role='supervisor']")).to_have_count(
        1
    )

    # The interpreter takes the supervisor out: the listening page says so.
    await staff.locator("#room-parties [data-role='supervisor'] .room-remove").click()
    await expect(new.locator("#listen .status")).to_have_text(
        message("en", "supervisor.listen.removed")
    )
    await expect(new.locator("#listen-stop")).to_be_hidden()
    await expect(new.locator("#error")).to_be_empty()
    await expect(citizen.locator(".supervisor-badge")).to_be_hidden()
    await expect(old.locator("#listen .status")).to_have_text(elsewhere)
