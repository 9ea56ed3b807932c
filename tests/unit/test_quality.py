"""The video-quality helper on frames drawn here: light, focus, framing, sampling."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Awaitable, Callable, Sequence
from fractions import Fraction

import cv2
import numpy as np
import pytest
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError
from av import VideoFrame

from rtc_server.quality import (
    Advice,
    AdviceDebouncer,
    Box,
    FaceDetector,
    FaceDetectorUnavailable,
    HaarFaceDetector,
    Image,
    QualityMonitor,
    QualityReport,
    Thresholds,
    assess,
    frame_to_bgr,
    signing_space,
)

# --- scenes: a citizen in front of a bookshelf, drawn with opencv -------------------


def room(width: int = 640, height: int = 480, wall: int = 160, seed: int = 7) -> Image:
    """A wall with books on shelves (sharp edges) and a little sensor noise."""
    rng = np.random.default_rng(seed)
    image = np.full((height, width, 3), (wall - 10, wall, wall + 10), np.uint8)
    scale = width / 640
    for _ in range(40):
        x = int(rng.integers(0, width))
        y = int(rng.integers(20, height // 2))
        w, h = int(rng.integers(8, 30) * scale), int(rng.integers(40, 90) * scale)
        colour = tuple(int(c) for c in rng.integers(30, 230, 3))
        cv2.rectangle(image, (x, y), (x + w, y + h), colour, -1)
    noisy = image + rng.normal(0, 3, image.shape)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def person(image: Image, cx: int, cy: int, size: float, shade: float = 1.0) -> Image:
    """Head (hair, eyes, brows, nose, mouth), neck and torso; face centre (cx, cy)."""

    def s(v: float) -> int:
        return round(v * size)

    def tone(bgr: tuple[int, int, int]) -> tuple[int, int, int]:
        b, g, r = bgr
        return round(b * shade), round(g * shade), round(r * shade)

    skin = (140, 170, 215)
    cv2.ellipse(
        image, (cx, cy + s(260)), (s(150), s(140)), 0, 0, 360, tone((90, 60, 40)), -1
    )
    cv2.rectangle(
        image,
        (cx - s(22), cy + s(50)),
        (cx + s(22), cy + s(130)),
        tone((126, 153, 193)),
        -1,
    )
    cv2.ellipse(
        image, (cx, cy - s(10)), (s(62), s(78)), 0, 0, 360, tone((30, 30, 40)), -1
    )
    cv2.ellipse(image, (cx, cy + s(5)), (s(55), s(72)), 0, 0, 360, tone(skin), -1)
    eyes = cy - s(10)
    for side in (-1, 1):
        ex = cx + side * s(22)
        cv2.ellipse(image, (ex, eyes), (s(11), s(6)), 0, 0, 360, tone((40, 40, 50)), -1)
        brow = eyes - s(14)
        cv2.line(
            image,
            (ex - s(13), brow),
            (ex + s(13), brow),
            tone((40, 40, 60)),
            max(1, s(4)),
        )
    cv2.line(
        image,
        (cx, eyes + s(5)),
        (cx - s(5), cy + s(25)),
        tone((112, 136, 172)),
        max(1, s(3)),
    )
    cv2.ellipse(
        image, (cx, cy + s(42)), (s(18), s(6)), 0, 0, 360, tone((70, 70, 140)), -1
    )
    return image


def lens(image: Image) -> Image:
    """The slight softness of a real webcam lens."""
    return np.asarray(cv2.GaussianBlur(image, (0, 0), 1.0), np.uint8)


def well_lit() -> Image:
    return lens(person(room(), 320, 170, 0.8))


def dark() -> Image:
    return (well_lit() * 0.18).astype(np.uint8)


def overexposed() -> Image:
    return np.asarray(np.clip(well_lit() * 1.8 + 60, 0, 255), np.uint8)


def low_contrast() -> Image:
    """Light straight into the lens: everything pushed towards one grey."""
    return (well_lit() * 0.2 + 110).astype(np.uint8)


def blurred() -> Image:
    return np.asarray(cv2.GaussianBlur(well_lit(), (0, 0), 3), np.uint8)


def too_close() -> Image:
    """The face fills the picture: no room for the hands."""
    return lens(person(room(), 320, 200, 2.6))


def off_to_the_side() -> Image:
    return lens(person(room(), 130, 170, 0.8))


def backlit() -> Image:
    """A bright window behind, the citizen in shadow."""
    return lens(person(room(wall=235), 320, 170, 0.8, shade=0.3))


def empty_room() -> Image:
    return lens(room())


# --- assess ---------------------------------------------------------------------------


def test_a_well_lit_framed_citizen_needs_no_advice() -> None:
    report = assess(well_lit())
    assert report.advice == ()
    assert (report.width, report.height) == (640, 480)
    assert report.face is not None
    # the face was drawn around (320, 170) of 640x480, about 90 px wide
    assert report.face.x < 0.5 < report.face.right
    assert report.face.y < 170 / 480 < report.face.bottom
    assert 0.1 < report.face.width < 0.25
    assert report.signing_space_in_frame is True


@pytest.mark.parametrize(
    ("scene", "advice"),
    [
        (dark, (Advice.TOO_DARK,)),
        (overexposed, (Advice.TOO_BRIGHT,)),
        (low_contrast, (Advice.LOW_CONTRAST,)),
        (blurred, (Advice.BLURRY,)),
        (too_close, (Advice.TOO_CLOSE,)),
        (off_to_the_side, (Advice.OFF_CENTER,)),
        (backlit, (Advice.BACKLIT,)),
        (empty_room, (Advice.NO_FACE,)),
    ],
)
def test_each_problem_gets_its_advice(
    scene: Callable[[], Image], advice: tuple[Advice, ...]
) -> None:
    assert assess(scene()).advice == advice


def test_measured_values_move_the_right_way() -> None:
    good = assess(well_lit())
    assert assess(dark()).brightness < 60 < good.brightness < 200
    assert assess(overexposed()).clipped > 0.25 > good.clipped
    assert assess(low_contrast()).contrast < 0.05 < good.contrast
    assert assess(blurred()).sharpness < 25 < good.sharpness
    shadowed = assess(backlit())
    assert shadowed.face_brightness is not None
    assert shadowed.face_brightness < 80 < shadowed.brightness


def test_resolution_does_not_change_the_verdict() -> None:
    hd = lens(person(room(1280, 720), 640, 260, 1.2))
    report = assess(hd)
    assert (report.width, report.height) == (1280, 720)
    assert report.advice == ()
    small = cv2.resize(well_lit(), (320, 240), interpolation=cv2.INTER_AREA)
    assert assess(np.asarray(small, np.uint8)).advice == ()


def test_too_close_is_judged_from_the_signing_space() -> None:
    report = assess(too_close())
    assert report.signing_space is not None
    assert report.signing_space.height > 1  # head to waist does not fit
    assert report.signing_space_in_frame is False


def test_signing_space_spans_head_to_waist_and_beyond_the_shoulders() -> None:
    face = Box(0.45, 0.2, 0.1, 0.1)
    space = signing_space(face)
    assert space.y == pytest.approx(0.2 - 0.03)
    assert space.bottom == pytest.approx(0.3 + 0.2)
    assert space.x == pytest.approx(0.5 - 0.23)
    assert space.right == pytest.approx(0.5 + 0.23)


def test_without_a_face_the_framing_is_unknown() -> None:
    report = assess(empty_room())
    assert report.face is None
    assert report.signing_space is None
    assert report.signing_space_in_frame is None


def test_an_injected_detector_replaces_the_cascade() -> None:
    class Fixed:
        def detect(self, gray: Image) -> Sequence[tuple[int, int, int, int]]:
            return [(10, 10, 20, 20), (140, 60, 40, 40)]  # the larger one counts

    detector: FaceDetector = Fixed()
    report = assess(empty_room(), detector=detector)
    assert report.face == Box(140 / 320, 60 / 240, 40 / 320, 40 / 240)
    assert Advice.NO_FACE not in report.advice


def test_the_cascade_finds_no_face_in_a_blank_skin_coloured_ellipse() -> None:
    image = room()
    cv2.ellipse(image, (320, 170), (44, 58), 0, 0, 360, (140, 170, 215), -1)
    assert assess(image, detector=HaarFaceDetector()).face is None


def test_a_missing_cascade_is_a_clear_error_at_start_up() -> None:
    class Missing(HaarFaceDetector):
        CASCADE = "haarcascade_no_such_face.xml"

    with pytest.raises(FaceDetectorUnavailable, match="not installed") as caught:
        Missing()
    assert caught.value.code == "quality_unavailable"


def test_the_report_is_json_for_the_citizen_page() -> None:
    data = json.loads(json.dumps(assess(off_to_the_side()).as_dict()))
    assert data["advice"] == ["off_center"]
    assert set(data["face"]) == {"x", "y", "width", "height"}
    assert data["face_brightness"] > 80
    empty = assess(empty_room()).as_dict()
    assert empty["face"] is None
    assert empty["signing_space"] is None


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (np.zeros((480, 640, 3), np.float32), "uint8"),
        (np.zeros((480, 640), np.uint8), "(h, w, 3)"),
        (np.zeros((480, 640, 4), np.uint8), "(h, w, 3)"),
        (np.zeros((8, 8, 3), np.uint8), "too small"),
        ([[0, 0, 0]], "uint8"),
    ],
)
def test_bad_frames_are_refused_clearly(image: object, message: str) -> None:
    with pytest.raises(
        ValueError, match=message.replace("(", r"\(").replace(")", r"\)")
    ):
        assess(image)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "changes",
    [
        {"too_dark": -1.0},
        {"too_dark": 210.0},
        {"clipped_fraction": 1.5},
        {"blurry": "x"},
    ],
)
def test_bad_thresholds_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="threshold"):
        Thresholds(**changes)  # type: ignore[arg-type]


def test_stricter_thresholds_change_the_verdict() -> None:
    assert assess(well_lit(), thresholds=Thresholds(blurry=10_000)).advice == (
        Advice.BLURRY,
    )


def test_video_frames_are_scaled_while_converted() -> None:
    frame = VideoFrame.from_ndarray(well_lit(), format="bgr24").reformat(
        format="yuv420p"
    )
    image = frame_to_bgr(frame)
    assert image.shape == (240, 320, 3)
    assert assess(image).advice == ()
    small = VideoFrame.from_ndarray(np.zeros((120, 160, 3), np.uint8), format="bgr24")
    assert frame_to_bgr(small).shape == (120, 160, 3)


# --- debouncing -----------------------------------------------------------------------


def test_advice_is_reported_after_holding_twice() -> None:
    debouncer = AdviceDebouncer(2)
    dark_only = (Advice.TOO_DARK,)
    steps = [(), (), dark_only, (), dark_only, dark_only, dark_only, ()]
    reported = [debouncer.settle(advice) for advice in steps]
    assert reported == [False, True, False, False, False, True, False, False]
    assert debouncer.reported == dark_only


def test_debouncer_needs_a_positive_count() -> None:
    with pytest.raises(ValueError, match="confirmations"):
        AdviceDebouncer(0)


# --- the monitor ----------------------------------------------------------------------


class Clock:
    """A clock the test moves; steps of 1/32 s are exact in binary."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Reports:
    """What the citizen was told, in order."""

    def __init__(self) -> None:
        self.received: list[QualityReport] = []
        self._arrived = asyncio.Event()

    async def __call__(self, report: QualityReport) -> None:
        self.received.append(report)
        self._arrived.set()

    async def first(self) -> QualityReport:
        async with asyncio.timeout(20):
            await self._arrived.wait()
        return self.received[0]

    @property
    def advice(self) -> list[tuple[Advice, ...]]:
        return [r.advice for r in self.received]


