"""Our media server: rooms of up to five parties, encoded frames forwarded as sent.

One aiortc peer connection per party, answered once and never renegotiated
(``room``); publishers' encoded frames go to subscribers unchanged
(``publication``, ``tracks``), through aiortc's public API except for three
seams kept in ``aiortc_seams``.
"""
