"""Column types shared by the tables: datetimes stored in UTC and read back aware."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from counseling.cases import Case


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime, stored in UTC and returned aware on every database.

    SQLite keeps no zone, so values are written as naive UTC and read back with
    ``tzinfo=UTC``; naive values are refused with ``ValueError`` on the way in.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(
        self, value: datetime | None, dialect: Dialect
    ) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} has no timezone")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(
        self, value: datetime | None, dialect: Dialect
    ) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def require_aware(**values: datetime | None) -> None:
    """Raise ``ValueError`` naming the first value that is a naive datetime."""
    for name, value in values.items():
        if value is not None and value.utcoffset() is None:
            raise ValueError(f"{name} must be timezone-aware, got {value.isoformat()}")


def require_aware_case(case: Case) -> None:
    """Refuse a case holding a naive time before it reaches any store."""
    require_aware(
        requested_at=case.requested_at,
        offered_at=case.offered_at,
        answered_at=case.answered_at,
        ended_at=case.ended_at,
    )