@pytest.fixture(scope="module")
def frames() -> dict[str, Image]:
    return {"good": well_lit(), "dark": dark(), "close": too_close()}


async def settle(monitor: QualityMonitor) -> None:
    async with asyncio.timeout(10):
        await monitor.idle()


async def test_a_fast_source_is_sampled_at_most_twice_a_second(
    frames: dict[str, Image],
) -> None:
    clock = Clock()
    reports = Reports()
    monitor = QualityMonitor(reports, clock=clock)
    taken = 0
    for _ in range(96):  # three seconds at 32 frames a second
        taken += monitor.offer(frames["good"])
        await settle(monitor)
        clock.now += 1 / 32
    await monitor.stop()
    assert monitor.frames_offered == 96
    assert taken == monitor.frames_assessed == 6  # at 0, 0.5, ... 2.5 s
    assert reports.advice == [()]


async def test_frames_arriving_during_an_assessment_are_dropped(
    frames: dict[str, Image],
) -> None:
    clock = Clock()
    monitor = QualityMonitor(Reports(), clock=clock)
    assert monitor.offer(frames["good"]) is True
    clock.now += 5  # long past the interval, but the first is still being assessed
    assert monitor.offer(frames["good"]) is False
    await settle(monitor)
    assert monitor.offer(frames["good"]) is True
    await settle(monitor)
    assert (monitor.frames_offered, monitor.frames_assessed) == (3, 2)
    await monitor.stop()


