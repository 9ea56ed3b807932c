"""The one composition root: settings in, a wired aiohttp application out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import socketio
from aiohttp import web

from counseling.ports import CaseRepository, ChatLog
from dasan.demo import seed_demo, seed_demo_shifts
from dasan.recordings import AppRecordings, recording_key
from dasan.room_recording import room_recorders
from dasan.settings import Settings
from dasan.tasks import cancel_and_wait
from rtc_server.server import MediaServer
from signaling.auth import Authenticator, Passwords
from signaling.consent_desk import ConsentDesk
from signaling.desk import Desk, utc_now
from signaling.http import RUNTIME as HTTP_RUNTIME
from signaling.http import HttpRuntime, add_routes
from signaling.media_cluster import ClusterMedia, SingleProcessMedia
from signaling.ports import PoolStore
from signaling.recordings_http import (
    RECORDINGS,
    RecordingsRuntime,
    add_recording_routes,
)
from signaling.records_http import RECORDS, RecordsRuntime, add_record_routes
from signaling.retention import run_retention
from signaling.room_sockets import CitizenRooms, GuestNamespace, StaffRooms
from signaling.scheduling import SCHEDULING, SchedulingRuntime, add_scheduling_routes
from signaling.sockets import SocketNotifier
from signaling.throttle import Throttle
from signaling.waits import WAITS, WaitBoard, add_wait_routes
from storage.composite_jobs import SqlCompositeJobs
from storage.database import Database, database_url_for_data_dir, open_database
from storage.hours_file import CenterCalendar
from storage.liveness import MemoryLiveness, RedisLiveness
from storage.pool_store import MemoryPoolStore, RedisPoolStore
from storage.recordings import SqlAccessAudit, SqlRecordings
from storage.records import SqlCaseRecords
from storage.reservations import SqlReservationBook
from storage.sql import (
    SqlCaseRepository,
    SqlChatLog,
    SqlLoginSessions,
    SqlStaffDirectory,
)
from storage.taxonomy_file import TaxonomyFile

log = logging.getLogger(__name__)

# After a closing connection's disconnect handlers have run, how long its
# goodbye (engine.io's CLOSE packet) may take to leave.
FLUSH_SECONDS = 2.0

WEB_CLIENT = Path(__file__).resolve().parent.parent / "web_client"


@dataclass(slots=True)
class Runtime:
    """What exists only while the app runs: opened in startup, closed in cleanup."""

    database: Database
    cases: CaseRepository
    chat: ChatLog
    desk: Desk
    auth: Authenticator
    media: MediaServer
    demo_accounts: list[tuple[str, str, str]]


SETTINGS = web.AppKey("settings", Settings)
RUNTIME = web.AppKey("runtime", Runtime)


def database_url(settings: Settings) -> str:
    if settings.database_url is not None:
        return settings.database_url
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return database_url_for_data_dir(settings.data_dir.resolve())


def pool_store(settings: Settings) -> PoolStore:
    if settings.redis_url is None:
        return MemoryPoolStore(settings.pool_rules())
    return RedisPoolStore(
        settings.redis_url, settings.pool_rules(), key=f"{settings.redis_prefix}:pool"
    )


def create_app(settings: Settings) -> web.Application:
    app = web.Application(client_max_size=256 * 1024)
    app[SETTINGS] = settings
    # With Redis, socket.io rooms and emits reach parties on every process.
    manager = (
        None
        if settings.redis_url is None
        else socketio.AsyncRedisManager(
            settings.redis_url, channel=f"{settings.redis_prefix}-socketio"
        )
    )
    sio = socketio.AsyncServer(
        async_mode="aiohttp", cors_allowed_origins=None, client_manager=manager
    )
    sio.attach(app)

    def runtime() -> tuple[Desk, Authenticator]:
        rt = app[RUNTIME]
        return rt.desk, rt.auth

    # The namespaces with room management (signaling/room_sockets.py).
    sio.register_namespace(CitizenRooms(runtime))
    sio.register_namespace(StaffRooms(runtime))
    sio.register_namespace(GuestNamespace(runtime))
    add_routes(
        app,
        static_dir=WEB_CLIENT / "static",
        vendor_dir=WEB_CLIENT / "node_modules" / "socket.io-client" / "dist",
        openapi_file=WEB_CLIENT.parent / "docs" / "openapi.yaml",
    )
    add_scheduling_routes(app, WEB_CLIENT / "static")
    add_record_routes(app, WEB_CLIENT / "static")
    add_recording_routes(app)
    add_wait_routes(app)

    async def lifespan(app: web.Application) -> AsyncIterator[None]:
        database = await open_database(database_url(settings))
        cases = SqlCaseRepository(database)
        staff = SqlStaffDirectory(database)
        passwords = Passwords()
        media_server = MediaServer(ice_servers=settings.ice_servers)
        store = pool_store(settings)
        liveness: MemoryLiveness | RedisLiveness
        rooms: SingleProcessMedia | ClusterMedia
        if settings.redis_url is None:
            liveness, rooms = MemoryLiveness(), SingleProcessMedia(media_server)
        else:
            # One id per process: its heartbeat, and where its media rooms live.
            liveness = RedisLiveness(settings.redis_url, settings.redis_prefix)
            rooms = ClusterMedia(
                media_server, settings.redis_url, liveness.node, settings.redis_prefix
            )
        await rooms.start()
        calendar = CenterCalendar(
            settings.exceptions_path, ZoneInfo(settings.center_tz)
        )
        calendar.hours()  # a bad closures file stops the start, naming the entry
        chat = SqlChatLog(database)
        reservations = SqlReservationBook(database)
        records = SqlCaseRecords(database)
        desk = Desk(
            store,
            cases,
            chat,
            rooms,
            SocketNotifier(sio),
            hours=calendar.hours,
            refuse_past_close=settings.refuse_past_close,
            reservations=reservations,
            liveness=liveness,
            records=records,
        )
        desk.rooms.departments = settings.departments
        interrupted = await desk.close_interrupted()
        if interrupted:
            log.warning("closed %d cases left open by the previous run", interrupted)
        # Recordings: never stored in clear, so none without a key.
        data_dir = settings.data_dir.resolve()
        key = recording_key(settings.recording_key_bytes(), settings.demo, data_dir)
        library = AppRecordings(
            SqlRecordings(database),
            SqlAccessAudit(database),
            SqlCompositeJobs(database),
            cases,
            key,
            data_dir,
            utc_now,
        )
        recovered = await library.recover()
        if recovered:
            log.warning("closed %d recordings left open by the previous run", recovered)
        # Consent and recording, run by the process holding each room's media.
        recorders = room_recorders(media_server, key, data_dir, SqlRecordings(database))
        consent = ConsentDesk(desk, rooms, SocketNotifier(sio), recorders, utc_now)
        desk.consent = consent
        rooms.serve_consent(consent.handle)
        ttl = timedelta(hours=settings.session_ttl_hours)
        auth = Authenticator(
            staff, SqlLoginSessions(database), passwords, utc_now, ttl, Throttle()
        )
        demo = (
            await seed_demo(staff, passwords, settings.demo_password)
            if settings.demo
            else []
        )
        if settings.demo:
            await seed_demo_shifts(staff, reservations, calendar.hours().tz, utc_now())
        app[SCHEDULING] = SchedulingRuntime(
            reservations,
            auth,
            calendar,
            utc_now,
            long_wait_minutes=settings.booking_offer_wait_minutes,
        )
        app[RUNTIME] = Runtime(database, cases, chat, desk, auth, media_server, demo)
        app[WAITS] = WaitBoard(store.snapshot, utc_now)
        app[HTTP_RUNTIME] = HttpRuntime(
            auth,
            cases,
            settings.cookie_secure,
            int(ttl.total_seconds()),
            calendar,
            chat,
            long_wait_minutes=settings.booking_offer_wait_minutes,
        )
        taxonomy = TaxonomyFile(settings.taxonomy_path)
        taxonomy.taxonomy()  # a bad categories file stops the start, naming the entry
        app[RECORDS] = RecordsRuntime(
            records, cases, auth, taxonomy.taxonomy, calendar.hours().tz, utc_now
        )
        app[RECORDINGS] = RecordingsRuntime(
            library, cases, auth, calendar.hours().tz, utc_now
        )
        timers = asyncio.create_task(desk.run_timers(), name="offer-timers")
        beats = asyncio.create_task(desk.run_liveness(), name="liveness")
        board = asyncio.create_task(
            desk.run_dashboard(SocketNotifier(sio)), name="dashboard"
        )
        retention = asyncio.create_task(
            run_retention(
                records,
                utc_now,
                settings.retention_days,
                recordings=library.apply_retention,
            ),
            name="retention",
        )
        try:
            yield
        finally:
            for error in await cancel_and_wait((timers, beats, board, retention)):
                log.error("a background task had failed", exc_info=error)
            await consent.close()
            await library.close()
            await rooms.close()
            await media_server.close()
            await store.close()
            await liveness.close()
            await database.close()

    async def disconnect_everyone(app: web.Application) -> None:
        # Close every connection while storage is still open, so the disconnect
        # handlers end their cases; otherwise shutting down would wait for each
        # open websocket until aiohttp's shutdown timeout.
        await close_every_socket(sio.eio)
        await sio.shutdown()

    app.on_shutdown.append(disconnect_everyone)
    app.cleanup_ctx.append(lifespan)
    return app


async def close_every_socket(eio: Any) -> None:
    """Close every client's connection, running each one's disconnect handlers.

    Not ``eio.disconnect()``: python-engineio's close runs the handlers, queues
    the CLOSE packet and then waits for the socket's send queue to empty; when
    the client leaves while the handlers run, the socket's writer has already
    ended, nobody empties the queue, and shutting down waited until the
    process was killed. So once every unfinished close has run its handlers
    (the socket says ``closed``), the rest get ``FLUSH_SECONDS`` to send."""
    sockets = list(eio.sockets.values())
    if not sockets:
        return
    closes = {
        asyncio.create_task(s.close(reason=eio.reason.SERVER_DISCONNECT)): s
        for s in sockets
    }
    while pending := [task for task in closes if not task.done()]:
        if all(closes[task].closed for task in pending):
            await asyncio.wait(pending, timeout=FLUSH_SECONDS)
            break
        await asyncio.wait(pending, timeout=0.05)
    stuck = sum(not task.done() for task in closes)
    if stuck:
        log.info("%d connections left without their goodbye", stuck)
    for error in await cancel_and_wait(closes):
        log.error("closing a connection failed", exc_info=error)
    eio.sockets = {}
