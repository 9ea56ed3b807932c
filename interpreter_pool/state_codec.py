"""Format 2 of the pool's stored state: a JSON text per record, with a ``Codec``
per process so only changed records are encoded or decoded again."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import Any, Generic, TypeVar

from interpreter_pool.events import Offer, Session
from interpreter_pool.pool import Pool
from interpreter_pool.records import (
    Invite,
    JoinRequest,
    PoolRules,
    StaffRecord,
    WaitingRequest,
    new_id,
)
from interpreter_pool.state_document import VERSION, load
from interpreter_pool.state_records import (
    _invite_data,
    _invite_from,
    _join_data,
    _join_from,
    _offer_data,
    _offer_from,
    _rest_data,
    _rest_into,
    _session_data,
    _session_from,
    _staff_data,
    _staff_from,
    _waiting_data,
    _waiting_from,
)

FRAGMENTS = 2  # the format of ``encode``

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
