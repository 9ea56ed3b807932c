""" "Try the camera again" in a call: the camera stops and cannot be opened again
at once; the page says why in words for a call (not "press Turn on camera", which
a call does not have) and offers the button, which opens the same camera and sends
it on the same sender once the cause is gone."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.e2e.checks import check_in
from tests.e2e.conftest import Site
from tests.e2e.journeys import a_call_in_progress, message
from tests.e2e.media import (
    SENT_TRACK,
    STOP_CAMERA,
    sent_again_on_the_same_sender,
    wait_until_frozen,
)

pytestmark = pytest.mark.browser

# The camera cannot be started (another app holds it) until the test gives it back.
FAIL_CAMERA = """() => {
  const devices = navigator.mediaDevices;
  window.dasanRealCamera = devices.getUserMedia;
  window.dasanCameraAsks = 0;
  devices.getUserMedia = async () => {
    window.dasanCameraAsks += 1;
    throw new DOMException('Could not start video source', 'NotReadableError');
  };
}"""
GIVE_CAMERA_BACK = """() => {
  navigator.mediaDevices.getUserMedia = window.dasanRealCamera;
}"""


async def test_the_citizen_tries_the_camera_again_in_a_call(
    site: Site,
    browser: Browser,
) -> None:
    async with a_call_in_progress(browser, site.server.url) as (citizen, staff):
        before = await citizen.evaluate(SENT_TRACK)
        retry = citizen.get_by_role("button", name=message("en", "camera_help.retry"))
        await expect(retry).to_be_hidden()

        # The camera stops in view, and opening it again fails.
        await citizen.evaluate(FAIL_CAMERA)
        await citizen.evaluate(STOP_CAMERA)
        await expect(citizen.locator("#error")).to_have_text(
            message("en", "media.busy.in_call")
        )
        assert await citizen.evaluate("window.dasanCameraAsks") >= 1
        await expect(citizen.locator("#error")).not_to_contain_text(
            message("en", "camera.start")
        )
        await expect(retry).to_be_visible()
        await expect(citizen.locator("body")).to_have_attribute("data-camera", "off")
        await wait_until_frozen(staff)
        offer = citizen.get_by_role(
            "button", name=message("en", "camera_help.chat.in_call")
        )
        await expect(offer).to_be_focused()
        await citizen.keyboard.press("Tab")
        await expect(retry).to_be_focused()
        await check_in(citizen, "citizen", "camera-retry", ["ko", "en"])

        # Pressed while the camera is still held: the same words, the button stays.
        asks = await citizen.evaluate("window.dasanCameraAsks")
        await retry.focus()
        await citizen.keyboard.press("Enter")
        await citizen.wait_for_function("(n) => window.dasanCameraAsks > n", arg=asks)
        await expect(retry).to_be_focused()
        await expect(citizen.locator("#error")).to_have_text(
            message("en", "media.busy.in_call")
        )

        # The other app lets go; the button brings the camera back.
        await citizen.evaluate(GIVE_CAMERA_BACK)
        await citizen.keyboard.press("Enter")
        await expect(retry).to_be_hidden()
        await expect(citizen.locator("#camera-help")).to_be_hidden()
        await expect(citizen.locator("#error")).to_be_empty()
        await expect(citizen.locator("body")).to_have_attribute("data-camera", "on")
        await expect(citizen.locator("#chat-input")).to_be_focused()

        # The interpreter sees the citizen again, on the same sender, no renegotiation.
        await sent_again_on_the_same_sender(citizen, staff, before, what="trying again")
        assert await citizen.evaluate("window.dasanCall.pc.connectionState") == (
            "connected"
        )
        await citizen.click("#hang-up")
        await expect(citizen.locator("body")).to_have_attribute("data-state", "ended")
