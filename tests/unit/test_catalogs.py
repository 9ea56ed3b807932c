"""The message catalogs: six languages for citizens, Korean and English for staff,
and a message for every key the pages use and every error code the server sends."""

from __future__ import annotations

import json
import re
import string
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import get_args

import pytest

import signaling.sockets  # noqa: F401  (imports every module whose errors reach an ack)
from counseling.cases import EndReason, Party
from counseling.errors import CounselingError
from counseling.services import Language, Service
from interpreter_pool.errors import PoolError
from interpreter_pool.events import AwayReason, StaffStatus
from rtc_server.errors import MediaError
from signaling.auth import AuthError
from signaling.event_spec import ErrorCode
from signaling.payloads import OfferClosedNotice
from signaling.protocol import EVENTS

STATIC = Path(__file__).resolve().parents[2] / "web_client" / "static"
CATALOGS = STATIC / "i18n"
I18N_JS = STATIC / "js" / "i18n.js"

CITIZEN_LOCALES = ("ko", "en", "zh", "ja", "vi", "mn")
STAFF_LOCALES = ("ko", "en")
# Keys of pages only staff see (the console, the scheduler, the supervisor's
# screens): written in Korean and English only.
STAFF_PREFIXES = ("staff.", "scheduler.", "supervisor.")
SOURCE = "en"

# Dotted literals in the pages' code that are not message keys.
NOT_KEYS = frozenset({"dasan.locale"})  # the localStorage key of the chosen language

KEY = r"[a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+"
QUOTED_KEY = re.compile(rf"""(['"`])({KEY})\1""")
TEMPLATE_PREFIX = re.compile(r"`([a-z][a-z0-9_]*(?:\.[a-z0-9_]*)+)\$\{")
DATA_I18N = re.compile(r"""data-i18n=["']([^"']+)["']""")
DATA_I18N_ATTR = re.compile(r"""data-i18n-attr=["']([^"']+)["']""")
BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.S)
LINE_COMMENT = re.compile(r"(^|\s)//.*$", re.M)


