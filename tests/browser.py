"""A page opened in headless Chromium, read through the DevTools protocol over a pipe (--remote-debugging-pipe): the
console errors it logged, its images, and where an element sits on the first screen. Only the standard library: the
browser is Debian's chromium, which `.ci/run` installs."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path


def _moved_up(fd: int) -> int:
    """`fd` as a descriptor numbered 10 or more, inheritable; the original closed."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    os.set_inheritable(moved, True)
    return moved


def find_chromium() -> str | None:
    return next((shutil.which(name) for name in ("chromium", "chromium-browser") if shutil.which(name)), None)


@dataclass
class PageReading:
    errors: list[str] = field(default_factory=list)  # console errors, uncaught exceptions, failed loads
    images: list[dict] = field(default_factory=list)  # each <img>: complete, naturalWidth
    tops: dict = field(
        default_factory=dict
    )  # each asked-for text -> its element's top edge in CSS pixels (None: absent)


class DevTools:
    """One browser, one page: commands out on fd 3, replies and events back on fd 4, each a JSON text ending in NUL."""

    def __init__(self, chromium: str, width: int, height: int):
        to_browser, self._writer = os.pipe()
        self._reader, from_browser = os.pipe()
        # above 4, so that placing them at 3 and 4 in the child never overwrites one with the other
        to_browser, from_browser = (_moved_up(fd) for fd in (to_browser, from_browser))
        self.profile = tempfile.mkdtemp(prefix="report-browser-")
        # fds 3 and 4 of the child are the pipe's ends, as --remote-debugging-pipe expects
        wiring = f'exec 3<&{to_browser} 4>&{from_browser}; exec "$@"'
        self.process = subprocess.Popen(
            [
                "bash",  # dash reads a single digit as a descriptor; these are 10 and above
                "-c",
                wiring,
                "bash",
                chromium,
                "--headless",
                "--no-sandbox",  # as root in CI containers
                "--disable-gpu",
                "--no-first-run",
                "--remote-debugging-pipe",
                f"--user-data-dir={self.profile}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            pass_fds=(to_browser, from_browser),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser)
        os.close(from_browser)
        self._buffer, self._next_id, self.events = b"", 0, []

    def send(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 60) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._writer, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reply = self._receive(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)
        raise TimeoutError(method)

    def wait_for(self, method: str, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events:
                if event.get("method") == method:
                    return event
            self.events.append(self._receive(deadline))

    def _receive(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("no answer from chromium")
            chunk = os.read(self._reader, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed its pipe")
            self._buffer += chunk
        text, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(text)

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=10)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._writer)
        os.close(self._reader)
        shutil.rmtree(self.profile, ignore_errors=True)


def read_page(chromium: str, page: Path, texts: list[str], width: int = 1280, height: int = 800) -> PageReading:
    """Open `page` on a `width` x `height` screen: what its console said, its images, and where the first paragraph,
    heading or cell holding each of `texts` starts."""
    tools = DevTools(chromium, width, height)
    try:
        target = tools.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = tools.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            tools.send(f"{domain}.enable", session=session)
        metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}
        tools.send("Emulation.setDeviceMetricsOverride", metrics, session=session)
        tools.send("Page.navigate", {"url": page.resolve().as_uri()}, session=session)
        tools.wait_for("Page.loadEventFired")
        script = (
            "JSON.stringify({images: [...document.images].map(i => ({complete: i.complete, width: i.naturalWidth,"
            " alt: i.alt})), tops: Object.fromEntries(" + json.dumps(texts) + ".map(t => [t, (e => e ? "
            "e.getBoundingClientRect().top : null)([...document.querySelectorAll('h1, h2, h3, p, li, td')]"
            ".find(e => e.textContent.includes(t)))]))})"
        )
        value = tools.send("Runtime.evaluate", {"expression": script, "returnByValue": True}, session=session)
        found = json.loads(value["result"]["value"])
        reading = PageReading(images=found["images"], tops=found["tops"])
        for event in tools.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                reading.errors.append(json.dumps(params.get("args")))
            elif method == "Runtime.exceptionThrown":
                reading.errors.append(json.dumps(params.get("exceptionDetails")))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                reading.errors.append(params["entry"].get("text", ""))
        return reading
    finally:
        tools.close()
