"""The guest page in headless Chromium: a link that cannot be used (missing,
unknown, used) explained in the guest's language; a hearing guest without a
camera joining with sound only on a phone, the tiles stacked under the large
picture, and the interpreter taking them out again. axe-core on every state."""

from __future__ import annotations

import secrets

import pytest
from playwright.async_api import Browser, expect

from tests.e2e.checks import check_in
from tests.e2e.conftest import OpenPage
from tests.e2e.journeys import (
    CHAT_DEADLINE_MS,
    DESKTOP,
    MEDIA,
    PHONE,
    start_a_sign_language_call,
)
from tests.e2e.media import guest_joins, invite_link, sees_video_of, send_chat

pytestmark = pytest.mark.browser

# The layout at 360x640: the large picture first, every tile below it and inside
# the screen's width, and nothing wider than the screen.
PHONE_LAYOUT = """() => {
  const box = (el) => el.getBoundingClientRect();
  const large = box(document.querySelector('#remote-video'));
  const tiles = [...document.querySelectorAll('.room-tiles .room-tile')].map(box);
  return {
    largeTop: large.top,
    largeBottom: large.bottom,
    largeWidth: large.width,
    tiles: tiles.map((b) => ({ top: b.top, left: b.left, right: b.right })),
    pageWidth: document.documentElement.scrollWidth,
    viewWidth: window.innerWidth,
  };
}"""


async def test_a_link_that_cannot_be_used_says_why(
    server_url: str, browser: Browser, open_page: OpenPage
) -> None:
    guest = await open_page(browser, "guest", viewport=PHONE, permissions=MEDIA)

    # Half a link: nothing to ask the server, and the page says what to do.
    await guest.goto(f"{server_url}/guest?invite=abc")
    await expect(guest.locator("body")).to_have_attribute("data-state", "invalid")
    await expect(guest.locator("#problem-heading")).to_have_text(
        "This invitation cannot be used."
    )
    await expect(guest.locator("#problem-detail")).to_contain_text("not complete")
    await check_in(guest, "guest", "link-incomplete", ["en", "vi"])

    # A well-formed token nobody issued: the server refuses it, in Vietnamese.
    await guest.goto(f"{server_url}/guest?invite={secrets.token_urlsafe(16)}")
    await expect(guest.locator("#locale")).to_have_value("vi")  # remembered
    await expect(guest.locator("body")).to_have_attribute("data-state", "choose")
    await check_in(guest, "guest", "choose", ["vi", "en"])
    await guest.click("#join-audio")
    await expect(guest.locator("body")).to_have_attribute("data-state", "invalid")
    await expect(guest.locator("#problem-detail")).to_have_attribute(
        "data-i18n", "error.invite_unknown"
    )
    await expect(guest.locator("#problem-detail")).to_contain_text(
        "This invitation link is not valid"
    )
    await guest.locator("#locale").select_option("vi")
    await expect(guest.locator("#problem-detail")).to_contain_text(
        "Liên kết mời này không hợp lệ"
    )
    await check_in(guest, "guest", "invite-unknown", ["vi", "ko"])
    # No camera or microphone stays on for a refused link.
    assert (
        await guest.evaluate("document.querySelector('#local-video').srcObject") is None
    )


async def test_an_audio_only_guest_on_a_phone_is_taken_out_again(
    server_url: str, demo_password: str, browser: Browser, open_page: OpenPage
) -> None:
    staff = await open_page(browser, "staff", viewport=DESKTOP, permissions=MEDIA)
    citizen = await open_page(browser, "citizen", viewport=PHONE, permissions=MEDIA)
    guest = await open_page(browser, "guest", viewport=PHONE, permissions=MEDIA)
    await start_a_sign_language_call(staff, citizen, server_url, demo_password)
    link = await invite_link(staff)

    await guest.goto(link)
    await expect(guest.locator("body")).to_have_attribute("data-state", "choose")
    await expect(guest.locator("#join-audio")).to_have_accessible_description(
        "No camera? The others will hear you but not see you."
    )
    await check_in(guest, "guest", "choose", ["zh", "en"])
    # By keyboard: Tab to "sound only" and press Enter.
    await guest.locator("#join-camera").focus()
    await guest.keyboard.press("Tab")
    await expect(guest.locator("#join-audio")).to_be_focused()
    await guest.keyboard.press("Enter")
    await expect(guest.locator("body")).to_have_attribute("data-state", "call")
    await expect(guest.locator("body")).to_have_attribute("data-camera", "off")
    await expect(guest.locator("#status")).to_contain_text("sound only")

    # The guest sees both; the others see a tile that says "audio only".
    await sees_video_of(guest, {"citizen", "interpreter"})
    for page in (citizen, staff):
        tile = page.locator(".room-tiles .room-tile")
        await expect(tile).to_have_attribute("data-role", "guest")
        await expect(tile).to_have_attribute("data-audio-only", "true")
        await expect(tile.locator(".room-tile-label")).to_have_text("Guest Audio only")
        await expect(tile.locator("audio")).to_have_count(1)
    await sees_video_of(citizen, {"interpreter"})
    await expect(
        staff.locator("#room-parties [data-role='guest'] .room-tile-audio-only")
    ).to_have_text("Audio only")

    # 360x640: the large picture on top, the tiles stacked below it, nothing
    # wider than the screen; the page scrolls, it does not overflow sideways.
    layout = await guest.evaluate(PHONE_LAYOUT)
    assert layout["pageWidth"] <= layout["viewWidth"], layout
    assert layout["largeWidth"] > 0.8 * layout["viewWidth"], layout
    assert len(layout["tiles"]) == 1, layout
    for tile in layout["tiles"]:
        assert tile["top"] >= layout["largeBottom"], layout
        assert tile["left"] >= 0, layout
        assert tile["right"] <= layout["viewWidth"], layout
    await expect(guest.locator("#remote-video")).to_have_attribute("playsinline", "")
    await expect(guest.locator(".room-tiles video")).to_have_attribute(
        "playsinline", ""
    )
    # The recording question is on screen with the sticky Leave bar, above the
    # home bar, and has the focus; the picture stays in view. axe checks it too.
    prompt = guest.get_by_test_id("consent-dialog")
    await expect(prompt).to_be_visible()
    await expect(prompt).to_be_in_viewport(ratio=1)
    await expect(prompt).to_be_focused()
    await expect(guest.locator("#leave")).to_be_in_viewport(ratio=1)
    await expect(guest.locator("#remote-video")).to_be_in_viewport()
    await check_in(guest, "guest", "audio-only", ["zh", "en"])

    # The interpreter takes the guest out; the guest is told, the others go on.
    remove = staff.locator("#room-parties [data-role='guest'] button")
    await expect(remove).to_have_accessible_name("Remove Guest from the session")
    await remove.click()
    await expect(guest.locator("body")).to_have_attribute("data-state", "ended")
    await expect(guest.locator("#ended-detail")).to_have_text(
        "The interpreter has ended your part in the session. "
        "You can close this page now."
    )
    await expect(guest.locator("#ended-detail")).to_be_focused()
    await check_in(guest, "guest", "removed", ["en", "zh"])
    for page in (citizen, staff):
        await expect(page.locator(".room-tiles .room-tile")).to_have_count(0)
        await expect(page.locator("body")).to_have_attribute("data-state", "call")
    await sees_video_of(citizen, {"interpreter"})
    await sees_video_of(staff, {"citizen"})


