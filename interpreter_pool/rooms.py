"""Rooms of more than two: guests by invite, counselors and transfers through
offers, a supervisor listening in. Mixed into the Pool; pure like it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from counseling.cases import EventKind, Party
from counseling.services import Skill
from interpreter_pool.errors import (
    AlreadyInRoom,
    InviteExpired,
    InviteUnknown,
    InviteUsed,
    JoinPending,
    NoJoinRequest,
    NotAllowed,
    NotInRoom,
    RoomFull,
    StaffUnavailable,
    UnknownParty,
)
from interpreter_pool.events import (
    InviteCreated,
    JoinRequested,
    JoinRequestEnded,
    LeaveReason,
    Offer,
    OfferMade,
    PartyJoined,
    PartyLeft,
    PartyReconnected,
    PartyReconnecting,
    PoolEvent,
    RoomParty,
    Session,
    SessionTransferred,
    StaffStatus,
    StaffStatusChanged,
)
from interpreter_pool.records import (
    Invite,
    JoinRequest,
    PoolRules,
    StaffRecord,
    pick_longest_idle,
)

# As the media server holds them: five parties, four of them publishing.
MAX_PARTIES = 5
MAX_PUBLISHERS = 4


class RoomCommands:
    """The Pool's commands on the parties of a running session."""

    if TYPE_CHECKING:
        rules: PoolRules
        _make_id: Callable[[], str]
        _staff: dict[str, StaffRecord]
        _sessions: dict[str, Session]
        _offers: dict[str, Offer]
        _joins: list[JoinRequest]
        _invites: dict[str, Invite]

        def _changed(self, staff_id: str) -> StaffStatusChanged: ...

        @staticmethod
        def _become(
            staff: StaffRecord,
            status: StaffStatus,
            now: datetime,
            reason: None = None,
        ) -> None: ...

        def _close_offer(
            self, offer_id: str, kind: EventKind, now: datetime
        ) -> list[PoolEvent]: ...

        def _settle(self, now: datetime) -> list[PoolEvent]: ...

        def session_of(self, party_id: str) -> Session | None: ...

    # -- read side ----------------------------------------------------------

    def room(self, room_id: str) -> Session | None:
        return self._sessions.get(room_id)

    def pending_joins(self, room_id: str) -> list[JoinRequest]:
        return [j for j in self._joins if j.room_id == room_id]

    def invites(self, room_id: str) -> list[Invite]:
        return [i for i in self._invites.values() if i.room_id == room_id]

    # -- commands -----------------------------------------------------------

    def create_invite(
        self,
        actor: str,
        supervisor: bool,
        room_id: str,
        invite_id: str,
        token_hash: str,
        now: datetime,
        lifetime: timedelta,
    ) -> tuple[Invite, list[PoolEvent]]:
        """A single-use guest invite for the room, valid for ``lifetime``."""
        if lifetime <= timedelta(0):
            raise ValueError("an invite must live a while")
        session = self._managed(actor, supervisor, room_id)
        invite = Invite(invite_id, token_hash, room_id, actor, now, now + lifetime)
        self._invites[token_hash] = invite
        return invite, [InviteCreated(session, invite_id, actor, now)]

    def join_with_invite(
        self,
        guest_id: str,
        token_hash: str,
        now: datetime,
        audio_only: bool,
        connection: str = "",
        resume_hash: str = "",
    ) -> tuple[Session, list[PoolEvent]]:
        """The guest behind an invite comes in; the invite is used up. With a
        ``resume_hash`` the guest may come back after a reload (``resume_party``)."""
        invite = self._invites.get(token_hash)
        session = None if invite is None else self._sessions.get(invite.room_id)
        if invite is None or session is None:
            raise InviteUnknown
        if invite.used_by is not None:
            raise InviteUsed
        if invite.expires_at <= now:
            raise InviteExpired
        if self.session_of(guest_id) is not None:
            raise AlreadyInRoom(session.room_id, guest_id)
        self._check_room(session, publishes=True)
        party = RoomParty(
            guest_id,
            Party.GUEST,
            True,
            audio_only,
            now,
            connection=connection,
            resume_hash=resume_hash,
        )
        self._invites[token_hash] = Invite(
            invite.id,
            invite.token_hash,
            invite.room_id,
            invite.created_by,
            invite.created_at,
            invite.expires_at,
            used_by=guest_id,
        )
        session = self._put(replace(session, parties=(*session.parties, party)))
        return session, [PartyJoined(session, party, invite.id)]

    def watch(
        self,
        supervisor_id: str,
        room_id: str,
        now: datetime,
        label: str = "",
        connection: str = "",
    ) -> tuple[Session, list[PoolEvent]]:
        """A supervisor listens in: in the room, publishing nothing. Asked
        again on another connection of theirs (a reload, whether or not the old
        connection's close was seen yet), ``connection`` takes the place; asked
        again on the same connection, AlreadyInRoom."""
        session = self._session(room_id, supervisor_id)
        mine = session.party(supervisor_id)
        if (
            mine is not None
            and mine.role is Party.SUPERVISOR
            and (
                mine.grace_until is not None or connection not in ("", mine.connection)
            )
        ):
            mine = replace(mine, connection=connection, grace_until=None)
            session = self._swap(session, mine)
            return session, [PartyReconnected(session, mine)]
        if self.session_of(supervisor_id) is not None:
            raise AlreadyInRoom(room_id, supervisor_id)
        self._check_room(session, publishes=False)
        party = RoomParty(
            supervisor_id, Party.SUPERVISOR, False, False, now, label, connection
        )
        session = self._put(replace(session, parties=(*session.parties, party)))
        return session, [PartyJoined(session, party)]

    def listening_on(self, supervisor_id: str, room_id: str) -> str:
        """The live connection a supervisor listens to ``room_id`` on; "" when
        they do not, or their place waits for them (reconnect grace)."""
        session = self._sessions.get(room_id)
        mine = None if session is None else session.party(supervisor_id)
        if mine is None or mine.role is not Party.SUPERVISOR or mine.grace_until:
            return ""
        return mine.connection

    def request_counselor(
        self,
        actor: str,
        supervisor: bool,
        room_id: str,
        department: str,
        now: datetime,
    ) -> list[PoolEvent]:
        """Offer a counselor of ``department`` a place in the room."""
        session = self._managed(actor, supervisor, room_id)
        self._check_no_join(session)
        self._check_room(session, publishes=True)
        self._joins.append(
            JoinRequest(
                room_id,
                session.case_id,
                "counselor",
                session.skill,
                now,
                actor,
                department=department,
            )
        )
        requested = JoinRequested(session, "counselor", actor, department, None, now)
        return [requested, *self._settle(now)]

    def request_transfer(
        self,
        actor: str,
        supervisor: bool,
        room_id: str,
        to_staff: str | None,
        now: datetime,
    ) -> list[PoolEvent]:
        """Offer the session to ``to_staff`` (None: the longest-idle qualified
        interpreter); they join, and the present interpreter leaves once they
        are connected (``finish_transfer``)."""
        session = self._managed(actor, supervisor, room_id)
        self._check_no_join(session)
        if to_staff is not None:
            staff = self._staff.get(to_staff)
            if (
                staff is None
                or session.has(to_staff)
                or staff.status is not StaffStatus.AVAILABLE
                or session.skill not in staff.skills
            ):
                raise StaffUnavailable(to_staff)
        self._check_room(session, publishes=True)
        self._joins.append(
            JoinRequest(
                room_id,
                session.case_id,
                "transfer",
                session.skill,
                now,
                actor,
                only=to_staff,
            )
        )
        requested = JoinRequested(session, "transfer", actor, None, to_staff, now)
        return [requested, *self._settle(now)]

    def cancel_join(
        self, actor: str, supervisor: bool, room_id: str, now: datetime
    ) -> list[PoolEvent]:
        """Withdraw the room's pending counselor or transfer request; an offer
        open for it is withdrawn and its staff member is free again. Raises
        NoJoinRequest when none is pending (a transfer already accepted is
        no longer pending)."""
        session = self._managed(actor, supervisor, room_id)
        joins = self.pending_joins(room_id)
        if not joins:
            raise NoJoinRequest(room_id)
        events: list[PoolEvent] = []
        for join in joins:
            if join.offer_id is not None:
                events += self._close_offer(
                    join.offer_id, EventKind.OFFER_WITHDRAWN, now
                )
            self._joins.remove(join)
            events.append(JoinRequestEnded(session, join.kind, "cancelled", now, actor))
        return events + self._settle(now)

    def finish_transfer(
        self, room_id: str, staff_id: str, now: datetime
    ) -> list[PoolEvent]:
        """The incoming interpreter is connected: the session is theirs, and the
        one who handed it over leaves for wrap-up. Nothing if not incoming."""
        session = self._sessions.get(room_id)
        if session is None or session.incoming != staff_id:
            return []
        old = session.staff_id
        parties = tuple(p for p in session.parties if p.party_id != staff_id)
        session = self._put(
            replace(session, parties=parties, incoming=None, staff_id=staff_id)
        )
        events: list[PoolEvent] = [SessionTransferred(session, old, now)]
        staff = self._staff.get(old)
        if staff is not None and staff.room_id == room_id:
            events += self._release(old, staff, session.skill, now, wrap_up=True)
        return events

    def remove_party(
        self,
        actor: str,
        supervisor: bool,
        room_id: str,
        party_id: str,
        now: datetime,
    ) -> list[PoolEvent]:
        """Take someone (not the citizen or the interpreter) out of the room."""
        session = self._managed(actor, supervisor, room_id)
        party = session.party(party_id)
        if party is None:
            raise UnknownParty(room_id)
        return self._leave(session, party, "removed", now) + self._settle(now)

    def leave_room(
        self,
        party_id: str,
        room_id: str,
        now: datetime,
        reason: LeaveReason = "left",
    ) -> list[PoolEvent]:
        """A counselor, guest, supervisor or incoming interpreter leaves."""
        session = self._session(room_id, party_id)
        party = session.party(party_id)
        if party is None:
            raise NotInRoom(room_id, party_id)
        return self._leave(session, party, reason, now) + self._settle(now)

    def connection_gone(
        self, party_id: str, connection: str, now: datetime
    ) -> list[PoolEvent]:
        """A guest's or supervisor's connection closed: a supervisor, and a
        guest who holds a resume token, keep their place for the reconnect
        grace period; other guests leave their room."""
        session = self.session_of(party_id)
        party = None if session is None else session.party(party_id)
        if session is None or party is None:
            return []
        if not party.connection or party.connection != connection:
            return []  # staff in the room leave when their last tab closes
        held = party.resume_hash or party.role is Party.SUPERVISOR
        if held and self.rules.reconnect_grace > timedelta(0):
            if party.grace_until is not None:
                return []
            deadline = now + self.rules.reconnect_grace
            party = replace(party, grace_until=deadline)
            session = self._swap(session, party)
            return [PartyReconnecting(session, party, deadline)]
        return self.leave_room(party_id, session.room_id, now, "connection_lost")

    def holder_died(
        self, party_id: str, connection: str, now: datetime
    ) -> list[PoolEvent]:
        """The process holding a guest's or supervisor's ``connection`` died
        (found by its lapsed heartbeat): they leave their room as if they left.
        Their pages come back on a live process at once and take their place up
        again on a new connection (nothing to do then), so the heartbeat's lapse
        stands in for the reconnect grace."""
        session = self.session_of(party_id)
        party = None if session is None else session.party(party_id)
        if session is None or party is None:
            return []
        if not party.connection or party.connection != connection:
            return []
        return self._leave(session, party, "left", now) + self._settle(now)

    def resume_party(
        self, token_hash: str, now: datetime, connection: str = ""
    ) -> tuple[Session, RoomParty, list[PoolEvent]]:
        """The guest behind a resume token is back on ``connection``, in the
        same place. Raises NotInRoom when the token is unknown or they left."""
        for session in self._sessions.values():
            for party in session.parties:
                if not party.resume_hash or party.resume_hash != token_hash:
                    continue
                away = party.grace_until is not None
                party = replace(party, connection=connection, grace_until=None)
                session = self._swap(session, party)
                back: list[PoolEvent] = [PartyReconnected(session, party)]
                return session, party, back if away else []
        raise NotInRoom("", "resume")

    # -- internals used by the Pool ----------------------------------------------

    def _party_deadlines(self) -> list[datetime]:
        """When each guest in their reconnect grace period must be back."""
        return [
            p.grace_until
            for s in self._sessions.values()
            for p in s.parties
            if p.grace_until is not None
        ]

    def _lapse_party_graces(self, now: datetime) -> list[PoolEvent]:
        """Guests whose grace period passed leave their room."""
        events: list[PoolEvent] = []
        for room_id in list(self._sessions):
            for party in self._sessions[room_id].parties:
                if party.grace_until is not None and party.grace_until <= now:
                    session = self._sessions[room_id]
                    events += self._leave(session, party, "connection_lost", now)
        return events

    def _helper_gone(self, staff_id: str, now: datetime) -> list[PoolEvent]:
        """A counselor or incoming interpreter went offline: they keep their
        place for the reconnect grace period (without one they leave at once)."""
        staff = self._staff[staff_id]
        session = None if staff.room_id is None else self._sessions.get(staff.room_id)
        party = None if session is None else session.party(staff_id)
        if session is None or party is None:
            return []
        if self.rules.reconnect_grace <= timedelta(0):
            return self._leave(session, party, "connection_lost", now)
        if party.grace_until is not None:
            return []
        staff.grace_until = now + self.rules.reconnect_grace
        party = replace(party, grace_until=staff.grace_until)
        session = self._swap(session, party)
        return [PartyReconnecting(session, party, staff.grace_until)]

    def _helper_back(self, staff_id: str, room_id: str) -> list[PoolEvent]:
        """A counselor in their grace period connected again: same place."""
        session = self._sessions[room_id]
        party = session.party(staff_id)
        if party is None:
            return []
        party = replace(party, grace_until=None)
        return [PartyReconnected(self._swap(session, party), party)]

    def _accept_join(
        self, staff_id: str, offer: Offer, now: datetime
    ) -> list[PoolEvent]:
        join = next(j for j in self._joins if j.offer_id == offer.id)
        session = self._sessions[join.room_id]
        self._check_room(session, publishes=True, joining=join)
        del self._offers[offer.id]
        self._joins.remove(join)
        staff = self._staff[staff_id]
        staff.offer_id = None
        staff.room_id = session.room_id
        staff.missed = 0
        self._become(staff, StaffStatus.IN_SESSION, now)
        role = Party.COUNSELOR if join.kind == "counselor" else Party.INTERPRETER
        party = RoomParty(staff_id, role, True, False, now, staff.name)
        incoming = staff_id if join.kind == "transfer" else session.incoming
        session = self._put(
            replace(session, parties=(*session.parties, party), incoming=incoming)
        )
        events: list[PoolEvent] = [PartyJoined(session, party), self._changed(staff_id)]
        if join.kind == "transfer" and session.skill.service.channel == "chat":
            events += self.finish_transfer(session.room_id, staff_id, now)
        return events

    def _room_closed(self, session: Session, now: datetime) -> list[PoolEvent]:
        """The session ended: its join requests and invites go, its other staff
        are free again."""
        events: list[PoolEvent] = []
        for join in self.pending_joins(session.room_id):
            if join.offer_id is not None:
                events += self._close_offer(
                    join.offer_id, EventKind.OFFER_WITHDRAWN, now
                )
            self._joins.remove(join)
            events.append(JoinRequestEnded(session, join.kind, "session_ended", now))
        self._invites = {
            h: i for h, i in self._invites.items() if i.room_id != session.room_id
        }
        for party in session.parties:
            staff = self._staff.get(party.party_id)
            if staff is not None and staff.room_id == session.room_id:
                events += self._release(
                    party.party_id, staff, session.skill, now, wrap_up=False
                )
        return events

    def _holder(self, offer: Offer) -> JoinRequest | None:
        """The join request an offer was made for (None: a citizen's request)."""
        if offer.room_id is None:
            return None
        return next(j for j in self._joins if j.offer_id == offer.id)

    def _can_take(self, join: JoinRequest, staff_id: str, staff: StaffRecord) -> bool:
        session = self._sessions.get(join.room_id)
        if session is None or session.has(staff_id):
            return False
        if join.only is not None:
            return staff_id == join.only
        if join.kind == "counselor":
            return join.department in staff.departments
        return join.skill in staff.skills

    def _end_exhausted_joins(self, now: datetime) -> list[PoolEvent]:
        events: list[PoolEvent] = []
        for join in list(self._joins):
            if join.offer_id is not None or not join.declined_by:
                continue
            able = {s for s, st in self._staff.items() if self._can_take(join, s, st)}
            if able <= join.declined_by:
                self._joins.remove(join)
                session = self._sessions[join.room_id]
                events.append(
                    JoinRequestEnded(session, join.kind, "declined_by_all", now)
                )
        return events

    def _dispatch_joins(self, now: datetime) -> list[PoolEvent]:
        """Offer each unoffered join request to the longest-idle one who can take it."""
        events: list[PoolEvent] = []
        for join in self._joins:
            if join.offer_id is not None:
                continue
            staff_id = pick_longest_idle(
                (sid, s.idle_since)
                for sid, s in self._staff.items()
                if s.status is StaffStatus.AVAILABLE
                and sid not in join.declined_by
                and self._can_take(join, sid, s)
            )
            if staff_id is None:
                continue
            offer = Offer(
                id=self._make_id(),
                case_id=join.case_id,
                staff_id=staff_id,
                skill=join.skill,
                made_at=now,
                expires_at=now + self.rules.offer_timeout,
                room_id=join.room_id,
                purpose=join.kind,
                department=join.department,
            )
            self._offers[offer.id] = offer
            join.offer_id = offer.id
            staff = self._staff[staff_id]
            staff.offer_id = offer.id
            self._become(staff, StaffStatus.OFFERED, now)
            events += [OfferMade(offer), self._changed(staff_id)]
        return events

    # -- helpers ------------------------------------------------------------

    def _session(self, room_id: str, party_id: str) -> Session:
        session = self._sessions.get(room_id)
        if session is None:
            raise NotInRoom(room_id, party_id)
        return session

    def _managed(self, actor: str, supervisor: bool, room_id: str) -> Session:
        """The room, if ``actor`` may manage it: its interpreter or a supervisor."""
        session = self._session(room_id, actor)
        if actor != session.staff_id and not supervisor:
            raise NotAllowed(room_id, actor)
        return session

    def _check_no_join(self, session: Session) -> None:
        if session.incoming is not None or self.pending_joins(session.room_id):
            raise JoinPending(session.room_id)

    def _check_room(
        self, session: Session, publishes: bool, joining: JoinRequest | None = None
    ) -> None:
        """Room for one more (pending join requests hold a publisher's place)."""
        held = [j for j in self.pending_joins(session.room_id) if j is not joining]
        parties = 2 + len(session.parties) + len(held)
        publishers = 2 + sum(p.publishes for p in session.parties) + len(held)
        if parties >= MAX_PARTIES or (publishes and publishers >= MAX_PUBLISHERS):
            raise RoomFull(session.room_id)

    def _put(self, session: Session) -> Session:
        self._sessions[session.room_id] = session
        return session

    def _swap(self, session: Session, party: RoomParty) -> Session:
        """The room with ``party`` (same id) in place of who was there."""
        parties = tuple(
            party if p.party_id == party.party_id else p for p in session.parties
        )
        return self._put(replace(session, parties=parties))

    def _leave(
        self, session: Session, party: RoomParty, reason: LeaveReason, now: datetime
    ) -> list[PoolEvent]:
        parties = tuple(p for p in session.parties if p.party_id != party.party_id)
        incoming = None if session.incoming == party.party_id else session.incoming
        session = self._put(replace(session, parties=parties, incoming=incoming))
        events: list[PoolEvent] = [PartyLeft(session, party, reason, now)]
        staff = self._staff.get(party.party_id)
        if staff is not None and staff.room_id == session.room_id:
            events += self._release(
                party.party_id, staff, session.skill, now, wrap_up=False
            )
        return events

    def _release(
        self,
        staff_id: str,
        staff: StaffRecord,
        skill: Skill,
        now: datetime,
        wrap_up: bool,
    ) -> list[PoolEvent]:
        """A staff member is out of a room that goes on (or just ended)."""
        staff.room_id = None
        if staff.grace_until is not None:  # gone, and did not come back
            self._staff.pop(staff_id)
            return [StaffStatusChanged(staff_id, StaffStatus.OFFLINE, staff.since)]
        if wrap_up and self.rules.wrap_up > timedelta(0):
            self._become(staff, StaffStatus.WRAP_UP, now)
            staff.wrap_up_until = now + self.rules.wrap_up
            staff.wrap_up_skill = skill
        else:
            self._become(staff, StaffStatus.AVAILABLE, now)
            staff.idle_since = now
        return [self._changed(staff_id)]
