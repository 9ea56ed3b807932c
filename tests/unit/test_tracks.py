"""Forwarded timestamps keep rising across a source switch; shared frames intact."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from av import AudioFrame, VideoFrame

from rtc_server.tracks import Timeline, shift_frame

VIDEO = Fraction(1, 90000)


def video(pts: int) -> VideoFrame:
    frame = VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="bgr24")
    frame.pts = pts
    frame.time_base = VIDEO
    return frame


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_frames_pass_untouched_until_a_switch() -> None:
    timeline = Timeline(Clock())
    timeline.switch()  # the first source
    first = video(5000)
    assert timeline.stamp(first) is first
    second = video(8000)
    assert timeline.stamp(second) is second


def test_a_new_source_continues_after_the_last_frame() -> None:
    clock = Clock()
    timeline = Timeline(clock)
    for pts in (180_000, 183_000):
        timeline.stamp(video(pts))
    clock.now += 0.5  # half a second without frames while the publisher rejoined
    timeline.switch()
    restarted = video(0)
    out = timeline.stamp(restarted)
    assert out is not restarted
    assert restarted.pts == 0  # the relay's shared frame is not changed
    assert out.pts == 183_000 + 45_000
    nxt = timeline.stamp(video(3000))
    assert nxt.pts == 183_000 + 45_000 + 3000


def test_timestamps_never_go_back() -> None:
    timeline = Timeline(Clock())
    timeline.stamp(video(9000))
    out = timeline.stamp(video(9000))
    assert out.pts is not None
    assert out.pts > 9000


def test_audio_frames_can_be_restamped() -> None:
    frame = AudioFrame.from_ndarray(
        np.zeros((1, 960 * 2), np.int16), format="s16", layout="stereo"
    )
    frame.sample_rate = 48000
    frame.pts = 0
    frame.time_base = Fraction(1, 48000)
    copy = shift_frame(frame, 960)
    assert isinstance(copy, AudioFrame)
    assert (copy.pts, copy.sample_rate, copy.samples) == (960, 48000, 960)
    assert frame.pts == 0
