"""`policyctl publish`: stamp a revision in the working tree for an editor."""

from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.commands.context import EXIT_OK, Context, add_common_arguments
from generator.core.errors import PolicyError
from generator.core.frontmatter import split, stamp
from generator.core.window import publicity_window
from generator.policies import read_history
from generator.settings import Settings


def add_parser(subcommands: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subcommands.add_parser(
        "publish", help="stamp a revision: set version and published date"
    )
    add_common_arguments(parser)
    parser.add_argument("document", help="document id, e.g. privacy")
    parser.add_argument("--version", required=True, dest="new_version", help='new version, e.g. "2.0"')
    parser.add_argument("--summary", help="plain-language summary of the change")
    parser.add_argument("--effective", help="effective date (default: the earliest allowed)")
    return parser


def run(args: argparse.Namespace, ctx: Context) -> int:
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


@dataclass(frozen=True)
class Publication:
    path: Path
    version: str
    published: dt.date
    earliest_effective: dt.datetime | None
    message: str


def publish(
    repo: Path,
    settings: Settings,
    document: str,
    version: str,
    *,
    today: dt.date,
    summary: str | None = None,
    effective: str | None = None,
) -> Publication:
    """Set `version` and `published` (today) in policy/<document>.md and say when it may
    take effect. Refuses a revision without a summary."""
    path = repo / settings.policy_dir / f"{document}.md"
    relative = f"{settings.policy_dir}/{document}.md"
    if not path.exists():
        raise PolicyError("no such policy document", file=relative, remedy="check the document id")
    text = path.read_text(encoding="utf-8")
    matter, body = split(text, file=relative)
    history = read_history(repo, settings)
    existing = history.document(document)
    first = existing is None or not existing.versions
    if existing and existing.version(version) is not None:
        raise PolicyError(
            f"version {version!r} is already published",
            file=relative,
            remedy="choose a new version number",
        )
    summary = summary or matter.summary
    if not first and (not summary or (existing and summary == existing.versions[-1].summary)):
        raise PolicyError(
            "a revision needs a new plain-language summary of what changed",
            file=relative,
            remedy='rerun with --summary "..." or write `summary:` in the front matter',
        )
    calendar = settings.calendar
    window = None if first else publicity_window(today, calendar, settings.working_days)
    earliest = window.earliest_effective if window else None
    if effective:
        try:
            effective_day = dt.date.fromisoformat(effective)
        except ValueError:
            raise PolicyError(f"--effective {effective!r} is not an ISO date, e.g. 2026-10-16") from None
        if earliest and effective_day < earliest.date():
            raise PolicyError(
                f"effective {effective_day.isoformat()} is too early",
                file=relative,
                remedy=f"the earliest allowed is {earliest.date().isoformat()}",
            )

    stamped = stamp(
        text,
        version=version,
        published=today,
        summary=summary,
        effective=dt.date.fromisoformat(effective) if effective else None,
        title=None if matter.title else document.replace("-", " ").title(),
    )
    path.write_text(stamped, encoding="utf-8")

    message = f"{relative}: version {version}, published {today.isoformat()}."
    if earliest:
        notes = ""
        if window and window.unscheduled_years:
            notes = (
                f" (the window reaches {', '.join(map(str, window.unscheduled_years))}, whose "
                "official holiday schedule is not known yet)"
            )
        message += (
            f"\nEarliest effective: {earliest.isoformat()} "
            f"({settings.working_days} working days in {settings.country}{notes})."
        )
        if effective:
            message += f"\nEffective as set: {effective}."
    else:
        message += "\nFirst version: in force on publication."
    message += "\nCommit and merge it today so that the publication date holds."
    return Publication(path, version, today, earliest, message)
