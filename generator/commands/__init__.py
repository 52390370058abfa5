"""`policyctl`: check, status, publish, build, serve and notify from one entry point.

Exit status: 0 success, 1 the thing checked is wrong (violations, failed deliveries),
2 bad usage or unusable input.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from generator.core.errors import PolicyError, SettingsError
from generator.settings import Settings, load_settings
from generator.core.window import parse_instant

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


@dataclass(frozen=True)
class Context:
    """What every command starts from: the repository, its settings and the instant."""

    repo: Path
    settings: Settings
    as_of: dt.datetime
    config_file: Path | None


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repo", type=Path, default=Path("."), help="policy repository (default: .)")
    parser.add_argument(
        "--as-of",
        metavar="WHEN",
        help="the instant to act at: ISO date (00:00 local) or date-time (default: now)",
    )
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="settings file (default: <repo>/mkdocs.yml when present)",
    )
    group = parser.add_argument_group("calendar (override mkdocs.yml)")
    group.add_argument("--country", help="holidays country code, e.g. CN")
    group.add_argument("--subdivision", help="holidays subdivision code, e.g. CA")
    group.add_argument("--timezone", help="IANA time zone, e.g. Asia/Shanghai")
    group.add_argument("--working-days", type=int, metavar="N", help="publicity window in working days")


def _context(args: argparse.Namespace) -> Context:
    repo: Path = args.repo.resolve()
    config_file = args.config.resolve() if args.config else None
    settings = load_settings(repo, config_file).with_overrides(
        country=args.country,
        subdivision=args.subdivision,
        timezone=args.timezone,
        working_days=args.working_days,
    )
    if args.as_of:
        try:
            as_of = parse_instant(args.as_of, settings.zone)
        except ValueError as exc:
            raise SettingsError(f"--as-of: {exc}") from None
    else:
        as_of = dt.datetime.now(settings.zone)
    return Context(repo, settings, as_of, config_file)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="policyctl",
        description="Publish legal policies from git and tell users when they change.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = commands.add_parser("check", help="validate history, dates, windows and section marks")
    _common(check)
    check.add_argument("--ledger", metavar="URL", help="also verify windows against the delivery ledger")

    status = commands.add_parser("status", help="per document: in force, pending, next change")
    _common(status)
    status.add_argument("--json", action="store_true", help="machine-readable output")

    publish = commands.add_parser("publish", help="stamp a revision: set version and published date")
    _common(publish)
    publish.add_argument("document", help="document id, e.g. privacy")
    publish.add_argument("--version", required=True, dest="new_version", help='new version, e.g. "2.0"')
    publish.add_argument("--summary", help="plain-language summary of the change")
    publish.add_argument("--effective", help="effective date (default: the earliest allowed)")

    build = commands.add_parser("build", help="build the whole site")
    _common(build)
    build.add_argument("--site-dir", type=Path, help="output folder (default: <repo>/site)")

    serve = commands.add_parser("serve", help="live preview for editors")
    _common(serve)
    serve.add_argument("--drafts", action="store_true", help="also show scheduled and uncommitted versions")
    serve.add_argument("--dev-addr", default="127.0.0.1:8000", metavar="IP:PORT")

    notify = commands.add_parser("notify", help="deliver notices of pending core-rights revisions")
    _common(notify)
    notify.add_argument("--document", help="only this document")
    notify.add_argument("--version", dest="only_version", help="only this version")
    notify.add_argument("--late", action="store_true", help="also notify a revision already in effect")
    notify.add_argument("--site-url", help="absolute site URL for links (default: site_url of mkdocs.yml)")
    try:
        from notify.cli import add_arguments
    except ImportError:  # pragma: no cover - the notify package is part of this distribution
        pass
    else:
        add_arguments(notify)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = globals()[f"cmd_{args.command}"]
    try:
        return int(handler(args, _context(args)))
    except PolicyError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `policyctl status --json | head`: the reader left; that is not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


# ---------------------------------------------------------------- check


def cmd_check(args: argparse.Namespace, ctx: Context) -> int:
    from generator.core.checks import run_checks
    from generator.policies import read_history

    history = read_history(ctx.repo, ctx.settings)
    report = run_checks(history, ctx.settings, ctx.as_of, ledger=args.ledger)
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


# ---------------------------------------------------------------- status


def cmd_status(args: argparse.Namespace, ctx: Context) -> int:
    from generator.policies import read_history
    from generator.commands.status import status_document, status_table

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


# ---------------------------------------------------------------- publish


def cmd_publish(args: argparse.Namespace, ctx: Context) -> int:
    from generator.commands.publish import publish

    result = publish(
        ctx.repo,
        ctx.settings,
        args.document,
        args.new_version,
        today=ctx.as_of.date(),
        summary=args.summary,
        effective=args.effective,
    )
    print(result.message)
    return EXIT_OK


# ---------------------------------------------------------------- build / serve


def cmd_build(args: argparse.Namespace, ctx: Context) -> int:
    from generator.site.build import build_site

    site_dir = args.site_dir.resolve() if args.site_dir else None
    return build_site(
        repo=ctx.repo,
        settings=ctx.settings,
        as_of=ctx.as_of,
        site_dir=site_dir,
        config_file=ctx.config_file,
    )


def cmd_serve(args: argparse.Namespace, ctx: Context) -> int:
    from generator.site.build import serve_site

    return serve_site(
        repo=ctx.repo,
        settings=ctx.settings,
        as_of=ctx.as_of if args.as_of else None,
        drafts=args.drafts,
        dev_addr=args.dev_addr,
        config_file=ctx.config_file,
    )


# ---------------------------------------------------------------- notify


def cmd_notify(args: argparse.Namespace, ctx: Context) -> int:
    from generator.commands.notify import notify_revisions

    return notify_revisions(args, ctx)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
