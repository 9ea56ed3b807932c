"""Background loops end when cancelled. The desk's timer loop ends even when
it is woken in the same turn of the event loop as the cancel (Python 3.11's
``asyncio.wait_for`` returned then, eating the cancel, and a server shutting
down waited for the loop forever)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import cast

from counseling.ports import CaseRepository, ChatLog
from dasan.tasks import cancel_and_wait
from signaling.desk import Desk
from signaling.ports import MediaRooms, Notifier
from storage.pool_store import MemoryPoolStore


async def test_timers_stop_when_cancelled_as_they_are_woken() -> None:
    desk = Desk(
        MemoryPoolStore(),
        cast(CaseRepository, object()),  # the wake path stores nothing
        cast(ChatLog, object()),
        cast(MediaRooms, object()),
        cast(Notifier, object()),
    )
    timers = asyncio.create_task(desk.run_timers())
    for _ in range(3):  # let the loop reach its wait (no time passes)
        await asyncio.sleep(0)
    assert not timers.done()
    desk._wake.set()  # a command just changed the pool...
    timers.cancel()  # ...as the server shuts down
    done, _ = await asyncio.wait([timers], timeout=5)
    assert timers in done, "the timer loop went on after it was cancelled"
    assert timers.cancelled()


async def test_cancel_and_wait_stops_a_task_that_eats_a_cancel() -> None:
    async def stubborn() -> None:
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.Event().wait()  # the cancel is eaten, as wait_for may
        await asyncio.Event().wait()

    async def failing() -> None:
        raise ValueError("broken")

    tasks = [asyncio.create_task(stubborn()), asyncio.create_task(failing())]
    await asyncio.sleep(0)
    async with asyncio.timeout(5):
        errors = await cancel_and_wait(tasks, every=0.05)
    assert tasks[0].cancelled()
    assert [str(e) for e in errors] == ["broken"]
