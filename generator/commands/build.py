"""`policyctl build`: the whole site, refused on a broken history."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from generator.commands.context import Context, add_common_arguments, add_record_argument
from generator.site.build import build_site


def add_parser(subcommands: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subcommands.add_parser("build", help="build the whole site")
    add_common_arguments(parser)
    parser.add_argument("--site-dir", type=Path, help="output folder (default: <repo>/site)")
    add_record_argument(parser)
    return parser


def run(args: argparse.Namespace, ctx: Context) -> int:
    return build_site(
        repo=ctx.repo,
        settings=ctx.settings,
        as_of=ctx.as_of,
        site_dir=args.site_dir.resolve() if args.site_dir else None,
        config_file=ctx.config_file,
        record=args.record,
    )
