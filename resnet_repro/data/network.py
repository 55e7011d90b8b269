"""Whether a download could work from here: a hint that offers `--download` offers it only to a machine that can
reach the server. One short connection, bounded in time; no torch."""

from __future__ import annotations

import contextlib
import socket
import threading

CHECK_SECONDS = 3.0  # name lookup and connection together: a hint on an error path, never a wait


def reachable(host: str, port: int = 443, seconds: float = CHECK_SECONDS) -> bool:
    """Whether a TCP connection to `host` opens within `seconds`. The name lookup cannot be given a timeout of its own
    (getaddrinfo blocks), so the check runs in a daemon thread that is given up on, not waited for, past its time."""
    answer: list[bool] = []  # True once the connection opened

    def connect() -> None:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=seconds):
            answer.append(True)

    checker = threading.Thread(target=connect, name=f"reach {host}", daemon=True)
    checker.start()
    checker.join(seconds)
    return bool(answer)