async def test_the_citizen_hears_of_a_change_only_once_it_holds(
    frames: dict[str, Image],
) -> None:
    clock = Clock()
    reports = Reports()
    monitor = QualityMonitor(reports, clock=clock)
    sequence = [
        "good",
        "good",
        "dark",
        "good",
        "dark",
        "dark",
        "dark",
        "close",
        "close",
    ]
    for name in sequence:
        monitor.offer(VideoFrame.from_ndarray(frames[name], format="bgr24"))
        await settle(monitor)
        clock.now += 0.5
    await monitor.stop()
    assert monitor.frames_assessed == len(sequence)
    assert reports.advice == [(), (Advice.TOO_DARK,), (Advice.TOO_CLOSE,)]
    assert monitor.latest is reports.received[-1]


async def test_a_plain_callback_works_and_a_failing_one_does_not_stop_sampling(
    frames: dict[str, Image],
) -> None:
    clock = Clock()
    seen: list[tuple[Advice, ...]] = []

    def on_change(report: QualityReport) -> None:
        seen.append(report.advice)
        raise RuntimeError("the socket is gone")

    monitor = QualityMonitor(on_change, clock=clock, confirmations=1)
    for name in ("good", "dark"):
        monitor.offer(frames[name])
        await settle(monitor)
        clock.now += 0.5
    await monitor.stop()
    assert seen == [(), (Advice.TOO_DARK,)]