class DuplicateKeyError(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    seen: dict[str, object] = {}
    for key, value in pairs:
        if key in seen:
            raise DuplicateKeyError(f"key {key!r} appears twice")
        seen[key] = value
    return seen


@cache
def catalog(locale: str) -> dict[str, object]:
    path = CATALOGS / f"{locale}.json"
    loaded = json.loads(
        path.read_text(encoding="utf-8"), object_pairs_hook=_no_duplicates
    )
    assert isinstance(loaded, dict), f"{path.name} must hold one JSON object"
    return loaded


def is_staff(key: str) -> bool:
    return key.startswith(STAFF_PREFIXES)


def citizen_keys(locale: str) -> set[str]:
    return {key for key in catalog(locale) if not is_staff(key)}


def staff_keys(locale: str) -> set[str]:
    return {key for key in catalog(locale) if is_staff(key)}


def placeholders(message: str) -> set[str]:
    return {
        name for _, name, _, _ in string.Formatter().parse(message) if name is not None
    }


def js_string_array(name: str) -> tuple[str, ...]:
    """The values of `export const NAME = Object.freeze([...])` in i18n.js."""
    found = re.search(
        rf"const {name} = Object\.freeze\(\[([^\]]*)\]\)", I18N_JS.read_text()
    )
    assert found, f"i18n.js has no {name} array"
    return tuple(re.findall(r"'([^']*)'", found.group(1)))


def js_frozen_values(path: Path, name: str) -> set[str]:
    """The string values of `export const NAME = Object.freeze({...})` in `path`."""
    found = re.search(
        rf"const {name} = Object\.freeze\(\{{(.*?)\}}\);", path.read_text(), re.S
    )
    assert found, f"{path.name} has no {name} object"
    return set(re.findall(r":\s*'([^']*)'", found.group(1)))


def page_sources() -> Iterator[Path]:
    """Every page and script of ours (not vendored libraries)."""
    yield from sorted(STATIC.glob("*.html"))
    yield from sorted(STATIC.glob("js/**/*.js"))


def code_without_comments(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".js":
        text = LINE_COMMENT.sub(r"\1", BLOCK_COMMENT.sub("", text))
    return text


def used_keys() -> dict[str, set[str]]:
    """Literal message keys in each file: data-i18n, data-i18n-attr, quoted keys."""
    used: dict[str, set[str]] = {}
    for path in page_sources():
        text = code_without_comments(path)
        keys = set(DATA_I18N.findall(text))
        for attrs in DATA_I18N_ATTR.findall(text):
            keys |= {
                pair.split(":", 1)[1].strip()
                for pair in attrs.split(";")
                if ":" in pair
            }
        keys |= {key for _, key in QUOTED_KEY.findall(text)}
        used[path.relative_to(STATIC).as_posix()] = keys - NOT_KEYS
    return used


# Modules whose errors the socket handlers raise; guarded() turns each into an ack
# with its code. (Reservation errors go out over HTTP, to pages with their own keys;
# a socket event that can send one lists its code in EVENTS, and is checked so.)
SOCKET_ERROR_MODULES = frozenset(
    {
        "counseling.errors",
        "counseling.hours",
        "interpreter_pool.errors",
        "rtc_server.errors",
    }
)


ErrorRoot = type[CounselingError] | type[PoolError] | type[MediaError]


def socket_codes(cls: ErrorRoot) -> Iterator[str]:
    """The codes of `cls` and its subclasses that the socket path raises."""
    if cls.__module__ in SOCKET_ERROR_MODULES:
        yield cls.code
    for sub in cls.__subclasses__():
        yield from socket_codes(sub)


def error_codes() -> set[str]:
    """Every code an ack's error can carry: the transport's own, each event's
    documented ones, and the code of every error class the socket path raises."""
    codes = {code.value for code in ErrorCode}
    for event in EVENTS:
        codes |= set(event.errors)
    for root in (CounselingError, PoolError, MediaError):
        codes |= set(socket_codes(root))
    return codes


# -- the catalogs themselves -----------------------------------------------------------


def test_the_catalog_files_are_the_six_languages() -> None:
    on_disk = {path.stem for path in CATALOGS.glob("*.json")}
    assert on_disk == set(CITIZEN_LOCALES)
    assert js_string_array("SUPPORTED_LOCALES") == CITIZEN_LOCALES
    assert js_string_array("STAFF_LOCALES") == STAFF_LOCALES
    assert js_string_array("STAFF_KEY_PREFIXES") == STAFF_PREFIXES


@pytest.mark.parametrize("locale", CITIZEN_LOCALES)
def test_citizen_keys_are_the_same_in_every_language(locale: str) -> None:
    missing = sorted(citizen_keys(SOURCE) - citizen_keys(locale))
    extra = sorted(citizen_keys(locale) - citizen_keys(SOURCE))
    assert not missing, f"{locale}.json lacks {len(missing)} keys of en.json: {missing}"
    assert not extra, f"{locale}.json has keys en.json lacks: {extra}"


def test_staff_keys_are_in_korean_and_english_only() -> None:
    assert staff_keys("ko") == staff_keys("en"), (
        f"only in ko: {sorted(staff_keys('ko') - staff_keys('en'))}; "
        f"only in en: {sorted(staff_keys('en') - staff_keys('ko'))}"
    )
    for locale in set(CITIZEN_LOCALES) - set(STAFF_LOCALES):
        assert not staff_keys(locale), (
            f"{locale}.json has staff-only keys (staff pages are ko and en): "
            f"{sorted(staff_keys(locale))}"
        )


@pytest.mark.parametrize("locale", CITIZEN_LOCALES)
def test_every_message_is_text_with_the_same_placeholders(locale: str) -> None:
    source = catalog(SOURCE)
    for key, message in catalog(locale).items():
        assert isinstance(message, str), f"{locale}:{key} is not a string"
        assert message.strip(), f"{locale}:{key} is empty"
        assert message == message.strip(), f"{locale}:{key} has blanks at an end"
        if key in source:
            expected = placeholders(str(source[key]))
            assert placeholders(message) == expected, (
                f"{locale}:{key} has placeholders {sorted(placeholders(message))}, "
                f"en has {sorted(expected)}"
            )


@pytest.mark.parametrize("locale", ["zh", "ja", "vi", "mn"])
def test_translations_are_not_english_left_behind(locale: str) -> None:
    """A copied English sentence is an untranslated one (names and codes aside)."""
    source = catalog(SOURCE)
    same = [
        key
        for key, message in catalog(locale).items()
        if message == source.get(key)
        and re.search(r"[a-z]{3,} [a-z]{3,}", str(message))
    ]
    assert not same, f"{locale}.json repeats English for {same}"


def test_duplicate_keys_are_refused() -> None:
    with pytest.raises(DuplicateKeyError):
        json.loads('{"a.b": "x", "a.b": "y"}', object_pairs_hook=_no_duplicates)


# -- keys the pages use ----------------------------------------------------------------


def test_every_key_the_pages_use_exists_in_english() -> None:
    source = set(catalog(SOURCE))
    missing: dict[str, list[str]] = {}
    for name, keys in used_keys().items():
        # A literal may also be a prefix the code completes (`${prefix}.${status}`).
        unknown = [
            key
            for key in keys
            if key not in source and not any(k.startswith(f"{key}.") for k in source)
        ]
        if unknown:
            missing[name] = sorted(unknown)
    assert not missing, f"keys used but not in en.json: {missing}"


def test_the_key_scan_finds_keys() -> None:
    """The scan itself works: it sees keys in markup, in attributes and in code."""
    used = used_keys()
    assert "citizen.title" in used["citizen.html"]
    assert "video.remote.label" in used["citizen.html"]
    assert "citizen.status.connecting" in used["js/citizen.js"]
    assert "staff.login.failed" in used["js/staff.js"]


def test_every_key_prefix_built_in_code_has_messages() -> None:
    source = set(catalog(SOURCE))
    for path in page_sources():
        for prefix in TEMPLATE_PREFIX.findall(code_without_comments(path)):
            assert any(key.startswith(prefix) for key in source), (
                f"{path.name} builds keys `{prefix}${{...}}` but en.json has none"
            )


def keys_built_from_wire_values() -> Iterator[str]:
    """The keys the pages build from values the server sends."""
    for service in Service:
        yield f"service.{service.value}"
        yield f"citizen.ask.{service.value}"
        yield f"citizen.status.waiting.{service.value}"
    for language in Language:
        yield f"language.{language.value}"
    for reason in EndReason:
        yield f"reason.{reason.value}"
    for party in Party:
        yield f"citizen.ended_by.{party.value}"
        yield f"staff.ended_by.{party.value}"
    for party in (Party.CITIZEN, Party.INTERPRETER):  # who can write in a chat
        yield f"chat.sender.{party.value}"
    for away in AwayReason:
        yield f"staff.away_reason.{away.value}"
    for status in StaffStatus:
        yield f"staff.presence_label.{status.value}"
    for closed in get_args(OfferClosedNotice.model_fields["reason"].annotation):
        yield f"staff.offer_closed.{closed.value}"
    for problem in js_frozen_values(STATIC / "js" / "media.js", "MEDIA_PROBLEM"):
        yield f"media.{problem}"


@pytest.mark.parametrize("key", sorted(set(keys_built_from_wire_values())))
def test_every_wire_value_has_its_message(key: str) -> None:
    locales = STAFF_LOCALES if is_staff(key) else CITIZEN_LOCALES
    for locale in locales:
        assert key in catalog(locale), f"{locale}.json lacks {key}"


# -- errors ----------------------------------------------------------------------------


def test_error_codes_are_found() -> None:
    codes = error_codes()
    assert {"service_closed", "closing_soon", "invalid_payload", "not_in_room"} <= codes


@pytest.mark.parametrize("code", sorted(error_codes()))
def test_every_error_code_in_an_ack_has_a_message(code: str) -> None:
    for locale in CITIZEN_LOCALES:
        assert f"error.{code}" in catalog(locale), f"{locale}.json lacks error.{code}"


def test_browser_side_error_codes_have_messages() -> None:
    """The codes protocol.js knows: wire codes, the sign-in's and the browser's own."""
    source = catalog(SOURCE)
    for code in js_frozen_values(STATIC / "js" / "protocol.js", "ERROR_CODE"):
        assert f"error.{code}" in source or f"staff.login.{code}" in source, code


def test_sign_in_errors_have_messages() -> None:
    def codes_of(root: type[AuthError]) -> Iterator[str]:
        for sub in root.__subclasses__():
            yield str(sub.code)
            yield from codes_of(sub)

    for code in codes_of(AuthError):
        for locale in STAFF_LOCALES:
            assert f"staff.login.{code}" in catalog(locale), (
                f"{locale}: staff.login.{code}"
            )
