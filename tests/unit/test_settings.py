"""Settings: read once from DASAN_* variables, bad values named clearly."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from dasan.settings import Settings, SettingsError


def test_defaults_are_the_embedded_demo_setup() -> None:
    settings = Settings.from_env({})
    assert settings.port == 8080
    assert settings.data_dir == Path("var")
    assert settings.database_url is None
    assert settings.ice_servers == ()


def test_environment_values_are_parsed() -> None:
    settings = Settings.from_env(
        {
            "DASAN_PORT": "9000",
            "DASAN_DEMO": "yes",
            "DASAN_DATA_DIR": "/srv/dasan",
            "DASAN_OFFER_TIMEOUT_SECONDS": "15",
            "DASAN_ICE_SERVERS": "stun:stun.example.org:3478, turn:t.example.org",
            "DASAN_COOKIE_SECURE": "true",
        }
    )
    assert settings.port == 9000
    assert settings.demo is True
    assert settings.data_dir == Path("/srv/dasan")
    assert settings.offer_timeout_seconds == 15
    assert settings.ice_servers == ("stun:stun.example.org:3478", "turn:t.example.org")
    assert settings.cookie_secure is True


def test_command_line_overrides_the_environment_but_none_does_not() -> None:
    settings = Settings.from_env({"DASAN_PORT": "9000"}, port=7000, host=None)
    assert settings.port == 7000
    assert settings.host == "127.0.0.1"


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"DASAN_PORT": "eighty"}, "DASAN_PORT"),
        ({"DASAN_PORT": "70000"}, "port"),
        ({"DASAN_DEMO": "maybe"}, "DASAN_DEMO"),
        ({"DASAN_DATABASE_URL": "mysql://x"}, "database_url"),
        ({"DASAN_OFFER_TIMEOUT_SECONDS": "0"}, "offer_timeout_seconds"),
        ({"DASAN_LOG_LEVEL": "LOUD"}, "log_level"),
    ],
)
def test_bad_values_name_the_key_and_value(environ: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(environ)
    assert named in str(caught.value)


def test_the_recording_key_is_32_bytes_of_base64_and_never_printed() -> None:
    key = base64.b64encode(bytes(range(32))).decode()
    settings = Settings.from_env({"DASAN_RECORDING_KEY": key})
    assert settings.recording_key_bytes() == bytes(range(32))
    assert key not in repr(settings)
    assert Settings().recording_key_bytes() is None
    for bad in ("not base64!", base64.b64encode(b"short").decode()):
        with pytest.raises(SettingsError) as caught:
            Settings.from_env({"DASAN_RECORDING_KEY": bad})
        assert caught.value.key == "recording_key"
        assert bad not in str(caught.value)
