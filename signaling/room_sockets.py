"""The socket.io side of rooms of more than two: the guest namespace, and the
room-management events every namespace answers (the server decides who may)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import socketio

from counseling.cases import Party
from interpreter_pool.errors import NotAllowed, NotInRoom
from interpreter_pool.pool import new_id
from signaling.event_spec import GUEST_NAMESPACE, ErrorCode
from signaling.parties import GUEST_LINK, for_guest, party_ref
from signaling.payloads import Empty, RoomRef, SendChat
from signaling.room_payloads import (
    CancelJoinRequest,
    CreateInvite,
    DepartmentsAck,
    GiveConsent,
    GuestChatAck,
    GuestChatHistoryAck,
    GuestJoin,
    GuestJoinAck,
    GuestResume,
    InviteAck,
    LeftRoomNotice,
    RemoveParty,
    RequestCounselor,
    TransferSession,
    WatchAck,
)
from signaling.sockets import (
    Ack,
    CitizenNamespace,
    Runtime,
    StaffNamespace,
    error_ack,
    guarded,
    guest_room,
    ok,
    rtc_offer,
    staff_room,
)

if TYPE_CHECKING:
    from signaling.desk import Desk


class RoomEvents:
    """create_invite, request_counselor, transfer, cancel_join_request,
    remove_party: on every namespace, so a citizen or a guest trying gets
    ``not_allowed``."""

    if TYPE_CHECKING:
        namespace: str
        _runtime: Runtime

    async def _actor(self, sid: str) -> tuple[str, bool]:
        """Who is asking, and whether they are a supervisor."""
        raise NotImplementedError

    def _desk(self) -> Desk:
        return self._runtime()[0]

    async def on_create_invite(self, sid: str, data: Any = None) -> Ack:
        actor, supervisor = await self._actor(sid)

        async def run(p: CreateInvite) -> Ack:
            token, expires_at = await self._desk().rooms.create_invite(
                actor, supervisor, p.room_id, p.expires_in_minutes
            )
            return ok(
                InviteAck(
                    ok=True,
                    invite=token,
                    url=GUEST_LINK.format(token=token),
                    expires_at=expires_at,
                )
            )

        return await guarded(self.namespace, "create_invite", data, run)

    async def on_request_counselor(self, sid: str, data: Any = None) -> Ack:
        actor, supervisor = await self._actor(sid)

        async def run(p: RequestCounselor) -> Ack:
            await self._desk().rooms.request_counselor(
                actor, supervisor, p.room_id, p.department
            )
            return ok()

        return await guarded(self.namespace, "request_counselor", data, run)

    async def on_transfer(self, sid: str, data: Any = None) -> Ack:
        actor, supervisor = await self._actor(sid)

        async def run(p: TransferSession) -> Ack:
            await self._desk().rooms.transfer(
                actor, supervisor, p.room_id, p.to_staff_id
            )
            return ok()

        return await guarded(self.namespace, "transfer", data, run)

    async def on_cancel_join_request(self, sid: str, data: Any = None) -> Ack:
        actor, supervisor = await self._actor(sid)

        async def run(p: CancelJoinRequest) -> Ack:
            await self._desk().rooms.cancel_join(actor, supervisor, p.room_id)
            return ok()

        return await guarded(self.namespace, "cancel_join_request", data, run)

    async def on_remove_party(self, sid: str, data: Any = None) -> Ack:
        actor, supervisor = await self._actor(sid)

        async def run(p: RemoveParty) -> Ack:
            await self._desk().rooms.remove(actor, supervisor, p.room_id, p.party)
            return ok()

        return await guarded(self.namespace, "remove_party", data, run)

    async def on_give_consent(self, sid: str, data: Any = None) -> Ack:
        party_id, _ = await self._actor(sid)

        async def run(p: GiveConsent) -> Ack:
            consent = self._desk().consent
            if consent is None:
                raise NotInRoom(p.room_id, party_id)
            await consent.answer(party_id, p.room_id, p.consent)
            return ok()

        return await guarded(self.namespace, "give_consent", data, run)


class CitizenRooms(RoomEvents, CitizenNamespace):
    """The citizen namespace, answering room management (never allowed)."""

    async def _actor(self, sid: str) -> tuple[str, bool]:
        return await self._citizen(sid), False


class StaffRooms(RoomEvents, StaffNamespace):
    """The staff namespace with room management and supervisors listening in."""

    async def _actor(self, sid: str) -> tuple[str, bool]:
        async with self.session(sid) as session:
            return str(session["staff_id"]), bool(session.get("supervisor"))

    async def on_disconnect(self, sid: str, reason: str = "") -> None:
        staff_id, supervisor = await self._actor(sid)
        await super().on_disconnect(sid, reason)
        if supervisor:  # its place, if it listened, is in its reconnect grace
            await self._desk().rooms.let_go(Party.SUPERVISOR, staff_id, sid)

    async def on_departments(self, sid: str, data: Any = None) -> Ack:
        async def run(_: Empty) -> Ack:
            departments = list(self._desk().rooms.departments)
            return ok(DepartmentsAck(ok=True, departments=departments))

        return await guarded(self.namespace, "departments", data, run)

    async def on_watch_session(self, sid: str, data: Any = None) -> Ack:
        actor, supervisor = await self._actor(sid)

        async def run(p: RoomRef) -> Ack:
            if not supervisor:
                raise NotAllowed(p.room_id, actor)
            desk = self._desk()
            before = await desk.run(
                lambda pool, _: (pool.listening_on(actor, p.room_id), [])
            )
            notice = await desk.rooms.watch(actor, p.room_id, sid)
            await self.enter_room(sid, staff_room(actor))  # if dropped before
            if before and before != sid:
                await self._drop_listener(before, actor, p.room_id)
            return ok(WatchAck(ok=True, session=notice))

        return await guarded(self.namespace, "watch_session", data, run)

    async def _drop_listener(
        self, connection: str, staff_id: str, room_id: str
    ) -> None:
        """The supervisor listens on another connection now (a reload whose old
        connection has not closed yet, or another tab): the old one is told it
        listens elsewhere, and gets none of the room's events any more (on any
        process)."""
        notice = LeftRoomNotice(room_id=room_id, reason="elsewhere")
        await self.emit("left_room", notice.model_dump(mode="json"), to=connection)
        await self.leave_room(connection, staff_room(staff_id))
        await self._desk().rooms.let_go(Party.SUPERVISOR, staff_id, connection)


class GuestNamespace(RoomEvents, socketio.AsyncNamespace):  # type: ignore[misc]
    """Guests with an invite link: anonymous, one identity per connection,
    in one room at most; they see the room, never the case."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(GUEST_NAMESPACE)
        self._runtime = runtime

    async def _guest(self, sid: str) -> str:
        async with self.session(sid) as session:
            return str(session["guest_id"])

    async def _actor(self, sid: str) -> tuple[str, bool]:
        return await self._guest(sid), False

    async def on_connect(self, sid: str, environ: dict[str, Any]) -> None:
        guest_id = new_id()
        async with self.session(sid) as session:
            session["guest_id"] = guest_id
        await self.enter_room(sid, guest_room(guest_id))

    async def on_disconnect(self, sid: str, reason: str = "") -> None:
        await self._desk().rooms.connection_gone(await self._guest(sid), sid)

    async def on_join(self, sid: str, data: Any = None) -> Ack:
        guest_id = await self._guest(sid)

        async def run(p: GuestJoin) -> Ack:
            session, ref, resume_token = await self._desk().rooms.join_as_guest(
                guest_id, p.invite, p.audio_only, sid
            )
            return ok(
                GuestJoinAck(
                    ok=True,
                    room_id=session.room_id,
                    party=ref,
                    service=session.skill.service,
                    language=session.skill.language,
                    audio_only=p.audio_only,
                    resume_token=resume_token,
                )
            )

        return await guarded(self.namespace, "join", data, run)

    async def on_resume(self, sid: str, data: Any = None) -> Ack:
        """A reload: this connection becomes the guest the token belongs to."""
        fresh = await self._guest(sid)

        async def run(p: GuestResume) -> Ack:
            session, party = await self._desk().rooms.resume_guest(p.resume_token, sid)
            async with self.session(sid) as session_data:
                session_data["guest_id"] = party.party_id
            await self.leave_room(sid, guest_room(fresh))
            await self.enter_room(sid, guest_room(party.party_id))
            return ok(
                GuestJoinAck(
                    ok=True,
                    room_id=session.room_id,
                    party=party_ref(session.room_id, party.party_id),
                    service=session.skill.service,
                    language=session.skill.language,
                    audio_only=party.audio_only,
                    resume_token=p.resume_token,
                )
            )

        return await guarded(self.namespace, "resume", data, run)

    async def on_rtc_offer(self, sid: str, data: Any = None) -> Ack:
        return await rtc_offer(
            self.namespace, self._desk(), await self._guest(sid), data
        )

    async def on_send_chat(self, sid: str, data: Any = None) -> Ack:
        guest_id = await self._guest(sid)

        async def run(p: SendChat) -> Ack:
            try:
                notice = await self._desk().send_chat(guest_id, p.room_id, p.text)
            except ValueError as exc:  # empty once cleaned; never log the text
                return error_ack(ErrorCode.INVALID_PAYLOAD.value, f"text: {exc}")
            return ok(GuestChatAck(ok=True, message=for_guest(notice)))

        return await guarded(self.namespace, "send_chat", data, run)

    async def on_chat_history(self, sid: str, data: Any = None) -> Ack:
        guest_id = await self._guest(sid)

        async def run(p: RoomRef) -> Ack:
            messages = await self._desk().chat_history(guest_id, p.room_id)
            return ok(
                GuestChatHistoryAck(
                    ok=True,
                    messages=[for_guest(m) for m in messages],
                    you=party_ref(p.room_id, guest_id),
                )
            )

        return await guarded(self.namespace, "chat_history", data, run)

    async def on_leave(self, sid: str, data: Any = None) -> Ack:
        guest_id = await self._guest(sid)

        async def run(p: RoomRef) -> Ack:
            await self._desk().rooms.leave(guest_id, p.room_id)
            return ok()

        return await guarded(self.namespace, "leave", data, run)
