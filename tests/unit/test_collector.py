"""The server process's collector settings (dasan/collector.py)."""

from __future__ import annotations

import json
import subprocess
import sys

from dasan import collector


def test_start_up_freezes_the_heap_and_raises_the_young_threshold() -> None:
    # In a child process: the settings would otherwise stay on for the suite.
    script = (
        "import gc, json; from dasan import collector; "
        "collector.settle_after_start_up(); "
        "print(json.dumps([gc.get_threshold(), gc.get_freeze_count()]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    thresholds, frozen = json.loads(out.stdout)
    assert tuple(thresholds) == (collector.YOUNG, collector.MIDDLE, collector.OLD)
    assert collector.YOUNG > 700  # CPython's default young threshold
    assert frozen > 1000  # the modules and objects loaded at start-up