async def test_a_bad_frame_is_skipped_and_sampling_goes_on(
    frames: dict[str, Image],
) -> None:
    clock = Clock()
    reports = Reports()
    monitor = QualityMonitor(reports, clock=clock, confirmations=1)
    monitor.offer(np.zeros((4, 4, 3), np.uint8))
    await settle(monitor)
    clock.now += 0.5
    monitor.offer(frames["good"])
    await settle(monitor)
    await monitor.stop()
    assert monitor.frames_assessed == 1
    assert reports.advice == [()]


class WaitsForTheLoop:
    """A detector that only finishes once the event loop has run a tick meanwhile."""

    def __init__(self) -> None:
        self.ticked = threading.Event()
        self.threads: set[int] = set()
        self.stalled = 0
        self._cascade = HaarFaceDetector()

    def detect(self, gray: Image) -> Sequence[tuple[int, int, int, int]]:
        self.threads.add(threading.get_ident())
        self.ticked.clear()
        if not self.ticked.wait(timeout=2):
            self.stalled += 1
        return self._cascade.detect(gray)


async def test_assessments_run_in_a_thread_while_the_loop_keeps_ticking(
    frames: dict[str, Image],
) -> None:
    detector = WaitsForTheLoop()
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            detector.ticked.set()
            await asyncio.sleep(0.001)

    clock = Clock()
    reports = Reports()
    monitor = QualityMonitor(reports, clock=clock, detector=detector)
    ticking = asyncio.create_task(ticker())
    try:
        for _ in range(20):
            assert monitor.offer(frames["good"])
            await settle(monitor)
            clock.now += 0.5
    finally:
        ticking.cancel()
        await monitor.stop()
    assert monitor.frames_assessed == 20
    assert detector.stalled == 0
    assert threading.get_ident() not in detector.threads
    assert ticks >= 20
    assert reports.advice == [()]


