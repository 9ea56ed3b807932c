"""The socket.io namespaces: validate each event, call the desk, answer with an ack.
Each party's room and the notifier emitting to it are in socket_notifier.py."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from http.cookies import CookieError, SimpleCookie
from typing import Any

import socketio
from pydantic import ValidationError

from counseling.errors import CounselingError
from counseling.hours import ServiceClosed
from counseling.reservations import JoinTooEarly
from counseling.services import Skill
from counseling.staff import StaffRole
from interpreter_pool.errors import PoolError
from interpreter_pool.events import StaffStatus
from interpreter_pool.pool import new_id
from rtc_server.errors import MediaError
from signaling.auth import COOKIE_NAME, Authenticator
from signaling.desk import Desk
from signaling.event_spec import CITIZEN_NAMESPACE, STAFF_NAMESPACE, ErrorCode
from signaling.parties import party_ref
from signaling.payloads import (
    ChatAck,
    ChatHistoryAck,
    Empty,
    ErrorAck,
    ErrorBody,
    OfferRef,
    OkAck,
    Payload,
    RequestAck,
    RequestInterpreter,
    ResumeAck,
    ResumeSession,
    RoomRef,
    RtcAnswer,
    RtcOffer,
    SendChat,
    SetPresence,
    StatusAck,
)
from signaling.protocol import spec
from signaling.socket_notifier import (
    SUPERVISORS_ROOM,
    SocketNotifier,
    citizen_room,
    guest_room,
    service_room,
    staff_room,
)

log = logging.getLogger(__name__)

# Importable from here, as before the notifier moved to socket_notifier.py.
__all__ = [
    "SUPERVISORS_ROOM",
    "Ack",
    "CitizenNamespace",
    "Runtime",
    "SocketNotifier",
    "StaffNamespace",
    "chat_history",
    "citizen_room",
    "error_ack",
    "guarded",
    "guest_room",
    "hang_up",
    "ok",
    "rtc_offer",
    "send_chat",
    "service_room",
    "session_token",
    "staff_room",
    "validation_ack",
]

Ack = dict[str, Any]
Runtime = Callable[[], tuple[Desk, Authenticator]]


def error_ack(code: str, message: str) -> Ack:
    return ErrorAck(ok=False, error=ErrorBody(code=code, message=message)).model_dump(
        mode="json"
    )


def ok(payload: Payload | None = None) -> Ack:
    return (payload or OkAck(ok=True)).model_dump(mode="json")


def validation_ack(exc: ValidationError) -> Ack:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "payload"
    if first["loc"] and first["loc"][0] == "service":
        return error_ack(ErrorCode.UNKNOWN_SERVICE.value, "this service does not exist")
    return error_ack(ErrorCode.INVALID_PAYLOAD.value, f"{where}: {first['msg']}")


async def guarded(
    namespace: str,
    event: str,
    data: Any,
    handler: Callable[[Any], Awaitable[Ack]],
) -> Ack:
    """Validate ``data`` against the event's model, run ``handler``, map errors."""
    model = spec(namespace, event).payload
    if data is None and model is Empty:
        data = {}
    try:
        payload = model.model_validate(data)
    except ValidationError as exc:
        return validation_ack(exc)
    try:
        return await handler(payload)
    except ServiceClosed as exc:
        return ErrorAck(
            ok=False,
            error=ErrorBody(code=exc.code, message=str(exc), next_open=exc.next_open),
        ).model_dump(mode="json")
    except JoinTooEarly as exc:
        return ErrorAck(
            ok=False,
            error=ErrorBody(code=exc.code, message=str(exc), next_open=exc.opens_at),
        ).model_dump(mode="json")
    except (PoolError, MediaError, CounselingError) as exc:
        return error_ack(exc.code, str(exc))
    except Exception:
        log.exception("%s %s failed", namespace, event)
        return error_ack(ErrorCode.INTERNAL.value, "something went wrong on our side")


def session_token(environ: dict[str, Any]) -> str | None:
    cookie = SimpleCookie()
    try:
        cookie.load(environ.get("HTTP_COOKIE", ""))
    except CookieError:
        return None
    morsel = cookie.get(COOKIE_NAME)
    return None if morsel is None else morsel.value


