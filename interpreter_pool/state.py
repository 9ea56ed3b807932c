"""The pool as plain JSON-ready data, so a shared store can hold it between commands."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from counseling.cases import Party
from counseling.services import Skill
from interpreter_pool.estimate import HandleTimes
from interpreter_pool.events import AwayReason, Offer, RoomParty, Session, StaffStatus
from interpreter_pool.pool import Pool
from interpreter_pool.records import (
    Invite,
    JoinRequest,
    PoolRules,
    StaffRecord,
    WaitingRequest,
    new_id,
)

VERSION = 1

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


def _same(new: T, old: T | None) -> T:
    """``old`` when it equals ``new``: the copy already in memory is kept."""
    return old if old is not None and old == new else new


def _reuse(new: T, previous: Mapping[K, T], key: K) -> T:
    return _same(new, previous.get(key))


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _parse(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _skill(value: str | None) -> Skill | None:
    return None if value is None else Skill.parse(value)


def dump(pool: Pool) -> dict[str, Any]:
    """Everything the pool knows, as JSON-ready data."""
    return {
        "version": VERSION,
        "staff": {
            sid: {
                "skills": sorted(str(k) for k in s.skills),
                "status": s.status.value,
                "since": _time(s.since),
                "idle_since": _time(s.idle_since),
                "reason": None if s.reason is None else s.reason.value,
                "name": s.name,
                "connections": sorted(s.connections),
                "offer_id": s.offer_id,
                "room_id": s.room_id,
                "missed": s.missed,
                "wrap_up_until": _time(s.wrap_up_until),
                "wrap_up_skill": None
                if s.wrap_up_skill is None
                else str(s.wrap_up_skill),
                "grace_until": _time(s.grace_until),
                "departments": sorted(s.departments),
            }
            for sid, s in pool._staff.items()
        },
        "waiting": [
            {
                "case_id": r.case_id,
                "citizen_id": r.citizen_id,
                "skill": str(r.skill),
                "asked_at": _time(r.asked_at),
                "priority": r.priority,
                "declined_by": sorted(r.declined_by),
                "offer_id": r.offer_id,
                "told": None if r.told is None else list(r.told),
                "preferred": r.preferred,
            }
            for r in pool._waiting
        ],
        "offers": [
            {
                "id": o.id,
                "case_id": o.case_id,
                "staff_id": o.staff_id,
                "skill": str(o.skill),
                "made_at": _time(o.made_at),
                "expires_at": _time(o.expires_at),
                "room_id": o.room_id,
                "purpose": o.purpose,
                "department": o.department,
            }
            for o in pool._offers.values()
        ],
        "sessions": [
            {
                "room_id": x.room_id,
                "case_id": x.case_id,
                "citizen_id": x.citizen_id,
                "staff_id": x.staff_id,
                "skill": str(x.skill),
                "started_at": _time(x.started_at),
                "media_node": x.media_node,
                "parties": [
                    {
                        "party_id": p.party_id,
                        "role": p.role.value,
                        "publishes": p.publishes,
                        "audio_only": p.audio_only,
                        "joined_at": _time(p.joined_at),
                        "label": p.label,
                        "connection": p.connection,
                        "resume_hash": p.resume_hash,
                        "grace_until": _time(p.grace_until),
                    }
                    for p in x.parties
                ],
                "incoming": x.incoming,
            }
            for x in pool._sessions.values()
        ],
        "citizen_grace": {c: _time(d) for c, d in pool._citizen_grace.items()},
        "resume": dict(pool._resume),
        "citizen_links": {c: sorted(v) for c, v in pool._citizen_links.items()},
        "joins": [
            {
                "room_id": j.room_id,
                "case_id": j.case_id,
                "kind": j.kind,
                "skill": str(j.skill),
                "asked_at": _time(j.asked_at),
                "requested_by": j.requested_by,
                "department": j.department,
                "only": j.only,
                "declined_by": sorted(j.declined_by),
                "offer_id": j.offer_id,
            }
            for j in pool._joins
        ],
        "invites": [
            {
                "id": i.id,
                "token_hash": i.token_hash,
                "room_id": i.room_id,
                "created_by": i.created_by,
                "created_at": _time(i.created_at),
                "expires_at": _time(i.expires_at),
                "used_by": i.used_by,
            }
            for i in pool._invites.values()
        ],
        "handle": {str(k): list(v) for k, v in pool._times._handle.items()},
        "wrap_up": {str(k): list(v) for k, v in pool._times._wrap_up.items()},
        "queue_seq": pool.queue_seq,
    }


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
        pool._staff[sid] = _reuse(
            StaffRecord(
                skills=frozenset(Skill.parse(k) for k in s["skills"]),
                status=StaffStatus(s["status"]),
                since=_at(s["since"]),
                idle_since=_at(s["idle_since"]),
                reason=None if s["reason"] is None else AwayReason(s["reason"]),
                name=s["name"],
                connections=set(s["connections"]),
                offer_id=s["offer_id"],
                room_id=s["room_id"],
                missed=s["missed"],
                wrap_up_until=_parse(s["wrap_up_until"]),
                wrap_up_skill=_skill(s["wrap_up_skill"]),
                grace_until=_parse(s["grace_until"]),
                departments=frozenset(s.get("departments", ())),
            ),
            old._staff,
            sid,
        )
    waiting = {r.case_id: r for r in old._waiting}
    for r in data["waiting"]:
        pool._waiting.append(
            _reuse(
                WaitingRequest(
                    case_id=r["case_id"],
                    citizen_id=r["citizen_id"],
                    skill=Skill.parse(r["skill"]),
                    asked_at=_at(r["asked_at"]),
                    priority=r["priority"],
                    declined_by=set(r["declined_by"]),
                    offer_id=r["offer_id"],
                    told=None if r["told"] is None else (r["told"][0], r["told"][1]),
                    preferred=r.get("preferred"),
                ),
                waiting,
                r["case_id"],
            )
        )
    for o in data["offers"]:
        offer = Offer(
            o["id"],
            o["case_id"],
            o["staff_id"],
            Skill.parse(o["skill"]),
            _at(o["made_at"]),
            _at(o["expires_at"]),
            o.get("room_id"),
            o.get("purpose"),
            o.get("department"),
        )
        pool._offers[offer.id] = _reuse(offer, old._offers, offer.id)
    for x in data["sessions"]:
        session = Session(
            x["room_id"],
            x["case_id"],
            x["citizen_id"],
            x["staff_id"],
            Skill.parse(x["skill"]),
            _at(x["started_at"]),
            x.get("media_node", ""),
            tuple(
                RoomParty(
                    p["party_id"],
                    Party(p["role"]),
                    p["publishes"],
                    p["audio_only"],
                    _at(p["joined_at"]),
                    p["label"],
                    p["connection"],
                    p.get("resume_hash", ""),
                    _parse(p.get("grace_until")),
                )
                for p in x.get("parties", ())
            ),
            x.get("incoming"),
        )
        pool._sessions[session.room_id] = _reuse(
            session, old._sessions, session.room_id
        )
    grace = data.get("citizen_grace", {})  # absent in state from before resumes
    pool._citizen_grace = _same(
        {c: _at(d) for c, d in grace.items()}, old._citizen_grace
    )
    pool._resume = _same(dict(data.get("resume", {})), old._resume)
    links = data.get("citizen_links", {})
    pool._citizen_links = _same(
        {c: set(v) for c, v in links.items()}, old._citizen_links
    )
    pool.queue_seq = data.get("queue_seq", 0)
    joins = [
        JoinRequest(
            j["room_id"],
            j["case_id"],
            j["kind"],
            Skill.parse(j["skill"]),
            _at(j["asked_at"]),
            j["requested_by"],
            j["department"],
            j["only"],
            set(j["declined_by"]),
            j["offer_id"],
        )
        for j in data.get("joins", ())
    ]
    pool._joins = [next((o for o in old._joins if o == j), j) for j in joins]
    for i in data.get("invites", ()):
        pool._invites[i["token_hash"]] = _reuse(
            Invite(
                i["id"],
                i["token_hash"],
                i["room_id"],
                i["created_by"],
                _at(i["created_at"]),
                _at(i["expires_at"]),
                i["used_by"],
            ),
            old._invites,
            i["token_hash"],
        )
    times: HandleTimes = pool._times
    for key, values in data["handle"].items():
        skill = Skill.parse(key)
        times._handle[skill] = _reuse(
            deque(values, maxlen=times._keep), old._times._handle, skill
        )
    for key, values in data["wrap_up"].items():
        skill = Skill.parse(key)
        times._wrap_up[skill] = _reuse(
            deque(values, maxlen=times._keep), old._times._wrap_up, skill
        )
    return pool
