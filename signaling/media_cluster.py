"""Media rooms across processes: a room lives where its session was accepted, and
any process can reach it.

With several `dasan serve` processes behind a load balancer, the citizen and the
interpreter of one session are often connected to different processes, while the
room (the peer connections, the forwarding) lives in the media server of the
process that accepted the call. The session records that process (its
``media_node``); a process asked to connect a party to a room it does not hold
sends the SDP offer to the owner over Redis pub/sub and relays the answer. ICE
then runs between the browser and the owner directly, as media never passes
through signaling.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.asyncio.client import PubSub

from interpreter_pool.pool import new_id
from rtc_server.errors import (
    AlreadyInRoom,
    MediaError,
    NegotiationFailed,
    RoomFull,
    UnknownRoom,
)

log = logging.getLogger(__name__)


class LocalRooms(Protocol):
    """This process's media server."""

    def open_room(self, room_id: str, parties: tuple[str, str]) -> None: ...

    def watch_quality(
        self,
        room_id: str,
        party_id: str,
        on_advice: Callable[[list[str]], Awaitable[None]],
    ) -> None: ...

    async def connect(self, room_id: str, party_id: str, offer_sdp: str) -> str: ...

    async def close_room(self, room_id: str) -> None: ...

    def add_party(
        self, room_id: str, party_id: str, publishes: bool = True
    ) -> None: ...

    async def remove_party(self, room_id: str, party_id: str) -> None: ...

    async def replace_party(
        self, room_id: str, old: str, new: str, publishes: bool | None = None
    ) -> None: ...

    def roster(self, room_id: str) -> dict[str, dict[str, dict[str, str]]]: ...


Roster = dict[str, dict[str, dict[str, str]]]
# Consent and recording of a room, run where the room lives (its recorder taps
# the media there): ``signaling.consent_desk.ConsentDesk.handle``.
ConsentHandler = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]


async def run_consent(
    handler: ConsentHandler | None, room_id: str, message: dict[str, Any]
) -> dict[str, Any]:
    return {} if handler is None else await handler(room_id, message)


def remote_error(room_id: str, code: str, message: str) -> MediaError:
    """The owning process's error, as the same kind of error here."""
    if code == "not_in_room":
        return UnknownRoom(room_id)
    if code == "room_full":
        return RoomFull(room_id, 0, "parties")
    if code == "already_in_room":
        return AlreadyInRoom(room_id, "")
    return NegotiationFailed(message)


async def run_party_op(local: LocalRooms, message: dict[str, Any]) -> dict[str, Any]:
    """Run a room-party request (add, remove, replace, roster) on ``local``."""
    op, room = message["op"], str(message["room"])
    if op == "add":
        local.add_party(room, str(message["party"]), bool(message["publishes"]))
    elif op == "remove":
        await local.remove_party(room, str(message["party"]))
    elif op == "replace":
        await local.replace_party(room, str(message["old"]), str(message["new"]))
    elif op == "roster":
        return {"roster": local.roster(room)}
    return {}


class OwnerUnreachable(MediaError):
    code = "media_failed"

    def __init__(self) -> None:
        super().__init__("the process holding this session's media did not answer")


class SingleProcessMedia:
    """One process: every room is here."""

    def __init__(self, local: LocalRooms) -> None:
        self._local = local
        self.node = ""
        self._consent: ConsentHandler | None = None

    def serve_consent(self, handler: ConsentHandler) -> None:
        self._consent = handler

    async def consent_op(
        self, room_id: str, message: dict[str, Any], owner: str = ""
    ) -> dict[str, Any]:
        return await run_consent(self._consent, room_id, message)

    def open_room(self, room_id: str, parties: tuple[str, str]) -> None:
        self._local.open_room(room_id, parties)

    def watch_quality(
        self,
        room_id: str,
        party_id: str,
        on_advice: Callable[[list[str]], Awaitable[None]],
    ) -> None:
        # Rooms are opened on this process, so their pictures are checked here.
        self._local.watch_quality(room_id, party_id, on_advice)

    async def connect(
        self, room_id: str, party_id: str, offer_sdp: str, owner: str = ""
    ) -> str:
        return await self._local.connect(room_id, party_id, offer_sdp)

    async def close_room(self, room_id: str, owner: str = "") -> None:
        await self._local.close_room(room_id)

    async def add_party(
        self, room_id: str, party_id: str, publishes: bool, owner: str = ""
    ) -> None:
        self._local.add_party(room_id, party_id, publishes)

    async def remove_party(self, room_id: str, party_id: str, owner: str = "") -> None:
        await self._local.remove_party(room_id, party_id)

    async def replace_party(
        self, room_id: str, old: str, new: str, owner: str = ""
    ) -> None:
        await self._local.replace_party(room_id, old, new)

    async def roster(self, room_id: str, owner: str = "") -> Roster:
        return self._local.roster(room_id)

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None


