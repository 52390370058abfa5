"""Waiting on what the test servers see, never on the clock: the SMTP handler signals
(a message accepted, a connection opened) and the test waits for that signal. Every wait
has a time limit that fails the test with what did not happen: a slow machine makes a
test slower, never silently different.

- :class:`Tally` counts what the handler saw, per key (a worker's sender address);
  the test thread waits until a count is reached.
- :class:`Gate` holds the handler (on aiosmtpd's event loop) until something happened,
  such as every worker having its sessions open. If that does not come in time the gate
  opens anyway, so that no process hangs, and :meth:`Gate.check` fails the test.
- :func:`wait_until` waits for something only another process's files show (an outcome
  journal), looking again every few milliseconds until the time limit.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Callable

LIMIT = 60.0  # seconds: far beyond what any wait here takes on a loaded machine


class Tally:
    """Counts per key, noted on the server's thread, awaited on the test's."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.changed = threading.Condition()

    def note(self, key: str) -> int:
        with self.changed:
            self.counts[key] += 1
            self.changed.notify_all()
            return self.counts[key]

    def __getitem__(self, key: str) -> int:
        with self.changed:
            return self.counts[key]

    def wait_for(self, key: str, count: int, what: str, timeout: float = LIMIT) -> int:
        """Wait until ``key`` was counted ``count`` times; the count then. Fails the test
        naming ``what`` when it is not reached in time."""
        with self.changed:
            if not self.changed.wait_for(lambda: self.counts[key] >= count, timeout):
                raise AssertionError(
                    f"timed out after {timeout:.0f} s waiting for {what}: "
                    f"{self.counts[key]} of {count} seen for {key}"
                )
            return self.counts[key]


class Gate:
    """A barrier for the server's handlers: ``await gate.passage()`` returns once the
    gate is open. :meth:`open` may be called from any thread."""

    def __init__(self, what: str, timeout: float = LIMIT) -> None:
        self.what = what  # what opens it, for the failure message
        self.timeout = timeout
        self.loop: asyncio.AbstractEventLoop | None = None
        self.event: asyncio.Event | None = None
        self.is_open = False
        self.broken: str | None = None
        self.lock = threading.Lock()

    def _event(self) -> asyncio.Event:
        """The gate's event, on the server's loop (made by the first handler to ask)."""
        with self.lock:
            if self.event is None:
                self.loop, self.event = asyncio.get_running_loop(), asyncio.Event()
                if self.is_open:
                    self.event.set()
            return self.event

    def open(self) -> None:
        with self.lock:
            self.is_open = True
            loop, event = self.loop, self.event
        if event is not None and loop is not None:
            loop.call_soon_threadsafe(event.set)

    async def passage(self) -> None:
        if self.is_open:
            return
        try:
            await asyncio.wait_for(self._event().wait(), self.timeout)
        except TimeoutError:
            self.broken = f"the test server waited {self.timeout:.0f} s for {self.what} in vain"
            self.open()  # let the processes go on (and end); the test fails at check()

    def check(self) -> None:
        """Fail the test if the gate opened only because its time ran out."""
        if self.broken is not None:
            raise AssertionError(self.broken)


def wait_until(condition: Callable[[], bool], what: str, timeout: float = LIMIT) -> None:
    """Wait until ``condition()`` holds (something another process writes), or fail."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.005)
