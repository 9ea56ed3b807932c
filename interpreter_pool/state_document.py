"""Format 1 of the pool's stored state: the whole pool as one JSON-ready
document (``dump``/``load``); ``state_codec.decode`` still reads it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from interpreter_pool.pool import Pool
from interpreter_pool.records import PoolRules, new_id
from interpreter_pool.state_records import (
    _invite_data,
    _invite_from,
    _join_data,
    _join_from,
    _offer_data,
    _offer_from,
    _rest_data,
    _rest_into,
    _reuse,
    _session_data,
    _session_from,
    _staff_data,
    _staff_from,
    _waiting_data,
    _waiting_from,
)

VERSION = 1


def dump(pool: Pool) -> dict[str, Any]:
    """Everything the pool knows, as JSON-ready data."""
    return {
        "version": VERSION,
        "staff": {sid: _staff_data(s) for sid, s in pool._staff.items()},
        "waiting": [_waiting_data(r) for r in pool._waiting],
        "offers": [_offer_data(o) for o in pool._offers.values()],
        "sessions": [_session_data(x) for x in pool._sessions.values()],
        "joins": [_join_data(j) for j in pool._joins],
        "invites": [_invite_data(i) for i in pool._invites.values()],
    } | _rest_data(pool)


def load(
    data: dict[str, Any],
    rules: PoolRules | None = None,
    make_id: Callable[[], str] = new_id,
    previous: Pool | None = None,
) -> Pool:
    """A pool in the state ``dump`` wrote; unknown versions are refused.

    With ``previous`` (a pool this process loaded or saved before, which no one
    will change again), every record that equals one of ``previous`` is that
    record, not a new copy. Between two commands only a few records change, so
    the copies a load would make for the rest die at once instead of living on
    until the next load: a process that loads the pool for every command then
    makes no more long-lived objects than one that keeps it in memory, and the
    collector's full passes over the whole heap (tens of milliseconds with
    hundreds of connections) stay rare.
    """
    if data.get("version") != VERSION:
        raise ValueError(f"pool state version {data.get('version')!r} is unknown")
    pool = Pool(rules, make_id)
    old = previous if previous is not None else Pool(rules, make_id)
    for sid, s in data["staff"].items():
        pool._staff[sid] = _reuse(_staff_from(s), old._staff, sid)
    waiting = {r.case_id: r for r in old._waiting}
    for r in data["waiting"]:
        request = _waiting_from(r)
        pool._waiting.append(_reuse(request, waiting, request.case_id))
    for o in data["offers"]:
        offer = _offer_from(o)
        pool._offers[offer.id] = _reuse(offer, old._offers, offer.id)
    for x in data["sessions"]:
        session = _session_from(x)
        pool._sessions[session.room_id] = _reuse(
            session, old._sessions, session.room_id
        )
    joins = [_join_from(j) for j in data.get("joins", ())]
    pool._joins = [next((o for o in old._joins if o == j), j) for j in joins]
    for i in data.get("invites", ()):
        invite = _invite_from(i)
        pool._invites[invite.token_hash] = _reuse(
            invite, old._invites, invite.token_hash
        )
    _rest_into(pool, data, old)
    return pool
