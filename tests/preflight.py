"""Fail loudly when a service the suites need is down: PostgreSQL and Redis."""

from __future__ import annotations

import socket
import sys

SERVICES = {
    "PostgreSQL": ("127.0.0.1", 5432),
    "Redis": ("127.0.0.1", 6379),
}


def unreachable() -> list[str]:
    """Names and addresses of the services that refuse a TCP connection."""
    down = []
    for name, (host, port) in SERVICES.items():
        try:
            with socket.create_connection((host, port), timeout=3):
                pass
        except OSError as exc:
            down.append(f"{name} at {host}:{port} ({exc})")
    return down


def main() -> None:
    down = unreachable()
    if down:
        print("These services must be running for the tests:", file=sys.stderr)
        for line in down:
            print(f"  - {line}", file=sys.stderr)
        sys.exit(1)
    print("PostgreSQL and Redis are reachable.")


if __name__ == "__main__":
    main()
