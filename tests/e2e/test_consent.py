"""Consent to recording in headless Chromium: the citizen page shows the
recording notice as a labelled dialog; once the citizen (by keyboard) and the
interpreter agree, both pages say "Recording" in words."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.e2e.conftest import OpenPage
from tests.e2e.journeys import DESKTOP, MEDIA, PHONE, start_a_sign_language_call

pytestmark = pytest.mark.browser


async def test_consenting_shows_the_recording_badge_on_both_pages(
    server_url: str,
    demo_password: str,
    browser: Browser,
    open_page: OpenPage,
) -> None:
    staff = await open_page(browser, "staff", viewport=DESKTOP, permissions=MEDIA)
    citizen = await open_page(browser, "citizen", viewport=PHONE, permissions=MEDIA)
    await start_a_sign_language_call(staff, citizen, server_url, demo_password)

    # The notice, in plain words, as a dialog named by its heading.
    prompt = citizen.get_by_role("dialog", name="May we record this session?")
    await expect(prompt).to_be_visible()
    await expect(prompt).to_contain_text("stops at once if anyone says no")
    await expect(citizen.get_by_test_id("recording-badge")).to_be_hidden()

    # The citizen agrees with the keyboard alone; nothing records until the
    # interpreter agrees too.
    agree = prompt.get_by_role("button", name="Yes, record")
    await agree.focus()
    await citizen.keyboard.press("Enter")
    await expect(prompt).to_be_hidden()
    await expect(citizen.get_by_test_id("recording-badge")).to_be_hidden()

    staff_prompt = staff.get_by_role("dialog", name="Recording consent")
    await expect(staff_prompt).to_be_visible()
    await staff_prompt.get_by_role("button", name="I agree").click()

    for page, button in ((citizen, "Stop recording"), (staff, "Withdraw consent")):
        badge = page.get_by_test_id("recording-badge")
        await expect(badge).to_be_visible()
        await expect(badge).to_have_attribute("role", "status")
        await expect(page.get_by_test_id("recording-label")).to_have_text("Recording")
        await expect(badge.get_by_role("button", name=button)).to_be_visible()

    # Withdrawing takes the badge away on both pages.
    await (
        citizen.get_by_test_id("recording-badge")
        .get_by_role("button", name="Stop recording")
        .click()
    )
    for page in (citizen, staff):
        await expect(page.get_by_test_id("recording-badge")).to_be_hidden()
