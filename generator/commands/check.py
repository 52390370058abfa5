"""`policyctl check`: every rule of the history, the section marks and, with a ledger,
the windows counted from the first notice."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from generator.commands.context import EXIT_FAILED, EXIT_OK, Context, add_common_arguments
from generator.core.checks import run_checks
from generator.policies import read_history


def add_parser(subcommands: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subcommands.add_parser(
        "check", help="validate history, dates, windows and section marks"
    )
    add_common_arguments(parser)
    parser.add_argument("--ledger", metavar="URL", help="also verify windows against the delivery ledger")
    return parser


def run(args: argparse.Namespace, ctx: Context) -> int:
    history = read_history(ctx.repo, ctx.settings)
    first_notices = None
    if args.ledger:
        from notify.ledger import first_notice_times

        first_notices = {d.id: first_notice_times(args.ledger, d.id) for d in history.documents}
    report = run_checks(
        history,
        ctx.as_of,
        calendar=ctx.settings.calendar,
        working_days=ctx.settings.working_days,
        first_notices=first_notices,
    )
    for advisory in report.advisories:
        print(f"warning: {advisory}", file=sys.stderr)
    for violation in report.violations:
        print(f"error: {violation}")
    for line in report.summary_lines:
        print(line)
    if report.violations:
        count = len(report.violations)
        print(f"\n{count} problem{'s' if count != 1 else ''} found.")
        return EXIT_FAILED
    return EXIT_OK
