"""The picture size of an H.264 stream, read from its sequence parameter set.

Matroska needs the size in the track header, before the first frame is written;
reading it from the SPS (ITU-T H.264 7.3.2.1.1) saves decoding a picture.
"""

from __future__ import annotations

import re

HIGH_PROFILES = {100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135}
START_CODE = re.compile(b"\x00\x00\x01")


class _Bits:
    """Reads bits and Exp-Golomb codes from an RBSP."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._at = 0

    def bit(self) -> int:
        byte = self._data[self._at >> 3]  # IndexError past the end: a bad SPS
        value = (byte >> (7 - (self._at & 7))) & 1
        self._at += 1
        return value

    def bits(self, count: int) -> int:
        value = 0
        for _ in range(count):
            value = value << 1 | self.bit()
        return value

    def ue(self) -> int:
        zeros = 0
        while self.bit() == 0:
            zeros += 1
            if zeros > 31:
                raise ValueError("bad Exp-Golomb code")
        return (1 << zeros) - 1 + self.bits(zeros)

    def se(self) -> int:
        value = self.ue()
        return (value + 1) // 2 if value & 1 else -(value // 2)


def _rbsp(nal: bytes) -> bytes:
    """Drop emulation prevention bytes (00 00 03 -> 00 00)."""
    return nal.replace(b"\x00\x00\x03", b"\x00\x00")


def _skip_scaling_list(bits: _Bits, size: int) -> None:
    last = next_scale = 8
    for _ in range(size):
        if next_scale:
            next_scale = (last + bits.se() + 256) % 256
        last = next_scale or last


def sps_size(sps: bytes) -> tuple[int, int]:
    """Width and height of a sequence parameter set NAL unit (header included)."""
    bits = _Bits(_rbsp(sps[1:]))
    profile = bits.bits(8)
    bits.bits(16)  # constraint flags, level
    bits.ue()  # seq_parameter_set_id
    chroma, separate = 1, 0
    if profile in HIGH_PROFILES:
        chroma = bits.ue()
        if chroma == 3:
            separate = bits.bit()
        bits.ue()  # bit depths
        bits.ue()
        bits.bit()
        if bits.bit():  # scaling matrices
            for i in range(12 if chroma == 3 else 8):
                if bits.bit():
                    _skip_scaling_list(bits, 16 if i < 6 else 64)
    bits.ue()  # log2_max_frame_num_minus4
    order = bits.ue()
    if order == 0:
        bits.ue()
    elif order == 1:
        bits.bit()
        bits.se()
        bits.se()
        for _ in range(bits.ue()):
            bits.se()
    bits.ue()  # max_num_ref_frames
    bits.bit()
    width_mbs = bits.ue() + 1
    height_units = bits.ue() + 1
    frame_only = bits.bit()
    if not frame_only:
        bits.bit()
    bits.bit()
    crop = (0, 0, 0, 0)
    if bits.bit():
        crop = (bits.ue(), bits.ue(), bits.ue(), bits.ue())
    if chroma == 0 or separate:
        unit_x, unit_y = 1, 2 - frame_only
    else:
        unit_x = 2 if chroma in (1, 2) else 1
        unit_y = (2 if chroma == 1 else 1) * (2 - frame_only)
    width = width_mbs * 16 - unit_x * (crop[0] + crop[1])
    height = (2 - frame_only) * height_units * 16 - unit_y * (crop[2] + crop[3])
    return width, height


def h264_size(access_unit: bytes) -> tuple[int, int]:
    """The size from an Annex B access unit's SPS; (0, 0) without one."""
    for nal in START_CODE.split(access_unit):
        if nal and nal[0] & 0x1F == 7:
            try:
                return sps_size(nal.rstrip(b"\x00"))
            except (IndexError, ValueError):
                return 0, 0
    return 0, 0
