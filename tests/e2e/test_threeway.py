"""A three-way session in three headless Chromiums: a citizen (phone), the
interpreter (console) and a guest who came by the interpreter's invitation link.
Everyone sees everyone, the chat reaches all three, and the guest leaves while
the other two keep their video."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.e2e.checks import check_in
from tests.e2e.conftest import OpenPage
from tests.e2e.journeys import (
    CHAT_DEADLINE_MS,
    DESKTOP,
    INTERPRETER,
    LAPTOP,
    MEDIA,
    PHONE,
    open_dashboard,
    sign_in_available,
    start_a_sign_language_call,
)
from tests.e2e.media import (
    frames_keep_coming,
    guest_joins,
    invite_link,
    sees_video_of,
    send_chat,
)

pytestmark = pytest.mark.browser


async def test_three_way_call_chat_and_a_guest_leaving(
    server_url: str, demo_password: str, browser: Browser, open_page: OpenPage
) -> None:
    staff = await open_page(browser, "staff", viewport=DESKTOP, permissions=MEDIA)
    citizen = await open_page(browser, "citizen", viewport=PHONE, permissions=MEDIA)
    guest = await open_page(browser, "guest", viewport=LAPTOP, permissions=MEDIA)
    await start_a_sign_language_call(staff, citizen, server_url, demo_password)
    await sees_video_of(citizen, {"interpreter"})
    await sees_video_of(staff, {"citizen"})

    link = await invite_link(staff)
    await guest_joins(guest, link)

    # Everyone sees both others, each on their own tile, frames flowing.
    await sees_video_of(guest, {"citizen", "interpreter"})
    await sees_video_of(citizen, {"interpreter", "guest"})
    await sees_video_of(staff, {"citizen", "guest"})
    # Sign language: the citizen keeps the interpreter large and the
    # interpreter the citizen; the guest is a small tile for both.
    for page, large in ((citizen, "interpreter"), (staff, "citizen")):
        await expect(page.locator("#remote-video")).to_have_attribute(
            "data-role", large
        )
        await expect(page.locator(".room-tiles .room-tile")).to_have_count(1)
        await expect(page.locator(".room-tiles .room-tile")).to_have_attribute(
            "data-role", "guest"
        )
        await expect(page.locator(".room-tiles .room-tile-label")).to_have_text("Guest")
    await expect(citizen.locator(".large-caption")).to_have_text(
        f"Interpreter: {INTERPRETER}"
    )
    # The console lists who is in the room; the guest can be removed.
    parties = staff.locator("#room-parties > li")
    await expect(parties).to_have_count(3)
    await expect(
        staff.locator("#room-parties [data-role='guest'] button")
    ).to_be_visible()
    # Nobody is told a supervisor listens: none does.
    await expect(citizen.locator(".supervisor-badge")).to_be_hidden()
    # axe on the console with its in-call controls, the citizen's phone and the
    # guest's page, three people on each (screenshots for the README).
    await check_in(staff, "staff", "three-way", ["ko", "en"])
    await check_in(citizen, "citizen", "three-way", ["ko", "en"])
    await check_in(guest, "guest", "in-call", ["ko", "en"])

    # The chat reaches all three, from each of them.
    for sender, text in (
        (guest, "Hello from the guest"),
        (citizen, "Hello from the citizen"),
        (staff, "Hello from the interpreter"),
    ):
        await send_chat(sender, text)
        for page in (citizen, staff, guest):
            await expect(page.locator("#chat-messages")).to_contain_text(
                text, timeout=CHAT_DEADLINE_MS
            )
    for page in (citizen, staff, guest):
        await expect(page.locator("#chat-messages > li")).to_have_count(3)
        # "You" by party, not by role: each page wrote exactly one of them.
        mine = page.locator("#chat-messages > li[data-mine='true'] .chat-sender")
        await expect(mine).to_have_count(1)
        await expect(mine).to_have_text("You")
    await expect(
        citizen.locator("#chat-messages > li[data-sender='guest'] .chat-sender")
    ).to_have_text("Guest")

    # The guest leaves: the others' tiles follow the roster and their video goes on
    # on the same peer connections.
    staff_pc = await staff.evaluate_handle("window.dasanCall.pc")
    citizen_pc = await citizen.evaluate_handle("window.dasanCall.pc")
    await guest.click("#leave")
    await expect(guest.locator("body")).to_have_attribute("data-state", "ended")
    await expect(guest.locator("#ended-detail")).to_contain_text("You left the session")
    await expect(guest.locator("#chat-messages > li")).to_have_count(
        3
    )  # still readable
    for page in (citizen, staff):
        await expect(page.locator(".room-tiles .room-tile")).to_have_count(0)
        await expect(page.locator(".tiles-note")).to_have_text(
            "Guest left the session."
        )
    await frames_keep_coming(citizen, {"interpreter"})
    await frames_keep_coming(staff, {"citizen"})
    assert await staff.evaluate("(pc) => pc === window.dasanCall.pc", staff_pc)
    assert await citizen.evaluate("(pc) => pc === window.dasanCall.pc", citizen_pc)
    await expect(staff.locator("#room-parties > li")).to_have_count(2)

    # A used invitation does not let anyone else in.
    again = await open_page(browser, "guest-again", viewport=PHONE, permissions=MEDIA)
    await again.goto(link)
    await again.click("#join-audio")
    await expect(again.locator("body")).to_have_attribute("data-state", "invalid")
    await expect(again.locator("#problem-detail")).to_contain_text("already been used")


async def test_a_supervisor_listens_in_from_the_dashboard(
    server_url: str, demo_password: str, browser: Browser, open_page: OpenPage
) -> None:
    staff = await open_page(browser, "staff", viewport=DESKTOP, permissions=MEDIA)
    citizen = await open_page(browser, "citizen", viewport=PHONE, permissions=MEDIA)
    supervisor = await open_page(
        browser, "supervisor", viewport=DESKTOP, permissions=[]
    )
    await start_a_sign_language_call(staff, citizen, server_url, demo_password)
    await open_dashboard(supervisor, server_url, demo_password)

    listen = supervisor.locator("#sessions-body button.listen-in")
    await expect(listen).to_have_count(1)
    await expect(listen).to_have_accessible_name(
        f"Listen in to the session of {INTERPRETER}"
    )
    await listen.click()
    await expect(supervisor.locator("#listen")).to_be_visible()
    # The supervisor sees and hears both; nobody receives anything of theirs.
    await sees_video_of(supervisor, {"citizen", "interpreter"})
    await expect(supervisor.locator("#listen .status")).to_have_text(
        f"Listening in to the session of {INTERPRETER}."
    )
    # Everyone in the room is shown that a supervisor is listening.
    for page in (citizen, staff):
        badge = page.locator(".supervisor-badge")
        await expect(badge).to_be_visible()
        await expect(badge).to_contain_text("A supervisor is watching and listening")
        await expect(page.locator("body")).to_have_attribute(
            "data-supervisor", "listening"
        )
        await expect(page.locator(".room-tiles .room-tile")).to_have_count(0)
    await expect(staff.locator("#room-parties [data-role='supervisor']")).to_have_count(
        1
    )
    await sees_video_of(citizen, {"interpreter"})
    await check_in(supervisor, "supervisor", "listening", ["ko", "en"])
    await check_in(citizen, "citizen", "supervisor-listening", ["en"])

    # The dashboard reloads: it listens again (the server kept the place).
    await supervisor.reload()
    await expect(supervisor.locator("#listen")).to_be_visible()
    await sees_video_of(supervisor, {"citizen", "interpreter"})
    await expect(supervisor.locator("#listen .status")).to_have_text(
        f"Listening in to the session of {INTERPRETER}."
    )
    await expect(citizen.locator(".supervisor-badge")).to_be_visible()

    await supervisor.click("#listen-stop")
    await expect(supervisor.locator("#listen")).to_be_hidden()
    for page in (citizen, staff):
        await expect(page.locator(".supervisor-badge")).to_be_hidden()
    await frames_keep_coming(citizen, {"interpreter"})
    await frames_keep_coming(staff, {"citizen"})


async def test_a_department_counselor_joins_through_the_counselor_queue(
    server_url: str, demo_password: str, browser: Browser, open_page: OpenPage
) -> None:
    staff = await open_page(browser, "staff", viewport=DESKTOP, permissions=MEDIA)
    citizen = await open_page(browser, "citizen", viewport=PHONE, permissions=MEDIA)
    counselor = await open_page(
        browser, "counselor", viewport=LAPTOP, permissions=MEDIA
    )
    await start_a_sign_language_call(staff, citizen, server_url, demo_password)

    await sign_in_available(counselor, server_url, "counselor.welfare")

    # The interpreter asks the welfare department; its counselor gets the offer.
    await staff.select_option("#counselor-department", "welfare")
    await staff.click("#counselor-request")
    await expect(staff.locator("#room-note")).to_have_text(
        "Asking a counselor of Welfare to join…"
    )
    await expect(staff.locator("#counselor-request")).to_be_disabled()
    await expect(counselor.locator("#offer")).to_be_visible()

    # The interpreter withdraws it from the keyboard: the counselor's offer is
    # gone, they are available again, and a new request can go out at once.
    cancel = staff.get_by_role("button", name="Cancel request")
    await expect(cancel).to_be_visible()
    await cancel.focus()
    await staff.keyboard.press("Enter")
    await expect(counselor.locator("#offer")).to_be_hidden()
    await expect(counselor.locator("#notice")).to_have_text(
        "The request to join the session was withdrawn."
    )
    await expect(counselor.locator("body")).to_have_attribute("data-state", "idle")
    await expect(counselor.locator("#available")).to_have_attribute(
        "aria-pressed", "true"
    )
    await expect(staff.locator("#room-note")).to_have_text(
        "Request cancelled. You can ask again."
    )
    await expect(cancel).to_be_hidden()
    await expect(staff.locator("#counselor-request")).to_be_focused()
    await staff.keyboard.press("Enter")  # the focused "Ask a counselor to join"
    await expect(staff.locator("#room-note")).to_have_text(
        "Asking a counselor of Welfare to join…"
    )

    await expect(counselor.locator("#offer")).to_be_visible()
    await expect(counselor.locator("#offer-purpose")).to_have_text(
        "Join a session in progress as the counselor of Welfare"
    )
    await counselor.click("#accept")
    await expect(counselor.locator("body")).to_have_attribute("data-state", "call")
    await expect(counselor.locator("#hang-up")).to_have_text("Leave the session")
    await expect(counselor.locator("#room-manage")).to_be_hidden()  # not theirs to run
    await sees_video_of(counselor, {"citizen", "interpreter"})
    await sees_video_of(citizen, {"interpreter", "counselor"})
    await expect(staff.locator("#room-note")).to_have_text(
        "A department counselor joined the session."
    )
    await expect(staff.locator(".room-tiles .room-tile-label")).to_have_text(
        "Department counselor: Lee Bokji"
    )

    await send_chat(counselor, "Welfare office here")
    line = citizen.locator("#chat-messages > li[data-sender='counselor']")
    await expect(line).to_contain_text("Welfare office here", timeout=CHAT_DEADLINE_MS)
    await expect(line.locator(".chat-sender")).to_have_text("Department counselor")
    mine = counselor.locator("#chat-messages > li[data-sender='counselor']")
    await expect(mine).to_have_attribute("data-mine", "true")

    # The counselor's console reloads: back in the same place within the grace
    # period, with the chat so far; the citizen's peer connection stays.
    citizen_pc = await citizen.evaluate_handle("window.dasanCall.pc")
    await counselor.reload()
    await expect(counselor.locator("body")).to_have_attribute("data-state", "call")
    await expect(counselor.locator("#hang-up")).to_have_text("Leave the session")
    await expect(mine).to_contain_text("Welfare office here")
    await expect(mine).to_have_attribute("data-mine", "true")
    await sees_video_of(counselor, {"citizen", "interpreter"})
    await sees_video_of(citizen, {"interpreter", "counselor"})
    assert await citizen.evaluate("(pc) => pc === window.dasanCall.pc", citizen_pc)
    await expect(citizen.locator(".room-tiles .room-tile")).to_have_count(1)
    await expect(
        citizen.locator(".room-tiles .room-tile[data-reconnecting='true']")
    ).to_have_count(0)

    # The counselor leaves; the session goes on, and the case's wrap-up stays
    # the interpreter's.
    await counselor.click("#hang-up")
    await expect(counselor.locator("body")).to_have_attribute("data-state", "ended")
    await expect(counselor.locator("#notice")).to_have_text("You left the session.")
    await expect(counselor.locator("#wrapup-slot")).to_be_empty()
    for page in (citizen, staff):
        await expect(page.locator("body")).to_have_attribute("data-state", "call")
        await expect(page.locator(".room-tiles .room-tile")).to_have_count(0)
    await frames_keep_coming(citizen, {"interpreter"})
