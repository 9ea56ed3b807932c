"""The pool as plain JSON-ready data, so a shared store can hold it between commands.

Two forms: ``dump``/``load`` give and take one JSON-ready document (format 1);
``encode``/``decode`` give and take text in which every record is its own JSON
text (format 2), with a ``Codec`` remembering the last texts, so a process
encodes only the records whose values changed and decodes only the texts that
another process changed (BENCHMARKS.md, matching). ``decode`` reads both.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from operator import attrgetter
from typing import Any, Generic, TypeVar

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
FRAGMENTS = 2  # the format of ``encode``

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


# -- format 1: one document ---------------------------------------------------


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


# -- format 2: a text per record ----------------------------------------------

R = TypeVar("R")


def _value_of(cls: type[Any]) -> Callable[[Any], object]:
    """A record's value, to see whether it changed since it was encoded: its
    fields in order, sets frozen (they change in place). Frozen records are
    their own value."""
    if cls.__dataclass_params__.frozen:
        return lambda record: record
    get = attrgetter(*(f.name for f in fields(cls)))

    def value(record: Any) -> object:
        return tuple([frozenset(v) if v.__class__ is set else v for v in get(record)])

    return value


@dataclass(frozen=True, slots=True)
class _Kind(Generic[R]):
    """One kind of record in the pool: where it lives, its key, how it is
    written and read."""

    name: str
    items: Callable[[Pool], Iterable[R]]
    key: Callable[[R], str]
    value: Callable[[R], object]
    to_data: Callable[[R], dict[str, Any]]
    from_data: Callable[[dict[str, Any]], R]
    put: Callable[[Pool, list[R]], None]


@dataclass(frozen=True, slots=True)
class _Encoded:
    """One record as encoded: its value then, its text, and that text as a JSON
    string (escaped once, reused in every document while it does not change)."""

    value: object
    text: str
    quoted: str


@dataclass(slots=True)
class _Section:
    by_key: dict[str, _Encoded] = field(default_factory=dict)
    by_text: dict[str, Any] = field(default_factory=dict)  # text -> record


@dataclass(slots=True)
class Codec:
    """What ``encode`` wrote or ``decode`` read last, for the next call.

    It describes one pool: the one last passed to ``encode`` or returned by
    ``decode``. Between that call and a ``decode`` that reuses it, that pool
    may change only through commands each followed by an ``encode``.
    """

    sections: dict[str, _Section] = field(default_factory=dict)
    rest: str = ""


_staff_value = _value_of(StaffRecord)
StaffItem = tuple[str, StaffRecord]


def _put_staff(pool: Pool, items: list[StaffItem]) -> None:
    pool._staff = dict(items)


def _put_waiting(pool: Pool, records: list[WaitingRequest]) -> None:
    pool._waiting = records


def _put_offers(pool: Pool, records: list[Offer]) -> None:
    pool._offers = {o.id: o for o in records}


def _put_sessions(pool: Pool, records: list[Session]) -> None:
    pool._sessions = {x.room_id: x for x in records}


def _put_joins(pool: Pool, records: list[JoinRequest]) -> None:
    pool._joins = records


def _put_invites(pool: Pool, records: list[Invite]) -> None:
    pool._invites = {i.token_hash: i for i in records}


_KINDS: tuple[_Kind[Any], ...] = (
    _Kind(
        "staff",
        lambda pool: pool._staff.items(),
        lambda item: item[0],
        lambda item: (item[0], _staff_value(item[1])),
        lambda item: {"id": item[0]} | _staff_data(item[1]),
        lambda d: (d["id"], _staff_from(d)),
        _put_staff,
    ),
    _Kind(
        "waiting",
        lambda pool: pool._waiting,
        attrgetter("case_id"),
        _value_of(WaitingRequest),
        _waiting_data,
        _waiting_from,
        _put_waiting,
    ),
    _Kind(
        "offers",
        lambda pool: pool._offers.values(),
        attrgetter("id"),
        _value_of(Offer),
        _offer_data,
        _offer_from,
        _put_offers,
    ),
    _Kind(
        "sessions",
        lambda pool: pool._sessions.values(),
        attrgetter("room_id"),
        _value_of(Session),
        _session_data,
        _session_from,
        _put_sessions,
    ),
    _Kind(
        "joins",
        lambda pool: pool._joins,
        lambda j: f"{j.room_id}/{j.kind}/{j.case_id}",
        _value_of(JoinRequest),
        _join_data,
        _join_from,
        _put_joins,
    ),
    _Kind(
        "invites",
        lambda pool: pool._invites.values(),
        attrgetter("token_hash"),
        _value_of(Invite),
        _invite_data,
        _invite_from,
        _put_invites,
    ),
)


def _text(data: dict[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"))


def encode(pool: Pool, codec: Codec) -> str:
    """The pool as text (format 2). Only records whose values changed since
    ``codec`` saw them are encoded again; ``codec`` then describes ``pool``."""
    parts = [f'{{"version":{FRAGMENTS}']
    sections: dict[str, _Section] = {}
    for kind in _KINDS:
        old = codec.sections.get(kind.name) or _Section()
        section = sections[kind.name] = _Section()
        quoted: list[str] = []
        for record in kind.items(pool):
            key, value = kind.key(record), kind.value(record)
            known = old.by_key.get(key)
            if known is None or known.value != value:
                text = _text(kind.to_data(record))
                known = _Encoded(value, text, json.dumps(text))
            elif kind.name == "staff":
                # Keep the (id, record) pair already held for this text.
                held = old.by_text.get(known.text)
                record = held if held is not None and held[1] is record[1] else record
            section.by_key[key] = known
            section.by_text[known.text] = record
            quoted.append(known.quoted)
        parts.append(f',"{kind.name}":[{",".join(quoted)}]')
    rest = _text(_rest_data(pool))
    parts.append(f',"rest":{json.dumps(rest)}}}')
    codec.sections, codec.rest = sections, rest
    return "".join(parts)


def decode(
    text: str,
    rules: PoolRules | None = None,
    codec: Codec | None = None,
    previous: Pool | None = None,
    make_id: Callable[[], str] = new_id,
) -> Pool:
    """A pool from ``encode``'s text, or from format 1 (``dump`` as JSON).

    With ``codec`` and ``previous`` (the pool ``codec`` describes), a record
    whose text did not change is taken from ``previous`` as it is, without
    decoding. ``codec`` is then updated to the new pool.
    """
    data = json.loads(text)
    codec = Codec() if codec is None else codec
    if previous is None:
        codec.sections, codec.rest = {}, ""
    if data.get("version") == VERSION:
        pool = load(data, rules, make_id, previous)
        encode(pool, codec)
        return pool
    if data.get("version") != FRAGMENTS:
        raise ValueError(f"pool state version {data.get('version')!r} is unknown")
    pool = Pool(rules, make_id)
    sections: dict[str, _Section] = {}
    for kind in _KINDS:
        old = codec.sections.get(kind.name) or _Section()
        section = sections[kind.name] = _Section()
        records: list[Any] = []
        for record_text in data[kind.name]:
            record = old.by_text.get(record_text)
            known = None if record is None else old.by_key.get(kind.key(record))
            if record is None or known is None or known.text != record_text:
                record = kind.from_data(json.loads(record_text))
                known = _Encoded(
                    kind.value(record), record_text, json.dumps(record_text)
                )
            section.by_key[kind.key(record)] = known
            section.by_text[record_text] = record
            records.append(record)
        kind.put(pool, records)
    rest = data["rest"]
    _rest_into(pool, json.loads(rest), previous or Pool(rules, make_id))
    codec.sections, codec.rest = sections, rest
    return pool
