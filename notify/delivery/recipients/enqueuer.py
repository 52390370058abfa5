"""Streams a large recipients source into the ledger in a child process
(``python -m notify.delivery.recipients.enqueuer``), beside the campaign that sends.

Why a process: reading and normalising recipients is pure Python, and inserting them
releases the GIL once per row (sqlite3) or per round trip (psycopg). On a thread of
the sending process every such step waits for the GIL, and every wake-up of the event
loop that drives the SMTP sessions waits behind it: in a 100 000-recipient campaign the
first seconds, while recipients went in, ran at half the rate of the rest. In a child
process the enqueueing runs on the other core; the parent's thread only reads one short
line per batch from a pipe.

Small sources stay in the process (:func:`use_child`): starting an interpreter with
SQLAlchemy costs about a third of a second, which only pays off beyond a few thousand
recipients.

Protocol: the parent writes the :class:`Job` as JSON to stdin (not argv: the ledger URL
may hold a password). The child writes JSON lines to stdout, one per batch:
``{"inserted": n, "duplicates": [ref, ...], "skipped": [[ref, reason], ...], "unlisted": n,
"no_channel_unlisted": n}`` (the users with a phone number only are among ``skipped``,
with a reason of ``NO_CHANNEL_REASONS``, and counted apart beyond those listed),
then ``{"end": true}``; or ``{"error": message, "kind": "input" | "ledger", "cause": text}``,
after which it exits. A child whose parent went away exits at its next line
(a broken pipe); what it inserted is pending in the ledger, for the rerun.

Memory stays flat whatever the source holds: a line goes out once a batch of recipients
is full or ``batch`` unusable records were read since the last one, and only the first
``listed`` unusable records (those the report lists) are sent with their line and
reason; the others are counted (``unlisted``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from notify.common.errors import NotifyError
from notify.delivery.recipients.child import end_child, python_child

if TYPE_CHECKING:
    from notify.delivery.ledger.ledger import Ledger
    from notify.delivery.recipients.sources import Recipient

CHILD_FROM_BYTES = 64 * 1024
"""A recipients file at least this large (about 1 300 recipients) is enqueued in a child."""


@dataclass(frozen=True)
class Job:
    ledger: str
    document: str
    version: str
    channel: str
    sha256: str
    run: str
    source: str
    query: str | None
    base: str | None
    batch: int
    domain: str
    """The host of Message-IDs (see :func:`notify.message.message_id`)."""
    listed: int
    """How many unusable records to send with their line and reason; the rest are counted."""
    region: str | None = None
    """The default region of phone numbers without ``+`` (the calendar's country)."""
    sms: bool = False
    """Whether the run has an SMS channel (:class:`notify.delivery.recipients.routing.Route`)."""
    every: bool = False
    """``--channels all``: texts to every user with a number."""
    addresses: bool = True
    """Whether the run has a channel to addresses (email or webhook)."""


@dataclass(frozen=True)
class Batch:
    """What one batch did in the ledger, as the parent counts it."""

    inserted: int
    duplicates: list[str]
    skipped: list[tuple[str, str]]
    unlisted: int = 0
    """Unusable records beyond those listed in ``skipped``."""
    no_channel_unlisted: int = 0
    """Users with a phone number only (no --sms) beyond those listed in ``skipped``."""


class ChildLedgerError(Exception):
    """The child could not write the ledger (disk full, database gone)."""

    def __init__(self, message: str, cause: str) -> None:
        super().__init__(message)
        self.cause = cause


def use_child(source: str, base: Path | None) -> bool:
    """Whether ``source`` is worth a child process: a database query, or a large file."""
    if "://" in source:
        return True
    path = Path(source)
    if base is not None and not path.is_absolute() and not path.exists():
        path = base / path
    try:
        return path.stat().st_size >= CHILD_FROM_BYTES
    except OSError:
        return False


def run_in_child(job: Job, started: Callable[[subprocess.Popen[bytes]], None]) -> Iterator[Batch]:
    """Start the child for ``job`` and yield its batches as they are committed. Raises
    NotifyError for unusable input and ChildLedgerError when the ledger failed;
    ``started`` receives the process (so that the campaign can stop it)."""
    proc = python_child("notify.delivery.recipients.enqueuer")
    started(proc)
    finished = False
    try:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps(asdict(job)).encode("utf-8"))
        proc.stdin.close()
        for line in proc.stdout:
            message = json.loads(line)
            if "error" in message:
                if message.get("kind") == "ledger":
                    raise ChildLedgerError(message["error"], message.get("cause", ""))
                raise NotifyError(message["error"])
            if message.get("end"):
                finished = True
                break
            yield Batch(
                message["inserted"],
                message["duplicates"],
                [(ref, reason) for ref, reason in message["skipped"]],
                message.get("unlisted", 0),
                message.get("no_channel_unlisted", 0),
            )
        if not finished:
            proc.wait()
            raise NotifyError(
                f"the recipients reader stopped unexpectedly (exit {proc.returncode}); "
                "nothing is lost: rerun the same command"
            )
    finally:
        end_child(proc, finished)


