"""`policyctl build`: the whole site, refused on a broken history."""

from __future__ import annotations

import argparse
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from generator.commands.context import Context, add_common_arguments, add_record_argument
from generator.commands.ledger import add_ledger_argument, default_ledger, ledger_text_violations
from generator.core.errors import Violation
from generator.core.history import History
from generator.site.build import build_site


def add_parser(subcommands: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subcommands.add_parser("build", help="build the whole site")
    add_common_arguments(parser)
    parser.add_argument("--site-dir", type=Path, help="output folder (default: <repo>/site)")
    add_record_argument(parser)
    add_ledger_argument(
        parser, "the delivery ledger whose announced texts the history must still hold", if_there=True
    )
    return parser


def run(args: argparse.Namespace, ctx: Context) -> int:
    return build_site(
        repo=ctx.repo,
        settings=ctx.settings,
        as_of=ctx.as_of,
        site_dir=args.site_dir.resolve() if args.site_dir else None,
        config_file=ctx.config_file,
        record=args.record,
        more_checks=_announced_texts(args.ledger or default_ledger(ctx.repo)),
    )


def _announced_texts(ledger: str | None) -> Callable[[History], list[Violation]] | None:
    """A notified text that the history now holds otherwise refuses the build."""
    if ledger is None:
        return None
    return functools.partial(ledger_text_violations, ledger)
