"""What the e2e tests see of the media: frames decoded, the camera sent, the
tiles of a room of three or more, chat; polled with deadlines."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

from playwright.async_api import Page, expect

MEDIA_DEADLINE_MS = 20_000
# Several browsers encoding and decoding video share two cores.
MEDIA_DEADLINE_S = 30.0


# Decoded remote video frames, over every inbound video stream.
FRAMES_DECODED = """async () => {
  let frames = 0;
  (await window.dasanCall.pc.getStats()).forEach((stat) => {
    if (stat.type === 'inbound-rtp' && stat.kind === 'video') {
      frames += stat.framesDecoded || 0;
    }
  });
  return frames;
}"""

# What the citizen's peer connection sends as video.
SENT_TRACK = """() => {
  const sender = window.dasanCall.pc.getSenders()
    .find((s) => s.track && s.track.kind === 'video');
  return { label: sender.track.label, deviceId: sender.track.getSettings().deviceId,
           state: sender.track.readyState,
           senders: window.dasanCall.pc.getSenders().length,
           sdp: window.dasanCall.pc.localDescription.sdp,
           signaling: window.dasanCall.pc.signalingState };
}"""

# What the phone does to a camera in the background: the track ends by itself.
STOP_CAMERA = """() => {
  const [track] = document.querySelector('#local-video').srcObject.getVideoTracks();
  track.stop();
  track.dispatchEvent(new Event('ended'));
  return track.id;
}"""

FREEZE_DEADLINE_S = 15.0

# For every other party that sends video, by the roster: the role, the tile's
# picture width, and the frames decoded on that party's slot of this page's
# peer connection (matched through the slot's mid and the track it carries).
REMOTE_VIDEO = """async () => {
  const holder = window.dasanCall;
  if (!holder || !holder.call || !holder.call.roster) {
    return null;
  }
  const { call, pc } = holder;
  const frames = {};
  (await pc.getStats()).forEach((stat) => {
    if (stat.type === 'inbound-rtp' && stat.kind === 'video') {
      frames[stat.trackIdentifier] = stat.framesDecoded || 0;
    }
  });
  const tiles = [
    ...document.querySelectorAll('video[data-party], .room-tiles .room-tile'),
  ];
  return call.roster.parties
    .filter((party) => party.publishes && !party.you && !party.audio_only)
    .map((party) => {
      const mid = party.media.video;
      const track = mid === null ? null : call.tracks.get(mid);
      const tile = tiles.find((el) => el.dataset.party === party.party);
      const large = tile && tile.tagName === 'VIDEO';
      const video = large ? tile : tile && tile.querySelector('video');
      return {
        role: party.role,
        large: Boolean(large),
        width: video ? video.videoWidth : 0,
        frames: track ? frames[track.id] || 0 : 0,
      };
    });
}"""


# -- a room of three or more ----------------------------------------------------------


async def invite_link(staff: Page) -> str:
    """The interpreter makes a single-use link in the console's room panel."""
    room = staff.locator("#room")
    await expect(room).to_be_visible()
    await staff.select_option("#invite-minutes", "60")
    await staff.click("#invite-create")
    link = staff.locator("#invite-link")
    await expect(link).to_have_value(re.compile(r"/guest\?invite=[A-Za-z0-9_-]{22}$"))
    await expect(staff.locator("#invite-expires")).to_contain_text("Works once, until")
    return await link.input_value()


async def guest_joins(guest: Page, link: str, *, audio_only: bool = False) -> None:
    await guest.goto(link)
    await expect(guest.locator("body")).to_have_attribute("data-state", "choose")
    await expect(guest.locator(".intro")).to_contain_text("has invited you")
    await guest.click("#join-audio" if audio_only else "#join-camera")
    await expect(guest.locator("body")).to_have_attribute("data-state", "call")


async def remote_video(page: Page) -> list[dict[str, Any]]:
    found = await page.evaluate(REMOTE_VIDEO)
    return list(found or [])


async def sees_video_of(page: Page, roles: set[str]) -> dict[str, int]:
    """Poll until `page` shows a picture of each of `roles` (and nobody else's)
    with frames decoded; then check the frames keep coming on every tile."""
    deadline = time.monotonic() + MEDIA_DEADLINE_S
    while True:
        seen = await remote_video(page)
        if {v["role"] for v in seen} == roles and all(
            v["width"] > 0 and v["frames"] > 0 for v in seen
        ):
            break
        assert time.monotonic() < deadline, f"expected video of {roles}, saw {seen}"
        await asyncio.sleep(0.25)
    return await frames_keep_coming(page, roles)


async def frames_keep_coming(page: Page, roles: set[str]) -> dict[str, int]:
    """Every remote tile decodes more frames within the deadline."""
    first = {v["role"]: v["frames"] for v in await remote_video(page)}
    deadline = time.monotonic() + MEDIA_DEADLINE_S
    while True:
        now = {v["role"]: v["frames"] for v in await remote_video(page)}
        if set(now) == roles and all(now[r] > first.get(r, 0) for r in roles):
            return now
        assert time.monotonic() < deadline, f"frames stopped: {first} -> {now}"
        await asyncio.sleep(0.25)


async def sent_again_on_the_same_sender(
    citizen: Page, staff: Page, before: dict[str, Any], *, what: str
) -> None:
    """The interpreter sees the citizen move again: the same camera (as `before`,
    a SENT_TRACK) on the same sender, live, and `what` did not renegotiate."""
    frozen = await decoded_frames(staff)
    await wait_for_frames(staff, at_least=frozen + 30)
    after = await citizen.evaluate(SENT_TRACK)
    assert after["state"] == "live"
    assert after["label"] == before["label"], "not the same camera"
    assert after["senders"] == before["senders"]
    assert after["sdp"] == before["sdp"], f"{what} renegotiated"


# -- media -----------------------------------------------------------------------------


async def decoded_frames(page: Page) -> int:
    return int(await page.evaluate(FRAMES_DECODED))


async def wait_for_frames(
    page: Page, at_least: int, deadline_s: float = MEDIA_DEADLINE_MS / 1000
) -> None:
    """Poll getStats until ``at_least`` remote video frames have been decoded.

    (page.wait_for_function cannot do this: it takes a returned Promise as truthy.)
    """
    deadline = time.monotonic() + deadline_s
    while (frames := await decoded_frames(page)) < at_least:
        assert time.monotonic() < deadline, f"only {frames} of {at_least} frames"
        await asyncio.sleep(0.2)


async def wait_until_frozen(page: Page) -> None:
    """Poll until the remote video decodes no new frame for a second."""
    deadline = time.monotonic() + FREEZE_DEADLINE_S
    last = await decoded_frames(page)
    while True:
        await asyncio.sleep(1.0)
        now = await decoded_frames(page)
        if now == last:
            return
        assert time.monotonic() < deadline, f"the video never froze ({last} -> {now})"
        last = now


async def send_chat(page: Page, text: str) -> None:
    """Type `text` in the call's chat and send it with Enter."""
    box = page.get_by_role("textbox", name="Your message")
    await box.fill(text)
    await box.press("Enter")
