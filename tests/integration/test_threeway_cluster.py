"""A three-way room across processes: the room lives on the process that
accepted the call; a counselor and a guest connected to another process still
join it, get their media there, and the roster's slots come from its owner."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest

from benchmarks.media_relay import EncodedClip, encode_audio, encode_video
from tests.around_the_clock import open_around_the_clock
from tests.integration import peers
from tests.integration.processes import PASSWORD, server, sign_in
from tests.integration.rooms import BOTH, Someone, receiving, until
from tests.pg import fresh_database_url


@pytest.fixture(scope="module")
def clips() -> dict[str, dict[str, EncodedClip]]:
    names = ("citizen", "interpreter", "counselor", "guest")
    return {
        name: {
            "video": encode_video(2, 160, 120, seed=40 + i),
            "audio": encode_audio(1, hz=320 + 90 * i),
        }
        for i, name in enumerate(names)
    }


async def test_counselor_and_guest_on_another_process_join_the_room(
    tmp_path: Path, clips: dict[str, dict[str, EncodedClip]]
) -> None:
    async with fresh_database_url() as database_url:
        env = os.environ | {
            "DASAN_DATABASE_URL": database_url,
            "DASAN_REDIS_URL": "redis://127.0.0.1:6379/0",
            "DASAN_REDIS_PREFIX": f"test{secrets.token_hex(6)}",
            "DASAN_DEMO_PASSWORD": PASSWORD,
            "DASAN_LOG_LEVEL": "WARNING",
            "DASAN_HOURS_FILE": str(open_around_the_clock(tmp_path / "hours.toml")),
        }
        async with server(env, tmp_path) as first, server(env, tmp_path) as second:
            interpreter = Someone(
                "interpreter",
                await sign_in(first, "interpreter.ksl"),
                clips["interpreter"],
                label="Kim Suhwa",
            )
            counselor = Someone(
                "counselor",
                await sign_in(second, "counselor.welfare"),
                clips["counselor"],
                label="Lee Bokji",
            )
            citizen = Someone(
                "citizen", peers.Party("/citizen"), clips["citizen"], label="Citizen"
            )
            guest = Someone("guest", peers.Party("/guest"), clips["guest"])
            guest.label = "Guest"
            everyone = (interpreter, counselor, citizen, guest)
            try:
                await citizen.io.connect(second)
                await guest.io.connect(second)
                for staff in (interpreter, counselor):
                    await staff.io.next_matching("status", "status", "away")
                    ack = await staff.io.call("set_presence", {"status": "available"})
                    assert ack["ok"], ack
                await citizen.io.call("request", {"service": "sign_language"})
                offer = await interpreter.io.next("offer")
                # Accepted on the first process: the room lives there.
                await interpreter.io.call(
                    "accept_offer", {"offer_id": offer["offer_id"]}
                )
                room_id = (await citizen.io.next("session_started"))["room_id"]
                interpreter.room_id = citizen.room_id = room_id
                await interpreter.io.call(
                    "request_counselor", {"room_id": room_id, "department": "welfare"}
                )
                offer = await counselor.io.next("offer")
                assert offer["purpose"] == "counselor"
                # Accepted on the second process: it asks the first to admit.
                await counselor.io.call("accept_offer", {"offer_id": offer["offer_id"]})
                counselor.room_id = (await counselor.io.next("session_started"))[
                    "room_id"
                ]
                invite = await interpreter.io.call(
                    "create_invite", {"room_id": room_id}
                )
                joined = await guest.io.call(
                    "join", {"invite": invite["invite"], "audio_only": True}
                )
                assert joined["ok"], joined
                guest.room_id = room_id

                for someone in (interpreter, counselor, citizen):
                    await someone.connect_media()
                await guest.connect_media(video=False)
                publishing = {
                    "citizen": (citizen, BOTH),
                    "interpreter": (interpreter, BOTH),
                    "counselor": (counselor, BOTH),
                    "guest": (guest, ("audio",)),
                }
                for viewer in everyone:
                    others = {n: p for n, p in publishing.items() if n != viewer.name}
                    await receiving(viewer, others)

                # The guest leaves on the second process; the first drops them.
                assert (await guest.io.call("leave", {"room_id": room_id}))["ok"]
                await until(
                    lambda: all(
                        p["role"] != "guest" for p in citizen.roster()["parties"]
                    ),
                    "the citizen's roster loses the guest",
                )
                assert (await citizen.io.call("hang_up", {"room_id": room_id}))["ok"]
                ended = await counselor.io.next("session_ended")
                assert ended["room_id"] == room_id
            finally:
                for someone in everyone:
                    if someone.peer is not None:
                        await someone.peer.close()
                    if someone.io.sio.connected:
                        await someone.io.sio.disconnect()
