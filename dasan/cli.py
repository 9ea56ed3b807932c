"""The `dasan` command: serve the whole service, or manage staff accounts."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import re
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from counseling.services import Skill
from counseling.staff import StaffAccount, StaffRole
from dasan import collector
from dasan.app import RUNTIME, create_app, database_url
from dasan.settings import Settings, SettingsError
from interpreter_pool.pool import new_id
from signaling.auth import Passwords
from storage.database import open_database
from storage.errors import DuplicateKey
from storage.sql import SqlStaffDirectory


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dasan", description="Dasan RTC: interpreted video counseling"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the whole service")
    _storage_args(serve)
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument(
        "--redis-url",
        help="share the pool and socket.io rooms with other processes "
        "(redis://host:port/db); default: in this process only",
    )
    serve.add_argument("--port", type=int, help="port to listen on (default 8080)")
    serve.add_argument(
        "--demo",
        action="store_true",
        default=None,
        help="create demo staff accounts and print their passwords",
    )
    staff = commands.add_parser("add-staff", help="create a staff account")
    _storage_args(staff)
    staff.add_argument("username")
    staff.add_argument("--name", required=True, help="display name")
    staff.add_argument(
        "--role", choices=[r.value for r in StaffRole], default="interpreter"
    )
    staff.add_argument(
        "--skill",
        action="append",
        default=[],
        help="service/language, e.g. sign_language/ksl (repeatable)",
    )
    return parser


def _storage_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, help="data folder (default ./var)")
    parser.add_argument(
        "--database-url",
        help="sqlite+aiosqlite:///... or postgresql+asyncpg://... (default: SQLite "
        "in the data folder)",
    )


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env(
            os.environ,
            host=getattr(args, "host", None),
            port=getattr(args, "port", None),
            data_dir=args.data_dir,
            database_url=args.database_url,
            demo=getattr(args, "demo", None),
            redis_url=getattr(args, "redis_url", None),
        )
    except SettingsError as exc:
        sys.exit(f"dasan: bad setting {exc}")
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.command == "serve":
        asyncio.run(serve(settings))
    else:
        asyncio.run(add_staff(settings, args))


# Paths that carry a secret (a calendar feed's link): logged without it.
SECRET_IN_PATH = re.compile(r"^(/api/calendar/)[^/]+(\.ics)$")


class AccessLog(AbstractAccessLogger):
    """Method, path, status, size and time: no client address (a citizen's IP is
    personal data), no query string, and no secret from a path."""

    def log(
        self, request: web.BaseRequest, response: web.StreamResponse, time: float
    ) -> None:
        path = SECRET_IN_PATH.sub(r"\1***\2", request.path)
        self.logger.info(
            '"%s %s" %s %s %.6fs',
            request.method,
            path,
            response.status,
            response.body_length,
            time,
        )


async def serve(settings: Settings) -> None:
    app = create_app(settings)
    runner = web.AppRunner(
        app,
        handle_signals=False,
        access_log_class=AccessLog,
        shutdown_timeout=10.0,
    )
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    await site.start()
    # Keep the collector's full passes, which pause every call on the process,
    # rare (dasan/collector.py; BENCHMARKS.md, matching).
    collector.settle_after_start_up()
    base = f"http://{settings.host}:{settings.port}"
    lines = [
        "Dasan RTC is running.",
        f"  Citizen page:   {base}/",
        f"  Book a time:    {base}/book",
        f"  Staff console:  {base}/staff",
        f"  Scheduler:      {base}/scheduler",
        f"  Supervisors:    {base}/supervisor",
        f"  Cases, figures: {base}/cases  {base}/stats",
        f"  Health check:   {base}/healthz",
    ]
    demo = app[RUNTIME].demo_accounts
    if demo:
        lines.append("Demo staff accounts (passwords are new on every start):")
        lines += [f"  {u:<18} {r:<12} password: {p}" for u, r, p in demo]
    print("\n".join(lines), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


async def add_staff(settings: Settings, args: argparse.Namespace) -> None:
    try:
        skills = frozenset(Skill.parse(s) for s in args.skill)
        password = os.environ.get("DASAN_NEW_STAFF_PASSWORD") or getpass.getpass(
            f"Password for {args.username}: "
        )
        if len(password) < 10:
            raise ValueError("the password must be 10 characters or more")
        account = StaffAccount(
            new_id(),
            args.username,
            args.name,
            StaffRole(args.role),
            skills,
            Passwords().hash(password),
        )
    except ValueError as exc:
        sys.exit(f"dasan: {exc}")
    database = await open_database(database_url(settings))
    try:
        await SqlStaffDirectory(database).add(account)
    except DuplicateKey:
        sys.exit(f"dasan: a staff member named {args.username} already exists")
    finally:
        await database.close()
    print(f"created {account.role.value} {account.username}")
