"""What a quality check says: the advice codes, the thresholds behind them, and the
report of one frame with its face and signing-space boxes."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class Advice(enum.StrEnum):
    """What the citizen should fix, most important first; the codes are stable."""

    TOO_DARK = "too_dark"
    TOO_BRIGHT = "too_bright"
    BACKLIT = "backlit"
    LOW_CONTRAST = "low_contrast"
    BLURRY = "blurry"
    NO_FACE = "no_face"
    TOO_CLOSE = "too_close"
    OFF_CENTER = "off_center"


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Limits behind the advice. Luma is 0-255 on the ``quality.ANALYSIS_WIDTH`` frame.

    Where they come from. Light: camera auto-exposure aims at mid-grey (luma about
    118); a picture averaging under half of that looks dark, over 200 washed out,
    and one with a quarter of its pixels clipped has lost detail. The face is also
    judged on its own light (``face_dark``, set well under what a lit face of any
    skin tone should give), and a dark face before a surround ``backlit_ratio``
    times brighter means light from behind. Contrast: RMS contrast (Peli 1990), the
    standard deviation of luma over 255; our generated room measures 0.07-0.16 and
    light shone into the lens 0.03. Focus: variance of the Laplacian (Pech-Pacheco
    et al. 2000) at 320 px; the generated scenes measure 45-540 sharp and under 21
    after a Gaussian blur of sigma 1 at that width. Framing: ITU-T H-series
    Supplement 1 (sign language over low bit-rate video) asks for the signing
    space from above the head to the waist and out to the elbows; in face units of
    the Haar box (brow to chin): the crown 0.3 above it, the waist about 2.5 below
    (we ask for 2, the lower chest, where the hands mostly sign), half the
    shoulders 1.3 face widths from the face's centre plus one face width for the
    hands. All are starting points, calibrated on generated frames: check them on
    real camera footage, across skin tones, before relying on them.
    """

    too_dark: float = 60.0
    too_bright: float = 200.0
    clipped_fraction: float = 0.25
    face_dark: float = 80.0
    backlit_ratio: float = 1.8
    low_contrast: float = 0.05
    blurry: float = 25.0
    space_above: float = 0.3
    space_below: float = 2.0
    space_beside: float = 2.3
    framing_tolerance: float = 0.05

    def __post_init__(self) -> None:
        for name in self.__slots__:
            value = getattr(self, name)
            if not (isinstance(value, int | float) and value >= 0):
                raise ValueError(f"threshold {name} must be >= 0, got {value!r}")
        if not self.too_dark < self.too_bright <= 255:
            raise ValueError(
                f"thresholds too_dark={self.too_dark} and too_bright="
                f"{self.too_bright} need too_dark < too_bright <= 255"
            )
        for name in ("clipped_fraction", "framing_tolerance"):
            if getattr(self, name) > 1:
                raise ValueError(f"threshold {name} is a fraction, at most 1")


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle in fractions of the frame (0-1; the signing space may overrun)."""

    x: float
    y: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height

    def as_dict(self) -> dict[str, float]:
        return {
            "x": round(self.x, 3),
            "y": round(self.y, 3),
            "width": round(self.width, 3),
            "height": round(self.height, 3),
        }


@dataclass(frozen=True, slots=True)
class QualityReport:
    """What one frame measured and the advice it leads to (empty: all good)."""

    width: int
    height: int
    brightness: float
    contrast: float
    sharpness: float
    clipped: float
    face: Box | None
    face_brightness: float | None
    signing_space: Box | None
    advice: tuple[Advice, ...]

    @property
    def signing_space_in_frame(self) -> bool | None:
        """Whether head-to-waist and room for the hands fit; None without a face."""
        if self.signing_space is None:
            return None
        return not {Advice.TOO_CLOSE, Advice.OFF_CENTER} & set(self.advice)

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready values, for the citizen's page."""
        return {
            "advice": [str(a) for a in self.advice],
            "brightness": round(self.brightness, 1),
            "contrast": round(self.contrast, 3),
            "sharpness": round(self.sharpness, 1),
            "clipped": round(self.clipped, 3),
            "face": None if self.face is None else self.face.as_dict(),
            "face_brightness": None
            if self.face_brightness is None
            else round(self.face_brightness, 1),
            "signing_space": None
            if self.signing_space is None
            else self.signing_space.as_dict(),
        }
