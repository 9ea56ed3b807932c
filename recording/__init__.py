"""Recording sessions: each participant track's encoded packets muxed into
WebM/Matroska, sealed with AES-GCM chunk by chunk, crash-safe."""
