"""A session whose citizen and interpreter are connected to different processes
still gets its media: the citizen's offer reaches the process holding the room."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from tests.around_the_clock import open_around_the_clock
from tests.integration.peers import MediaPeer, Party
from tests.integration.processes import PASSWORD, server, sign_in
from tests.pg import fresh_database_url

RED = (0, 0, 220)
BLUE = (220, 0, 0)


async def test_media_flows_when_the_parties_are_on_different_processes(
    tmp_path: Path,
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
            interpreter = await sign_in(first, "interpreter.ksl")
            caller = Party("/citizen")
            await caller.connect(second)
            citizen_media, staff_media = MediaPeer(RED), MediaPeer(BLUE)
            try:
                await interpreter.next_matching("status", "status", "away")
                await interpreter.call("set_presence", {"status": "available"})
                await caller.call("request", {"service": "sign_language"})
                offer = await interpreter.next("offer")
                # Accepted on the first process: the room lives there.
                await interpreter.call("accept_offer", {"offer_id": offer["offer_id"]})
                room_id = (await caller.next("session_started"))["room_id"]
                # The citizen's offer arrives at the second process.
                await citizen_media.join(caller, room_id)
                await staff_media.join(interpreter, room_id)
                await citizen_media.frames_like(BLUE, count=5)
                await staff_media.frames_like(RED, count=5)
                # A room only its owner holds: a stranger's offer is refused there.
                stranger = Party("/citizen")
                await stranger.connect(second)
                refused = await stranger.call(
                    "rtc_offer", {"room_id": room_id, "type": "offer", "sdp": "v=0"}
                )
                assert refused["error"]["code"] == "not_in_room"
                await stranger.sio.disconnect()
                # Hanging up on the second process closes the room on the first.
                assert (await caller.call("hang_up", {"room_id": room_id}))["ok"]
                ended = await interpreter.next("session_ended")
                assert ended["reason"] == "completed"
            finally:
                for media in (citizen_media, staff_media):
                    await media.close()
                for party in (interpreter, caller):
                    await party.sio.disconnect()