class ClusterMedia:
    """Rooms here are served locally; others by asking their owner over Redis."""

    def __init__(
        self,
        local: LocalRooms,
        url: str,
        node: str,
        prefix: str = "dasan",
        timeout_seconds: float = 10.0,
    ) -> None:
        self._local = local
        self._redis: Redis = Redis.from_url(url)
        self._prefix = prefix
        self.node = node
        self._timeout = timeout_seconds
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._pubsub: PubSub | None = None
        self._listener: asyncio.Task[None] | None = None
        self._work: set[asyncio.Task[None]] = set()
        self._consent: ConsentHandler | None = None

    def serve_consent(self, handler: ConsentHandler) -> None:
        self._consent = handler

    async def consent_op(
        self, room_id: str, message: dict[str, Any], owner: str = ""
    ) -> dict[str, Any]:
        """A consent step for a room, run by the process that holds it."""
        if owner in ("", self.node):
            return await run_consent(self._consent, room_id, message)
        request = {"op": "consent", "room": room_id, "step": message}
        reply = await self._ask(owner, request)
        result: dict[str, Any] = reply.get("result", {})
        return result

    def _inbox(self, node: str) -> str:
        return f"{self._prefix}:media:{node}"

    async def start(self) -> None:
        self._pubsub = self._redis.pubsub()
        await self._pubsub.subscribe(self._inbox(self.node))
        self._listener = asyncio.create_task(self._listen(), name="media-cluster")

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        for task in list(self._work):
            task.cancel()
        if self._pubsub is not None:
            await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        await self._redis.aclose()

    def open_room(self, room_id: str, parties: tuple[str, str]) -> None:
        self._local.open_room(room_id, parties)

    def watch_quality(
        self,
        room_id: str,
        party_id: str,
        on_advice: Callable[[list[str]], Awaitable[None]],
    ) -> None:
        # Rooms are opened on this process, so their pictures are checked here.
        self._local.watch_quality(room_id, party_id, on_advice)

    async def connect(
        self, room_id: str, party_id: str, offer_sdp: str, owner: str = ""
    ) -> str:
        if owner in ("", self.node):
            return await self._local.connect(room_id, party_id, offer_sdp)
        request = {"op": "connect", "room": room_id, "party": party_id}
        reply = await self._ask(owner, request | {"sdp": offer_sdp})
        return str(reply["sdp"])

    async def add_party(
        self, room_id: str, party_id: str, publishes: bool, owner: str = ""
    ) -> None:
        message = {"party": party_id, "publishes": publishes}
        await self._party_op(owner, "add", room_id, message)

    async def remove_party(self, room_id: str, party_id: str, owner: str = "") -> None:
        await self._party_op(owner, "remove", room_id, {"party": party_id})

    async def replace_party(
        self, room_id: str, old: str, new: str, owner: str = ""
    ) -> None:
        await self._party_op(owner, "replace", room_id, {"old": old, "new": new})

    async def roster(self, room_id: str, owner: str = "") -> Roster:
        reply = await self._party_op(owner, "roster", room_id, {})
        roster: Roster = reply.get("roster", {})
        return roster

    async def _party_op(
        self, owner: str, op: str, room_id: str, fields: dict[str, Any]
    ) -> dict[str, Any]:
        """A room-party request, run here or by the room's owner."""
        message = {"op": op, "room": room_id, **fields}
        if owner in ("", self.node):
            return await run_party_op(self._local, message)
        return await self._ask(owner, message)

    async def close_room(self, room_id: str, owner: str = "") -> None:
        if owner in ("", self.node):
            await self._local.close_room(room_id)
            return
        try:
            await self._ask(owner, {"op": "close", "room": room_id})
        except MediaError:
            # The owner is gone, and its rooms with it.
            log.warning("room %s: its owner %s did not confirm closing", room_id, owner)

    async def _ask(self, owner: str, message: dict[str, Any]) -> dict[str, Any]:
        request_id = new_id()
        answer: asyncio.Future[dict[str, Any]] = (
            asyncio.get_running_loop().create_future()
        )
        self._pending[request_id] = answer
        body = message | {"id": request_id, "reply_to": self.node}
        try:
            listeners = await self._redis.publish(self._inbox(owner), json.dumps(body))
            if not listeners:
                raise OwnerUnreachable
            async with asyncio.timeout(self._timeout):  # wait_for may eat a cancel
                reply = await answer
        except TimeoutError:
            raise OwnerUnreachable from None
        finally:
            self._pending.pop(request_id, None)
        if not reply.get("ok"):
            error = reply.get("error") or {}
            raise remote_error(
                str(message.get("room")),
                str(error.get("code", "media_failed")),
                str(error.get("message", "remote media error")),
            )
        return reply

    async def _listen(self) -> None:
        assert self._pubsub is not None
        async for item in self._pubsub.listen():
            if item.get("type") != "message":
                continue
            try:
                message = json.loads(item["data"])
            except (TypeError, ValueError):
                log.warning("ignored a malformed media message")
                continue
            if "op" in message:
                task = asyncio.create_task(self._serve(message))
                self._work.add(task)
                task.add_done_callback(self._work.discard)
            else:
                waiting = self._pending.get(str(message.get("id")))
                if waiting is not None and not waiting.done():
                    waiting.set_result(message)

    async def _serve(self, message: dict[str, Any]) -> None:
        """Run another process's request on this process's media server."""
        reply: dict[str, Any] = {"id": message.get("id"), "ok": True}
        try:
            if message["op"] == "connect":
                reply["sdp"] = await self._local.connect(
                    str(message["room"]), str(message["party"]), str(message["sdp"])
                )
            elif message["op"] == "close":
                await self._local.close_room(str(message["room"]))
            elif message["op"] == "consent":
                reply["result"] = await run_consent(
                    self._consent, str(message["room"]), dict(message["step"])
                )
            else:
                reply |= await run_party_op(self._local, message)
        except MediaError as exc:
            reply = {
                "id": message.get("id"),
                "ok": False,
                "error": {"code": exc.code, "message": str(exc)},
            }
        except Exception:
            log.exception("room %s: a remote media request failed", message.get("room"))
            reply = {
                "id": message.get("id"),
                "ok": False,
                "error": {"code": "media_failed", "message": "media server error"},
            }
        await self._redis.publish(
            self._inbox(str(message.get("reply_to"))), json.dumps(reply)
        )
