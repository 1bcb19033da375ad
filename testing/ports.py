"""A free TCP port on 127.0.0.1 for a test's server (the OS picks it; another process may take it
before the server binds, which the tests' servers report as an address in use)."""

from __future__ import annotations

import socket


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
