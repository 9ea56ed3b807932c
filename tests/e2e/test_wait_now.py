"""The citizen page says, before asking, how long the wait is now: in words, in the
reader's language, following who is on duty (GET /api/waits)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from tests.e2e.checks import check, switch_language
from tests.e2e.conftest import RunningServer
from tests.e2e.journeys import DESKTOP, PHONE, context, open_citizen, sign_in_available

pytestmark = pytest.mark.browser

DEADLINE_S = 20.0
NOBODY = {
    "en": "Nobody is available for this right now.",
    "ko": "지금은 이 상담을 받을 수 있는 근무자가 없습니다.",
}
NO_WAIT = {
    "en": "No wait right now: someone is free to answer.",
    "ko": "지금은 기다리지 않고 바로 연결됩니다.",
}


async def ksl_wait(page: Page, url: str) -> Any:
    response = await page.request.get(f"{url}/api/waits")
    assert response.ok
    body = await response.json()
    (wait,) = [w["wait_seconds"] for w in body["waits"] if w["language"] == "ksl"]
    return wait


async def until_ksl_wait(page: Page, url: str, expected: Any) -> None:
    """The server's shared answer is a few seconds old at most: ask until it moves."""

    async def poll() -> None:
        while True:
            if await ksl_wait(page, url) == expected:
                return
            await asyncio.sleep(0.25)

    await asyncio.wait_for(poll(), DEADLINE_S)


async def test_the_wait_now_is_shown_before_asking(
    server: RunningServer, browser: Browser
) -> None:
    url = server.url
    async with (
        context(browser, locale="en", viewport=PHONE) as citizen_ctx,
        context(browser, locale="ko", viewport=DESKTOP) as staff_ctx,
    ):
        citizen = await citizen_ctx.new_page()
        await open_citizen(citizen, url, "en")
        await citizen.select_option("#service", "sign_language")
        wait_now = citizen.locator("#wait-now")
        # Nobody on duty: said plainly, next to open or closed.
        await expect(citizen.locator("#service-hours")).to_have_attribute(
            "data-open", "true"
        )
        await expect(wait_now).to_have_text(NOBODY["en"])
        await expect(wait_now).to_have_attribute("data-wait-seconds", "none")
        await check(citizen, "citizen", "wait-nobody")
        await switch_language(citizen, "ko")
        await expect(wait_now).to_have_text(NOBODY["ko"])

        # An interpreter becomes available: no wait, once the page asks again
        # (on switching the service, as here, or every 30 s).
        staff = await staff_ctx.new_page()
        await sign_in_available(staff, url)
        await until_ksl_wait(citizen, url, 0)
        await citizen.select_option("#service", "foreign_language")
        await expect(wait_now).to_have_text(NOBODY["ko"])  # nobody for English
        await citizen.select_option("#service", "sign_language")
        await expect(wait_now).to_have_text(NO_WAIT["ko"])
        await expect(wait_now).to_have_attribute("data-wait-seconds", "0")
        await check(citizen, "citizen", "wait-none")
        await switch_language(citizen, "en")
        await expect(wait_now).to_have_text(NO_WAIT["en"])
        await check(citizen, "citizen", "wait-none")
