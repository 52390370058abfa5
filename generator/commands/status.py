"""`policyctl status`: per document, what is in force, what is pending, what comes next."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from typing import Any

from rich.console import Console
from rich.table import Table

from generator.commands.context import EXIT_FAILED, EXIT_OK, Context, add_common_arguments
from generator.core.dates import iso
from generator.core.history import History, Version
from generator.core.timeline import state_at
from generator.core.window import unknown_schedules
from generator.policies import read_history


def add_parser(subcommands: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subcommands.add_parser(
        "status", help="per document: in force, pending, next change"
    )
    add_common_arguments(parser)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


def run(args: argparse.Namespace, ctx: Context) -> int:
    history = read_history(ctx.repo, ctx.settings)
    data = status_document(history, ctx.as_of)
    if args.json:
        json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        status_table(data)
    for violation in history.violations:
        print(f"error: {violation}", file=sys.stderr)
    return EXIT_FAILED if history.violations else EXIT_OK


def status_document(history: History, as_of: dt.datetime) -> dict[str, Any]:
    """The JSON of `policyctl status --json`: instants in ISO 8601 with the operator's offset."""
    documents = []
    for document in history.documents:
        state = state_at(document, as_of)
        in_force = state.in_force
        documents.append(
            {
                "id": document.id,
                "title": document.title,
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
                        **_provisional(v),
                        "summary": v.summary,
                        "core_rights_changed": (changes := state.pending_changes(v)).core_rights_changed,
                        "changes": changes.as_dict(),
                    }
                    for v in state.pending
                ],
                "scheduled": [
                    {
                        "version": v.version,
                        "published": iso(v.published),
                        "effective": iso(v.effective),
                        **_provisional(v),
                    }
                    for v in state.scheduled
                ],
                "next_change": iso(state.next_change),
            }
        )
    return {"as_of": iso(as_of), "documents": documents}


def _provisional(version: Version) -> dict[str, Any]:
    """Whether the version's effective date was counted through a year whose holiday
    schedule is not known yet (see `known_years`), and which years."""
    years = list(version.window.unscheduled_years) if version.window else []
    return {"provisional": bool(years), "unscheduled_years": years}


def status_table(data: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console()
    table = Table(title=f"Policies as of {data['as_of']}")
    for column in ("document", "in force", "pending", "next change"):
        table.add_column(column)
    for doc in data["documents"]:
        in_force = doc["in_force"]
        pending = "\n".join(
            f"{p['version']} from {p['effective'][:10]}"
            + (" [yellow](provisional)[/]" if p["provisional"] else "")
            + (" [bold red](core rights)[/]" if p["core_rights_changed"] else "")
            for p in doc["pending"]
        )
        table.add_row(
            f"{doc['title']} ({doc['id']})",
            f"{in_force['version']} since {in_force['effective'][:10]}" if in_force else "—",
            pending or "—",
            doc["next_change"] or "—",
        )
    console.print(table)
    years = sorted({y for doc in data["documents"] for p in doc["pending"] for y in p["unscheduled_years"]})
    if years:
        console.print(
            f"Provisional: {unknown_schedules(tuple(years))}; the effective dates marked provisional "
            "were counted without it. Once it is announced, enter its days as extra_holidays / "
            "extra_working_days and list the year in known_years.",
            highlight=False,
        )
    if any(doc["next_change"] for doc in data["documents"]):
        due = min(doc["next_change"] for doc in data["documents"] if doc["next_change"])
        console.print(f"Rebuild the site at {due} (the next state change).")
