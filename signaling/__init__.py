"""Transports: the socket.io signaling namespaces and the aiohttp HTTP routes."""
