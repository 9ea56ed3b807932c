"""Errors of the counseling core: one root, subclasses with a stable code."""

from __future__ import annotations

from typing import ClassVar


class CounselingError(Exception):
    """Root of every error the counseling core raises."""

    code: ClassVar[str] = "counseling_error"


class CaseTransitionError(CounselingError):
    """A case was asked to move to a state it cannot reach from where it is."""

    code = "case_transition"

    def __init__(self, case_id: str, status: str, action: str) -> None:
        super().__init__(f"case {case_id} is {status}: cannot {action}")
        self.case_id = case_id
        self.status = status
        self.action = action
