"""What a campaign is given (its settings, a recipients source) and what it reports (the
result, counted as it goes)."""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from notify.common.errors import NotifyError
from notify.delivery.ledger.ledger import DEFERRED, FAILED, PENDING, SENDING, SENT, Claimed, Outcome
from notify.delivery.recipients.sources import NO_CHANNEL_REASONS

LIST_LIMIT = 1000  # failures / skipped entries kept for the report (counts are exact)
DUPLICATE = (
    "the same user again (the same id, or without an id the same address in any case); one message is sent"
)


@dataclass(frozen=True)
class Settings:
    concurrency: int = 8
    rate: float | None = None  # messages per second, all sessions together
    deadline: float = 60.0  # per message, all attempts included
    retries: int = 5  # further attempts after a temporary failure
    retry_base: float = 1.0  # first back-off, doubled each time, with jitter
    retry_cap: float = 30.0
    lease: float = 120.0  # seconds a claimed row stays ours without renewal
    batch: int = 1000  # recipients per ledger insert
    journal: Path | None = None  # the outcome journal's folder (None: outcomes only in memory)
    journal_key: str = ""  # which ledger the journal belongs to
    flush_interval: float = 0.2  # outcomes written at least this often
    max_error_rate: float = 0.5  # stop when more than this share of recent deliveries fail
    error_window: int = 100
    error_min_sample: int = 20
    retry_failed: bool = False


@dataclass(frozen=True)
class Source:
    """A recipients source to enqueue in a child process (:mod:`notify.delivery.recipients.enqueuer`)."""

    source: str
    query: str | None
    base: Path | None
    domain: str  # the host of Message-IDs
    region: str | None = None  # the default region of phone numbers (the calendar's country)
    sms: bool = False  # the run has an SMS channel (notify.delivery.recipients.routing.Route)
    every: bool = False  # --channels all: texts to every user with a number
    addresses: bool = True  # the run has an email or webhook channel


@dataclass(frozen=True)
class Problem:
    ref: str  # "users.csv line 7 (id 42)": where, never the address itself
    reason: str


@dataclass(frozen=True)
class Failure:
    ref: str  # the recipient's source line and id, never the address (logs, CI output)
    reply: str  # the server's answer, the address in it replaced by "recipient"
    status: str  # "failed" (permanent) or "deferred" (temporary; the next run retries)


class LedgerFailed(NotifyError):
    """The ledger stopped taking writes (disk full, database gone) in mid-campaign."""


