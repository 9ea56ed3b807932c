"""The Redis the integration tests share (the CI service on its default port)."""

from __future__ import annotations

REDIS_URL = "redis://127.0.0.1:6379/0"
