"""Our media server: one aiortc peer connection per participant, forwarded rooms."""
