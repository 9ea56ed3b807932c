"""The supervisor dashboard's alert limit from the keyboard (refused values leave
it as it was, a good one is kept in this browser only), the dashboard in Korean,
and signing out of the live dashboard."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, expect

from tests.e2e.checks import switch_language
from tests.e2e.conftest import OpenPage, Site
from tests.e2e.journeys import TALL_DESKTOP, message, open_dashboard

pytestmark = pytest.mark.browser

# The limit's bounds on the page (supervisor_limit.js), in whole seconds.
LIMIT_MIN_S = 1
LIMIT_MAX_S = 3600


def words(locale: str, key: str, **params: object) -> str:
    """The page's message `key` in `locale`, its {placeholders} filled."""
    return message(locale, key).format(**params)


def limit_now(locale: str, shown: str) -> str:
    return words(locale, "supervisor.limit.now", limit=shown)


def limit_invalid(locale: str) -> str:
    return words(locale, "supervisor.limit.invalid", min=LIMIT_MIN_S, max=LIMIT_MAX_S)


async def set_limit(page: Page, value: str) -> None:
    """Type `value` as the alert limit and press Enter."""
    await page.fill("#limit-seconds", value)
    await page.press("#limit-seconds", "Enter")


async def test_the_alert_limit_is_kept_only_when_it_is_whole_seconds(
    browser: Browser, open_page: OpenPage, site: Site, demo_password: str
) -> None:
    url = site.server.url
    page = await open_page(browser, "supervisor", viewport=TALL_DESKTOP, permissions=[])
    await open_dashboard(page, url, demo_password)
    limit = page.locator("#limit-seconds")
    hint = page.locator("#limit-hint")
    problem = page.locator("#limit-problem")
    await expect(limit).to_have_value("120")
    await expect(hint).to_have_text(limit_now("en", "2:00"))
    await expect(problem).to_be_empty()

    # Too long, a fraction, below one, nothing: each refused, the limit unchanged.
    for refused in (str(LIMIT_MAX_S + 1), "1.5", "-5", ""):
        await set_limit(page, refused)
        await expect(problem).to_have_text(limit_invalid("en"))
        await expect(limit).to_have_attribute("aria-invalid", "true")
        await expect(limit).to_be_focused()
        await expect(hint).to_have_text(limit_now("en", "2:00"))

    # Ninety seconds: taken, the refusal gone, the hint in minutes and seconds.
    await set_limit(page, "90")
    await expect(problem).to_be_empty()
    await expect(limit).not_to_have_attribute("aria-invalid", "true")
    await expect(hint).to_have_text(limit_now("en", "1:30"))

    # The largest limit is taken too.
    await set_limit(page, str(LIMIT_MAX_S))
    await expect(problem).to_be_empty()
    await expect(limit).to_have_value(str(LIMIT_MAX_S))
    await expect(hint).to_have_text(
        limit_now("en", "60:00")
    )  # minutes:seconds, as said
    await set_limit(page, "90")
    await expect(hint).to_have_text(limit_now("en", "1:30"))

    # A refused value after a good one is not remembered: a reload shows 90.
    await set_limit(page, "0")
    await expect(problem).to_have_text(limit_invalid("en"))
    await page.reload()
    body = page.locator("body")
    await expect(body).to_have_attribute("data-connection", "live")
    await expect(limit).to_have_value("90")
    await expect(hint).to_have_text(limit_now("en", "1:30"))
    await expect(problem).to_be_empty()

    # In Korean: the hint, a refusal and today's figures; back in English, too.
    await switch_language(page, "ko")
    await expect(hint).to_have_text(limit_now("ko", "1:30"))
    await expect(page.locator("label[for='limit-seconds']")).to_have_text(
        message("ko", "supervisor.limit.label")
    )
    await expect(page.locator('#today-tiles [data-figure="requests"] dt')).to_have_text(
        message("ko", "supervisor.today.requests")
    )
    await set_limit(page, "0")
    await expect(problem).to_have_text(limit_invalid("ko"))
    await switch_language(page, "en")
    await expect(problem).to_have_text(limit_invalid("en"))
    await expect(hint).to_have_text(limit_now("en", "1:30"))
    await expect(page.locator('#today-tiles [data-figure="requests"] dt')).to_have_text(
        message("en", "supervisor.today.requests")
    )

    # Only this browser remembers it: another profile starts at the default.
    other = await open_page(browser, "other", viewport=TALL_DESKTOP, permissions=[])
    await open_dashboard(other, url, demo_password)
    await expect(other.locator("#limit-seconds")).to_have_value("120")
    await expect(other.locator("#limit-hint")).to_have_text(limit_now("en", "2:00"))


async def test_signing_out_of_the_live_dashboard(
    browser: Browser, open_page: OpenPage, site: Site, demo_password: str
) -> None:
    url = site.server.url
    page = await open_page(browser, "supervisor", viewport=TALL_DESKTOP, permissions=[])
    await open_dashboard(page, url, demo_password)
    body = page.locator("body")
    await expect(page.locator("#who")).not_to_be_empty()
    await expect(page.locator("#staff-links")).to_be_visible()

    await page.get_by_role("button", name=message("en", "staff.logout")).click()
    await expect(body).to_have_attribute("data-state", "login")
    await expect(body).to_have_attribute("data-connection", "offline")
    await expect(page.locator("#username")).to_be_focused()
    await expect(page.locator("#status")).to_be_empty()
    await expect(page.locator("#who")).to_be_empty()
    await expect(page.locator("#logout")).to_be_hidden()
    await expect(page.locator("#staff-links")).to_be_hidden()
    await expect(page.locator("[data-view='dashboard']")).to_be_hidden()

    # Signed out on the server too: a reload asks again, the API refuses.
    await page.reload()
    await expect(body).to_have_attribute("data-state", "login")
    response = await page.request.get(f"{url}/api/me")
    assert response.status == 401

    # Signing in again brings the live dashboard back.
    await open_dashboard(page, url, demo_password)
    await expect(page.locator("#today-tiles .tile")).to_have_count(5)
