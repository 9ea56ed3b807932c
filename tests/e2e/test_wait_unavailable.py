"""The citizen page when the server cannot estimate the wait (GET /api/waits
answers 503 pool_unavailable): no wait is shown, not even the last one, and
asking still works."""

from __future__ import annotations

import json

import pytest
from playwright.async_api import Browser, Route, expect

from tests.e2e.conftest import RunningServer
from tests.e2e.journeys import PHONE, ask_for_an_interpreter, context, open_citizen

pytestmark = pytest.mark.browser

NOBODY = "Nobody is available for this right now."
UNAVAILABLE = {
    "error": {
        "code": "pool_unavailable",
        "message": "the wait cannot be estimated right now; you can still ask",
    }
}


async def unavailable(route: Route) -> None:
    """The answer of a server whose pool store (Redis) cannot be read."""
    await route.fulfill(
        status=503,
        headers={"Retry-After": "5", "Cache-Control": "no-store"},
        content_type="application/json",
        body=json.dumps(UNAVAILABLE),
    )


async def test_no_wait_is_shown_while_it_cannot_be_estimated(
    server: RunningServer, browser: Browser
) -> None:
    async with context(browser, locale="en", viewport=PHONE) as ctx:
        citizen = await ctx.new_page()
        await open_citizen(citizen, server.url, "en")
        await citizen.select_option("#service", "sign_language")
        wait_now = citizen.locator("#wait-now")
        await expect(wait_now).to_have_text(NOBODY)  # the server's real answer
        await expect(wait_now).to_have_attribute("data-wait-seconds", "none")

        await citizen.route("**/api/waits", unavailable)
        # The page asks again (on a change of service, or every 30 s).
        await citizen.select_option("#service", "foreign_language")
        await citizen.select_option("#service", "sign_language")
        await expect(wait_now).to_be_empty()
        await expect(wait_now).not_to_have_attribute("data-wait-seconds", "none")
        await ask_for_an_interpreter(citizen)
