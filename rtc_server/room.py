"""A media room: up to five parties, one peer connection each, never renegotiated.

Each party's single peer connection offers its own audio and video (sendrecv,
sendonly, or none at all for a supervisor who only watches) plus a fixed number
of recvonly *slots* per kind (four audio and four video is enough for a full
room). The server answers once. As parties come and go it attaches another
publisher's forwarded stream to a free slot of the right kind, so it never has
to send an offer of its own, which keeps browsers and aiortc clients simple.
``roster()`` says, for each viewer, which slot (mid) carries whom; signaling
pushes it so the client puts each slot's video in the right tile.

A party's own sendrecv m-line is a slot too: a two-party client that offers
only its sendrecv audio and video receives the other party there.

A slot belongs to its publisher while that publisher is in the room, even while
they reconnect, so a tile never jumps. ``replace_party`` hands the old party's
slots to the new one (a warm transfer of the interpreter): the citizen's peer
connection and mids stay as they are and the new interpreter's frames follow on
the same timeline.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from aiortc import (
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpTransceiver,
    RTCSessionDescription,
)

from rtc_server import aiortc_seams
from rtc_server.decoding import DecodedVideo
from rtc_server.errors import (
    AlreadyInRoom,
    NegotiationFailed,
    NotAParticipant,
    RoomFull,
)
from rtc_server.forwarding import Forwarder, Publication
from rtc_server.negotiation import (
    choose_codecs,
    preferences,
    read_offer,
    server_direction,
)
from rtc_server.tracks import KINDS, DeliveryStats, ForwardedTrack

log = logging.getLogger(__name__)

MAX_PARTIES = 5
MAX_PUBLISHERS = 4

# viewer -> publisher -> kind -> mid of the viewer's slot that carries it
Roster = dict[str, dict[str, dict[str, str]]]


@dataclass(eq=False, slots=True)
class Slot:
    """Where one publisher's stream of one kind reaches one subscriber."""

    mid: str  # "" for a tap, which is not in any peer connection
    kind: str
    track: ForwardedTrack
    publisher: str | None = None
    publication: Publication | None = None


@dataclass(eq=False, slots=True)
class Member:
    party_id: str
    publishes: bool
    pc: RTCPeerConnection | None = None
    publications: dict[str, Publication] = field(default_factory=dict)
    slots: list[Slot] = field(default_factory=list)


