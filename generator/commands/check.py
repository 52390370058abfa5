"""`policyctl check`: every rule of the history, the section marks and, with a ledger,
the windows counted from the first notice."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from generator.commands.context import EXIT_FAILED, EXIT_OK, Context, add_common_arguments
from generator.core.announced import announced_text_violations
from generator.core.checks import run_checks
from generator.core.errors import PolicyError, Violation
from generator.core.history import DRAFT_SUFFIX, History, Version
from generator.policies import read_history
from generator.site.sanitize import raw_html_removed, raw_html_warning


def add_parser(subcommands: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subcommands.add_parser(
        "check", help="validate history, dates, windows and section marks"
    )
    add_common_arguments(parser)
    parser.add_argument("--ledger", metavar="URL", help="also verify windows against the delivery ledger")
    return parser


def run(args: argparse.Namespace, ctx: Context) -> int:
    history = read_history(ctx.repo, ctx.settings)
    first_notices = _read_ledger(args.ledger) if args.ledger else None
    report = run_checks(
        history,
        ctx.as_of,
        calendar=ctx.settings.calendar,
        working_days=ctx.settings.working_days,
        first_notices=first_notices,
    )
    if args.ledger:
        texts_changed = ledger_text_violations(args.ledger, history)
        report = replace(report, violations=(*report.violations, *texts_changed))
    for advisory in report.advisories:
        print(f"warning: {advisory}", file=sys.stderr)
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


def _read_ledger(url: str) -> dict[str, dict[str, dt.datetime]]:
    """When each revision was first notified, from the delivery ledger (exit 2 when it
    cannot be read)."""
    from notify.ledger import notified_versions

    return _from_ledger(url, notified_versions)


def ledger_text_violations(ledger_url: str, history: History) -> list[Violation]:
    """The notified texts the history holds with other words (rule notified-text-changed):
    the sha256 of each text the ledger at `ledger_url` recorded as announced, per
    language, against the history's. PolicyError (exit 2) when the ledger cannot be
    read; none when there is no ledger there yet."""
    from notify.ledger import announced_texts

    return announced_text_violations(history, _from_ledger(ledger_url, announced_texts), history.languages[0])


_T = TypeVar("_T")


def _from_ledger(url: str, read: Callable[[str], _T]) -> _T:
    """What `read` finds in the delivery ledger at `url` (exit 2 when it cannot be read)."""
    from notify.errors import NotifyError
    from notify.redaction import redact

    try:
        return read(url)
    except NotifyError as error:
        raise PolicyError(str(error), remedy="pass --ledger the ledger `policyctl notify` wrote to") from None
    except Exception as error:  # a database the driver cannot open or query
        raise PolicyError(
            f"cannot read the ledger {redact(url)}: {error.__class__.__name__}",
            remedy="check the URL and that the database is reachable",
        ) from None


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
