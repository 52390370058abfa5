"""What every `policyctl` command starts from: the repository, its settings, the instant.

Exit status: 0 success, 1 the thing checked is wrong (violations, failed deliveries),
2 bad usage or unusable input.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

from generator.core.dates import parse_instant
from generator.core.errors import PolicyError, SettingsError
from generator.core.history import History
from generator.core.record import NO_SIGHTINGS, Sightings
from generator.policies import read_history
from generator.records import read_witness
from generator.settings import ENGINES, Settings, load_settings
from generator.site.build import default_site_dir


@dataclass(frozen=True)
class Context:
    """What every command starts from: the repository, its settings and the instant."""

    repo: Path
    settings: Settings
    as_of: dt.datetime
    config_file: Path | None


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
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


def add_engine_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        help="what renders the site: mkdocs (MkDocs with Material) or zensical (default: engine: in "
        "mkdocs.yml, else mkdocs)",
    )


def add_record_argument(parser: argparse.ArgumentParser) -> None:
    """`--record`, the previous public record, for `build` and `check`."""
    parser.add_argument(
        "--record",
        metavar="SOURCE",
        help="the previous public record: the deployed site's folder, its publication-log.jsonl, or "
        "its https:// address (default for build: the log in --site-dir)",
    )


def context_from(args: argparse.Namespace) -> Context:
    """The context the common flags (`add_common_arguments`) name."""
    return context_of(
        args.repo,
        args.config,
        as_of=args.as_of,
        country=args.country,
        subdivision=args.subdivision,
        timezone=args.timezone,
        working_days=args.working_days,
    )


def context_of(
    repo: Path,
    config: Path | None = None,
    *,
    as_of: str | None = None,
    country: str | None = None,
    subdivision: str | None = None,
    timezone: str | None = None,
    working_days: int | None = None,
) -> Context:
    """The context of `repo` (and its settings file `config`, else its mkdocs.yml), with the
    settings the calendar flags override, at `as_of` (as `--as-of` reads it; default now)."""
    repo = repo.resolve()
    config_file = config.resolve() if config else None
    settings = load_settings(repo, config_file).with_overrides(
        country=country,
        subdivision=subdivision,
        timezone=timezone,
        working_days=working_days,
    )
    if as_of:
        try:
            instant = parse_instant(as_of, settings.zone)
        except ValueError as exc:
            raise SettingsError(f"--as-of: {exc}") from None
    else:
        instant = dt.datetime.now(settings.zone)
    return Context(repo, settings, instant, config_file)


def site_sightings(repo: Path, settings: Settings) -> Sightings:
    """When the public first saw each version, by the record in the site folder `build`
    writes to: so that `status`, `notify` and `applies` count the same effective instants
    as the site. Versions not in it yet are taken as seen on publication (the next build
    decides)."""
    witness = read_witness(None, default_site_dir(repo, None))
    return witness.record.sightings(settings.zone, None) if witness.found else NO_SIGHTINGS


def sound_history(repo: Path, settings: Settings, refusal: str, remedy: str) -> History:
    """The policy history, for a command that acts on it and must not act on a broken one:
    its violations printed, then a PolicyError saying what is refused (``refusal``)."""
    history = read_history(repo, settings, sightings=site_sightings(repo, settings))
    if history.violations:
        for violation in history.violations:
            print(f"error: {violation}", file=sys.stderr)
        raise PolicyError(f"the policy history breaks its rules; {refusal}", remedy=remedy)
    return history


class _Named(Protocol):
    @property
    def id(self) -> str: ...


N = TypeVar("N", bound=_Named)


def only_document(documents: tuple[N, ...], wanted: str | None) -> tuple[N, ...]:
    """``--document``: only the document with that id (all when not given)."""
    if not wanted:
        return documents
    chosen = tuple(d for d in documents if d.id == wanted)
    if not chosen:
        known = ", ".join(d.id for d in documents)
        raise PolicyError(f"no document {wanted!r}", remedy=f"use one of: {known}")
    return chosen
