"""`policyctl`: init, check, status, publish, build, serve, notify, answers, applies and verify from one entry point.

Each command is a module with `add_parser(subcommands)` and `run(args, ctx) -> int`:
arguments in, exit code out. Exit status: 0 success, 1 the thing checked is wrong
(violations, failed deliveries), 2 bad usage or unusable input.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from generator.commands import answers, applies, build, check, init, notify, publish, serve, status, verify
from generator.commands.context import context_from
from generator.core.errors import EXIT_OK, EXIT_USAGE, PolicyError

COMMANDS = (init, check, status, publish, build, serve, notify, answers, applies, verify)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="policyctl",
        description="Publish legal policies from git and tell users when they change.",
    )
    subcommands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(subcommands).set_defaults(run=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        # `verify` reads a published site only: no repository, no settings.
        ctx = context_from(args) if getattr(args, "needs_repository", True) else None
        return int(args.run(args, ctx))
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
