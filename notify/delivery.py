"""What a channel session reports back for one delivery attempt."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from notify.ledger import Claimed

SENT, TEMPORARY, PERMANENT = "sent", "temporary", "permanent"


@dataclass(frozen=True, slots=True)
class Attempt:
    kind: str  # SENT, TEMPORARY or PERMANENT
    reply: str  # the server's reply (or what went wrong), for the ledger and the report


class Session(Protocol):
    async def deliver(self, item: Claimed, timeout: float) -> Attempt: ...

    async def close(self) -> None: ...


class LookaheadSession(Protocol):
    """A session whose class sets ``lookahead = True`` takes the row it will be asked
    to send next (SMTP PIPELINING: that row's envelope goes out behind this body). The
    announced row is not delivered until the call for it writes its body."""

    lookahead: bool

    async def deliver(self, item: Claimed, timeout: float, following: Claimed | None = None) -> Attempt: ...

    async def close(self) -> None: ...


class Channel(Protocol):
    name: str  # ledger channel: "email" or "webhook"
    description: str  # for messages: where the notices go

    async def preflight(self) -> None: ...

    def session(self) -> Session: ...
