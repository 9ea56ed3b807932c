"""A citizen opens a reservation's join link and is put through to their interpreter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Browser, expect

from tests.e2e.conftest import OpenPage
from tests.e2e.journeys import (
    DESKTOP,
    MEDIA,
    PHONE,
    accept_offer,
    sign_in_and_take_calls,
)

pytestmark = pytest.mark.browser


async def _json(response: aiohttp.ClientResponse) -> Any:
    return await response.json(content_type=None)


async def book_soon(server_url: str, password: str) -> tuple[str, str]:
    """As the demo scheduler: a slot five minutes from now with interpreter.ksl,
    widening the interpreter's demo shift when it does not cover the slot.
    Returns the join path and the reservation id."""
    jar = aiohttp.CookieJar(unsafe=True)  # cookies from the 127.0.0.1 host
    async with aiohttp.ClientSession(server_url, cookie_jar=jar) as http:
        login = {"username": "scheduler", "password": password}
        async with http.post("/api/login", json=login) as response:
            assert response.status == 200, await response.text()
        async with http.get("/api/me") as response:
            assert response.status == 200
        start = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(
            minutes=6
        )
        shift_start, shift_end = start - timedelta(hours=1), start + timedelta(hours=1)
        async with http.get("/api/schedule?days=2") as response:
            schedule = await _json(response)
        kim = next(
            i["id"]
            for i in schedule["interpreters"]
            if "sign_language/ksl" in i["skills"]
        )
        overlapping = [
            s
            for s in schedule["shifts"]
            if s["staff_id"] == kim
            and datetime.fromisoformat(s["start"]) < shift_end
            and datetime.fromisoformat(s["end"]) > shift_start
        ]
        if overlapping:
            shift = overlapping[0]
            times = {
                "start": min(datetime.fromisoformat(shift["start"]), shift_start),
                "end": max(datetime.fromisoformat(shift["end"]), shift_end),
            }
            body = {k: v.isoformat() for k, v in times.items()}
            async with http.put(f"/api/shifts/{shift['id']}", json=body) as response:
                assert response.status == 200, await response.text()
        else:
            body = {
                "staff_id": kim,
                "start": shift_start.isoformat(),
                "end": shift_end.isoformat(),
            }
            async with http.post("/api/shifts", json=body) as response:
                assert response.status == 201, await response.text()
        booking = {
            "service": "sign_language",
            "start": start.isoformat(),
            "staff_id": kim,
        }
        async with http.post("/api/reservations", json=booking) as response:
            assert response.status == 201, await response.text()
            booked = await _json(response)
    return booked["join"]["path"], booked["id"]


async def test_a_join_link_puts_the_citizen_through_to_their_interpreter(
    browser: Browser,
    asking_browser: Browser,
    open_page: OpenPage,
    server_url: str,
    demo_password: str,
) -> None:
    path, _ = await book_soon(server_url, demo_password)
    staff = await open_page(browser, "staff", viewport=DESKTOP, permissions=[])
    await sign_in_and_take_calls(staff, server_url, demo_password)
    citizen = await open_page(
        asking_browser, "citizen", viewport=PHONE, permissions=MEDIA
    )
    await citizen.goto(f"{server_url}{path}")
    note = citizen.locator("#reservation-note")
    await expect(note).to_be_visible()
    await expect(note).to_contain_text("You have a reservation at")
    await expect(note).to_contain_text("join it now")
    # The token leaves the address bar at once; the reservation fixes the service.
    assert "#join=" not in citizen.url
    await expect(citizen.locator("#service")).to_be_disabled()
    await expect(citizen.locator("#service")).to_have_value("sign_language")
    await expect(citizen.locator("#book-when-closed")).to_be_hidden()
    await citizen.click("#start-camera")
    await citizen.click("#ask")
    await accept_offer(staff)
    await expect(citizen.locator("body")).to_have_attribute("data-state", "call")


async def test_a_link_that_is_not_valid_says_so(
    browser: Browser, open_page: OpenPage, server_url: str
) -> None:
    citizen = await open_page(browser, "citizen", viewport=PHONE, permissions=[])
    await citizen.goto(f"{server_url}/#join={'x' * 43}")
    await expect(citizen.locator("#error")).to_contain_text(
        "This link does not belong to a reservation"
    )
    await expect(citizen.locator("#reservation-note")).to_be_hidden()
    await expect(citizen.locator("#service")).to_be_enabled()
