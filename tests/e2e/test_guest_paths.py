"""The guest page's less travelled paths: a refused microphone or camera that
leaves the link unspent and the page ready to choose again; a link used already,
by another guest or by the same tab after leaving."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, expect

from tests.e2e.conftest import OpenPage, Site
from tests.e2e.journeys import (
    DESKTOP,
    MEDIA,
    PHONE,
    ask_for_chat,
    context,
    message,
    sign_in_and_take_calls,
)
from tests.e2e.media import invite_link

pytestmark = pytest.mark.browser


async def a_chat_session_with_a_link(staff: Page, citizen: Page, url: str) -> str:
    """The interpreter in a citizen's text chat makes a guest's invitation link."""
    await sign_in_and_take_calls(staff, url)
    await ask_for_chat(citizen, url)
    await expect(staff.locator("#offer")).to_be_visible()
    await staff.click("#accept")
    await expect(staff.locator("body")).to_have_attribute("data-state", "call")
    return await invite_link(staff)


async def test_a_refused_microphone_leaves_the_link_unspent(
    site: Site, browser: Browser, asking_browser: Browser, open_page: OpenPage
) -> None:
    url = site.server.url
    staff = await open_page(browser, "staff", viewport=DESKTOP, permissions=MEDIA)
    citizen = await open_page(browser, "citizen", viewport=PHONE, permissions=[])
    guest = await open_page(asking_browser, "guest", viewport=PHONE, permissions=[])
    link = await a_chat_session_with_a_link(staff, citizen, url)
    await guest.goto(link)
    await expect(guest.locator("body")).to_have_attribute("data-state", "choose")
    status = guest.locator("#status")
    error = guest.locator("#error")

    # Sound only, the microphone refused: said why, and ready to choose again
    # (no longer "Joining the session…").
    await guest.click("#join-audio")
    await expect(error).to_have_attribute("data-code", "media.denied")
    # In the guest page's words: no "Turn on camera" here, and not the camera alone.
    await expect(error).to_have_text(message("en", "guest.media.denied"))
    await expect(status).to_have_text("Choose how to join.")
    await expect(guest.locator("body")).to_have_attribute("data-state", "choose")
    await expect(guest.locator("#join-audio")).to_be_enabled()
    await expect(guest.locator("#join-audio")).to_be_focused()
    await expect(guest.locator("body")).to_have_attribute("data-camera", "off")

    # With the camera, refused too: the other way is offered, in either language.
    await guest.click("#join-camera")
    await expect(status).to_have_text("You can still join with sound only.")
    await expect(guest.locator("#join-camera")).to_be_focused()
    await guest.locator("#locale").select_option("ko")
    await expect(status).to_have_text(message("ko", "guest.camera_failed"))
    await expect(error).to_have_text(message("ko", "guest.media.denied"))
    await guest.locator("#locale").select_option("en")

    # Nothing was spent: once the microphone is allowed, the same link joins.
    await expect(staff.locator("#room-parties [data-role='guest']")).to_have_count(0)
    await guest.context.grant_permissions(["microphone"])
    await guest.click("#join-audio")
    await expect(guest.locator("body")).to_have_attribute("data-state", "call")
    await expect(error).to_be_empty()
    await expect(staff.locator("#room-parties > li")).to_have_count(3)
    await expect(staff.locator("#room-parties [data-role='guest']")).to_have_count(1)


async def test_a_used_link_is_refused_and_the_guest_keeps_the_place(
    site: Site, browser: Browser, open_page: OpenPage
) -> None:
    url = site.server.url
    staff = await open_page(browser, "staff", viewport=DESKTOP, permissions=MEDIA)
    citizen = await open_page(browser, "citizen", viewport=PHONE, permissions=[])
    first = await open_page(browser, "guest", viewport=PHONE, permissions=MEDIA)
    link = await a_chat_session_with_a_link(staff, citizen, url)
    await first.goto(link)
    await first.click("#join-audio")
    await expect(first.locator("body")).to_have_attribute("data-state", "call")
    await expect(staff.locator("#room-parties > li")).to_have_count(3)

    # The same link on someone else's phone, in Vietnamese: refused, said why.
    async with context(browser, locale="vi", viewport=PHONE) as other:
        second = await other.new_page()
        await second.goto(link)
        await expect(second.locator("body")).to_have_attribute("data-state", "choose")
        await second.click("#join-audio")
        await expect(second.locator("body")).to_have_attribute("data-state", "invalid")
        detail = second.locator("#problem-detail")
        await expect(detail).to_have_text(message("vi", "error.invite_used"))
        await expect(second.locator("#problem-heading")).to_be_focused()
        await expect(second.locator("body")).to_have_attribute("data-camera", "off")
        await second.locator("#locale").select_option("en")
        await expect(detail).to_have_text(message("en", "error.invite_used"))

    # The first guest keeps the place; the room has one guest.
    await expect(first.locator("body")).to_have_attribute("data-state", "call")
    await expect(staff.locator("#room-parties [data-role='guest']")).to_have_count(1)

    # The first guest leaves, then reloads: the link is spent for them too.
    await first.click("#leave")
    await expect(first.locator("#ended-detail")).to_have_text(
        "You left the session. You can close this page now."
    )
    await expect(staff.locator("#room-parties > li")).to_have_count(2)
    await first.reload()
    await expect(first.locator("body")).to_have_attribute("data-state", "choose")
    await expect(first.locator("#status")).to_have_text("Choose how to join.")
    await first.click("#join-audio")
    await expect(first.locator("body")).to_have_attribute("data-state", "invalid")
    await expect(first.locator("#problem-detail")).to_have_text(
        message("en", "error.invite_used")
    )
    await expect(staff.locator("#room-parties > li")).to_have_count(2)
