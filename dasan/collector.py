"""How the server process sets Python's cycle collector, measured in BENCHMARKS.md.

A signaling or media server keeps a large heap of long-lived objects (every
socket.io connection, every peer connection) and churns through short-lived ones
(a command's SQLAlchemy session, a pool loaded from Redis, an RTP packet in a
sender's history). With CPython's defaults (a young collection every 700 net
allocations) many of those short-lived objects are still alive when a young
collection looks, get promoted, and soon make the collector pass over the whole
heap: 70 to 150 ms with a few hundred connections, a pause for every call on the
process. Two settings keep those passes rare:

- everything made at start-up is frozen (never examined again), and
- the young generation is collected every ``YOUNG`` net allocations, so objects
  that live for one request or one packet are gone by the time it is.
"""

from __future__ import annotations

import gc

YOUNG = 10_000  # CPython's default is 700
MIDDLE = 10  # young collections per middle one (the default)
OLD = 10  # middle collections before a full one may run (the default)


def settle_after_start_up() -> None:
    """Call once the process has started: collect, freeze, set the thresholds."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG, MIDDLE, OLD)
