"""What an SMS provider is to the SMS channel (:mod:`notify.delivery.channels.sms.channel`).

A provider turns one :class:`TextMessage` into one HTTP request (:meth:`Provider.request`)
and the provider's answer into an :class:`~notify.delivery.channels.base.Attempt`
(:meth:`Provider.outcome`): both pure, so that the channel alone does the network
(one keep-alive httpx client per session, the deadline, connection errors as temporary
failures) and each provider is tested by what it writes and how it reads.

How an answer maps onto the campaign's classes:

- delivered (accepted by the provider): ``Attempt(SENT, reply, provider_id)``, with the
  provider's message id (Twilio's ``sid``, Alibaba Cloud's ``BizId``);
- temporary (throttling, 5xx, the provider's own transient faults): ``TEMPORARY``,
  retried with back-off within ``--deadline``, then left deferred for the next run;
- permanent for this recipient (invalid or unreachable number, blacklisted,
  unsubscribed): ``PERMANENT``, the notice failed (``--retry-failed`` retries it);
- configuration (bad credentials, unknown sender, template or signature, account out
  of credit): raise :class:`~notify.common.errors.ConfigurationError` with
  ``setting`` (``--sms``, or the environment variable of the secret): the campaign
  stops with exit 2 and the rows stay pending.

A reply never holds the recipient's number: providers echo it (Twilio's ``to``), so
:meth:`Provider.outcome` keeps the status, the code and the message, not the body.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from notify.delivery.channels.base import Attempt

SETTING = "--sms"
TEMPLATE_FIELDS = ("title", "version", "date", "link", "code")
"""The parameters of a text, by name: the document's title, the version, the effective
date (as the reader writes dates), the personal link, and the link's short code alone
(for a template that fixes the link's address and takes only its code)."""


@dataclass(frozen=True, slots=True)
class TextMessage:
    """One text to one user."""

    to: str
    """The number, E.164 (``+8613800138000``)."""
    text: str
    """The whole text, in one segment (for providers that send free text)."""
    language: str
    """The language of the text (a BCP 47 tag: ``en``, ``zh``)."""
    document: str
    version: str
    recipient_id: str
    """The operator's user id ("" when the source gives none)."""
    key: str
    """The notice's idempotency key: the ledger's Message-ID of this (revision, channel,
    user), the same on every attempt and every run."""
    params: Mapping[str, str] = field(default_factory=dict)
    """The text's parameters by name (:data:`TEMPLATE_FIELDS`), for template providers."""


@dataclass(frozen=True, slots=True)
class Request:
    """One HTTP request to the provider."""

    method: str
    url: str
    headers: Mapping[str, str]
    content: bytes


class Provider(Protocol):
    @property
    def name(self) -> str:
        """``https``, ``twilio`` or ``aliyun``."""
        ...

    @property
    def description(self) -> str:
        """Where the texts go, for messages (no secret, no number): "SMS via Twilio at api.twilio.com"."""
        ...

    @property
    def free_text(self) -> bool:
        """Whether the provider sends :attr:`TextMessage.text` (False: an approved
        template, filled with :attr:`TextMessage.params`)."""
        ...

    @property
    def template_fields(self) -> tuple[str, ...]:
        """The parameters an approved template takes (:data:`TEMPLATE_FIELDS`); () for free text."""
        ...

    @property
    def insecure(self) -> bool:
        """Whether requests go over plain HTTP (a loopback host)."""
        ...

    def request(self, message: TextMessage, now: float) -> Request:
        """The request that sends ``message`` at ``now`` (epoch seconds: signatures and
        timestamps depend on it)."""
        ...

    def outcome(self, status: int, headers: Mapping[str, str], body: bytes) -> Attempt:
        """What the provider's answer means (ConfigurationError for a setting's fault)."""
        ...
