"""`policyctl status`: per document, what is in force, what is pending, what comes next."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.markup import escape

from generator.commands.context import Context, add_common_arguments, site_sightings
from generator.core.dates import iso
from generator.core.errors import EXIT_FAILED, EXIT_OK
from generator.core.history import History, Version
from generator.core.review import review_due
from generator.core.timeline import state_at
from generator.core.window import NoticePeriod, unknown_schedules
from generator.policies import read_history
from generator.site.words import words


def add_parser(subcommands: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subcommands.add_parser(
        "status", help="per document: in force, pending, next change"
    )
    add_common_arguments(parser)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


def run(args: argparse.Namespace, ctx: Context) -> int:
    history = read_history(ctx.repo, ctx.settings, sightings=site_sightings(ctx.repo, ctx.settings))
    data = status_document(
        history, ctx.as_of, review_months=ctx.settings.review_months, periods=ctx.settings.period_of
    )
    if args.json:
        json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        status_table(data)
    for violation in history.violations:
        print(f"error: {violation}", file=sys.stderr)
    return EXIT_FAILED if history.violations else EXIT_OK


def status_document(
    history: History,
    as_of: dt.datetime,
    *,
    review_months: int | None = None,
    periods: Callable[[str], NoticePeriod] | None = None,
) -> dict[str, Any]:
    """The JSON of `policyctl status --json`: instants in ISO 8601 with the operator's offset;
    with `periods` (a document's id -> its notice period), each document's period."""
    documents = []
    for document in history.documents:
        state = state_at(document, as_of)
        in_force = state.in_force
        due = review_due(state, as_of, review_months)
        documents.append(
            {
                "id": document.id,
                "title": document.title,
                "notice_period": periods(document.id).as_dict() if periods else None,
                "in_force": None
                if in_force is None
                else {
                    "version": in_force.version,
                    "published": iso(in_force.published),
                    "effective": iso(in_force.effective),
                    "commit": in_force.commit,
                    "sha256": in_force.sha256,
                },
                "pending": [
                    {
                        "version": v.version,
                        "published": iso(v.published),
                        "effective": iso(v.effective),
                        **_provisional(v, history.languages),
                        "summary": v.summary,
                        "core_rights_changed": (changes := state.pending_changes(v)).core_rights_changed,
                        "changes": changes.as_dict(),
                    }
                    for v in state.pending
                ],
                # Published, and replaced by a later version before they took effect (a
                # tie of one day's per-commit versions): never in force, never pending.
                "never_in_force": [
                    {
                        "version": v.version,
                        "published": iso(v.published),
                        "effective": iso(v.effective),
                        "replaced_by": by.version,
                    }
                    for v in state.published
                    if (by := state.replaced_by(v)) is not None
                ],
                "scheduled": [
                    {
                        "version": v.version,
                        "published": iso(v.published),
                        "effective": iso(v.effective),
                        **_provisional(v, history.languages),
                        # A later version (scheduled too) takes effect no later than it.
                        "replaced_by": by.version if (by := state.replaced_by(v, drafts=True)) else None,
                    }
                    for v in state.scheduled
                ],
                "next_change": iso(state.next_change),
                # review_months: since when the version in force is due for review.
                "review_due": None if due is None else {"since": iso(due.due), "months": due.months},
                "lagging_translations": [
                    {
                        "language": lag.language,
                        "file": lag.path,
                        "carries": lag.carried,
                        "source_version": lag.version,
                        "held_back": lag.held_back,
                        "uncommitted": lag.uncommitted,
                    }
                    for lag in document.lags
                ],
            }
        )
    return {"as_of": iso(as_of), "documents": documents}


def _provisional(version: Version, languages: tuple[str, ...]) -> dict[str, Any]:
    """Whether the version's effective date was counted through a year whose holiday
    schedule is not known yet (see `known_years`), which years, and why in each of the
    site's languages, as its pages say it (`provisional_reasons`: language -> sentence)."""
    years = tuple(version.window.unscheduled_years) if version.window else ()
    reasons = {
        language: unknown_schedules(years, words(language, languages[0]).schedules)
        for language in (languages if years else ())
    }
    return {"provisional": bool(years), "unscheduled_years": list(years), "provisional_reasons": reasons}


def status_table(data: dict[str, Any], console: Console | None = None) -> None:
    """The human output: a few labelled lines per document, never cut at the terminal's
    width (a table's cells were: an instant in "next change" lost its offset at 80 columns)."""
    console = console or Console(soft_wrap=True, highlight=False)
    console.print(f"Policies as of {_instant(data['as_of'])}", style="bold")
    for doc in data["documents"]:
        console.print()
        console.print(f"{escape(doc['title'])} ({escape(doc['id'])})", style="bold")
        in_force = doc["in_force"]
        _line(
            console,
            "in force",
            f"{in_force['version']} since {in_force['effective'][:10]}" if in_force else "—",
        )
        pending = [
            f"{escape(p['version'])} from {p['effective'][:10]}"
            + (" [yellow](provisional)[/]" if p["provisional"] else "")
            + (" [bold red](core rights)[/]" if p["core_rights_changed"] else "")
            for p in doc["pending"]
        ]
        _line(console, "pending", *pending or ["—"])
        # Those whose date lies ahead (a reader would take them for pending ones).
        replaced = [
            f"{escape(r['version'])} by {escape(r['replaced_by'])} before {r['effective'][:10]}, never in force"
            for r in doc["never_in_force"]
            if dt.datetime.fromisoformat(r["effective"]) > dt.datetime.fromisoformat(data["as_of"])
        ]
        if replaced:
            _line(console, "replaced", *replaced)
        scheduled = [
            f"{escape(s['version'])} published {s['published'][:10]}, "
            + (
                f"never in force (replaced by {escape(s['replaced_by'])})"
                if s["replaced_by"]
                else f"effective {s['effective'][:10]}"
                + (" [yellow](provisional)[/]" if s["provisional"] else "")
            )
            for s in doc["scheduled"]
        ]
        _line(console, "scheduled", *scheduled or ["—"])
        lags = _lag_lines(doc)
        if lags:
            _line(console, "behind", *lags)
        if doc["review_due"]:
            review = doc["review_due"]
            _line(
                console,
                "review",
                f"[bold yellow]due[/] since {review['since'][:10]} (review_months: {review['months']})",
            )
        if doc.get("notice_period"):
            _line(console, "notice period", _period(doc["notice_period"]))
        _line(console, "next change", _next_change(doc))
    years = sorted(
        {
            y
            for doc in data["documents"]
            for p in doc["pending"] + doc["scheduled"]
            for y in p["unscheduled_years"]
        }
    )
    if years:
        console.print()
        console.print(
            f"Provisional: {unknown_schedules(tuple(years))}; the effective dates marked provisional "
            "were counted without it. Once it is announced, enter its days as extra_holidays / "
            "extra_working_days and list the year in known_years."
        )
    if any(doc["next_change"] for doc in data["documents"]):
        due = min(doc["next_change"] for doc in data["documents"] if doc["next_change"])
        console.print()
        console.print(f"Rebuild the site at {due} (the next state change).")


def _period(stated: dict[str, int]) -> str:
    """ "7 working days" from {"working_days": 7}."""
    return str(NoticePeriod(**stated))


LABEL_WIDTH = len("notice period:") + 1
"""The labels' column: the longest label, its colon and a space."""


def _line(console: Console, label: str, *values: str) -> None:
    """`  label:  value`, further values aligned under the first."""
    head = f"  {label + ':':<{LABEL_WIDTH}}"
    for index, value in enumerate(values):
        console.print((head if index == 0 else " " * len(head)) + value)


def _lag_lines(doc: dict[str, Any]) -> list[str]:
    """The languages behind the source, one line each."""
    return [
        f"{escape(lag['language'])}: {escape(lag['file'])} "
        + (
            f"carries {escape(lag['carries'])}"
            if lag["carries"]
            else "is not committed"
            if lag["uncommitted"]
            else "is missing"
        )
        + f", the source is at {escape(lag['source_version'])}"
        + (
            f" [bold red](held back: {escape(lag['source_version'])} is published in no language)[/]"
            if lag["held_back"]
            else ""
        )
        for lag in doc["lagging_translations"]
    ]


def _instant(text: str) -> str:
    """An ISO instant as `2026-12-02 00:00 +08:00` (seconds and their fractions left out)."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    offset = moment.strftime("%z")
    zone = f" {offset[:3]}:{offset[3:]}" if offset else ""
    return moment.strftime("%Y-%m-%d %H:%M") + zone


def _next_change(doc: dict[str, Any]) -> str:
    """When the document's state changes next, and what happens then."""
    due = doc["next_change"]
    if not due:
        return "—"
    events = [f"{escape(p['version'])} takes effect" for p in doc["pending"] if p["effective"] == due]
    events += [f"{escape(s['version'])} is published" for s in doc["scheduled"] if s["published"] == due]
    events += [
        f"{escape(s['version'])} takes effect"
        for s in doc["scheduled"]
        if s["effective"] == due and not s["replaced_by"]
    ]
    return _instant(due) + (f" ({', '.join(events)})" if events else "")
