"""Consent to recording: everyone present must agree; a refusal stops it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from counseling.consent import (
    AlreadyPresent,
    ConsentEvent,
    ConsentEventKind,
    NotPresent,
    RecordingState,
    SessionConsent,
)

T0 = datetime(2025, 3, 14, 1, 0, tzinfo=UTC)
K = ConsentEventKind


def kinds(events: list[ConsentEvent]) -> list[K]:
    return [e.kind for e in events]


def test_recording_starts_once_everyone_present_consents() -> None:
    consent = SessionConsent()
    assert kinds(consent.join("citizen", T0)) == [K.JOINED]
    assert kinds(consent.join("interpreter", T0)) == [K.JOINED]
    assert kinds(consent.consent("interpreter", T0)) == [K.CONSENTED]
    assert not consent.allowed
    assert consent.missing() == ("citizen",)
    events = consent.consent("citizen", T0 + timedelta(seconds=3))
    assert kinds(events) == [K.CONSENTED, K.STARTED]
    assert events[0].party_id == "citizen" and events[1].party_id is None
    assert events[1].recorder_action and not events[0].recorder_action
    assert consent.state is RecordingState.RECORDING


def test_a_new_party_without_consent_pauses_until_they_agree() -> None:
    consent = SessionConsent()
    consent.join("citizen", T0, consented=True)
    consent.join("interpreter", T0, consented=True)
    assert consent.state is RecordingState.RECORDING
    assert kinds(consent.join("guest", T0)) == [K.JOINED, K.PAUSED]
    assert kinds(consent.consent("guest", T0)) == [K.CONSENTED, K.RESUMED]


def test_when_the_missing_party_leaves_recording_resumes() -> None:
    consent = SessionConsent()
    consent.join("guest", T0)
    consent.join("citizen", T0, consented=True)
    consent.join("interpreter", T0, consented=True)
    assert consent.state is RecordingState.OFF
    assert kinds(consent.leave("guest", T0)) == [K.LEFT, K.STARTED]


def test_a_withdrawal_stops_and_only_full_consent_starts_again() -> None:
    consent = SessionConsent()
    consent.join("citizen", T0, consented=True)
    consent.join("interpreter", T0, consented=True)
    assert kinds(consent.withdraw("citizen", T0)) == [K.WITHDRAWN, K.STOPPED]
    assert consent.state is RecordingState.OFF
    assert consent.withdraw("citizen", T0) == []
    assert kinds(consent.consent("citizen", T0)) == [K.CONSENTED, K.STARTED]


def test_a_refusal_while_paused_stops() -> None:
    consent = SessionConsent()
    consent.join("citizen", T0, consented=True)
    consent.join("guest", T0)
    consent.consent("guest", T0)
    consent.join("second guest", T0)
    assert consent.state is RecordingState.PAUSED
    assert kinds(consent.withdraw("second guest", T0)) == [K.WITHDRAWN, K.STOPPED]


def test_the_end_stops_and_an_unrequested_session_never_records() -> None:
    consent = SessionConsent()
    consent.join("citizen", T0, consented=True)
    assert kinds(consent.end(T0)) == [K.STOPPED]
    assert consent.end(T0) == []
    quiet = SessionConsent(requested=False)
    quiet.join("citizen", T0, consented=True)
    assert quiet.state is RecordingState.OFF and not quiet.allowed


def test_strangers_are_refused_and_nothing_changes() -> None:
    consent = SessionConsent()
    consent.join("citizen", T0)
    with pytest.raises(NotPresent):
        consent.consent("stranger", T0)
    with pytest.raises(NotPresent):
        consent.withdraw("stranger", T0)
    with pytest.raises(AlreadyPresent):
        consent.join("citizen", T0, consented=True)
    with pytest.raises(ValueError, match="id"):
        consent.join("", T0)
    assert consent.present == {"citizen": False}
    assert consent.consent("citizen", T0)  # still works afterwards
    assert consent.consent("citizen", T0) == []  # twice changes nothing


PARTIES = ("citizen", "interpreter", "guest", "supervisor")
COMMANDS = st.lists(
    st.tuples(
        st.sampled_from(("join", "consent", "withdraw", "leave", "end")),
        st.sampled_from(PARTIES),
        st.booleans(),
    ),
    max_size=40,
)
ACTIONS = {
    K.STARTED: RecordingState.RECORDING,
    K.RESUMED: RecordingState.RECORDING,
    K.PAUSED: RecordingState.PAUSED,
    K.STOPPED: RecordingState.OFF,
}


@given(COMMANDS)
def test_recording_only_while_everyone_present_consents(
    commands: list[tuple[str, str, bool]],
) -> None:
    consent = SessionConsent()
    replayed = RecordingState.OFF  # what a recorder following the actions does
    ended = False
    for step, (command, party, consented) in enumerate(commands):
        at = T0 + timedelta(seconds=step)
        was = consent.state
        try:
            if command == "join":
                events = consent.join(party, at, consented)
            elif command == "end":
                events = consent.end(at)
            else:
                events = getattr(consent, command)(party, at)
        except (NotPresent, AlreadyPresent):
            assert consent.state is was
            continue
        actions = [e for e in events if e.recorder_action]
        assert len(actions) <= 1 and all(e.at == at for e in events)
        for action in actions:
            assert replayed is not ACTIONS[action.kind]
            replayed = ACTIONS[action.kind]
        assert replayed is consent.state
        present = consent.present
        ended = ended or command == "end"
        # The rule itself.
        if consent.allowed and not ended:
            assert consent.state is RecordingState.RECORDING
        if consent.state is RecordingState.RECORDING:
            assert present and all(present.values())
        if command == "withdraw" and events:
            assert consent.state is RecordingState.OFF
        if consent.state is RecordingState.PAUSED:
            assert not all(present.values())
        if was is RecordingState.OFF and consent.state is not RecordingState.OFF:
            assert all(present.values())
