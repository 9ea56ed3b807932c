"""Every kind of case event has words on the case page: a `staff.event.<kind>`
message in each catalog that holds staff texts, so a new kind without them fails."""

from __future__ import annotations

import pytest

from counseling.cases import EventKind
from tests.unit.test_catalogs import STAFF_LOCALES, catalog


@pytest.mark.parametrize("locale", STAFF_LOCALES)
@pytest.mark.parametrize("kind", [kind.value for kind in EventKind])
def test_every_event_kind_has_its_words(locale: str, kind: str) -> None:
    assert f"staff.event.{kind}" in catalog(locale), (
        f"{locale}.json lacks staff.event.{kind}: the case page would show the raw key"
    )


def test_the_check_sees_a_missing_kind() -> None:
    """The lookup itself can fail: a made-up kind has no words."""
    assert "staff.event.no_such_kind" not in catalog("en")
