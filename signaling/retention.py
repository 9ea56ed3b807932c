"""The retention job: once a day, erase the personal fields of cases older than
the retention period and delete their recordings (their anonymous statistics
stay)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from counseling.ports import CaseRecords
from counseling.records import RetentionReport

log = logging.getLogger(__name__)

EVERY = timedelta(days=1)

# Deletes the recordings of erased cases and says how many (the store logs each).
DeleteRecordings = Callable[[], Awaitable[int]]


async def retention_pass(
    records: CaseRecords,
    clock: Callable[[], datetime],
    days: int,
    recordings: DeleteRecordings | None = None,
) -> RetentionReport:
    """One pass now; the store logs each erasure to ``dasan.audit``. The
    recordings of every erased case (of this pass or an earlier one) go too."""
    report = await records.apply_retention(clock(), days)
    if recordings is not None:
        deleted = await recordings()
        if deleted:
            log.info("retention (%d days): deleted %d recordings", days, deleted)
    if report != RetentionReport():
        log.info(
            "retention (%d days): erased %d cases (%d summaries, %d comments, "
            "%d chat messages) and %d reservations' citizen details",
            days,
            report.cases,
            report.summaries,
            report.comments,
            report.messages,
            report.reservations,
        )
    return report


async def run_retention(
    records: CaseRecords,
    clock: Callable[[], datetime],
    days: int,
    every: timedelta = EVERY,
    recordings: DeleteRecordings | None = None,
) -> None:
    """Run a pass at once, then every ``every``, until cancelled. ``days`` 0
    keeps everything: the job returns at once. A failed pass is logged and the
    next one runs on time."""
    if days <= 0:
        return
    while True:
        try:
            await retention_pass(records, clock, days, recordings)
        except Exception:
            log.exception("the retention pass failed; it runs again in %s", every)
        await asyncio.sleep(every.total_seconds())
