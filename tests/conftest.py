"""Suite-wide checks: the real services must be up, never skipped around."""

from __future__ import annotations

import pytest

from tests.preflight import unreachable

# The steps shared by test modules (tests/integration/rooms.py, tests/e2e/journeys.py,
# ...) fail with pytest's detailed assertion messages too; registered before
# either package is imported.
pytest.register_assert_rewrite("tests.integration", "tests.e2e")


def pytest_sessionstart(session: pytest.Session) -> None:
    down = unreachable()
    if down:
        raise pytest.UsageError("required services are unreachable: " + "; ".join(down))
