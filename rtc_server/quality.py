"""Video quality for sign language: light, contrast, focus and framing of a frame.

``assess`` measures one frame; ``QualityMonitor`` samples a track at most twice a
second, assesses off the event loop and reports advice once it has settled.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import inspect
import logging
import os
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import cv2
import numpy as np
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError
from av import VideoFrame
from numpy.typing import NDArray

from rtc_server.errors import MediaError

log = logging.getLogger(__name__)

Image = NDArray[np.uint8]
Rect = tuple[int, int, int, int]

# Every frame is measured at this width, so the sharpness figure (which depends on
# scale) means the same for a phone's 480p and a laptop's 720p, and one assessment
# costs milliseconds. The browser module samples at the same width.
ANALYSIS_WIDTH = 320


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


class FaceDetectorUnavailable(MediaError):
    code = "quality_unavailable"

    def __init__(self, reason: str) -> None:
        super().__init__(f"face detection is not available: {reason}")
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Limits behind the advice. Luma is 0-255 on the ``ANALYSIS_WIDTH`` frame.

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


class FaceDetector(Protocol):
    """Finds faces in a grey ``ANALYSIS_WIDTH`` frame: (x, y, width, height) boxes."""

    def detect(self, gray: Image) -> Sequence[Rect]: ...


class HaarFaceDetector:
    """OpenCV's bundled Haar cascade (``cv2.data.haarcascades``), one copy per thread.

    ``alt2`` is the frontal cascade with the fewest false alarms in Castrillón et
    al. 2011 (Machine Vision and Applications 22). A classifier is not safe to share
    between threads, so each worker thread loads its own (about 20 ms, once).
    OpenCV 5 moved the cascades to opencv-contrib, so this needs OpenCV 4.
    """

    CASCADE: ClassVar[str] = "haarcascade_frontalface_alt2.xml"

    def __init__(
        self,
        *,
        scale_factor: float = 1.15,
        min_neighbors: int = 4,
        min_face: float = 0.1,
    ) -> None:
        if scale_factor <= 1 or min_neighbors < 1 or not 0 < min_face < 1:
            raise ValueError("need scale_factor > 1, min_neighbors >= 1, 0<min_face<1")
        self._scale_factor = scale_factor
        self._min_neighbors = min_neighbors
        self._min_face = min_face
        if not hasattr(cv2, "CascadeClassifier"):
            raise FaceDetectorUnavailable(
                f"OpenCV {cv2.__version__} has no Haar cascades (use opencv 4.x)"
            )
        data = getattr(getattr(cv2, "data", None), "haarcascades", "")
        self._path = os.path.join(data, self.CASCADE)
        if not os.path.isfile(self._path):
            raise FaceDetectorUnavailable(f"{self.CASCADE} is not installed")
        self._local = threading.local()
        self._classifier()  # fail now, not on the first frame

    def _classifier(self) -> Any:
        classifier = getattr(self._local, "classifier", None)
        if classifier is None:
            classifier = cv2.CascadeClassifier(self._path)
            if classifier.empty():
                raise FaceDetectorUnavailable(f"{self.CASCADE} could not be loaded")
            self._local.classifier = classifier
        return classifier

    def detect(self, gray: Image) -> Sequence[Rect]:
        side = max(12, round(min(gray.shape[:2]) * self._min_face))
        found = self._classifier().detectMultiScale(
            cv2.equalizeHist(gray),
            scaleFactor=self._scale_factor,
            minNeighbors=self._min_neighbors,
            minSize=(side, side),
        )
        return [(int(x), int(y), int(w), int(h)) for x, y, w, h in found]


@functools.cache
def default_face_detector() -> HaarFaceDetector:
    """One shared read-only detector for the process (it loads per thread)."""
    return HaarFaceDetector()


def analysis_size(width: int, height: int) -> tuple[int, int]:
    """The size a frame is measured at: ``ANALYSIS_WIDTH`` wide, same aspect."""
    return ANALYSIS_WIDTH, max(1, round(height * ANALYSIS_WIDTH / width))


def assess(
    image: Image,
    *,
    detector: FaceDetector | None = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> QualityReport:
    """Measure a BGR frame (any size) and say what the citizen should fix."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise ValueError("expected a numpy uint8 array (a BGR image)")
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected a BGR image of shape (h, w, 3), got {image.shape}")
    height, width = image.shape[:2]
    if width < 16 or height < 16:
        raise ValueError(f"frame too small to judge: {width}x{height}")
    size = analysis_size(width, height)
    if size != (width, height):
        shrink = size[0] < width
        method = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
        image = np.asarray(cv2.resize(image, size, interpolation=method), np.uint8)
    gray = np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), np.uint8)
    brightness = float(gray.mean())
    contrast = float(gray.std()) / 255.0
    sharpness = float(cv2.Laplacian(gray, cv2.CV_64F).var())
    clipped = float(np.count_nonzero(gray >= 250)) / gray.size

    faces = (detector or default_face_detector()).detect(gray)
    face: Box | None = None
    face_light: float | None = None
    space: Box | None = None
    if faces:
        x, y, w, h = max(faces, key=lambda r: r[2] * r[3])
        rows, cols = gray.shape
        face = Box(x / cols, y / rows, w / cols, h / rows)
        region = gray[y : y + h, x : x + w]
        face_light = float(region.mean())
        rest = max(1, gray.size - region.size)
        surround = (float(gray.sum(dtype=np.int64)) - float(region.sum())) / rest
        space = signing_space(face, thresholds)
    else:
        surround = brightness

    advice = _advise(
        thresholds,
        brightness=brightness,
        contrast=contrast,
        sharpness=sharpness,
        clipped=clipped,
        face_light=face_light,
        surround=surround,
        space=space,
    )
    return QualityReport(
        width=width,
        height=height,
        brightness=brightness,
        contrast=contrast,
        sharpness=sharpness,
        clipped=clipped,
        face=face,
        face_brightness=face_light,
        signing_space=space,
        advice=advice,
    )