class Camera(MediaStreamTrack):
    """A video source at 32 frames per second of the fake clock.

    It hands over the next frame once ``pace`` returns (the monitor is idle), as
    a camera slower than the measuring would; the fake clock makes it fast.
    """

    kind = "video"

    def __init__(
        self,
        clock: Clock,
        image: Image,
        pace: Callable[[], Awaitable[None]],
        limit: int | None = None,
    ) -> None:
        super().__init__()
        self._clock = clock
        self._image = image
        self._pace = pace
        self._limit = limit
        self.sent = 0
        self.ended = asyncio.Event()

    async def recv(self) -> VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._limit is not None and self.sent >= self._limit:
            self.ended.set()
            raise MediaStreamError
        async with asyncio.timeout(10):
            await self._pace()
        self._clock.now += 1 / 32
        self.sent += 1
        frame = VideoFrame.from_ndarray(self._image, format="bgr24")
        frame.pts = self.sent
        frame.time_base = Fraction(1, 32)
        return frame


async def test_watching_a_track_reports_and_stop_ends_it(
    frames: dict[str, Image],
) -> None:
    clock = Clock()
    reports = Reports()
    monitor = QualityMonitor(reports, clock=clock)
    camera = Camera(clock, frames["close"], monitor.idle)
    monitor.watch(camera)
    first = await reports.first()  # needs two samples that agree
    assert first.advice == (Advice.TOO_CLOSE,)
    assert monitor.watching
    assert reports.advice == [(Advice.TOO_CLOSE,)]
    assert monitor.frames_assessed <= camera.sent / 16 + 1  # 2 a second at most
    await monitor.stop()
    assert not monitor.watching
    read = camera.sent
    for _ in range(50):
        await asyncio.sleep(0)
    assert camera.sent == read  # nothing is read after stop
    assert camera.readyState == "live"  # the track belongs to the caller
    assert monitor.offer(frames["good"]) is False
    with pytest.raises(RuntimeError, match="stopped"):
        monitor.watch(camera)
    await monitor.stop()  # twice is fine
    assert reports.advice == [(Advice.TOO_CLOSE,)]


async def test_a_track_that_ends_ends_the_reading(frames: dict[str, Image]) -> None:
    clock = Clock()
    reports = Reports()
    monitor = QualityMonitor(reports, clock=clock)
    camera = Camera(clock, frames["good"], monitor.idle, limit=40)
    monitor.watch(camera)
    assert monitor.watching
    async with asyncio.timeout(20):
        await camera.ended.wait()
    assert not monitor.watching
    await settle(monitor)
    assert camera.sent == 40
    assert monitor.frames_assessed == 3  # at 0, 0.5 and 1 s of 1.25 s
    assert reports.advice == [()]
    await monitor.stop()


async def test_watching_refuses_an_audio_track() -> None:
    class Microphone(MediaStreamTrack):
        kind = "audio"

        async def recv(self) -> VideoFrame:
            raise MediaStreamError

    monitor = QualityMonitor(Reports())
    with pytest.raises(ValueError, match="audio"):
        monitor.watch(Microphone())
    await monitor.stop()
