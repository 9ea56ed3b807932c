"""HTTP routes: the pages, the staff sign-in API, case reads and the health check."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from counseling.cases import Case
from counseling.chat import ChatMessage
from counseling.hours import CalendarException, DayKind, ServiceHours, parse_exceptions
from counseling.ports import CaseRepository, ChatLog
from counseling.services import LANGUAGES_BY_SERVICE, Service
from counseling.staff import StaffAccount, StaffRole
from signaling.auth import COOKIE_NAME, Authenticator, AuthError

log = logging.getLogger(__name__)
audit = logging.getLogger("dasan.audit")

CASE_ID = r"[0-9a-f]{32}"


class Calendar(Protocol):
    """The center's current hours, and the operators' exceptions to them."""

    def hours(self) -> ServiceHours: ...

    def replace_exceptions(self, exceptions: Iterable[CalendarException]) -> None: ...


@dataclass(frozen=True, slots=True)
class HttpRuntime:
    auth: Authenticator
    cases: CaseRepository
    cookie_secure: bool
    session_ttl_seconds: int
    calendar: Calendar
    chat: ChatLog
    long_wait_minutes: float = 15.0
    """The citizen page offers booking a time when the wait is longer."""


RUNTIME = web.AppKey("http_runtime", HttpRuntime)


class LoginBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=2, max_length=40)
    password: str = Field(min_length=1, max_length=200)


def error(status: int, code: str, message: str) -> web.Response:
    return web.json_response(
        {"error": {"code": code, "message": message}}, status=status
    )


def profile(account: StaffAccount) -> dict[str, Any]:
    return {
        "id": account.id,
        "username": account.username,
        "display_name": account.display_name,
        "role": account.role.value,
        "skills": sorted(str(s) for s in account.skills),
    }


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def case_summary(case: Case) -> dict[str, Any]:
    return {
        "id": case.id,
        "service": case.skill.service.value,
        "language": case.skill.language.value,
        "channel": case.channel,
        "status": case.status.value,
        "requested_at": _iso(case.requested_at),
        "offered_at": _iso(case.offered_at),
        "answered_at": _iso(case.answered_at),
        "ended_at": _iso(case.ended_at),
        "interpreter_id": case.interpreter_id,
        "end_reason": None if case.end_reason is None else case.end_reason.value,
        "ended_by": None if case.ended_by is None else case.ended_by.value,
        "wait_seconds": case.wait_seconds,
        "handle_seconds": case.handle_seconds,
    }


def case_detail(case: Case, transcript: Sequence[ChatMessage]) -> dict[str, Any]:
    return case_summary(case) | {
        "transcript": [
            {
                "seq": m.seq,
                "at": m.at.isoformat(),
                "sender": m.sender.value,
                "sender_id": m.sender_id,
                "text": m.text,
            }
            for m in transcript
        ],
        "events": [
            {
                "at": e.at.isoformat(),
                "kind": e.kind.value,
                "staff_id": e.staff_id,
                "detail": e.detail,
            }
            for e in case.events
        ],
    }


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def signed_in(request: web.Request) -> StaffAccount | None:
    return await request.app[RUNTIME].auth.account_for(request.cookies.get(COOKIE_NAME))


def may_read(account: StaffAccount, case: Case) -> bool:
    """Supervisors read every case; interpreters the cases they handled."""
    if account.role is StaffRole.SUPERVISOR:
        return True
    return account.role is StaffRole.INTERPRETER and case.interpreter_id == account.id


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def service_status(
    hours: ServiceHours, service: Service, now: datetime
) -> dict[str, Any]:
    """Open or closed now, when that changes, and why when an exception applies."""
    local = now.astimezone(hours.tz)
    exception = hours.exception_on(service, local.date())
    open_now = hours.is_open(service, now)
    return {
        "open": open_now,
        "closes_at": _iso_in(hours.next_close(service, now), hours)
        if open_now
        else None,
        "next_open": None
        if open_now
        else _iso_in(hours.next_open(service, now), hours),
        "note": None if exception is None else exception.reason,
    }


def _iso_in(moment: datetime | None, hours: ServiceHours) -> str | None:
    return None if moment is None else moment.astimezone(hours.tz).isoformat()


async def services(request: web.Request) -> web.Response:
    rt = request.app[RUNTIME]
    hours = rt.calendar.hours()
    now = datetime.now(UTC)
    return web.json_response(
        {
            "time_zone": hours.tz.key,
            "long_wait_minutes": rt.long_wait_minutes,
            "services": [
                {
                    "service": service.value,
                    "languages": sorted(lang.value for lang in langs),
                }
                | service_status(hours, service, now)
                for service, langs in LANGUAGES_BY_SERVICE.items()
            ],
        }
    )


async def supervisor(request: web.Request) -> StaffAccount | web.Response:
    account = await signed_in(request)
    if account is None:
        return error(401, "not_signed_in", "sign in to the staff console")
    if account.role is not StaffRole.SUPERVISOR:
        return error(403, "forbidden", "only supervisors change operating hours")
    return account


def hours_body(hours: ServiceHours) -> dict[str, Any]:
    return {
        "time_zone": hours.tz.key,
        "weekly": {
            service.value: {
                kind.value: [str(w) for w in weekly.on(kind)] for kind in DayKind
            }
            for service, weekly in hours.weekly.items()
        },
        "exceptions": [e.to_data() for e in hours.exceptions],
    }


async def get_hours(request: web.Request) -> web.Response:
    checked = await supervisor(request)
    if isinstance(checked, web.Response):
        return checked
    return web.json_response(hours_body(request.app[RUNTIME].calendar.hours()))


async def put_exceptions(request: web.Request) -> web.Response:
    checked = await supervisor(request)
    if isinstance(checked, web.Response):
        return checked
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return error(400, "invalid_payload", 'send JSON: {"exceptions": [...]}')
    if not isinstance(body, dict) or set(body) != {"exceptions"}:
        return error(400, "invalid_payload", 'send JSON: {"exceptions": [...]}')
    try:
        exceptions = parse_exceptions(body["exceptions"])
    except ValueError as exc:
        return error(400, "invalid_payload", str(exc))
    calendar = request.app[RUNTIME].calendar
    calendar.replace_exceptions(exceptions)
    audit.info("staff %s set %d hours exceptions", checked.id, len(exceptions))
    return web.json_response(hours_body(calendar.hours()))


async def login(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    try:
        body = LoginBody.model_validate(await request.json())
    except (json.JSONDecodeError, ValidationError, UnicodeDecodeError):
        return error(400, "invalid_payload", "send JSON with a username and password")
    try:
        account, token = await runtime.auth.login(
            body.username, body.password, request.remote or "unknown"
        )
    except AuthError as exc:
        response = error(exc.status, exc.code, str(exc))
        retry = getattr(exc, "retry_after", None)
        if retry is not None:
            response.headers["Retry-After"] = str(int(retry) + 1)
        return response
    audit.info("staff %s signed in", account.id)
    response = web.json_response(profile(account))
    response.set_cookie(
        COOKIE_NAME,
        token,
        httponly=True,
        samesite="Strict",
        secure=runtime.cookie_secure,
        max_age=runtime.session_ttl_seconds,
        path="/",
    )
    return response


async def logout(request: web.Request) -> web.Response:
    await request.app[RUNTIME].auth.logout(request.cookies.get(COOKIE_NAME))
    response = web.Response(status=204)
    response.del_cookie(COOKIE_NAME, path="/")
    return response


async def me(request: web.Request) -> web.Response:
    account = await signed_in(request)
    if account is None:
        return error(401, "not_signed_in", "sign in to the staff console")
    return web.json_response(profile(account))


async def list_cases(request: web.Request) -> web.Response:
    account = await signed_in(request)
    if account is None:
        return error(401, "not_signed_in", "sign in to the staff console")
    if account.role is not StaffRole.SUPERVISOR:
        return error(403, "forbidden", "only supervisors list cases")
    raw = request.query.get("limit", "50")
    if not raw.isdigit() or not 1 <= int(raw) <= 200:
        return error(400, "invalid_payload", "limit must be a whole number 1-200")
    cases = await request.app[RUNTIME].cases.recent(int(raw))
    audit.info("staff %s listed %d cases", account.id, len(cases))
    return web.json_response({"cases": [case_summary(c) for c in cases]})


async def get_case(request: web.Request) -> web.Response:
    account = await signed_in(request)
    if account is None:
        return error(401, "not_signed_in", "sign in to the staff console")
    case = await request.app[RUNTIME].cases.get(request.match_info["case_id"])
    if case is None:
        return error(404, "not_found", "no such case")
    if not may_read(account, case):
        audit.warning("staff %s was refused case %s", account.id, case.id)
        return error(403, "forbidden", "you may not read this case")
    audit.info("staff %s read case %s", account.id, case.id)
    transcript = await request.app[RUNTIME].chat.transcript(case.id)
    return web.json_response(case_detail(case, transcript))


def page(path: Path) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(path, headers={"Cache-Control": "no-cache"})

    return handler


@web.middleware
async def security_headers(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    response = await handler(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault(
        "Permissions-Policy", "camera=(self), microphone=(self), geolocation=()"
    )
    return response


def openapi(path: Path) -> Handler:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.FileResponse(
            path, headers={"Content-Type": "application/yaml; charset=utf-8"}
        )

    return handler


def add_routes(
    app: web.Application, static_dir: Path, vendor_dir: Path, openapi_file: Path
) -> None:
    """Register every HTTP route; docs/openapi.yaml lists the same set."""
    app.middlewares.append(security_headers)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/api/openapi.yaml", openapi(openapi_file))
    app.router.add_get("/api/services", services)
    app.router.add_get("/api/hours", get_hours)
    app.router.add_put("/api/hours/exceptions", put_exceptions)
    app.router.add_post("/api/login", login)
    app.router.add_post("/api/logout", logout)
    app.router.add_get("/api/me", me)
    app.router.add_get("/api/cases", list_cases)
    app.router.add_get(f"/api/cases/{{case_id:{CASE_ID}}}", get_case)
    app.router.add_get("/", page(static_dir / "citizen.html"))
    app.router.add_get("/staff", page(static_dir / "staff.html"))
    app.router.add_get("/supervisor", page(static_dir / "supervisor.html"))
    app.router.add_get("/guest", page(static_dir / "guest.html"))
    app.router.add_get(
        "/vendor/socket.io.min.js", page(vendor_dir / "socket.io.min.js")
    )
    app.router.add_static("/static", static_dir, append_version=False)