def signing_space(face: Box, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> Box:
    """Where the hands need room, from the face box: above the head to the waist."""
    centre = face.x + face.width / 2
    beside = face.width * thresholds.space_beside
    top = face.y - face.height * thresholds.space_above
    bottom = face.bottom + face.height * thresholds.space_below
    return Box(centre - beside, top, 2 * beside, bottom - top)


def _advise(
    limits: Thresholds,
    *,
    brightness: float,
    contrast: float,
    sharpness: float,
    clipped: float,
    face_light: float | None,
    surround: float,
    space: Box | None,
) -> tuple[Advice, ...]:
    advice: list[Advice] = []
    face_dark = face_light is not None and face_light < limits.face_dark
    backlit = (
        face_light is not None
        and face_dark
        and surround >= limits.backlit_ratio * face_light
    )
    if backlit:
        advice.append(Advice.BACKLIT)
    elif brightness < limits.too_dark or face_dark:
        advice.append(Advice.TOO_DARK)
    elif brightness > limits.too_bright or clipped > limits.clipped_fraction:
        advice.append(Advice.TOO_BRIGHT)
    # Contrast and focus follow from the light: judged only once it is right, and
    # a faded picture is not called blurry as well (its Laplacian is low too).
    if not advice:
        if contrast < limits.low_contrast:
            advice.append(Advice.LOW_CONTRAST)
        elif sharpness < limits.blurry:
            advice.append(Advice.BLURRY)
    if space is None:
        advice.append(Advice.NO_FACE)
    else:
        slack = limits.framing_tolerance
        if space.width > 1 + 2 * slack or space.height > 1 + 2 * slack:
            advice.append(Advice.TOO_CLOSE)
        elif (
            space.x < -slack
            or space.y < -slack
            or space.right > 1 + slack
            or space.bottom > 1 + slack
        ):
            advice.append(Advice.OFF_CENTER)
    return tuple(sorted(advice, key=list(Advice).index))


def frame_to_bgr(frame: VideoFrame) -> Image:
    """Convert only what is measured: scale to ``ANALYSIS_WIDTH`` while converting."""
    if frame.width > ANALYSIS_WIDTH:
        width, height = analysis_size(frame.width, frame.height)
        frame = frame.reformat(
            width=width, height=height, format="bgr24", interpolation="AREA"
        )
        return np.asarray(frame.to_ndarray(), np.uint8)
    return np.asarray(frame.to_ndarray(format="bgr24"), np.uint8)


class AdviceDebouncer:
    """Lets advice through once it held for ``confirmations`` samples in a row."""

    def __init__(self, confirmations: int = 2) -> None:
        if confirmations < 1:
            raise ValueError("confirmations must be at least 1")
        self._confirmations = confirmations
        self._candidate: tuple[Advice, ...] | None = None
        self._seen = 0
        self._reported: tuple[Advice, ...] | None = None

    @property
    def reported(self) -> tuple[Advice, ...] | None:
        return self._reported

    def settle(self, advice: tuple[Advice, ...]) -> bool:
        """Feed one sample's advice; True when it is new and now to be reported."""
        if advice == self._candidate:
            self._seen += 1
        else:
            self._candidate, self._seen = advice, 1
        if self._seen >= self._confirmations and advice != self._reported:
            self._reported = advice
            return True
        return False


OnChange = Callable[[QualityReport], Awaitable[None] | None]


class QualityMonitor:
    """Samples a citizen's video for quality and reports when the advice changes.

    Frames come from a track (``watch``) or are pushed (``offer``). At most one
    frame per ``interval`` is taken, and none while one is being assessed; the
    conversion and the measuring run in a worker thread, so the event loop only
    hands frames over. ``on_change`` (plain or async) gets the report when new
    advice has held for ``confirmations`` samples in a row. ``stop`` ends it; a
    measurement already running in a thread finishes there and is dropped.
    """

    def __init__(
        self,
        on_change: OnChange,
        *,
        interval: float = 0.5,
        confirmations: int = 2,
        detector: FaceDetector | None = None,
        thresholds: Thresholds = DEFAULT_THRESHOLDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if interval <= 0:
            raise ValueError("interval must be positive")
        self._on_change = on_change
        self._interval = interval
        self._debouncer = AdviceDebouncer(confirmations)
        self._detector: FaceDetector = detector or default_face_detector()
        self._thresholds = thresholds
        self._clock = clock
        self._last_sample: float | None = None
        self._busy = False
        self._stopped = False
        self._reader: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self.frames_offered = 0
        self.frames_assessed = 0
        self.latest: QualityReport | None = None

    @property
    def stopped(self) -> bool:
        return self._stopped

    @property
    def watching(self) -> bool:
        """Whether a track is being read (False once it ended or after stop)."""
        return self._reader is not None and not self._reader.done()

    def offer(self, frame: VideoFrame | Image) -> bool:
        """Hand over a frame; True when it was taken for a sample."""
        if self._stopped:
            return False
        self.frames_offered += 1
        now = self._clock()
        due = self._last_sample is None or now - self._last_sample >= self._interval
        if self._busy or not due:
            return False
        self._last_sample = now
        self._busy = True
        self._idle.clear()
        task = asyncio.get_running_loop().create_task(self._sample(frame))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    def watch(self, track: MediaStreamTrack) -> None:
        """Read frames from ``track`` until it ends; replaces any track watched."""
        if track.kind != "video":
            raise ValueError(f"cannot judge video quality on a {track.kind} track")
        if self._stopped:
            raise RuntimeError("this quality monitor has been stopped")
        if self._reader is not None:
            self._reader.cancel()
        self._reader = asyncio.get_running_loop().create_task(self._read(track))

    async def idle(self) -> None:
        """Wait until no sample is being assessed or reported."""
        await self._idle.wait()

    async def stop(self) -> None:
        """Stop reading and reporting; the track itself belongs to the caller."""
        self._stopped = True
        tasks = [*self._tasks, *([self._reader] if self._reader else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._reader = None
        self._busy = False
        self._idle.set()

    async def _read(self, track: MediaStreamTrack) -> None:
        while not self._stopped:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if isinstance(frame, VideoFrame):
                self.offer(frame)

    async def _sample(self, frame: VideoFrame | Image) -> None:
        try:
            try:
                report = await asyncio.to_thread(self._measure, frame)
            except (ValueError, MediaError) as exc:
                log.warning("quality check skipped a frame: %s", exc)
                return
            self.frames_assessed += 1
            self.latest = report
            if self._stopped or not self._debouncer.settle(report.advice):
                return
            try:
                result = self._on_change(report)
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception("quality report could not be delivered")
        finally:
            self._busy = False
            if not self._tasks - {asyncio.current_task()}:
                self._idle.set()

    def _measure(self, frame: VideoFrame | Image) -> QualityReport:
        image = frame_to_bgr(frame) if isinstance(frame, VideoFrame) else frame
        return assess(image, detector=self._detector, thresholds=self._thresholds)
