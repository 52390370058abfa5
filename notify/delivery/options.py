"""What a campaign and an evidence export are told: typed options, checked here, once.

`policyctl notify` turns its flags into these (`generator/commands/notify.py`: the
command line is the generator's, the options are named after its flags so that an
error names the flag to fix); :mod:`notify.delivery.api` runs with them. Options that
cannot be used raise :class:`OptionsError` when they are made, so an
:class:`DeliveryOptions` that exists is one a campaign can run with.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from notify.common.errors import NotifyError
from notify.delivery.recipients.routing import ALL, AUTO, CHANNEL_RULES


class OptionsError(NotifyError):
    """Options that do not go together, or a value out of its range (exit 2)."""


@dataclass(frozen=True)
class DeliveryOptions:
    """A campaign's options (`notify.delivery.api.run_campaigns`), by `policyctl notify`'s flags."""

    recipients: str
    """--recipients: a CSV or JSON-lines file (relative to the repository) or a database URL."""
    query: str | None = None
    """--query: the SELECT that reads the recipients when ``recipients`` is a database URL."""
    smtp: str | None = None
    """--smtp: ``smtp://[user@]host:port`` or ``smtps://...``; without it the outbox."""
    sender: str | None = None
    """--from: the From header (default: the site's name <no-reply@ the site's domain>; none for a
    site on an IP address or localhost)."""
    outbox: Path | None = None
    """--outbox: where .eml files go without ``smtp`` (default: the repository's private folder)."""
    templates: Path | None = None
    """--templates: email templates overriding ``site_templates/email/``."""
    concurrency: int = 8
    """--concurrency: parallel sessions, at least 1."""
    rate: float | None = None
    """--rate: at most this many messages per second (None: no limit)."""
    deadline: float = 60.0
    """--deadline: seconds per message, all retries included."""
    retries: int = 5
    """--retries: retries after a temporary failure (below 0 counts as 0)."""
    retry_base: float = 1.0
    """--retry-base: the first back-off delay, in seconds."""
    max_error_rate: float = 0.5
    """--max-error-rate: stop when more than this share of recent deliveries fail, in (0, 1]."""
    allow_insecure: bool = False
    """--allow-insecure: SMTP without TLS, a webhook or an answer page over plain HTTP, to hosts not loopback."""
    cafile: str | None = None
    """--cafile: the CA bundle that verifies the SMTP server's, the webhook's and the SMS provider's certificates."""
    webhook: str | None = None
    """--webhook: also POST a signed JSON notice per recipient to this URL."""
    webhook_secret: str | None = None
    """--webhook-secret: the webhook's HMAC secret (default: its environment variable)."""
    no_email: bool = False
    """--no-email: no email, only the webhook and SMS channels (needs ``webhook`` or ``sms``)."""
    sms: str | None = None
    """--sms: also send text messages through this provider (``https://…``, ``twilio://…``,
    ``aliyun://…``: :mod:`notify.delivery.channels.sms.providers`), or ``outbox`` to write
    them to files (``<outbox>/sms/``) and send none."""
    channels: str = AUTO
    """--channels: with ``sms``, ``auto`` (a text to users without an address) or ``all``
    (a text to every user with a number, as well as their email)."""
    ledger: str | None = None
    """--ledger: the delivery ledger's SQLAlchemy URL (default: the repository's SQLite file)."""
    lease: float = 120.0
    """--lease: seconds a worker holds the notices it took from the ledger."""
    retry_failed: bool = False
    """--retry-failed: also retry notices that failed permanently in earlier runs."""
    allow_empty: bool = False
    """--allow-empty: an empty recipients source is not an error."""
    as_json: bool = False
    """--json: the campaign report (or the error) as JSON on standard output."""
    quiet_hours: str | None = None
    """--quiet-hours: ``HH:MM-HH:MM``, when no text goes out (in ``timezone``)."""
    timezone: str | None = None
    """The calendar's time zone (settings ``timezone``), that of ``quiet_hours``; not a flag."""
    region: str | None = None
    """The default region of recipients' phone numbers without ``+``: the calendar's
    country (settings ``country``, e.g. "CN"); not a flag."""

    def __post_init__(self) -> None:
        if not self.recipients:
            raise OptionsError("give --recipients (a CSV or JSON-lines file, or a database URL with --query)")
        if self.no_email and not (self.webhook or self.sms):
            raise OptionsError("--no-email needs --webhook or --sms")
        if self.channels not in CHANNEL_RULES:
            raise OptionsError(f"--channels must be one of {', '.join(CHANNEL_RULES)}")
        if self.quiet_hours and not self.sms:
            raise OptionsError("--quiet-hours needs --sms (it holds back text messages only)")
        if self.channels == ALL and not self.sms:
            raise OptionsError("--channels all needs --sms (the text messages' provider)")
        if not 0 < self.max_error_rate <= 1:
            raise OptionsError("--max-error-rate must be between 0 and 1")
        if self.concurrency < 1:
            raise OptionsError("--concurrency must be at least 1")
        for flag, value in (
            ("--rate", self.rate),
            ("--deadline", self.deadline),
            ("--retry-base", self.retry_base),
            ("--lease", self.lease),
        ):
            if value is not None and not value > 0:
                raise OptionsError(f"{flag} must be greater than 0")


@dataclass(frozen=True)
class ReportOptions:
    """The evidence export's options (`notify.delivery.api.export_evidence`, `policyctl notify --report`)."""

    ledger: str | None = None
    """--ledger: the delivery ledger's SQLAlchemy URL (default: the repository's SQLite file)."""
    csv: bool = False
    """--csv: CSV instead of JSON lines."""
    output: Path | None = None
    """--output: write to this file instead of standard output."""
    as_json: bool = False
    """--json: JSON lines even on a terminal (where the default is a table); an error that
    stops the export is also written as JSON on standard output."""


def default(options: type[DeliveryOptions] | type[ReportOptions], name: str) -> Any:
    """The default of the option ``name``, for the command line's defaults and help."""
    for field in fields(options):
        if field.name == name:
            return field.default
    raise KeyError(name)
