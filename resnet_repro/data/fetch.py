"""Fetch a dataset's file by URL (http, https or file), keeping it only once its digest checks.

A failed fetch is one `FetchFailed` whose text is the reason in a few words ("the network cannot be reached:
Name or service not known"), never urllib's own repr, so the caller can make one line of it that also says what
to do instead. No torch here.
"""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable

from ..basics.atomic import write_atomic
from ..basics.errors import shorten

TIMEOUT_S = 30  # per connection attempt and read: a dead mirror fails in seconds, a slow link still gets through


class FetchFailed(Exception):
    """A file could not be fetched, or what came back is not the file expected; the text says which, briefly."""


def fetch_checked(url: str, target: Path, check: Callable[[bytes], str | None]) -> int:
    """Fetch `url` whole, pass its bytes to `check` (None: good, else what is wrong) and only then write them to
    `target` atomically, so a cut download or a wrong file never lies where the data is looked for. The size."""
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
            body = response.read()
    except (OSError, ValueError) as error:  # URLError and HTTPError are OSErrors; ValueError: a malformed URL
        raise FetchFailed(describe_failure(error)) from None
    if (problem := check(body)) is not None:
        raise FetchFailed(f"{url} {problem}; nothing was kept")
    write_atomic(target, body)
    return len(body)


def describe_failure(error: BaseException) -> str:
    """Why a fetch failed, in words a user acts on."""
    if isinstance(error, urllib.error.HTTPError):
        return f"{error.url} answered HTTP {error.code} {error.reason}"
    reason = error.reason if isinstance(error, urllib.error.URLError) else error
    if isinstance(reason, socket.gaierror):
        return f"the network cannot be reached ({shorten(str(reason.strerror or reason))})"
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return f"no answer within {TIMEOUT_S} s"
    if isinstance(reason, FileNotFoundError):
        return f"no file at {reason.filename}"
    return shorten(str(getattr(reason, "strerror", None) or reason))
