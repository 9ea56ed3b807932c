"""Front and back camera on the citizen page, in Chromium with several fake cameras:
the switch before asking and during a call, where the same sender carries the new
camera (no renegotiation) and the interpreter keeps receiving video."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, expect

from tests.e2e.checks import check_in
from tests.e2e.conftest import Site
from tests.e2e.journeys import (
    DESKTOP,
    PHONE,
    answer_consent_later,
    context,
    message,
    open_citizen,
    put_through,
    sign_in_available,
    turn_on_camera,
)
from tests.e2e.media import SENT_TRACK, decoded_frames, wait_for_frames

pytestmark = pytest.mark.browser

# conftest's cameras_browser has three cameras: the test steps through all three
# before asking and sends from 2, then 0, in the call.

# What the page shows (what it sends: SENT_TRACK).
PREVIEW_TRACK = """() => {
  const [track] = document.querySelector('#local-video').srcObject.getVideoTracks();
  return { label: track.label, deviceId: track.getSettings().deviceId,
           state: track.readyState };
}"""


async def preview(page: Page) -> dict[str, str]:
    got = await page.evaluate(PREVIEW_TRACK)
    assert isinstance(got, dict)
    return got


async def test_one_camera_has_no_switch(
    site: Site,
    browser: Browser,
) -> None:
    async with context(browser, locale="en", viewport=PHONE) as ctx:
        citizen = await ctx.new_page()
        await open_citizen(citizen, site.server.url, "en")
        await turn_on_camera(citizen)
        await expect(citizen.locator("#local-video")).to_be_visible()
        await expect(citizen.locator("#switch-camera")).to_be_hidden()


async def test_switch_camera_before_asking_and_during_a_call(
    site: Site,
    cameras_browser: Browser,
    browser: Browser,
) -> None:
    url = site.server.url
    async with (
        context(cameras_browser, locale="ja", viewport=PHONE) as citizen_ctx,
        context(browser, locale="en", viewport=DESKTOP) as staff_ctx,
    ):
        citizen = await citizen_ctx.new_page()
        await open_citizen(citizen, url, "ja")
        await expect(citizen.locator("#switch-camera")).to_be_hidden()  # no camera yet
        await turn_on_camera(citizen)

        # Cameras to choose from: the button shows, named in the page's words.
        switch = citizen.get_by_role("button", name=message("ja", "camera.switch"))
        await expect(switch).to_be_visible()
        await check_in(citizen, "citizen", "camera-switch", ["ja", "ko"])
        switch = citizen.get_by_role("button", name=message("ko", "camera.switch"))
        first = await preview(citizen)
        assert first["label"] == "fake_device_0"

        # By keyboard, before asking: each press shows the next camera.
        await switch.focus()
        seen = {first["deviceId"]}
        for label in ("fake_device_1", "fake_device_2"):
            await citizen.keyboard.press("Enter")
            await citizen.wait_for_function(f"({PREVIEW_TRACK})().label === '{label}'")
            shown = await preview(citizen)
            assert shown["state"] == "live"
            seen.add(shown["deviceId"])
            await expect(switch).not_to_have_attribute("aria-busy", "true")
            await expect(switch).to_be_focused()
        assert len(seen) == 3
        await expect(citizen.locator("#camera-switched")).to_have_text(
            message("ko", "camera.switched")  # fake cameras face no side
        )
        await expect(citizen.locator("#local-video")).to_have_class("local mirrored")

        # Into a call with the third camera.
        staff = await staff_ctx.new_page()
        await sign_in_available(staff, url)
        await put_through(citizen, staff)
        await answer_consent_later(citizen)
        sent = await citizen.evaluate(SENT_TRACK)
        assert sent["label"] == "fake_device_2"
        await wait_for_frames(staff, at_least=10)

        # During the call: the same sender takes the next camera (round to the
        # first); no new offer, no new sender.
        await expect(switch).to_be_visible()
        await citizen.evaluate("window.scrollTo(0, 0)")
        await expect(switch).to_be_in_viewport(ratio=1)
        await switch.click()
        await citizen.wait_for_function(
            "window.dasanCall.pc.getSenders().some((s) => s.track"
            " && s.track.kind === 'video' && s.track.label === 'fake_device_0')"
        )
        after = await citizen.evaluate(SENT_TRACK)
        assert after["deviceId"] == first["deviceId"]
        assert after["state"] == "live"
        assert after["senders"] == sent["senders"]
        assert after["sdp"] == sent["sdp"], "the switch renegotiated"
        assert after["signaling"] == "stable"
        assert (await preview(citizen))["label"] == "fake_device_0"

        # The call goes on: the interpreter keeps decoding the citizen's video,
        # and the citizen the interpreter's.
        for page in (staff, citizen):
            before = await decoded_frames(page)
            await wait_for_frames(page, at_least=before + 30)
            assert await page.evaluate("window.dasanCall.pc.connectionState") == (
                "connected"
            )
        await expect(citizen.locator("body")).to_have_attribute("data-state", "call")
        await check_in(citizen, "citizen", "in-call-switched", ["ko", "ja"])
        await citizen.click("#hang-up")
        await expect(citizen.locator("body")).to_have_attribute("data-state", "ended")
