"""Configuration, read once at start-up from the environment and the command line."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from counseling.departments import DEFAULT_DEPARTMENTS, DEPARTMENT_NAME
from interpreter_pool.pool import PoolRules


class SettingsError(ValueError):
    """A setting has a bad value; the message names the key and the value."""

    def __init__(self, key: str, value: object, why: str) -> None:
        super().__init__(f"{key}={value!r}: {why}")
        self.key = key
        self.value = value


PREFIX = "DASAN_"


@dataclass(frozen=True, slots=True)
class Settings:
    """Every knob of the service; environment names are ``DASAN_`` + upper name."""

    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = Path("var")
    database_url: str | None = None
    redis_url: str | None = None
    redis_prefix: str = "dasan"
    demo: bool = False
    demo_password: str | None = None
    offer_timeout_seconds: float = 20.0
    wrap_up_seconds: float = 60.0
    reconnect_grace_seconds: float = 30.0
    missed_offers_limit: int = 3
    default_handle_seconds: float = 300.0
    session_ttl_hours: float = 12.0
    cookie_secure: bool = False
    ice_servers: tuple[str, ...] = field(default_factory=tuple)
    departments: tuple[str, ...] = DEFAULT_DEPARTMENTS
    """Departments whose counselor an interpreter can bring into a session."""
    center_tz: str = "Asia/Seoul"
    hours_file: Path | None = None
    refuse_past_close: bool = True
    booking_offer_wait_minutes: float = 15.0
    log_level: str = "INFO"
    retention_days: int = 0
    """Erase the personal fields of cases older than this (0: keep forever)."""
    recording_key: str | None = field(default=None, repr=False)
    """AES-256 key for recordings at rest, base64 (none: recording is refused)."""

    def __post_init__(self) -> None:
        if not 0 < self.port < 65536:
            raise SettingsError("port", self.port, "must be 1-65535")
        if not 1 <= self.offer_timeout_seconds <= 600:
            raise SettingsError(
                "offer_timeout_seconds", self.offer_timeout_seconds, "must be 1-600"
            )
        for key in ("wrap_up_seconds", "reconnect_grace_seconds"):
            if not 0 <= getattr(self, key) <= 3600:
                raise SettingsError(key, getattr(self, key), "must be 0-3600")
        if not 1 <= self.missed_offers_limit <= 20:
            raise SettingsError(
                "missed_offers_limit", self.missed_offers_limit, "must be 1-20"
            )
        if not 10 <= self.default_handle_seconds <= 7200:
            raise SettingsError(
                "default_handle_seconds", self.default_handle_seconds, "must be 10-7200"
            )
        if not 1 <= self.booking_offer_wait_minutes <= 240:
            raise SettingsError(
                "booking_offer_wait_minutes",
                self.booking_offer_wait_minutes,
                "must be 1-240",
            )
        if not 0 < self.session_ttl_hours <= 24 * 30:
            raise SettingsError(
                "session_ttl_hours", self.session_ttl_hours, "must be >0 and <=720"
            )
        if not 0 <= self.retention_days <= 36500:
            raise SettingsError(
                "retention_days", self.retention_days, "must be 0 (keep) to 36500"
            )
        if self.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise SettingsError("log_level", self.log_level, "DEBUG/INFO/WARNING/ERROR")
        if self.database_url is not None and not self.database_url.startswith(
            ("sqlite+aiosqlite://", "postgresql+asyncpg://")
        ):
            raise SettingsError(
                "database_url",
                self.database_url,
                "use sqlite+aiosqlite:///path or postgresql+asyncpg://...",
            )
        if self.redis_url is not None and not self.redis_url.startswith(
            ("redis://", "rediss://", "unix://")
        ):
            raise SettingsError("redis_url", self.redis_url, "use redis://host:port/db")
        if not self.redis_prefix.replace("-", "").replace("_", "").isalnum():
            raise SettingsError(
                "redis_prefix", self.redis_prefix, "letters, digits, - _"
            )
        try:
            ZoneInfo(self.center_tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError(
                "center_tz", self.center_tz, "not a time zone"
            ) from None
        if self.recording_key is not None and len(_key_bytes(self.recording_key)) != 32:
            raise SettingsError(
                "recording_key", "***", "must be 32 bytes in base64 (44 characters)"
            )
        for department in self.departments:
            if not DEPARTMENT_NAME.match(department):
                raise SettingsError(
                    "departments", department, "lowercase letters, digits, _"
                )
        if self.demo_password is not None and len(self.demo_password) < 8:
            raise SettingsError("demo_password", "***", "must be 8 characters or more")

    def recording_key_bytes(self) -> bytes | None:
        """The recording key as bytes, or None when recording is not configured."""
        return None if self.recording_key is None else _key_bytes(self.recording_key)

    @property
    def exceptions_path(self) -> Path:
        """The closures and special openings file: settable, or in the data folder."""
        return self.hours_file or self.data_dir / "hours.toml"

    @property
    def taxonomy_path(self) -> Path:
        """The wrap-up categories file (the built-in taxonomy when absent)."""
        return self.data_dir / "taxonomy.toml"

    def pool_rules(self) -> PoolRules:
        return PoolRules(
            offer_timeout=timedelta(seconds=self.offer_timeout_seconds),
            wrap_up=timedelta(seconds=self.wrap_up_seconds),
            reconnect_grace=timedelta(seconds=self.reconnect_grace_seconds),
            missed_offers_limit=self.missed_offers_limit,
            default_handle=timedelta(seconds=self.default_handle_seconds),
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str], **overrides: Any) -> Settings:
        """Settings from ``DASAN_*`` variables, then ``overrides`` that are not None."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = environ.get(PREFIX + f.name.upper())
            if raw is not None and raw != "":
                values[f.name] = _parse(f.name, str(f.type), raw)
        settings = cls(**values)
        given = {k: v for k, v in overrides.items() if v is not None}
        return replace(settings, **given) if given else settings


def _key_bytes(text: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        return b""


def _parse(name: str, kind: str, raw: str) -> Any:
    key = PREFIX + name.upper()
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "bool":
            low = raw.strip().lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off"):
                return False
            raise ValueError("expected true or false")
        if kind in ("Path", "Path | None"):
            return Path(raw)
        if kind.startswith("tuple"):
            return tuple(part.strip() for part in raw.split(",") if part.strip())
    except ValueError as exc:
        raise SettingsError(key, raw, str(exc)) from None
    return raw
