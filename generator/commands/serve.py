"""`policyctl serve`: a live preview for editors."""

from __future__ import annotations

import argparse
from typing import Any

from generator.commands.context import Context, add_common_arguments
from generator.site.build import serve_site


def add_parser(subcommands: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subcommands.add_parser("serve", help="live preview for editors")
    add_common_arguments(parser)
    parser.add_argument("--drafts", action="store_true", help="also show scheduled and uncommitted versions")
    parser.add_argument("--dev-addr", default="127.0.0.1:8000", metavar="IP:PORT")
    return parser


def run(args: argparse.Namespace, ctx: Context) -> int:
    return serve_site(
        repo=ctx.repo,
        settings=ctx.settings,
        as_of=ctx.as_of if args.as_of else None,
        drafts=args.drafts,
        dev_addr=args.dev_addr,
        config_file=ctx.config_file,
    )
