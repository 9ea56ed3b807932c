"""The counseling record: the interpreter's wrap-up (category from a taxonomy,
summary, disposition) and the citizen's satisfaction.

Pure values and rules; ``now`` is always a parameter. Searching cases is in
``counseling.case_search``, statistics in ``counseling.statistics``.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from counseling.errors import CounselingError

SUMMARY_MAX = 4000
NAME_MAX = 100
"""A department or follow-up owner, as written in the wrap-up."""
COMMENT_MAX = 1000
SCORES = range(1, 6)
FEEDBACK_VALID_FOR = timedelta(hours=24)
"""How long the citizen's satisfaction link works after the session."""

_CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
_JOINERS = "\u200c\u200d"


# -- errors: each names the field of the request it is about -------------------


class RecordError(CounselingError):
    """Root of the record's refusals; ``field`` names the request field."""

    code = "record_error"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InvalidRecordField(RecordError, ValueError):
    code = "invalid_field"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", field)


class UnknownCategory(RecordError, ValueError):
    code = "unknown_category"

    def __init__(self, category: str) -> None:
        super().__init__(
            f"category: {category!r} is not a category of the taxonomy", "category"
        )
        self.category = category


class InvalidScore(RecordError, ValueError):
    code = "invalid_score"

    def __init__(self, score: object) -> None:
        super().__init__(f"score: give a whole number 1-5, not {score!r}", "score")


class CaseNotFound(RecordError):
    code = "not_found"

    def __init__(self, case_id: str) -> None:
        super().__init__(f"case {case_id} does not exist", "case_id")
        self.case_id = case_id


class CaseNotAnswered(RecordError):
    """Only a case somebody answered has a wrap-up and a satisfaction question."""

    code = "case_not_answered"

    def __init__(self, case_id: str) -> None:
        super().__init__(f"case {case_id} was never answered", "case_id")
        self.case_id = case_id


class CaseErased(RecordError):
    """The retention period removed this case's personal fields; it is closed."""

    code = "case_erased"

    def __init__(self, case_id: str) -> None:
        super().__init__(
            f"case {case_id} is past the retention period: its record is closed",
            "case_id",
        )
        self.case_id = case_id


class FeedbackTokenUnknown(RecordError):
    code = "feedback_token_unknown"

    def __init__(self) -> None:
        super().__init__("token: this link does not belong to a case", "token")


class FeedbackUsed(RecordError):
    code = "feedback_used"

    def __init__(self) -> None:
        super().__init__("token: this case was already rated", "token")


class FeedbackExpired(RecordError):
    code = "feedback_expired"

    def __init__(self) -> None:
        super().__init__("token: the time to rate this case is over", "token")


# -- text -------------------------------------------------------------------------


def clean_note(text: str | None, field: str, limit: int) -> str | None:
    """Text as stored: trimmed, without control or format characters except line
    breaks, tabs and joiners; None when empty; InvalidRecordField when too long."""
    if text is None:
        return None
    kept = "".join(
        ch
        for ch in text.replace("\r\n", "\n")
        if ch in "\n\t" or ch in _JOINERS or unicodedata.category(ch)[0] != "C"
    ).strip()
    if len(kept) > limit:
        raise InvalidRecordField(field, f"at most {limit} characters")
    return kept or None


# -- the taxonomy -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Category:
    """A kind of question, named in Korean and English; a retired one stays
    readable on old cases but is no longer offered."""

    code: str
    ko: str
    en: str
    active: bool = True

    def __post_init__(self) -> None:
        if not _CODE.match(self.code):
            raise ValueError(
                f"category code {self.code!r}: lowercase letters, digits and _ "
                "(2-40, starting with a letter)"
            )
        for name in ("ko", "en"):
            label = getattr(self, name)
            if not label.strip() or len(label) > NAME_MAX:
                raise ValueError(f"category {self.code}: {name} label 1-100 chars")


@dataclass(frozen=True, slots=True)
class Taxonomy:
    """The categories a wrap-up may name, in the order the form lists them."""

    categories: tuple[Category, ...]

    def __post_init__(self) -> None:
        codes = [c.code for c in self.categories]
        doubled = sorted({code for code in codes if codes.count(code) > 1})
        if doubled:
            raise ValueError(f"category codes appear twice: {', '.join(doubled)}")
        if not any(c.active for c in self.categories):
            raise ValueError("the taxonomy needs at least one active category")

    def get(self, code: str) -> Category | None:
        return next((c for c in self.categories if c.code == code), None)

    def require(self, code: str) -> Category:
        """The active category ``code``, or UnknownCategory."""
        found = self.get(code)
        if found is None or not found.active:
            raise UnknownCategory(code)
        return found

    @classmethod
    def from_data(cls, data: Mapping[str, object]) -> Taxonomy:
        """Read ``{"category": [{"code", "ko", "en", "active"?}, ...]}`` (a parsed
        taxonomy file); ValueError names the first bad entry."""
        unknown = sorted(set(data) - {"category"})
        if unknown:
            raise ValueError(f"unknown key(s) {', '.join(unknown)}")
        entries = data.get("category")
        if not isinstance(entries, list) or not entries:
            raise ValueError("give at least one [[category]] with code, ko and en")
        categories = []
        for number, entry in enumerate(entries, 1):
            if not isinstance(entry, dict):
                raise ValueError(f"category #{number}: not a table")
            extra = sorted(set(entry) - {"code", "ko", "en", "active"})
            if extra:
                raise ValueError(f"category #{number}: unknown key(s) {extra}")
            code, ko, en = entry.get("code"), entry.get("ko"), entry.get("en")
            active = entry.get("active", True)
            if not (isinstance(code, str) and isinstance(ko, str)):
                raise ValueError(f"category #{number}: code and ko must be text")
            if not isinstance(en, str) or not isinstance(active, bool):
                raise ValueError(f"category #{number}: en text, active true/false")
            try:
                categories.append(Category(code, ko, en, active))
            except ValueError as exc:
                raise ValueError(f"category #{number}: {exc}") from None
        return cls(tuple(categories))