class CitizenNamespace(socketio.AsyncNamespace):  # type: ignore[misc]
    """Anonymous citizens: one identity per connection."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(CITIZEN_NAMESPACE)
        self._runtime = runtime

    async def _citizen(self, sid: str) -> str:
        async with self.session(sid) as session:
            return str(session["citizen_id"])

    async def on_connect(self, sid: str, environ: dict[str, Any]) -> None:
        citizen_id = new_id()
        async with self.session(sid) as session:
            session["citizen_id"] = citizen_id
        await self.enter_room(sid, citizen_room(citizen_id))
        desk, _ = self._runtime()
        await desk.citizen_connected(citizen_id)

    async def on_disconnect(self, sid: str, reason: str = "") -> None:
        desk, _ = self._runtime()
        async with self.session(sid) as session:
            citizen_id, connection = session["citizen_id"], session.get("connection")
        await desk.citizen_left(citizen_id, connection)

    async def on_resume(self, sid: str, data: Any = None) -> Ack:
        desk, _ = self._runtime()
        fresh = await self._citizen(sid)

        async def run(p: ResumeSession) -> Ack:
            citizen_id, notice = await desk.resume(fresh, p.resume_token, sid)
            async with self.session(sid) as session:
                session["citizen_id"] = citizen_id
                session["connection"] = sid
            await self.leave_room(sid, citizen_room(fresh))
            await self.enter_room(sid, citizen_room(citizen_id))
            return ok(ResumeAck(ok=True, session=notice))

        return await guarded(self.namespace, "resume", data, run)

    async def on_request(self, sid: str, data: Any = None) -> Ack:
        desk, _ = self._runtime()
        citizen_id = await self._citizen(sid)

        async def run(p: RequestInterpreter) -> Ack:
            try:
                skill = Skill.for_request(p.service, p.language)
            except ValueError as exc:
                return error_ack(ErrorCode.INVALID_PAYLOAD.value, str(exc))
            entry = await desk.request(citizen_id, skill, join_token=p.join_token)
            return ok(
                RequestAck(
                    ok=True,
                    case_id=entry.case_id,
                    position=entry.position,
                    estimated_wait_seconds=entry.estimated_wait,
                )
            )

        return await guarded(self.namespace, "request", data, run)

    async def on_cancel(self, sid: str, data: Any = None) -> Ack:
        desk, _ = self._runtime()
        citizen_id = await self._citizen(sid)

        async def run(_: Empty) -> Ack:
            await desk.cancel(citizen_id)
            return ok()

        return await guarded(self.namespace, "cancel", data, run)

    async def on_rtc_offer(self, sid: str, data: Any = None) -> Ack:
        return await rtc_offer(
            self.namespace, self._runtime()[0], await self._citizen(sid), data
        )

    async def on_hang_up(self, sid: str, data: Any = None) -> Ack:
        return await hang_up(
            self.namespace, self._runtime()[0], await self._citizen(sid), data
        )

    async def on_send_chat(self, sid: str, data: Any = None) -> Ack:
        return await send_chat(
            self.namespace, self._runtime()[0], await self._citizen(sid), data
        )

    async def on_chat_history(self, sid: str, data: Any = None) -> Ack:
        return await chat_history(
            self.namespace, self._runtime()[0], await self._citizen(sid), data
        )


class StaffNamespace(socketio.AsyncNamespace):  # type: ignore[misc]
    """Signed-in staff: identity from the session cookie, several tabs each."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(STAFF_NAMESPACE)
        self._runtime = runtime

    async def _staff(self, sid: str) -> str:
        async with self.session(sid) as session:
            return str(session["staff_id"])

    async def on_connect(self, sid: str, environ: dict[str, Any]) -> None:
        desk, auth = self._runtime()
        account = await auth.account_for(session_token(environ))
        if account is None:
            raise ConnectionRefusedError(
                {"code": "not_signed_in", "message": "sign in to the staff console"}
            )
        async with self.session(sid) as session:
            session["staff_id"] = account.id
            session["supervisor"] = account.role is StaffRole.SUPERVISOR
        await self.enter_room(sid, staff_room(account.id))
        for service in {skill.service for skill in account.skills}:
            await self.enter_room(sid, service_room(service))
        status = await desk.staff_connected(account, sid)
        if status is not None:
            await self.emit("status", status.model_dump(mode="json"), to=sid)
        offer = await desk.open_offer_notice(account.id)
        if offer is not None:
            await self.emit("offer", offer.model_dump(mode="json"), to=sid)
        session = await desk.current_session(account.id)
        if session is not None:  # a reload, or a reconnect within the grace period
            await self.emit("session_started", session.model_dump(mode="json"), to=sid)
        if account.role is StaffRole.SUPERVISOR:
            await self.enter_room(sid, SUPERVISORS_ROOM)
            board = await desk.dashboard()
            await self.emit("dashboard", board.model_dump(mode="json"), to=sid)
            for presence in await desk.everyone():
                await self.emit(
                    "staff_presence", presence.model_dump(mode="json"), to=sid
                )

    async def on_disconnect(self, sid: str, reason: str = "") -> None:
        desk, _ = self._runtime()
        await desk.staff_disconnected(await self._staff(sid), sid)

    async def on_set_presence(self, sid: str, data: Any = None) -> Ack:
        desk, _ = self._runtime()
        staff_id = await self._staff(sid)

        async def run(p: SetPresence) -> Ack:
            if p.status is StaffStatus.AWAY and p.reason is None:
                return error_ack(
                    ErrorCode.INVALID_PAYLOAD.value, "reason: say why you are away"
                )
            notice = await desk.set_presence(staff_id, p.status, p.reason)
            return ok(StatusAck(ok=True, status=notice.status, reason=notice.reason))

        return await guarded(self.namespace, "set_presence", data, run)

    async def on_accept_offer(self, sid: str, data: Any = None) -> Ack:
        desk, _ = self._runtime()
        staff_id = await self._staff(sid)

        async def run(p: OfferRef) -> Ack:
            await desk.accept(staff_id, p.offer_id)
            return ok()

        return await guarded(self.namespace, "accept_offer", data, run)

    async def on_decline_offer(self, sid: str, data: Any = None) -> Ack:
        desk, _ = self._runtime()
        staff_id = await self._staff(sid)

        async def run(p: OfferRef) -> Ack:
            await desk.decline(staff_id, p.offer_id)
            return ok()

        return await guarded(self.namespace, "decline_offer", data, run)

    async def on_rtc_offer(self, sid: str, data: Any = None) -> Ack:
        return await rtc_offer(
            self.namespace, self._runtime()[0], await self._staff(sid), data
        )

    async def on_hang_up(self, sid: str, data: Any = None) -> Ack:
        return await hang_up(
            self.namespace, self._runtime()[0], await self._staff(sid), data
        )

    async def on_send_chat(self, sid: str, data: Any = None) -> Ack:
        return await send_chat(
            self.namespace, self._runtime()[0], await self._staff(sid), data
        )

    async def on_chat_history(self, sid: str, data: Any = None) -> Ack:
        return await chat_history(
            self.namespace, self._runtime()[0], await self._staff(sid), data
        )