async def test_the_guest_is_told_when_the_session_ends(
    server_url: str, demo_password: str, browser: Browser, open_page: OpenPage
) -> None:
    staff = await open_page(browser, "staff", viewport=DESKTOP, permissions=MEDIA)
    citizen = await open_page(browser, "citizen", viewport=PHONE, permissions=MEDIA)
    guest = await open_page(browser, "guest", viewport=PHONE, permissions=MEDIA)
    await start_a_sign_language_call(staff, citizen, server_url, demo_password)
    await guest.goto(await invite_link(staff))
    await guest.click("#join-camera")
    await expect(guest.locator("body")).to_have_attribute("data-camera", "on")
    await sees_video_of(staff, {"citizen", "guest"})

    await staff.click("#hang-up")
    await expect(guest.locator("body")).to_have_attribute("data-state", "ended")
    await expect(guest.locator("#ended-detail")).to_contain_text(
        "The session has ended. Thank you for taking part."
    )
    await expect(guest.locator("body")).to_have_attribute("data-camera", "off")
    assert await guest.evaluate("window.dasanCall.pc.connectionState") == "closed"
    # The interpreter writes the wrap-up, as after any session.
    await expect(staff.locator("#wrapup-slot")).not_to_be_empty()


async def test_a_guest_who_reloads_keeps_the_place_the_chat_and_the_video(
    server_url: str, demo_password: str, browser: Browser, open_page: OpenPage
) -> None:
    staff = await open_page(browser, "staff", viewport=DESKTOP, permissions=MEDIA)
    citizen = await open_page(browser, "citizen", viewport=PHONE, permissions=MEDIA)
    guest = await open_page(browser, "guest", viewport=PHONE, permissions=MEDIA)
    await start_a_sign_language_call(staff, citizen, server_url, demo_password)
    await guest_joins(guest, await invite_link(staff))
    await sees_video_of(citizen, {"interpreter", "guest"})
    tile = citizen.locator(".room-tiles .room-tile[data-role='guest']")
    party = await tile.get_attribute("data-party")
    await send_chat(guest, "Before the reload")
    await expect(citizen.locator("#chat-messages")).to_contain_text(
        "Before the reload", timeout=CHAT_DEADLINE_MS
    )

    # The page reloads (a deaf guest depends on the chat): the same place again,
    # the chat so far with their own message as theirs, the video both ways.
    await guest.reload()
    await expect(guest.locator("body")).to_have_attribute("data-state", "call")
    mine = guest.locator("#chat-messages > li[data-mine='true']")
    await expect(mine).to_have_count(1, timeout=CHAT_DEADLINE_MS)
    await expect(mine.locator(".chat-text")).to_have_text("Before the reload")
    await expect(mine.locator(".chat-sender")).to_have_text("You")
    await sees_video_of(guest, {"citizen", "interpreter"})
    await sees_video_of(citizen, {"interpreter", "guest"})
    # To the others it is the same guest on the same tile, no longer reconnecting.
    await expect(tile).to_have_attribute("data-party", party or "")
    await expect(tile).not_to_have_attribute("data-reconnecting", "true")
    await expect(staff.locator("#room-parties > li")).to_have_count(3)

    # And the chat goes on from the reloaded page.
    await send_chat(guest, "After the reload")
    for page in (citizen, staff):
        await expect(page.locator("#chat-messages")).to_contain_text(
            "After the reload", timeout=CHAT_DEADLINE_MS
        )
    await expect(mine).to_have_count(2)
