"""Face detection for the quality checks: the detector protocol and OpenCV's Haar
cascade, loaded once per worker thread."""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Sequence
from typing import Any, ClassVar, Protocol

import cv2
import numpy as np
from numpy.typing import NDArray

from rtc_server.errors import MediaError

Image = NDArray[np.uint8]
Rect = tuple[int, int, int, int]


class FaceDetectorUnavailable(MediaError):
    code = "quality_unavailable"

    def __init__(self, reason: str) -> None:
        super().__init__(f"face detection is not available: {reason}")
        self.reason = reason


class FaceDetector(Protocol):
    """Finds faces in a grey ``quality.ANALYSIS_WIDTH`` frame: (x, y, w, h) boxes."""

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
