"""``python -m notify --revision REV.json [options]``: run a campaign without the generator.

For tests, demos and operators who compute revisions elsewhere. REV.json holds the
fields of :class:`notify.revision.Revision` as ``Revision.to_json`` writes them (dates
in ISO 8601 with offsets; ``core_sections`` as a list of [id, title] pairs; optionally
``language``, ``languages`` and ``translations``, each translation an object with
``language``, ``title``, ``summary``, ``core_sections``, ``url``, ``changes_url``,
``rights_url`` and, optionally, ``sha256``: the hash of that language's policy file,
which the ledger keeps with the campaign). ``policyctl notify`` is the normal entry point.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console

from notify.answers.governed import RecipientRedlines
from notify.contract.revision import Revision
from notify.delivery.api import add_arguments, run


def load_revision(path: Path) -> Revision:
    return Revision.from_json(json.loads(path.read_text(encoding="utf-8")))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m notify", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--revision",
        action="append",
        default=[],
        metavar="REV.json",
        help="a revision to announce (repeatable)",
    )
    parser.add_argument("--repo", default=".", help="repository root (default .)")
    add_arguments(parser)
    args = parser.parse_args(argv)
    console = Console(stderr=True)
    try:
        revisions = [load_revision(Path(p)) for p in args.revision]
    except (OSError, ValueError, TypeError, KeyError) as exc:
        console.print(f"error: cannot read --revision: {exc}")
        return 2
    return run(args, revisions, repo=Path(args.repo), console=console, redlines_for=RecipientRedlines)


if __name__ == "__main__":
    sys.exit(main())