async def rtc_offer(namespace: str, desk: Desk, party_id: str, data: Any) -> Ack:
    async def run(p: RtcOffer) -> Ack:
        sdp = await desk.connect_media(party_id, p.room_id, p.sdp)
        return ok(RtcAnswer(ok=True, type="answer", sdp=sdp))

    return await guarded(namespace, "rtc_offer", data, run)


async def send_chat(namespace: str, desk: Desk, party_id: str, data: Any) -> Ack:
    async def run(p: SendChat) -> Ack:
        try:
            notice = await desk.send_chat(party_id, p.room_id, p.text)
        except ValueError as exc:  # empty once cleaned; never log the text itself
            return error_ack(ErrorCode.INVALID_PAYLOAD.value, f"text: {exc}")
        return ok(ChatAck(ok=True, message=notice))

    return await guarded(namespace, "send_chat", data, run)


async def chat_history(namespace: str, desk: Desk, party_id: str, data: Any) -> Ack:
    async def run(p: RoomRef) -> Ack:
        messages = await desk.chat_history(party_id, p.room_id)
        you = party_ref(p.room_id, party_id)
        return ok(ChatHistoryAck(ok=True, messages=messages, you=you))

    return await guarded(namespace, "chat_history", data, run)


async def hang_up(namespace: str, desk: Desk, party_id: str, data: Any) -> Ack:
    async def run(p: RoomRef) -> Ack:
        await desk.hang_up(party_id, p.room_id)
        return ok()

    return await guarded(namespace, "hang_up", data, run)
