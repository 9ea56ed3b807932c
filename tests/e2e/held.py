"""Requests held back with page.route, as on a slow network, until a test
releases them and the page has read their answers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AsyncExitStack

from playwright.async_api import Page, Request, Route

# How long the page may take to send the requests a test holds.
ASKED_WITHIN_S = 10.0


class Held:
    """Route handler holding every request it is given until `release`."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.urls: list[str] = []
        self._asked = asyncio.Condition()
        self._released = asyncio.Event()

    async def hold(self, route: Route) -> None:
        async with self._asked:
            self.urls.append(route.request.url)
            self._asked.notify_all()
        await self._released.wait()
        await route.continue_()

    async def release(self, count: int) -> None:
        """Let the `count` requests held go once the page has sent them all, and
        return once the page has read their answers."""
        async with self._asked:
            await asyncio.wait_for(
                self._asked.wait_for(lambda: len(self.urls) >= count), ASKED_WITHIN_S
            )
        assert len(self.urls) == count, self.urls
        async with AsyncExitStack() as answers:
            for url in self.urls:
                await answers.enter_async_context(
                    self.page.expect_event("requestfinished", _is(url))
                )
            self._released.set()
        # The page has read the late answers once a task of its own has run.
        await self.page.evaluate("() => new Promise((done) => setTimeout(done))")


def _is(url: str) -> Callable[[Request], bool]:
    def check(request: Request) -> bool:
        return request.url == url

    return check
