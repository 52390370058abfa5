"""`policyctl check`: every rule of the history, the section marks and, with a ledger,
the windows counted from the first notice."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from typing import Any

from generator.commands.context import Context, add_common_arguments, add_record_argument
from generator.commands.ledger import ledger_text_violations, read_first_notices
from generator.core.checks import run_checks
from generator.core.errors import EXIT_FAILED, EXIT_OK
from generator.core.history import DRAFT_SUFFIX, History, Version
from generator.core.review import ReviewDue, review_due
from generator.core.timeline import state_at
from generator.policies import read_history
from generator.records import read_witness
from generator.site.build import default_site_dir
from generator.site.record import judge
from generator.site.record import sightings as record_sightings
from generator.site.sanitize import raw_html_removed, raw_html_warning


def add_parser(subcommands: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subcommands.add_parser(
        "check", help="validate history, dates, windows and section marks"
    )
    add_common_arguments(parser)
    parser.add_argument("--ledger", metavar="URL", help="also verify windows against the delivery ledger")
    add_record_argument(parser)
    return parser


def run(args: argparse.Namespace, ctx: Context) -> int:
    # The previous public record (default: the log in the site folder `build` writes to):
    # a version not in it counts as seen now, and no published text may have changed.
    witness = read_witness(args.record, default_site_dir(ctx.repo, ctx.config_file))
    history = read_history(
        ctx.repo, ctx.settings, sightings=record_sightings(witness, ctx.settings, ctx.as_of)
    )
    first_notices = read_first_notices(args.ledger) if args.ledger else None
    report = run_checks(
        history,
        ctx.as_of,
        calendar=ctx.settings.calendar,
        periods=ctx.settings.period_of,
        first_notices=first_notices,
    )
    record_problems = judge(witness, history)
    if record_problems:
        report = replace(report, violations=(*report.violations, *record_problems))
    if args.ledger:
        texts_changed = ledger_text_violations(args.ledger, history)
        report = replace(report, violations=(*report.violations, *texts_changed))
    for advisory in report.advisories:
        print(f"warning: {advisory}", file=sys.stderr)
    for due in _reviews_due(history, ctx):
        print(f"warning: {due}", file=sys.stderr)
    for version in (t for d in history.documents for v in d.versions for t in (v, *v.translations)):
        lost = raw_html_removed(version.text)
        if lost:  # a warning: the site publishes the text without it
            print(f"warning: {raw_html_warning(version.path, version.version, lost)}", file=sys.stderr)
    for version in _uncommitted_stamps(ctx):
        print(
            f"warning: {version.path}: version {version.version} is stamped in the working tree but not "
            "committed\n  -> commit and merge it on its publication day, or `git restore` the file",
            file=sys.stderr,
        )
    for violation in report.violations:
        print(f"error: {violation}")
    for line in report.summary_lines:
        print(line)
    if report.violations:
        count = len(report.violations)
        print(f"\n{count} problem{'s' if count != 1 else ''} found.")
        return EXIT_FAILED
    return EXIT_OK


def _reviews_due(history: History, ctx: Context) -> list[ReviewDue]:
    """The documents whose version in force is older than `review_months` (a reminder:
    exit status 0)."""
    found = (
        review_due(state_at(d, ctx.as_of), ctx.as_of, ctx.settings.review_months) for d in history.documents
    )
    return [due for due in found if due is not None]


def _uncommitted_stamps(ctx: Context) -> list[Version]:
    """Versions that exist only in the working tree (read through the same rules as a
    preview): an editor who stamped a revision and forgot to commit it."""
    if not (ctx.repo / ".git").exists():
        return []
    drafts = read_history(ctx.repo, ctx.settings, drafts_at=ctx.as_of)
    return [
        v
        for d in drafts.documents
        for v in d.versions
        if v.draft and not v.per_commit and not v.version.endswith(DRAFT_SUFFIX)
    ]
