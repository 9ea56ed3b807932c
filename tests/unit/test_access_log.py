"""The access log leaves out client addresses and the secrets some paths carry."""

from __future__ import annotations

import logging

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from dasan.cli import AccessLog

SECRET = "3q2-7wAAB2kPqYtW9bWm0vI8f5nS2lqH1mJ0aZcXyE4"


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        (f"/api/calendar/{SECRET}.ics", '"GET /api/calendar/***.ics" 200'),
        ("/api/cases?limit=5", '"GET /api/cases" 200'),
        ("/staff", '"GET /staff" 200'),
    ],
)
def test_paths_are_logged_without_secrets_or_addresses(
    path: str, logged: str, caplog: pytest.LogCaptureFixture
) -> None:
    logger = logging.getLogger("test.access")
    request = make_mocked_request(
        "GET", path, headers={"X-Forwarded-For": "203.0.113.7"}
    )
    with caplog.at_level(logging.INFO, logger="test.access"):
        AccessLog(logger, "").log(request, web.Response(status=200), 0.01)
    (line,) = [r.getMessage() for r in caplog.records]
    assert line.startswith(logged)
    assert SECRET not in line
    assert "203.0.113.7" not in line
    assert "127.0.0.1" not in line
