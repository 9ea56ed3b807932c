"""Video quality for sign language: light, contrast, focus and framing of a frame.

``assess`` measures one frame; ``QualityMonitor`` samples a track at most twice a
second, assesses off the event loop and reports advice once it has settled.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable

import cv2
import numpy as np
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError
from av import VideoFrame

from rtc_server.errors import MediaError
from rtc_server.faces import (
    FaceDetector,
    FaceDetectorUnavailable,
    HaarFaceDetector,
    Image,
    Rect,
    default_face_detector,
)
from rtc_server.quality_report import (
    DEFAULT_THRESHOLDS,
    Advice,
    Box,
    QualityReport,
    Thresholds,
)

__all__ = [
    "ANALYSIS_WIDTH",
    "DEFAULT_THRESHOLDS",
    "Advice",
    "AdviceDebouncer",
    "Box",
    "FaceDetector",
    "FaceDetectorUnavailable",
    "HaarFaceDetector",
    "Image",
    "OnChange",
    "QualityMonitor",
    "QualityReport",
    "Rect",
    "Thresholds",
    "analysis_size",
    "assess",
    "default_face_detector",
    "frame_to_bgr",
    "signing_space",
]

log = logging.getLogger(__name__)

# Every frame is measured at this width, so the sharpness figure (which depends on
# scale) means the same for a phone's 480p and a laptop's 720p, and one assessment
# costs milliseconds. The browser module samples at the same width.
ANALYSIS_WIDTH = 320


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
