"""The citizen's camera back after the phone stopped it in the background: the
local track ends while the page is hidden; once it is seen again the same camera
goes out on the same sender (no renegotiation), with a notice meanwhile. If the
camera cannot be opened again, the page says why and offers the call's chat."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.e2e.checks import check_in
from tests.e2e.conftest import Site
from tests.e2e.journeys import PHONE, a_call_in_progress, context, message, open_citizen
from tests.e2e.media import (
    SENT_TRACK,
    STOP_CAMERA,
    sent_again_on_the_same_sender,
    wait_until_frozen,
)

pytestmark = pytest.mark.browser

# Hold every camera request until the test lets it go (or refuse them all), so that
# the notice can be seen while the camera comes back.
HOLD_CAMERA = """(refuse) => {
  const real = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  window.dasanReleaseCamera = () => release();
  window.dasanCameraAsks = 0;
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    window.dasanCameraAsks += 1;
    await held;
    if (refuse) {
      throw new DOMException('Permission denied', 'NotAllowedError');
    }
    return real(constraints);
  };
}"""

# The self-view and the call send the same live track.
SELF_VIEW = """() => {
  const [shown] = document.querySelector('#local-video').srcObject.getVideoTracks();
  const sender = window.dasanCall.pc.getSenders()
    .find((s) => s.track && s.track.kind === 'video');
  return { id: shown.id, state: shown.readyState, sent: sender.track.id,
           playing: !document.querySelector('#local-video').paused };
}"""


async def test_the_camera_comes_back_when_the_page_is_seen_again(
    site: Site,
    browser: Browser,
) -> None:
    async with a_call_in_progress(browser, site.server.url) as (citizen, staff):
        before = await citizen.evaluate(SENT_TRACK)
        notice = citizen.locator("[data-testid='camera-recovery']")
        await expect(notice).to_be_empty()

        # The app goes to the background and the phone takes its camera.
        await citizen.evaluate(HOLD_CAMERA, False)
        await citizen.evaluate("window.dasanSetHidden(true)")
        lost = await citizen.evaluate(STOP_CAMERA)
        await wait_until_frozen(staff)
        assert await citizen.evaluate("window.dasanCameraAsks") == 0, (
            "the camera was asked for while the page was hidden"
        )

        # Back in front: the notice while the camera comes back.
        await citizen.evaluate("window.dasanSetHidden(false)")
        await expect(notice).to_have_text(message("en", "camera.restarting"))
        await expect(notice).to_be_visible()
        await check_in(citizen, "citizen", "camera-restarting", ["en", "ko"])
        await expect(notice).to_have_text(message("ko", "camera.restarting"))
        await citizen.evaluate("window.dasanReleaseCamera()")
        await expect(notice).to_be_empty()

        # The interpreter sees the citizen move again, on the same sender.
        await sent_again_on_the_same_sender(
            citizen, staff, before, what="the camera's return"
        )
        view = await citizen.evaluate(SELF_VIEW)
        assert view["id"] != lost
        assert view["id"] == view["sent"], f"the self-view shows another track: {view}"
        assert view["state"] == "live" and view["playing"]
        await expect(citizen.locator("body")).to_have_attribute("data-camera", "on")
        await expect(citizen.locator("#camera-help")).to_be_hidden()
        assert await citizen.evaluate("window.dasanCall.pc.connectionState") == (
            "connected"
        )
        await citizen.click("#hang-up")
        await expect(citizen.locator("body")).to_have_attribute("data-state", "ended")


async def test_a_camera_that_does_not_come_back_offers_the_chat(
    site: Site,
    browser: Browser,
) -> None:
    async with a_call_in_progress(browser, site.server.url) as (citizen, _):
        # Back in front, the camera is refused (permission withdrawn meanwhile).
        await citizen.evaluate(HOLD_CAMERA, True)
        await citizen.evaluate("window.dasanSetHidden(true)")
        await citizen.evaluate(STOP_CAMERA)
        await citizen.evaluate("window.dasanSetHidden(false)")
        notice = citizen.locator("[data-testid='camera-recovery']")
        await expect(notice).to_have_text(message("en", "camera.restarting"))
        await citizen.evaluate("window.dasanReleaseCamera()")
        await expect(notice).to_be_empty()

        # Why, and what is left: the call's chat, with the focus on the offer.
        await expect(citizen.locator("#error")).to_have_text(
            message("en", "media.denied.in_call")
        )
        help_ = citizen.locator("#camera-help")
        await expect(help_).to_be_visible()
        await expect(help_.locator("[data-part='intro']")).to_have_text(
            message("en", "camera_help.intro.in_call")
        )
        offer = citizen.get_by_role(
            "button", name=message("en", "camera_help.chat.in_call")
        )
        await expect(offer).to_be_focused()
        await expect(citizen.locator("#voice-only")).to_be_hidden()
        await expect(citizen.locator("#book-instead")).to_be_hidden()
        await expect(citizen.locator("body")).to_have_attribute("data-camera", "off")
        await check_in(citizen, "citizen", "camera-not-back", ["ko", "en"])

        # The call goes on; the offer leads to its chat, not a new request.
        await offer.click()
        await expect(citizen.locator("#chat-input")).to_be_focused()
        await expect(citizen.locator("body")).to_have_attribute("data-state", "call")
        assert await citizen.evaluate("window.dasanCall.pc.connectionState") == (
            "connected"
        )
        await citizen.click("#hang-up")
        await expect(citizen.locator("body")).to_have_attribute("data-state", "ended")
        await expect(help_).to_be_hidden()


HELPERS = """async () => {
  const recovery = await import('/static/js/camera_recovery.js');
  const help = await import('/static/js/camera_help.js');
  const same = recovery.sameCameraConstraints;
  const ask = (attempts) => attempts.map((video) => ({
    deviceId: video.deviceId || null, facingMode: video.facingMode || null,
  }));
  return {
    back: ask(same({ deviceId: 'b', facing: 'environment' })),
    webcam: ask(same({ deviceId: 'w', facing: null })),
    unknown: ask(same({ deviceId: undefined, facing: null })),
    inCall: help.alternatives('denied', 'foreign_language', { inCall: true }),
    inCallNoProblem: help.alternatives(null, 'sign_language', { inCall: true }),
  };
}"""


async def test_the_same_camera_is_asked_for(
    site: Site,
    browser: Browser,
) -> None:
    async with context(browser, locale="en", viewport=PHONE, permissions=[]) as ctx:
        page = await ctx.new_page()
        await open_citizen(page, site.server.url, "en")
        got = await page.evaluate(HELPERS)
    # The same device first; a phone that renumbered its cameras: the same side.
    assert got["back"] == [
        {"deviceId": {"exact": "b"}, "facingMode": None},
        {"deviceId": None, "facingMode": {"exact": "environment"}},
    ]
    assert got["webcam"] == [{"deviceId": {"exact": "w"}, "facingMode": None}]
    assert got["unknown"] == []
    # In a call only its chat is offered (no voice-only switch, no booking).
    assert got["inCall"] == {"voice": False, "chat": True, "book": False}
    assert got["inCallNoProblem"] == {"voice": False, "chat": False, "book": False}