def _emit(out: Any, obj: object) -> None:
    out.write(json.dumps(obj, ensure_ascii=False).encode("utf-8") + b"\n")
    out.flush()


class _Batches:
    """The child's work: the source's recipients into the ledger in batches, a line on
    stdout for each (see the module's protocol)."""

    def __init__(self, job: Job, ledger: Ledger, out: Any) -> None:
        from notify.delivery.channels.message import message_id_of
        from notify.delivery.ledger.ledger import Campaign
        from notify.delivery.recipients.sources import NO_CHANNEL_REASONS

        self.no_channel_reasons = NO_CHANNEL_REASONS
        self.job = job
        self.ledger = ledger
        self.out = out
        self.campaign = Campaign(job.document, job.version, job.channel, job.sha256)
        self.message_id = partial(message_id_of, job.document, job.version, job.channel, domain=job.domain)
        self.batch: list[Recipient] = []
        self.skipped: list[tuple[str, str]] = []
        self.unlisted = 0
        self.no_channel_unlisted = 0
        self.listed_left = job.listed

    def run(self) -> None:
        from notify.delivery.recipients.routing import Route, routed
        from notify.delivery.recipients.sources import Skipped, read

        job = self.job
        base = Path(job.base) if job.base else None
        records = read(job.source, job.query, base=base, here=True, region=job.region)
        for item in routed(records, Route(job.channel, job.sms, job.every, job.addresses)):
            if isinstance(item, Skipped):
                self._skip(item.ref, item.reason)
            else:
                self.batch.append(item)
            if (
                len(self.batch) >= job.batch
                or len(self.skipped) + self.unlisted + self.no_channel_unlisted >= job.batch
            ):
                self._flush()
        self._flush()
        _emit(self.out, {"end": True})

    def _skip(self, ref: str, reason: str) -> None:
        if self.listed_left > 0:
            self.listed_left -= 1
            self.skipped.append((ref, reason))
        elif reason in self.no_channel_reasons:
            self.no_channel_unlisted += 1
        else:
            self.unlisted += 1

    def _flush(self) -> None:
        batch = self.batch
        inserted, duplicates = (
            self.ledger.enqueue(self.campaign, self.job.run, batch, self.message_id) if batch else (0, [])
        )
        _emit(
            self.out,
            {
                "inserted": inserted,
                "duplicates": [d.ref for d in duplicates],
                "skipped": self.skipped,
                "unlisted": self.unlisted,
                "no_channel_unlisted": self.no_channel_unlisted,
            },
        )
        self.batch, self.skipped, self.unlisted, self.no_channel_unlisted = [], [], 0, 0


def main() -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from notify.delivery.ledger.ledger import Ledger

    out = sys.stdout.buffer
    job = Job(**json.loads(sys.stdin.buffer.read()))
    try:
        try:
            ledger = Ledger(job.ledger)
        except NotifyError as exc:
            _emit(out, {"error": str(exc), "kind": "ledger", "cause": str(exc)})
            return 0
        try:
            _Batches(job, ledger, out).run()
        finally:
            ledger.close()
    except NotifyError as exc:
        _emit(out, {"error": str(exc), "kind": "input"})
    except SQLAlchemyError as exc:
        cause = f"{exc.__class__.__name__}: {getattr(exc, 'orig', exc)}"
        _emit(
            out, {"error": f"cannot add recipients to the ledger: {cause}", "kind": "ledger", "cause": cause}
        )
    except BrokenPipeError:  # the campaign stopped reading (it stopped, or was killed)
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