@dataclass
class Result:
    document: str
    version: str
    channel: str
    destination: str
    late: bool = False
    enqueued: int = 0
    sent: int = 0
    failed_count: int = 0
    deferred_count: int = 0
    failures: list[Failure] = field(default_factory=list)
    skipped_count: int = 0
    skipped: list[Problem] = field(default_factory=list)
    duplicates_count: int = 0
    duplicates: list[Problem] = field(default_factory=list)
    no_channel_count: int = 0  # users with a phone number only, in a run without --sms
    no_channel: list[Problem] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)
    duration: float = 0.0
    stopped: str | None = None
    setting: str | None = None  # the option to fix when a configuration fault stopped the run
    lease_lost: int = 0  # claimed rows dropped unsent: another worker took them after our lease ran out
    recovered: int = 0  # outcomes of earlier, killed runs folded in from their journals
    reclaimed: int = 0  # rows of dead workers given back to the queue
    unrecorded: int = 0  # outcomes the ledger could not take, kept in the journal for the next run
    journal: str = ""  # the journal's folder

    @property
    def remaining(self) -> int:
        return self.totals.get(PENDING, 0) + self.totals.get(SENDING, 0) + self.totals.get(DEFERRED, 0)

    @property
    def unreached(self) -> int:
        """Registered users this campaign has not reached: still to send, failed, an
        address in the recipients source that cannot be used, or a user with a phone
        number only in a run without --sms."""
        return self.remaining + self.totals.get(FAILED, 0) + self.skipped_count + self.no_channel_count

    @property
    def rate(self) -> float:
        return self.sent / self.duration if self.duration > 0 else 0.0

    @property
    def ok(self) -> bool:
        return self.stopped is None and self.unreached == 0 and self.failed_count == 0

    def count_skipped(self, ref: str, reason: str) -> None:
        """An unusable record of the recipients source, or (with the reason
        one of :data:`NO_CHANNEL_REASONS`) a user no channel of the run reaches, counted apart."""
        if reason in NO_CHANNEL_REASONS:
            self.no_channel_count += 1
            if len(self.no_channel) < LIST_LIMIT:
                self.no_channel.append(Problem(ref, reason))
            return
        self.skipped_count += 1
        if len(self.skipped) < LIST_LIMIT:
            self.skipped.append(Problem(ref, reason))

    def count_unlisted(self, skipped: int, no_channel: int = 0) -> None:
        """Unusable records, and users no channel can send to, beyond those the report
        lists (``LIST_LIMIT``): only counted."""
        self.skipped_count += skipped
        self.no_channel_count += no_channel

    def count_enqueued(self, inserted: int, duplicates: list[str]) -> None:
        """A batch of recipients put in the ledger, and the refs of the users repeated in it."""
        self.enqueued += inserted
        self.duplicates_count += len(duplicates)
        for ref in duplicates[: max(0, LIST_LIMIT - len(self.duplicates))]:
            self.duplicates.append(Problem(ref, DUPLICATE))

    def count_outcome(self, item: Claimed, outcome: Outcome) -> None:
        """One delivery's outcome; a failure is listed with its reply, the address in it
        replaced by "recipient"."""
        if outcome.status == SENT:
            self.sent += 1
            return
        if outcome.status == FAILED:
            self.failed_count += 1
        else:
            self.deferred_count += 1
        if len(self.failures) < LIST_LIMIT:
            reply = re.sub(re.escape(item.email), "recipient", outcome.reply, flags=re.IGNORECASE)
            self.failures.append(Failure(item.source or f"id {item.recipient_id}", reply, outcome.status))

    def as_dict(self) -> dict[str, Any]:
        return {
            "document": self.document,
            "version": self.version,
            "channel": self.channel,
            "destination": self.destination,
            "late": self.late,
            "sent": self.sent,
            "failed": self.failed_count,
            "deferred": self.deferred_count,
            "failures": [f.__dict__ for f in self.failures],
            "skipped": self.skipped_count,
            "skipped_records": [p.__dict__ for p in self.skipped],
            "no_channel": self.no_channel_count,
            "no_channel_records": [p.__dict__ for p in self.no_channel],
            "duplicates": self.duplicates_count,
            "duplicate_records": [p.__dict__ for p in self.duplicates],
            "enqueued": self.enqueued,
            "remaining": self.remaining,
            "unreached": self.unreached,
            "lease_lost": self.lease_lost,
            "recovered": self.recovered,
            "reclaimed": self.reclaimed,
            "unrecorded": self.unrecorded,
            "ledger": dict(self.totals),
            "duration_seconds": round(self.duration, 3),
            "rate_per_second": round(self.rate, 1),
            "stopped": self.stopped,
            "setting": self.setting,
        }


class ErrorRate:
    """The share of failures among the last deliveries, against ``--max-error-rate``."""

    def __init__(self, settings: Settings) -> None:
        self.recent: deque[bool] = deque(maxlen=settings.error_window)
        self.bad = 0  # failures among self.recent
        self.limit = settings.max_error_rate
        self.min_sample = settings.error_min_sample

    def exceeded(self, ok: bool) -> str | None:
        """Note one delivery; the reason to stop when too many of the last ones failed."""
        recent = self.recent
        if len(recent) == recent.maxlen and not recent[0]:
            self.bad -= 1  # the failure about to leave the window
        recent.append(ok)
        if not ok:
            self.bad += 1
        if len(recent) >= self.min_sample and self.bad / len(recent) > self.limit:
            return f"error rate: {self.bad} of the last {len(recent)} deliveries failed"
        return None
