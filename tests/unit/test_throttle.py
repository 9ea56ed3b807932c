"""Sign-in throttling: free tries, then a pause that doubles, then forgetting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from signaling.throttle import Throttle

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def test_free_failures_then_a_growing_pause() -> None:
    throttle = Throttle(free=3, base=timedelta(seconds=30))
    for _ in range(3):
        assert throttle.retry_after("k", T0) == 0
        throttle.failed("k", T0)
    assert throttle.retry_after("k", T0) == 30
    throttle.failed("k", T0)
    assert throttle.retry_after("k", T0) == 60
    assert throttle.retry_after("other", T0) == 0


def test_success_and_time_forget_failures() -> None:
    throttle = Throttle(free=1, forget_after=timedelta(minutes=15))
    throttle.failed("k", T0)
    assert throttle.retry_after("k", T0) > 0
    assert throttle.retry_after("k", T0 + timedelta(minutes=16)) == 0
    throttle.failed("k", T0)
    throttle.succeeded("k")
    assert throttle.retry_after("k", T0) == 0


def test_memory_is_bounded() -> None:
    throttle = Throttle(max_keys=10)
    for i in range(100):
        throttle.failed(f"k{i}", T0 + timedelta(seconds=i))
    assert len(throttle._failures) == 10
