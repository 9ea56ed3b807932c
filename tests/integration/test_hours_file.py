"""The exceptions file: TOML written by hand or by the server, read back the same."""

from __future__ import annotations

import os
import stat
from datetime import date, time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from counseling.hours import CalendarException, TimeWindow
from counseling.services import Service
from storage.hours_file import load_exceptions, save_exceptions

YEAR_END = CalendarException(date(2026, 12, 31), date(2027, 1, 1), "연말 시스템 점검")
CHUSEOK = CalendarException(
    date(2026, 9, 25),
    date(2026, 9, 25),
    'Chuseok "long" hours \\ all day',
    (TimeWindow(time(9), time(13)), TimeWindow(time(14), time(0))),
    frozenset({Service.SIGN_LANGUAGE}),
)


def test_a_missing_file_has_no_exceptions(tmp_path: Path) -> None:
    assert load_exceptions(tmp_path / "hours.toml") == ()


def test_save_then_load_gives_the_same_exceptions(tmp_path: Path) -> None:
    path = tmp_path / "hours.toml"
    save_exceptions(path, [YEAR_END, CHUSEOK])
    assert load_exceptions(path) == (YEAR_END, CHUSEOK)
    assert "[[exception]]\nfrom = 2026-12-31\nto = 2027-01-01\n" in path.read_text()
    save_exceptions(path, [CHUSEOK])  # replaces, and leaves no temporary file behind
    assert load_exceptions(path) == (CHUSEOK,)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hours.toml"]
    save_exceptions(path, [])
    assert load_exceptions(path) == ()


def test_saving_keeps_the_file_permissions(tmp_path: Path) -> None:
    path = tmp_path / "hours.toml"
    path.write_text("")
    os.chmod(path, 0o640)
    save_exceptions(path, [YEAR_END])
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_an_operator_can_write_the_file_by_hand(tmp_path: Path) -> None:
    path = tmp_path / "hours.toml"
    path.write_text(
        "# closures and special openings\n"
        "[[exception]]\n"
        'from = "2026-12-31"\n'
        "to = 2027-01-01\n"
        "reason = '연말 시스템 점검'\n\n"
        "[[exception]]\n"
        "from = 2026-09-25\n"
        'reason = "Chuseok \\"long\\" hours \\\\ all day"\n'
        'services = ["sign_language"]\n'
        'open = ["09:00-13:00", "14:00-24:00"]\n',
        encoding="utf-8",
    )
    assert load_exceptions(path) == (YEAR_END, CHUSEOK)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[exception]\n", "not valid TOML"),
        ("[[exceptions]]\nfrom = 2026-01-01\n", "unknown key.*exceptions"),
        ("exception = 3\n", "exceptions must be a list"),
        (
            "[[exception]]\nfrom = 2026-01-01\nreason = 'a'\n"
            "[[exception]]\nfrom = 2026-01-01\nreason = 'b'\nopen = ['9-18']\n",
            "exception #2: open: not a window: '9-18'",
        ),
        (
            "[[exception]]\nfrom = 2026-01-01T09:00:00\nreason = 'a'\n",
            "exception #1: from: expected a date",
        ),
        ("[[exception]]\nfrom = 2026-01-01\n", "exception #1: reason"),
    ],
)
def test_a_bad_file_names_the_file_and_the_entry(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "hours.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message) as caught:
        load_exceptions(path)
    assert str(caught.value).startswith(f"{path}: ")


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "hours.toml"
    path.write_bytes("reason = '연말'\n".encode("euc-kr"))
    with pytest.raises(ValueError, match="not valid TOML"):
        load_exceptions(path)


REASONS = st.text(min_size=1, max_size=200).filter(
    lambda t: t.strip() != "" and t.isprintable()
)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(
        st.builds(
            CalendarException,
            st.dates(date(2026, 1, 1), date(2026, 12, 31)),
            st.dates(date(2027, 1, 1), date(2027, 12, 31)),
            REASONS,
            st.sampled_from([(), CHUSEOK.windows]),
            st.none() | st.frozensets(st.sampled_from(Service), min_size=1),
        ),
        max_size=4,
    )
)
def test_any_exceptions_survive_the_round_trip(
    tmp_path: Path, exceptions: list[CalendarException]
) -> None:
    path = tmp_path / "hours.toml"  # each example overwrites the last one's file
    save_exceptions(path, exceptions)
    assert load_exceptions(path) == tuple(exceptions)
