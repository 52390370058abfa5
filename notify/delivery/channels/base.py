"""What a channel is: its sessions, what a session reports back for one delivery attempt,
and what a channel asks of the rest of notify (which redline each recipient is sent)."""

from __future__ import annotations

from collections.abc import Iterable, Set
from dataclasses import dataclass
from typing import Protocol

from notify.delivery.ledger.ledger import Claimed

SENT, TEMPORARY, PERMANENT = "sent", "temporary", "permanent"


@dataclass(frozen=True, slots=True)
class Attempt:
    kind: str  # SENT, TEMPORARY or PERMANENT
    reply: str  # the server's reply (or what went wrong), for the ledger and the report
    provider_id: str = ""  # the provider's id of the message it accepted (an SMS provider's), for the report


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


class RedlineChoice(Protocol):
    """Per recipient, the earlier version whose redline to the revision they are sent.

    A user who objected to an earlier revision is still governed by the version before it,
    and "what changed" for them starts there. The answers side knows who objected
    (:class:`notify.answers.governed.RecipientRedlines` implements this); the campaign
    calls :meth:`prepare` with each claimed batch before any of it is sent, and the
    channels read :meth:`since` per message."""

    @property
    def own(self) -> Set[str]:
        """The earlier versions whose redline to the revision is not the notice's own."""
        ...

    @property
    def useful(self) -> bool:
        """Whether any recipient can be sent another redline than the notice's own."""
        ...

    def prepare(self, rows: Iterable[Claimed]) -> None: ...

    def since(self, recipient_id: str, email: str) -> str:
        """The earlier version whose redline this recipient is sent, "" for the notice's."""
        ...
