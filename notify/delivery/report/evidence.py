"""Delivery evidence export (``--report [--csv]``), the attempts history beside it, and
the end-of-campaign report."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, TextIO

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from notify.contract.revision import Revision
from notify.delivery.campaign.result import Problem
from notify.delivery.campaign.runner import Result
from notify.delivery.ledger.ledger import Ledger
from notify.delivery.recipients.routing import SMS

EVIDENCE_COLUMNS = (
    "document",
    "version",
    "sha256",
    "channel",
    "recipient_id",
    "email",
    "phone",
    "name",
    "status",
    "attempts",
    "message_id",
    "provider_id",
    "enqueued_at",
    "first_attempt_at",
    "last_attempt_at",
    "sent_at",
    "last_reply",
    "source",
)

# The attempts history (:func:`export_attempts`): one record per attempt, after the
# columns that name its notice.
ATTEMPT_COLUMNS = (
    "document",
    "version",
    "channel",
    "recipient_id",
    "email",
    "phone",
    "message_id",
    "attempt",
    "at",
    "kind",
    "reply",
)


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def masked(number: str) -> str:
    """An E.164 number as the evidence shows it: every digit but the last 4 hidden
    ("+8613800138000" -> "+*********8000"), enough to tell one user's number from
    another's without writing it out."""
    digits = number.lstrip("+")
    hidden = "*" * max(0, len(digits) - 4) + digits[-4:]
    return ("+" if number.startswith("+") else "") + hidden


def _destination(row: dict[str, Any]) -> dict[str, Any]:
    """The row with its destination in the column that names it: a text's number,
    masked, under ``phone`` (its ledger row holds it where an email's holds the address)."""
    if row.get("channel") == SMS:
        return {**row, "email": "", "phone": masked(str(row.get("email") or ""))}
    return {**row, "phone": ""}


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def neutralise(value: Any) -> Any:
    """A CSV cell no spreadsheet runs as a formula: text that starts with ``=``, ``+``,
    ``-``, ``@``, a tab or a carriage return gets a leading ``'`` (OWASP, "CSV
    Injection"), which spreadsheets show as text. Recipient ids, names, addresses and
    server replies are other people's data; every text cell is treated so."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def export(
    ledger: Ledger,
    revisions: Sequence[Revision],
    out: TextIO,
    *,
    fmt: str = "json",
    channel: str | None = None,
) -> int:
    """Write one record per ledger row of the given revisions (all rows when none given).

    ``fmt`` is "csv" (header row; cells neutralised against formulas, see
    :func:`neutralise`) or "json" (JSON lines, values as recorded). Returns the number
    of rows.
    """
    return _write(ledger.iter_rows, EVIDENCE_COLUMNS, revisions, out, fmt, channel)


def export_attempts(
    ledger: Ledger,
    revisions: Sequence[Revision],
    out: TextIO,
    *,
    fmt: str = "json",
    channel: str | None = None,
) -> int:
    """Like :func:`export`, one record per delivery attempt (``ATTEMPT_COLUMNS``): the
    history that each notice's row sums up in ``attempts`` and ``last_reply``. A ledger
    from before the attempt log has none."""
    return _write(ledger.iter_attempts, ATTEMPT_COLUMNS, revisions, out, fmt, channel)


def _write(
    rows: Callable[[str | None, str | None], Iterator[dict[str, Any]]],
    columns: Sequence[str],
    revisions: Sequence[Revision],
    out: TextIO,
    fmt: str,
    channel: str | None,
) -> int:
    # Every cell quoted: a carriage return inside one (which Python 3.11's csv module
    # leaves unquoted with a "\n" line terminator) cannot split a record.
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL) if fmt == "csv" else None
    if writer is not None:
        writer.writerow(columns)
    selections: list[tuple[str | None, str | None]] = [(r.document, r.version) for r in revisions] or [
        (None, None)
    ]
    count = 0
    for document, version in selections:
        for row in rows(document, version):
            if channel is not None and row["channel"] != channel:
                continue
            row = _destination(row)
            record = {k: _cell(row.get(k)) for k in columns}
            if writer is not None:
                writer.writerow(["" if record[k] is None else neutralise(record[k]) for k in columns])
            else:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    return count


# At most this many records in the table on a terminal (the export has them all).
TABLE_LIMIT = 1000

# The evidence table on a terminal (:func:`print_evidence`): (heading, column of the
# export, the least width of a column that wraps; 0: never wraps). The export has every
# column (attempts, last reply, times of each step...).
TABLE_COLUMNS = (
    ("document", "document", 0),
    ("version", "version", 0),
    ("recipient", "to", 12),
    ("channel", "channel", 0),
    ("status", "status", 0),
    ("sent at (UTC)", "sent_at", 10),
    ("message id", "message_id", 10),
    ("provider's id", "provider_id", 8),
)


def print_evidence(
    console: Console, ledger: Ledger, revisions: Sequence[Revision], *, limit: int = TABLE_LIMIT
) -> int:
    """The evidence of :func:`export` as a table for a person at a terminal (the records of
    ``--report`` when standard output is one), its first ``limit`` records; the number of
    records."""
    table = Table(
        title="Delivery evidence", title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False
    )
    for heading, _, least in TABLE_COLUMNS:
        table.add_column(heading, no_wrap=not least, overflow="fold", min_width=least or None)
    count = 0
    selections: list[tuple[str | None, str | None]] = [(r.document, r.version) for r in revisions] or [
        (None, None)
    ]
    for document, version in selections:
        for row in ledger.iter_rows(document, version):
            if count < limit:
                shown = _destination(row)
                shown["to"] = shown["phone"] or shown["email"]
                table.add_row(*(escape(_shown(shown.get(column))) for _, column, _ in TABLE_COLUMNS))
            count += 1
    if count:
        console.print(table)
    if count > limit:
        console.print(f"… and {count - limit} more records: --json or --csv --output FILE for them all.")
    elif count:
        console.print(
            f"{count} ledger record{'' if count == 1 else 's'}; --json for JSON lines, --csv for CSV."
        )
    else:
        console.print("The ledger holds no notice of these revisions: nothing was sent yet.")
    return count


def _shown(value: Any) -> str:
    """A cell of the table: a time to the second in UTC, "" for none."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        utc = value.astimezone(UTC) if value.tzinfo is not None else value
        return utc.strftime("%Y-%m-%d %H:%M:%S")
    return " ".join(str(value).split())


