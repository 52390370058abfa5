"""`policyctl build`: the whole site, refused on a broken history.

The stages are `generator.site.build`'s (read and judge the history, check what the build
needs, build and swap the site in); this module says what each found, live: warnings and
MkDocs' own on stderr, the violations and the summary on stdout, and exits 0 (built), 1
(refused or failed: the site folder is left as it was) or 2 (unusable input).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import logging
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from generator.commands.context import Context, add_common_arguments, add_engine_argument, add_record_argument
from generator.commands.ledger import add_ledger_argument, default_ledger, ledger_text_violations
from generator.core import urls
from generator.core.errors import EXIT_FAILED, EXIT_OK, Violation
from generator.core.history import History
from generator.site.build import BuildFailed, Built, SiteBuild, build_site, check_history, preflight
from generator.site.unchanged import (
    Stamp,
    inputs_digest,
    keep_record,
    stamp_path,
    still_current,
    witness_digest,
    write_stamp,
)


def add_parser(subcommands: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subcommands.add_parser("build", help="build the whole site")
    add_common_arguments(parser)
    parser.add_argument("--site-dir", type=Path, help="output folder (default: <repo>/site)")
    add_engine_argument(parser)
    add_record_argument(parser)
    add_ledger_argument(
        parser, "the delivery ledger whose announced texts the history must still hold", if_there=True
    )
    return parser


def run(args: argparse.Namespace, ctx: Context) -> int:
    started = time.perf_counter()
    build = SiteBuild.at(
        repo=ctx.repo,
        settings=ctx.settings.with_overrides(engine=args.engine),
        as_of=ctx.as_of,
        site_dir=args.site_dir.resolve() if args.site_dir else None,
        config_file=ctx.config_file,
    )
    ledger = args.ledger or default_ledger(ctx.repo)
    # A build at an instant where the site's state is the last build's, from the same
    # inputs, would write the same site: keep it (and the public record), build nothing.
    inputs = None if args.record else inputs_digest(build, ledger)
    stamp = still_current(build, inputs)
    if stamp is not None:
        return _unchanged(build, stamp, time.perf_counter() - started)
    checked = check_history(build, record=args.record, more_checks=_announced_texts(ledger))
    _warn(checked.warnings)
    if checked.violations:
        for violation in checked.violations:
            print(f"error: {violation}")
        count = len(checked.violations)
        print(
            f"\n{count} problem{'s' if count != 1 else ''} found. The site was not built; fix them and rebuild."
        )
        return EXIT_FAILED
    _warn(preflight(build, checked.history))
    try:
        with _mkdocs_warnings():
            built = build_site(build, checked)
    except BuildFailed as failure:
        print(f"error: {failure}", file=sys.stderr)
        if failure.unchanged is not None:
            print(f"The site in {failure.unchanged} was not changed.", file=sys.stderr)
        return EXIT_FAILED
    _warn(built.warnings)
    if inputs is not None:
        stamp = Stamp(
            inputs, build.as_of, _next_change(built), built.record.head, witness_digest(built.target)
        )
        write_stamp(stamp_path(build.repo, built.target), stamp)
    _summary(build, built, time.perf_counter() - started)
    return EXIT_OK


def _next_change(built: Built) -> dt.datetime | None:
    """When any language's site would show something else."""
    due = [d.state.next_change for m in built.models for d in m.documents if d.state.next_change]
    return min(due, default=None)


def _unchanged(build: SiteBuild, stamp: Stamp, elapsed: float) -> int:
    """Say that the site is kept, with its record."""
    before = stamp.head
    kept = keep_record(build, stamp)
    print(
        f"Unchanged: {build.target} is the site as of {build.as_of.isoformat(timespec='minutes')} "
        f"(same history, settings, templates and state as its build of "
        f"{stamp.as_of.isoformat(timespec='minutes')}); nothing rebuilt, in {elapsed:.1f} s."
    )
    if kept.head != before:
        print(f"  Public record: the day's line appended; chain head {kept.head}.")
    if kept.next_change is not None:
        print(f"Rebuild the site at {kept.next_change.isoformat()} (the next state change).")
    return EXIT_OK


def _announced_texts(ledger: str | None) -> Callable[[History], list[Violation]] | None:
    """A notified text that the history now holds otherwise refuses the build."""
    if ledger is None:
        return None
    return functools.partial(ledger_text_violations, ledger)


def _warn(warnings: Iterable[str]) -> None:
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)


@contextlib.contextmanager
def _mkdocs_warnings() -> Iterator[None]:
    """Show MkDocs' warnings and errors as they come."""

    class Show(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            print(f"{record.levelname.lower()}: {record.getMessage()}", file=sys.stderr)

    handler = Show(logging.WARNING)
    logger = logging.getLogger("mkdocs")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


def _summary(build: SiteBuild, built: Built, elapsed: float) -> None:
    """What was built, the public record, the pending versions, when to rebuild."""
    model, witness = built.model, built.witness
    languages = f" in {len(built.models)} languages" if len(built.models) > 1 else ""
    print(
        f"Built {built.pages} pages{languages} for {len(model.documents)} document(s) as of "
        f"{build.as_of.isoformat(timespec='minutes')} into {built.target} in {elapsed:.1f} s."
    )
    added = len(built.record.lines) - len(witness.record.lines)
    if witness.found:
        print(
            f"  Public record: {added} line(s) appended to {witness.where}; chain head {built.record.head}."
        )
    else:
        print(
            f"  Public record started: {urls.PUBLICATION_LOG} with {added} line(s), the versions in the "
            f"history entered as inherited; chain head {built.record.head}."
        )
    if model.settings.pdf:
        printed = sum(1 for d in model.documents for e in d.entries if not e.draft)
        print(f"  {printed} version PDF(s) printed with headless Chromium (pdf: true).")
    for notice in model.notices:
        print(
            f"  pending: {notice.document} {notice.version.version} takes effect "
            f"{notice.version.effective.isoformat()}"
        )
    due = [d.state.next_change for d in model.documents if d.state.next_change]
    if due:
        print(f"Rebuild the site at {min(due).isoformat()} (the next state change).")
