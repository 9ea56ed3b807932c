"""Suite-wide checks: the real services must be up, never skipped around."""

from __future__ import annotations

import pytest

from tests.preflight import unreachable


def pytest_sessionstart(session: pytest.Session) -> None:
    down = unreachable()
    if down:
        raise pytest.UsageError("required services are unreachable: " + "; ".join(down))