DEFAULT_TAXONOMY = Taxonomy(
    (
        Category("transport", "교통·주차", "Transport and parking"),
        Category("welfare", "복지·돌봄", "Welfare and care"),
        Category("tax", "세금·과태료", "Taxes and fines"),
        Category("housing", "주택·건축", "Housing and building"),
        Category("health", "보건·의료", "Health and medical care"),
        Category("tourism", "관광·문화", "Tourism and culture"),
        Category("safety", "안전·재난", "Safety and disasters"),
        Category("environment", "환경·청소", "Environment and waste"),
        Category("immigration", "출입국·체류", "Immigration and visas"),
        Category("employment", "일자리·노동", "Jobs and labor"),
        Category("documents", "민원서류·증명", "Certificates and civil documents"),
        Category("other", "기타", "Other"),
    )
)


# -- the wrap-up ---------------------------------------------------------------------


class Disposition(StrEnum):
    """How the case was left."""

    ANSWERED = "answered"
    FORWARDED = "forwarded"
    """Forwarded to a department (``forwarded_to``)."""
    FOLLOW_UP = "follow_up"
    """Somebody (``follow_up_owner``) owes the citizen a follow-up."""


@dataclass(frozen=True, slots=True)
class WrapupDraft:
    """What the interpreter submits after a session, checked and cleaned."""

    category: str
    summary: str | None
    disposition: Disposition
    forwarded_to: str | None = None
    follow_up_owner: str | None = None

    @classmethod
    def create(
        cls,
        taxonomy: Taxonomy,
        category: str,
        summary: str | None,
        disposition: Disposition,
        forwarded_to: str | None = None,
        follow_up_owner: str | None = None,
    ) -> WrapupDraft:
        taxonomy.require(category)
        forwarded = clean_note(forwarded_to, "forwarded_to", NAME_MAX)
        owner = clean_note(follow_up_owner, "follow_up_owner", NAME_MAX)
        if disposition is Disposition.FORWARDED and forwarded is None:
            raise InvalidRecordField("forwarded_to", "name the department")
        if disposition is Disposition.FOLLOW_UP and owner is None:
            raise InvalidRecordField("follow_up_owner", "name who follows up")
        return cls(
            category,
            clean_note(summary, "summary", SUMMARY_MAX),
            disposition,
            forwarded if disposition is Disposition.FORWARDED else None,
            owner if disposition is Disposition.FOLLOW_UP else None,
        )


@dataclass(frozen=True, slots=True)
class Wrapup:
    """A case's wrap-up as stored; ``summary`` is personal data (None once the
    retention period erased it)."""

    case_id: str
    category: str
    summary: str | None
    disposition: Disposition
    forwarded_to: str | None
    follow_up_owner: str | None
    written_by: str
    written_at: datetime
    updated_at: datetime

    def __post_init__(self) -> None:
        _aware(written_at=self.written_at, updated_at=self.updated_at)


# -- the citizen's satisfaction --------------------------------------------------------


def new_feedback_token() -> str:
    """The secret in a citizen's satisfaction link: 128 random bits, hex."""
    return secrets.token_hex(16)


def feedback_token_hash(token: str) -> str:
    """What is stored for a feedback token: a database leak gives no usable link."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class FeedbackInvite:
    """The one-time link a citizen rates a case with; only the hash is stored."""

    token: str
    expires_at: datetime

    @classmethod
    def new(
        cls, now: datetime, valid_for: timedelta = FEEDBACK_VALID_FOR
    ) -> FeedbackInvite:
        _aware(now=now)
        return cls(new_feedback_token(), now + valid_for)

    @property
    def token_hash(self) -> str:
        return feedback_token_hash(self.token)


def check_score(score: object) -> int:
    """``score`` as a satisfaction score 1-5, or InvalidScore."""
    if isinstance(score, bool) or not isinstance(score, int) or score not in SCORES:
        raise InvalidScore(score)
    return score


@dataclass(frozen=True, slots=True)
class Feedback:
    """The citizen's answer; ``comment`` is personal data."""

    case_id: str
    score: int | None
    comment: str | None
    answered_at: datetime | None
    expires_at: datetime


# -- the case record ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CaseRecord:
    """What the record program holds about a case beyond its timeline."""

    case_id: str
    wrapup: Wrapup | None
    feedback: Feedback | None
    erased_at: datetime | None
    """When the retention period removed the personal fields, if it did."""


@dataclass(frozen=True, slots=True)
class RetentionReport:
    """What one retention pass erased."""

    cases: int = 0
    summaries: int = 0
    comments: int = 0
    messages: int = 0
    reservations: int = 0


def _aware(**values: datetime | None) -> None:
    for name, value in values.items():
        if value is not None and value.utcoffset() is None:
            raise ValueError(f"{name} must be timezone-aware")
