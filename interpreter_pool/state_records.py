"""The pool's records as JSON-ready data and back, one record at a time: the
pieces both stored formats (``state_document``, ``state_codec``) are made of."""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from counseling.cases import Party
from counseling.services import Skill
from interpreter_pool.estimate import HandleTimes
from interpreter_pool.events import AwayReason, Offer, RoomParty, Session, StaffStatus
from interpreter_pool.pool import Pool
from interpreter_pool.records import Invite, JoinRequest, StaffRecord, WaitingRequest

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


# -- one record at a time ----------------------------------------------------


def _staff_data(s: StaffRecord) -> dict[str, Any]:
    return {
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
        "wrap_up_skill": None if s.wrap_up_skill is None else str(s.wrap_up_skill),
        "grace_until": _time(s.grace_until),
        "departments": sorted(s.departments),
    }


def _staff_from(s: dict[str, Any]) -> StaffRecord:
    return StaffRecord(
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
    )


def _waiting_data(r: WaitingRequest) -> dict[str, Any]:
    return {
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


def _waiting_from(r: dict[str, Any]) -> WaitingRequest:
    return WaitingRequest(
        case_id=r["case_id"],
        citizen_id=r["citizen_id"],
        skill=Skill.parse(r["skill"]),
        asked_at=_at(r["asked_at"]),
        priority=r["priority"],
        declined_by=set(r["declined_by"]),
        offer_id=r["offer_id"],
        told=None if r["told"] is None else (r["told"][0], r["told"][1]),
        preferred=r.get("preferred"),
    )


def _offer_data(o: Offer) -> dict[str, Any]:
    return {
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


def _offer_from(o: dict[str, Any]) -> Offer:
    return Offer(
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


def _session_data(x: Session) -> dict[str, Any]:
    return {
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


def _session_from(x: dict[str, Any]) -> Session:
    return Session(
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


def _join_data(j: JoinRequest) -> dict[str, Any]:
    return {
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


def _join_from(j: dict[str, Any]) -> JoinRequest:
    return JoinRequest(
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


def _invite_data(i: Invite) -> dict[str, Any]:
    return {
        "id": i.id,
        "token_hash": i.token_hash,
        "room_id": i.room_id,
        "created_by": i.created_by,
        "created_at": _time(i.created_at),
        "expires_at": _time(i.expires_at),
        "used_by": i.used_by,
    }


def _invite_from(i: dict[str, Any]) -> Invite:
    return Invite(
        i["id"],
        i["token_hash"],
        i["room_id"],
        i["created_by"],
        _at(i["created_at"]),
        _at(i["expires_at"]),
        i["used_by"],
    )


def _rest_data(pool: Pool) -> dict[str, Any]:
    """The small parts: grace, resume tokens, links, handle times, queue round."""
    return {
        "citizen_grace": {c: _time(d) for c, d in pool._citizen_grace.items()},
        "resume": dict(pool._resume),
        "citizen_links": {c: sorted(v) for c, v in pool._citizen_links.items()},
        "handle": {str(k): list(v) for k, v in pool._times._handle.items()},
        "wrap_up": {str(k): list(v) for k, v in pool._times._wrap_up.items()},
        "queue_seq": pool.queue_seq,
    }


def _rest_into(pool: Pool, data: dict[str, Any], old: Pool) -> None:
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
