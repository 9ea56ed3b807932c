"""What the recorder reads from encoded frames without decoding them: the codec
and the picture size the container header needs."""

from __future__ import annotations

from fractions import Fraction
from typing import cast

import av
import numpy as np
import pytest
from av.video.codeccontext import VideoCodecContext

from recording.container import sniff_codec, vp8_size
from recording.errors import RecordingError
from recording.h264 import h264_size


def first_frame(codec: str, width: int, height: int, **options: str) -> bytes:
    encoder = cast(VideoCodecContext, av.CodecContext.create(codec, "w"))
    encoder.width, encoder.height = width, height
    encoder.pix_fmt = "yuv420p"
    encoder.time_base = Fraction(1, 30)
    encoder.options = options
    image = np.random.default_rng(1).integers(0, 255, (height * 3 // 2, width))
    frame = av.VideoFrame.from_ndarray(image.astype(np.uint8), format="yuv420p")
    frame.pts = 0
    packets = [*encoder.encode(frame), *encoder.encode(None)]
    return bytes(packets[0])


@pytest.mark.parametrize(
    ("width", "height", "profile"),
    [
        (320, 240, "baseline"),
        (640, 360, "main"),
        (1920, 1080, "high"),  # 1088 coded, cropped to 1080
        (176, 144, "high"),
        (330, 250, "baseline"),  # not a multiple of 16: cropped on both axes
    ],
)
def test_the_h264_picture_size_comes_from_the_sps(
    width: int, height: int, profile: str
) -> None:
    data = first_frame("libx264", width, height, preset="ultrafast", profile=profile)
    assert h264_size(data) == (width, height)
    assert sniff_codec("video", data, 90000) == "h264"


def test_the_vp8_picture_size_comes_from_the_key_frame() -> None:
    data = first_frame("libvpx", 352, 288)
    assert vp8_size(data) == (352, 288)
    assert sniff_codec("video", data, 90000) == "vp8"
    assert vp8_size(b"\x01" + bytes(20)) == (0, 0)  # not a key frame


def test_frames_without_a_size_or_codec() -> None:
    assert h264_size(b"\x00\x00\x00\x01\x65" + bytes(10)) == (0, 0)  # no SPS
    assert h264_size(b"\x00\x00\x00\x01\x67\x42") == (0, 0)  # an SPS cut short
    assert sniff_codec("audio", b"\xfc", 48000) == "opus"
    with pytest.raises(RecordingError, match="8000 Hz"):
        sniff_codec("audio", b"\x00", 8000)
