"""Stopping background tasks for sure.

On Python 3.11, ``asyncio.wait_for`` returns the result instead of raising
when the awaited thing finishes in the same turn of the event loop as a
cancel: the cancel is lost and a loop around it goes on. Our own code waits
with ``asyncio.timeout`` instead, but libraries still use ``wait_for``
(python-socketio's ``call`` waits for its ack that way), so whoever stops a
task cancels it again until it has ended.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any


async def cancel_and_wait(
    tasks: Iterable[asyncio.Future[Any]], every: float = 1.0
) -> list[BaseException]:
    """Cancel ``tasks`` and wait until each has ended, cancelling again every
    ``every`` seconds. Returns the exceptions the tasks ended with (other than
    being cancelled), so that none goes unseen."""
    tasks = list(tasks)
    while pending := [t for t in tasks if not t.done()]:
        for task in pending:
            task.cancel()
        await asyncio.wait(pending, timeout=every)
    return [
        error
        for task in tasks
        if not task.cancelled() and (error := task.exception()) is not None
    ]
