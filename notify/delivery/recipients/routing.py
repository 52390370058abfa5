"""Which channel sends to whom: the one rule every campaign of a run applies to the
records of the recipients source (in this process or in the enqueuing child).

- The address channels (``email``, ``webhook``) take every user with an address.
- The ``sms`` channel (``--sms``) takes, with ``--channels auto`` (the default), the
  users with a number and no address: email when the user has an address, else a
  text; with ``--channels all``, every user with a number, as well as their email.
- With ``--no-email`` and no webhook (texts only), every user with a number gets one.
- A user whom no channel of the run reaches is reported apart: a number and no
  address in a run without ``--sms`` (:data:`~notify.delivery.recipients.sources.NO_CHANNEL`,
  by the address channels), an address and no number in a run of texts only
  (:data:`~notify.delivery.recipients.sources.NO_ADDRESS_CHANNEL`, by the SMS channel).

A record no channel of the campaign takes is left out of it (``None``): another
campaign of the run sends to that user, and counts them. An unusable record is reported
by the campaigns it was meant for: one whose number (and no address) cannot be used by
the SMS campaign when the run has one, any other by the address channels' campaigns
(and by the SMS campaign when the run sends texts only).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from notify.delivery.recipients.sources import NO_ADDRESS_CHANNEL, NO_CHANNEL, PHONE, Recipient, Skipped

EMAIL, WEBHOOK, SMS = "email", "webhook", "sms"
"""The channels, as the ledger's ``channel`` column names them."""
AUTO, ALL = "auto", "all"
CHANNEL_RULES = (AUTO, ALL)
"""``--channels``: ``auto``, a text only to those without an address; ``all``, to everyone with a number."""


@dataclass(frozen=True, slots=True)
class Route:
    """The rule of one campaign: its channel, whether the run has an SMS channel,
    whether texts go to every user with a number (``--channels all``), and whether the
    run has a channel to addresses (not ``--no-email`` without ``--webhook``)."""

    channel: str
    sms: bool = False
    every: bool = False
    addresses: bool = True

    def take(self, item: Recipient | Skipped) -> Recipient | Skipped | None:
        """The record as this campaign counts it: the recipient, a record to report, or
        None when another campaign of the run is the one that reaches this user."""
        if isinstance(item, Skipped):
            return item if self._reports(item) else None
        if self.channel == SMS:
            return self._text(item)
        if item.email:
            return item
        return None if self.sms else Skipped(item.ref, NO_CHANNEL)

    def _reports(self, item: Skipped) -> bool:
        """Whether this campaign is the one to report the unusable record ``item``."""
        if self.channel == SMS:
            return item.about == PHONE or not self.addresses
        return item.about != PHONE or not self.sms

    def _text(self, item: Recipient) -> Recipient | Skipped | None:
        texts_only = not self.addresses
        if not item.phone:
            # A number that cannot be used is this campaign's to report when it was to text them.
            if item.phone_problem and (self.every or texts_only):
                return Skipped(item.ref, item.phone_problem, PHONE)
            return Skipped(item.ref, NO_ADDRESS_CHANNEL) if texts_only else None
        return item if self.every or texts_only or not item.email else None


def destination(channel: str, recipient: Recipient) -> str:
    """Where ``channel`` sends to ``recipient``: the E.164 number for texts, else the address."""
    return recipient.phone if channel == SMS else recipient.email


def routed(items: Iterable[Recipient | Skipped], route: Route) -> Iterator[Recipient | Skipped]:
    """The records of ``items`` that ``route``'s campaign takes or reports."""
    take = route.take
    for item in items:
        taken = take(item)
        if taken is not None:
            yield taken
