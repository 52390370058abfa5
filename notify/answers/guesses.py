"""How many unknown short codes each client may try: a bound on guessing links.

A short link's code (:mod:`notify.common.shortlinks`) is the only secret of its URL. Each
client may try at most `LIMIT` codes that do not exist in any `WINDOW` seconds; beyond,
it is refused every short link (429, ``Retry-After``) until its oldest miss leaves the
window. A code that exists does not count. Kept in memory (a restart forgets it), for at
most `CLIENTS` clients, the longest quiet first forgotten.

A client is its address as the server gives it (``request.client.host``, which honours
the forwarded-headers policy the service runs with); an IPv6 address counts by its /64,
which one host usually holds whole and could otherwise walk through.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable

LIMIT = 20  # unknown codes ...
WINDOW = 600.0  # ... in any this many seconds
CLIENTS = 10_000  # clients remembered at most


def client_key(address: str) -> str:
    """Who ``address`` counts as: an IPv4 address itself, an IPv6 one its /64 (an
    IPv4-mapped one as IPv4); anything else (a Unix socket's name, none) as it is."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class Guesses:
    """The recent misses of each client. Not thread-safe: the answer service calls it from
    its event loop only."""

    def __init__(
        self,
        *,
        limit: int = LIMIT,
        window: float = WINDOW,
        clients: int = CLIENTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.clients = clients
        self.clock = clock
        self._misses: OrderedDict[str, deque[float]] = OrderedDict()

    def _recent(self, key: str, now: float) -> deque[float] | None:
        misses = self._misses.get(key)
        if misses is None:
            return None
        while misses and misses[0] <= now - self.window:
            misses.popleft()
        if not misses:
            del self._misses[key]
            return None
        return misses

    def attempt(self, address: str) -> float:
        """Before a code is looked up: 0 when ``address`` may try it, which counts as a miss
        until `found` takes it back (so that lookups in flight at once count too); else the
        seconds until it may try again (at least 1), and nothing is counted."""
        key, now = client_key(address), self.clock()
        misses = self._recent(key, now)
        if misses is not None and len(misses) >= self.limit:
            return max(1.0, math.ceil(misses[0] + self.window - now))
        if misses is None:
            misses = self._misses[key] = deque(maxlen=self.limit)
        misses.append(now)
        self._misses.move_to_end(key)
        while len(self._misses) > self.clients:
            self._misses.popitem(last=False)
        return 0.0

    def found(self, address: str) -> None:
        """The code ``address`` tried exists: its `attempt` does not count."""
        key = client_key(address)
        misses = self._misses.get(key)
        if misses:
            misses.pop()
            if not misses:
                del self._misses[key]

    def __len__(self) -> int:
        """The clients remembered."""
        return len(self._misses)
