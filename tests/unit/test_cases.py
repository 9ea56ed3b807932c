"""The case life cycle: allowed moves, refused moves, and its durations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from counseling.cases import Case, CaseStatus, EndReason, EventKind, Party
from counseling.errors import CaseTransitionError
from counseling.services import Language, Service, Skill

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
KSL = Skill(Service.SIGN_LANGUAGE, Language.KSL)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_a_completed_case_has_every_time_and_its_durations() -> None:
    case = Case.open("c1", KSL, T0)
    case.offer("s1", at(5))
    case.withdraw_offer("s1", EventKind.DECLINED, at(8))
    case.offer("s2", at(9))
    case.answer("s2", at(12))
    case.end(EndReason.COMPLETED, Party.INTERPRETER, at(312))
    assert case.status is CaseStatus.ENDED
    assert case.offered_at == at(5)  # the first offer counts
    assert case.interpreter_id == "s2"
    assert case.wait_seconds == 12
    assert case.handle_seconds == 300
    assert [e.kind for e in case.events] == [
        EventKind.REQUESTED,
        EventKind.OFFERED,
        EventKind.DECLINED,
        EventKind.OFFERED,
        EventKind.ANSWERED,
        EventKind.ENDED,
    ]


def test_a_case_abandoned_while_waiting_has_a_wait_but_no_handle_time() -> None:
    case = Case.open("c1", KSL, T0)
    case.end(EndReason.CITIZEN_LEFT_WHILE_WAITING, Party.CITIZEN, at(40))
    assert case.wait_seconds == 40
    assert case.handle_seconds is None
    assert case.end_reason is EndReason.CITIZEN_LEFT_WHILE_WAITING


@pytest.mark.parametrize(
    ("setup", "action"),
    [
        ("waiting", lambda c: c.answer("s1", at(1))),
        ("offered", lambda c: c.offer("s2", at(1))),
        ("waiting", lambda c: c.end(EndReason.COMPLETED, Party.CITIZEN, at(1))),
        ("ended", lambda c: c.end(EndReason.COMPLETED, Party.CITIZEN, at(2))),
        ("ended", lambda c: c.offer("s1", at(2))),
        ("waiting", lambda c: c.withdraw_offer("s1", EventKind.DECLINED, at(1))),
    ],
)
def test_moves_out_of_order_are_refused_and_change_nothing(
    setup: str, action: object
) -> None:
    case = Case.open("c1", KSL, T0)
    if setup == "offered":
        case.offer("s1", at(0.5))
    if setup == "ended":
        case.end(EndReason.CITIZEN_CANCELLED, Party.CITIZEN, at(0.5))
    before = (case.status, len(case.events), case.ended_at)
    with pytest.raises(CaseTransitionError):
        action(case)  # type: ignore[operator]
    assert (case.status, len(case.events), case.ended_at) == before


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        Case.open("c1", KSL, datetime(2026, 1, 1))


def test_withdraw_needs_a_withdrawing_kind() -> None:
    case = Case.open("c1", KSL, T0)
    case.offer("s1", at(1))
    with pytest.raises(ValueError, match="does not withdraw"):
        case.withdraw_offer("s1", EventKind.ANSWERED, at(2))


@pytest.mark.parametrize(
    ("service", "language", "expected"),
    [
        (Service.SIGN_LANGUAGE, None, "sign_language/ksl"),
        (Service.FOREIGN_LANGUAGE, Language.VI, "foreign_language/vi"),
    ],
)
def test_skill_for_request(
    service: Service, language: Language | None, expected: str
) -> None:
    assert str(Skill.for_request(service, language)) == expected


@pytest.mark.parametrize(
    ("service", "language"),
    [
        (Service.FOREIGN_LANGUAGE, None),
        (Service.FOREIGN_LANGUAGE, Language.KSL),
        (Service.SIGN_LANGUAGE, Language.EN),
    ],
)
def test_skill_refuses_combinations_the_center_does_not_offer(
    service: Service, language: Language | None
) -> None:
    with pytest.raises(ValueError, match=r"language|offered"):
        Skill.for_request(service, language)


def test_skill_round_trips_through_text() -> None:
    assert Skill.parse("foreign_language/mn") == Skill(
        Service.FOREIGN_LANGUAGE, Language.MN
    )
    with pytest.raises(ValueError, match="not a skill"):
        Skill.parse("astrology/en")