def _print_records(
    console: Console, title: str, records: list[Problem], count: int, *, reasons: bool
) -> None:
    """Records of the source the campaign did not send to, by their line or id (never the
    address or number), and how many more there are than listed."""
    if not records:
        return
    console.print(f"[yellow]{title}[/]")
    for p in records:
        console.print(f"  {escape(p.ref)}: {escape(p.reason)}" if reasons else f"  {escape(p.ref)}")
    if count > len(records):
        console.print(f"  … and {count - len(records)} more")


def print_result(console: Console, result: Result) -> None:
    r = result
    title = f"{r.document} {r.version} — {r.channel} via {r.destination}"
    table = Table(title=escape(title), show_header=False, title_justify="left")
    table.add_row("sent", str(r.sent))
    table.add_row("failed (permanent)", str(r.failed_count))
    table.add_row("deferred (temporary; next run retries)", str(r.deferred_count))
    table.add_row("skipped (invalid address or phone number)", str(r.skipped_count))
    table.add_row("no channel of this run (e.g. a phone number only, and no --sms)", str(r.no_channel_count))
    table.add_row("duplicates (one message sent)", str(r.duplicates_count))
    table.add_row("remaining in the ledger", str(r.remaining))
    table.add_row("sent by earlier runs or other workers", str(max(0, r.totals.get("sent", 0) - r.sent)))
    table.add_row("duration", f"{r.duration:.1f} s")
    table.add_row("rate", f"{r.rate:.1f} messages/s")
    console.print(table)
    if r.failures:
        failures = Table(title="Failed deliveries", title_justify="left")
        failures.add_column("recipient")  # where it came from: never the address (CI logs)
        failures.add_column("status")
        failures.add_column("last reply")
        for f in r.failures:
            failures.add_row(escape(f.ref), f.status, escape(f.reply))
        console.print(failures)
        if r.failed_count + r.deferred_count > len(r.failures):
            console.print(f"… and {r.failed_count + r.deferred_count - len(r.failures)} more: see --report")
    _print_records(console, "Skipped recipients:", r.skipped, r.skipped_count, reasons=True)
    _print_records(
        console,
        "Not sent to (no channel of this run reaches them):",
        r.no_channel,
        r.no_channel_count,
        reasons=False,
    )
    if r.duplicates:
        console.print("[yellow]Duplicate recipients:[/]")
        for p in r.duplicates[:50]:
            console.print(f"  {escape(p.ref)}")
        if r.duplicates_count > 50:
            console.print(f"  … and {r.duplicates_count - 50} more")
