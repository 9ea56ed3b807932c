"""Front and back camera on the citizen page, in Chromium with several fake cameras:
the switch before asking and during a call, where the same sender carries the new
camera (no renegotiation) and the interpreter keeps receiving video."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Page, Playwright, expect

from tests.e2e.conftest import AUTO_ALLOW_ARGS, QUIET_ARGS, chromium
from tests.e2e.test_accessibility import (
    DESKTOP,
    PHONE,
    Site,
    check_in,
    context,
    open_citizen,
    site,  # noqa: F401  (the module's server)
)
from tests.e2e.test_call import decoded_frames, wait_for_frames
from tests.e2e.test_webview import (
    answer_consent_later,
    connected,
    message,
    sign_in_as,
)

pytestmark = pytest.mark.browser

# Three fake cameras at 30 frames a second. Chromium makes fake_device_0 an I420
# camera, fake_device_1 a 16-bit depth camera (Y16: it plays in a <video>, but
# WebRTC sends no frames from it) and fake_device_2 an MJPEG camera. The test
# steps through all three before asking and sends from 2, then 0, in the call.
CAMERAS_ARGS = ("--use-fake-device-for-media-stream=fps=30,device-count=3",)

# What the page shows and what its peer connection sends.
PREVIEW_TRACK = """() => {
  const [track] = document.querySelector('#local-video').srcObject.getVideoTracks();
  return { label: track.label, deviceId: track.getSettings().deviceId,
           state: track.readyState };
}"""
SENT_TRACK = """() => {
  const sender = window.dasanCall.pc.getSenders()
    .find((s) => s.track && s.track.kind === 'video');
  return { label: sender.track.label, deviceId: sender.track.getSettings().deviceId,
           state: sender.track.readyState,
           senders: window.dasanCall.pc.getSenders().length,
           sdp: window.dasanCall.pc.localDescription.sdp,
           signaling: window.dasanCall.pc.signalingState };
}"""


@pytest.fixture
async def cameras_browser(playwright: Playwright) -> AsyncIterator[Browser]:
    """Chromium on a device with three cameras, prompts allowed."""
    launched = await playwright.chromium.launch(
        executable_path=chromium(),
        args=[*CAMERAS_ARGS, *AUTO_ALLOW_ARGS, *QUIET_ARGS],
    )
    yield launched
    await launched.close()


async def preview(page: Page) -> dict[str, str]:
    got = await page.evaluate(PREVIEW_TRACK)
    assert isinstance(got, dict)
    return got


async def camera_on(citizen: Page) -> None:
    await citizen.select_option("#service", "sign_language")
    await citizen.click("#start-camera")
    await expect(citizen.locator("body")).to_have_attribute("data-camera", "on")


async def test_one_camera_has_no_switch(
    site: Site,  # noqa: F811
    browser: Browser,
) -> None:
    async with context(browser, locale="en", viewport=PHONE) as ctx:
        citizen = await ctx.new_page()
        await open_citizen(citizen, site.server.url, "en")
        await camera_on(citizen)
        await expect(citizen.locator("#local-video")).to_be_visible()
        await expect(citizen.locator("#switch-camera")).to_be_hidden()


async def test_switch_camera_before_asking_and_during_a_call(
    site: Site,  # noqa: F811
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
        await camera_on(citizen)

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
        await sign_in_as(staff, url, "interpreter.ksl")
        await citizen.click("#ask")
        await expect(staff.locator("#offer")).to_be_visible()
        await staff.click("#accept")
        for page in (citizen, staff):
            await expect(page.locator("body")).to_have_attribute("data-state", "call")
            await connected(page)
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
