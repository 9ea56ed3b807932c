"""Reading sealed recordings back in tests: packets as muxed, and decoded frames."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
from av.container import InputContainer

from recording.keys import RecordingKey
from recording.playback import open_recording

# A recording's timeline is the sender's (RTP timestamps from its first packet
# on); the row's times are the server's clock when the recorder took packets.
# When the first packet waited longer than the last one did (in the network,
# or in the tap while the server's loop was busy opening the files), the media
# plays a little longer than the server saw it: up to this many seconds. CI
# once saw 6 ms on audio.
ARRIVAL_JITTER = 0.25


@dataclass(frozen=True)
class Played:
    """What a recording holds: its packets (bytes, seconds, keyframe) and how
    many frames decode, up to which time."""

    packets: list[tuple[bytes, float, bool]]
    decoded: int
    last_decoded: float | None
    codec: str


def play(path: Path, key: RecordingKey) -> Played:
    packets: list[tuple[bytes, float, bool]] = []
    with open_recording(path, key) as plain, av.open(plain, "r") as container:
        assert isinstance(container, InputContainer)
        stream = container.streams[0]
        codec = stream.codec_context.name
        for packet in container.demux(stream):
            if packet.size and packet.pts is not None and packet.time_base is not None:
                seconds = float(packet.pts * packet.time_base)
                packets.append((bytes(packet), seconds, packet.is_keyframe))
    decoded, last = 0, None
    with open_recording(path, key) as plain, av.open(plain, "r") as container:
        assert isinstance(container, InputContainer)
        for frame in container.decode(container.streams[0]):
            assert isinstance(frame, av.VideoFrame | av.AudioFrame)
            decoded += 1
            last = frame.time
    return Played(packets, decoded, last, codec)