class MediaRoom:
    """The parties of one session; each receives what the others publish."""

    def __init__(
        self,
        room_id: str,
        parties: Iterable[str],
        forwarder: Forwarder,
        configuration: Callable[[], RTCConfiguration],
        stats_window: float = 5.0,
    ) -> None:
        self.room_id = room_id
        self._forwarder = forwarder
        self._configuration = configuration
        self._stats_window = stats_window
        self._members: dict[str, Member] = {}
        self._codecs: dict[str, str] = {}
        self._taps: list[Slot] = []
        self._lock = asyncio.Lock()
        self._closed = False
        for party_id in parties:
            if party_id in self._members:
                raise ValueError("a room needs different parties")
            self._admit(party_id, publishes=True)

    @property
    def parties(self) -> tuple[str, ...]:
        return tuple(self._members)

    def connection_state(self, party_id: str) -> str:
        pc = self._require(party_id).pc
        return "new" if pc is None else pc.connectionState

    def _require(self, party_id: str) -> Member:
        member = self._members.get(party_id)
        if member is None:
            raise NotAParticipant(self.room_id, party_id)
        return member

    def _admit(self, party_id: str, publishes: bool) -> Member:
        if not party_id:
            raise ValueError("a party needs an id")
        if party_id in self._members:
            raise AlreadyInRoom(self.room_id, party_id)
        if len(self._members) >= MAX_PARTIES:
            raise RoomFull(self.room_id, MAX_PARTIES, "parties")
        publishers = sum(m.publishes for m in self._members.values())
        if publishes and publishers >= MAX_PUBLISHERS:
            raise RoomFull(self.room_id, MAX_PUBLISHERS, "publishers")
        member = Member(party_id, publishes)
        self._members[party_id] = member
        return member

    def add_party(self, party_id: str, publishes: bool = True) -> None:
        """Admit a party; they connect with ``connect`` when ready."""
        if self._closed:
            raise NotAParticipant(self.room_id, party_id)
        self._admit(party_id, publishes)

    async def remove_party(self, party_id: str) -> None:
        """The party leaves; everyone else's media goes on untouched."""
        async with self._lock:
            member = self._require(party_id)
            del self._members[party_id]
            await self._disconnect(member)
            for tap in self._taps:
                if tap.publisher == party_id:
                    tap.track.stop()
            self._assign()
            log.info("room %s: a party left", self.room_id)

    async def replace_party(
        self, old: str, new: str, publishes: bool | None = None
    ) -> None:
        """``new`` takes over ``old``'s slots everywhere, then ``old`` leaves.

        ``new`` may already be in the room (a warm transfer where the new
        interpreter joined first); their own slots in others' connections are
        freed. Otherwise ``new`` takes ``old``'s place and connects afterwards.
        """
        if not new or old == new:
            raise ValueError("a party is replaced by another, named party")
        async with self._lock:
            leaving = self._require(old)
            staying = self._members.get(new)
            if staying is None:
                wants = leaving.publishes if publishes is None else publishes
                publishers = sum(m.publishes for m in self._members.values())
                if wants and not leaving.publishes and publishers >= MAX_PUBLISHERS:
                    raise RoomFull(self.room_id, MAX_PUBLISHERS, "publishers")
                joining = Member(new, wants)
                self._members = {
                    (new if k == old else k): (joining if k == old else m)
                    for k, m in self._members.items()
                }
            else:
                del self._members[old]
            for member in self._members.values():
                for slot in member.slots:
                    if staying is not None and slot.publisher == new:
                        self._free(slot)
                for slot in member.slots:
                    if slot.publisher == old:
                        slot.publisher = new
            for tap in self._taps:
                if tap.publisher == old:
                    tap.publisher = new
            await self._disconnect(leaving)
            self._assign()
            log.info("room %s: a party was replaced", self.room_id)

    async def connect(self, party_id: str, offer_sdp: str) -> str:
        """Answer a party's offer; a second offer replaces their connection."""
        async with self._lock:
            if self._closed:
                raise NotAParticipant(self.room_id, party_id)
            me = self._require(party_id)
            offer = read_offer(offer_sdp)
            codecs = choose_codecs(offer, self._codecs)
            await self._disconnect(me)
            pc = RTCPeerConnection(self._configuration())
            me.pc = pc
            try:
                plan: list[tuple[RTCRtpTransceiver, str, bool]] = []
                for offered in offer:
                    # The first m-line of a kind that the party sends on publishes.
                    receive = (
                        me.publishes
                        and offered.publishes
                        and all(k != offered.kind or not r for _, k, r in plan)
                    )
                    transceiver = pc.addTransceiver(
                        offered.kind, direction=server_direction(offered, receive)
                    )
                    transceiver.setCodecPreferences(
                        preferences(offered.kind, codecs[offered.kind])
                    )
                    if offered.is_slot:
                        track = ForwardedTrack(offered.kind, self._stats_window)
                        transceiver.sender.replaceTrack(track)
                        if self._forwarder.encoded:
                            aiortc_seams.on_keyframe_request(
                                transceiver.sender, track.request_keyframe
                            )
                        me.slots.append(Slot(offered.mid, offered.kind, track))
                    plan.append((transceiver, offered.kind, receive))
                await pc.setRemoteDescription(
                    RTCSessionDescription(sdp=offer_sdp, type="offer")
                )
                for (transceiver, kind, receive), offered in zip(
                    plan, offer, strict=True
                ):
                    if transceiver.mid != offered.mid:
                        raise NegotiationFailed("m-lines out of order")
                    if receive:
                        me.publications[kind] = self._forwarder.publish(
                            party_id, kind, codecs[kind], transceiver.receiver
                        )
                answer = await pc.createAnswer()
                await pc.setLocalDescription(answer)
            except NegotiationFailed:
                await self._disconnect(me)
                raise
            except Exception as exc:  # aiortc raises ValueError and others on bad SDP
                await self._disconnect(me)
                raise NegotiationFailed(type(exc).__name__) from exc
            self._codecs = codecs
            self._assign()
            log.info("room %s: party connected", self.room_id)
            sdp: str = pc.localDescription.sdp
            return sdp

    def tap(self, party_id: str, kind: str) -> ForwardedTrack:
        """A subscriber that is not a peer connection: ``recv()`` gives the
        party's encoded frames as ``av.Packet`` (with the default forwarder),
        from a keyframe on, with timestamps that keep rising across their
        reconnects. ``stop()`` the track when done."""
        if kind not in KINDS:
            raise ValueError(f"not a media kind: {kind!r}")
        self._require(party_id)
        tap = Slot("", kind, ForwardedTrack(kind, self._stats_window), party_id)
        self._taps.append(tap)
        self._assign()
        return tap.track

    def decoded_video(self, party_id: str) -> DecodedVideo:
        """The party's video decoded off the event loop, for analysis; decoding
        runs only until the track is stopped."""
        return DecodedVideo(
            self.tap(party_id, "video"), lambda: self._codecs.get("video")
        )

    def roster(self) -> Roster:
        return {
            viewer.party_id: _by_publisher(viewer.slots)
            for viewer in self._members.values()
        }

    def stats(self, kind: str = "video") -> dict[str, dict[str, DeliveryStats]]:
        """For each subscriber, what each publisher's ``kind`` delivered lately."""
        return {
            viewer.party_id: {
                slot.publisher: slot.track.meter.stats()
                for slot in viewer.slots
                if slot.kind == kind and slot.publisher is not None
            }
            for viewer in self._members.values()
        }

    def _free(self, slot: Slot) -> None:
        slot.publisher = None
        slot.publication = None
        slot.track.detach()

    def _feed(self, slot: Slot, publisher: str, publication: Publication) -> None:
        slot.publisher = publisher
        if slot.publication is not publication:
            slot.publication = publication
            slot.track.attach(publication.subscribe(), publisher)

    def _assign(self) -> None:
        """Give every publisher a slot with every viewer, keeping slots stable."""
        members = list(self._members.values())
        for viewer in members:
            if viewer.pc is None:
                continue
            for slot in viewer.slots:
                if slot.publisher is not None and (
                    slot.publisher == viewer.party_id
                    or slot.publisher not in self._members
                ):
                    self._free(slot)
            for publisher in members:
                if publisher is viewer:
                    continue
                for kind, publication in publisher.publications.items():
                    found = _slot_for(viewer.slots, publisher.party_id, kind)
                    if found is None:
                        log.warning(
                            "room %s: a viewer has no free %s slot", self.room_id, kind
                        )
                        continue
                    self._feed(found, publisher.party_id, publication)
        self._taps = [t for t in self._taps if t.track.readyState == "live"]
        for tap in self._taps:
            member = self._members.get(tap.publisher or "")
            feed = member.publications.get(tap.kind) if member else None
            if tap.publisher is not None and feed is not None:
                self._feed(tap, tap.publisher, feed)

    async def _disconnect(self, member: Member) -> None:
        for slot in member.slots:
            slot.track.stop()
        member.slots.clear()
        for publication in member.publications.values():
            publication.close()
        member.publications.clear()
        pc, member.pc = member.pc, None
        if pc is not None:
            await pc.close()

    async def close(self) -> None:
        async with self._lock:
            self._closed = True
            for tap in self._taps:
                tap.track.stop()
            self._taps.clear()
            for member in self._members.values():
                await self._disconnect(member)


def _slot_for(slots: list[Slot], publisher: str, kind: str) -> Slot | None:
    """The viewer's slot already held by ``publisher``, else the first free one."""
    free = None
    for slot in slots:
        if slot.kind != kind:
            continue
        if slot.publisher == publisher:
            return slot
        if free is None and slot.publisher is None:
            free = slot
    return free


def _by_publisher(slots: list[Slot]) -> dict[str, dict[str, str]]:
    roster: dict[str, dict[str, str]] = {}
    for slot in slots:
        if slot.publisher is not None:
            roster.setdefault(slot.publisher, {})[slot.kind] = slot.mid
    return roster
