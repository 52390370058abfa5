"""`policyctl serve`: a live preview for editors."""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Iterator
from typing import Any

from generator.commands.context import Context, add_common_arguments, add_engine_argument
from generator.core.errors import EXIT_FAILED, EXIT_OK
from generator.site.build import BuildFailed
from generator.site.preview import serve_site


def add_parser(subcommands: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subcommands.add_parser("serve", help="live preview for editors")
    add_common_arguments(parser)
    add_engine_argument(parser)
    parser.add_argument("--drafts", action="store_true", help="also show scheduled and uncommitted versions")
    parser.add_argument("--dev-addr", default="127.0.0.1:8000", metavar="IP:PORT")
    return parser


def run(args: argparse.Namespace, ctx: Context) -> int:
    with _mkdocs_log():
        try:
            serve_site(
                repo=ctx.repo,
                settings=ctx.settings.with_overrides(engine=args.engine),
                as_of=ctx.as_of if args.as_of else None,
                drafts=args.drafts,
                dev_addr=args.dev_addr,
                config_file=ctx.config_file,
            )
        except BuildFailed as failure:
            print(f"error: {failure}", file=sys.stderr)
            return EXIT_FAILED
    return EXIT_OK


@contextlib.contextmanager
def _mkdocs_log() -> Iterator[None]:
    """MkDocs' log from INFO on, on stderr, as `mkdocs serve` shows it."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)-7s -  %(message)s"))
    logger = logging.getLogger("mkdocs")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
