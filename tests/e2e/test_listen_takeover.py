"""A supervisor's dashboard whose next page connects before the server saw the
old one close (a reload racing its own disconnect; here the old page simply
stays open): the new page listens again without an error, and the old one
stops listening. Headless Chromium, as in ``test_threeway``."""

from __future__ import annotations

import json

import pytest
from playwright.async_api import Browser, expect

from tests.e2e.conftest import OpenPage
from tests.e2e.journeys import (
    DESKTOP,
    INTERPRETER,
    MEDIA,
    PHONE,
    open_dashboard,
    start_a_sign_language_call,
)
from tests.e2e.media import sees_video_of

pytestmark = pytest.mark.browser

LISTENING = "dasan:listening"


async def test_the_next_page_listens_again_while_the_old_one_is_still_open(
    server_url: str, demo_password: str, browser: Browser, open_page: OpenPage
) -> None:
    staff = await open_page(browser, "staff", viewport=DESKTOP, permissions=MEDIA)
    citizen = await open_page(browser, "citizen", viewport=PHONE, permissions=MEDIA)
    old = await open_page(browser, "supervisor", viewport=DESKTOP, permissions=[])
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
    await expect(new.locator("#listen .status")).to_have_text(
        f"Listening in to the session of {INTERPRETER}."
    )
    await expect(new.locator("#error")).to_be_empty()
    # The old page is told it left: it stops listening, without an error.
    await expect(old.locator("#listen")).to_be_hidden()
    await expect(old.locator("#error")).to_be_empty()
    # One supervisor in the room, listening.
    await expect(staff.locator("#room-parties [data-role='supervisor']")).to_have_count(
        1
    )
    await expect(citizen.locator(".supervisor-badge")).to_be_visible()

    await new.click("#listen-stop")
    await expect(new.locator("#listen")).to_be_hidden()
    await expect(citizen.locator(".supervisor-badge")).to_be_hidden()
