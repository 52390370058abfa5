"""`policyctl publish`: stamp a revision in the working tree for an editor.

Sets `version`, `published` (today at `--as-of`), `summary` and `effective` in the front
matter of `policy/<id>.md`, and the same `published` and `effective` in each translation
`policy/<id>.<lang>.md` that carries the version (its own title and summary kept). The effective date is written out (the earliest the publicity
window allows, later than any version already pending or scheduled, or a later
`--effective`), so an announced date never moves when the calendar settings change. The
front matter is edited in place (generator.core.frontmatter.stamp: comments, key order,
quoting and `summary: >` blocks kept) and read back before the file is replaced, at once
(a temporary file and a rename): a refused publish leaves every file as it was.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import stat
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.commands.context import Context, add_common_arguments
from generator.core import urls
from generator.core.dates import local_midnight, short_date
from generator.core.errors import EXIT_OK, EmptyRepositoryError, PolicyError
from generator.core.frontmatter import split, stamp
from generator.core.history import Document, History, Version, default_title
from generator.core.timeline import DocumentState, state_at
from generator.core.translations import translation_path
from generator.core.window import EarliestEffective, NoticePeriod, Window, earliest_effective
from generator.policies import read_history
from generator.settings import Settings


def add_parser(subcommands: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subcommands.add_parser(
        "publish", help="stamp a revision: set version, published and effective dates"
    )
    add_common_arguments(parser)
    parser.add_argument(
        "document", help="document id: the name of a policy/*.md file without .md, e.g. privacy"
    )
    parser.add_argument("--version", required=True, dest="new_version", help='new version, e.g. "2.0"')
    parser.add_argument("--summary", help="plain-language summary of the change")
    parser.add_argument(
        "--effective",
        help="effective date, ISO (default: the earliest allowed; written to the front matter)",
    )
    return parser


def run(args: argparse.Namespace, ctx: Context) -> int:
    result = publish(
        ctx.repo,
        ctx.settings,
        args.document,
        args.new_version,
        as_of=ctx.as_of,
        summary=args.summary,
        effective=args.effective,
    )
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(result.message)
    return EXIT_OK


@dataclass(frozen=True)
class Publication:
    path: Path
    version: str
    published: dt.date
    earliest_effective: dt.datetime | None
    """The end of the publicity window (None for a document's first version)."""
    message: str
    effective: dt.date | None = None
    """The `effective:` date written (None: the first version, in force on publication)."""
    warnings: tuple[str, ...] = ()
    """Versions already pending or scheduled that the new one must follow."""


def document_ids(folder: Path) -> list[str]:
    """The documents an editor may publish: regular `*.md` files directly in the folder."""
    if not folder.is_dir() or folder.is_symlink():
        return []
    return sorted(
        p.stem
        for p in folder.iterdir()
        if p.suffix == ".md" and not p.name.startswith(".") and not p.is_symlink() and p.is_file()
    )


def policy_path(repo: Path, settings: Settings, document: str) -> tuple[Path, str]:
    """policy/<document>.md, a regular file directly in the policy folder of `repo`, and
    its path for messages. Refuses anything else, naming the argument and the valid ids."""
    folder = repo / settings.policy_dir
    ids = document_ids(folder)

    def refused(why: str) -> PolicyError:
        remedy = (
            f"name one of the documents in {settings.policy_dir}/: {', '.join(ids)}"
            if ids
            else f"add the policy as {settings.policy_dir}/<id>.md, then run publish <id>"
        )
        return PolicyError(f"cannot publish {document!r}: {why}", remedy=remedy)

    if (
        not document.strip()
        or any(c in document for c in "/\\\0")
        or ".." in document
        or document.startswith(".")
    ):
        raise refused(
            f"a document id is the name of a file in {settings.policy_dir}/ without `.md`, not a path"
        )
    relative = f"{settings.policy_dir}/{document}.md"
    path = folder / f"{document}.md"
    if folder.is_symlink() or path.is_symlink():
        raise refused(f"{relative} is a symbolic link; publish edits only regular files")
    if not path.exists():
        raise refused(f"there is no {relative}")
    if not path.is_file():
        raise refused(f"{relative} is not a regular file")
    try:
        inside = path.resolve().parent == folder.resolve() and folder.resolve().is_relative_to(repo.resolve())
    except OSError:
        inside = False
    if not inside:
        raise refused(f"{relative} is outside the repository's policy folder")
    return path, relative


def publish(
    repo: Path,
    settings: Settings,
    document: str,
    version: str,
    *,
    as_of: dt.datetime,
    summary: str | None = None,
    effective: str | None = None,
) -> Publication:
    """Set `version`, `published` (the day of `as_of`), `summary` and `effective` in
    policy/<document>.md and say when it may take effect. Refuses a revision without a
    summary, an effective date earlier than allowed, and a file it cannot stamp."""
    path, relative = policy_path(repo, settings, document)
    version = _version_name(version, relative)
    today = as_of.astimezone(settings.zone).date()
    text = _read(path, relative)
    matter, _ = split(text, file=relative)
    existing = _existing_document(repo, settings, document)
    versions = existing.versions if existing else ()
    if existing and existing.version(version) is not None:
        raise PolicyError(
            f"version {version!r} is already published",
            file=relative,
            remedy="choose a new version number",
        )
    summary = summary or matter.summary
    if versions and (not summary or summary == versions[-1].summary):
        raise PolicyError(
            "a revision needs a new plain-language summary of what changed",
            file=relative,
            remedy='rerun with --summary "..." or write `summary:` in the front matter',
        )
    # The earliest day the new version may take effect: the end of its window (a first
    # version: its publication), and after every version already announced.
    latest = max(versions, key=lambda v: v.effective, default=None)
    period = settings.period_of(document)
    earliest = earliest_effective(
        today,
        settings.calendar,
        period,
        first=not versions,
        after=latest.effective if latest is not None else None,
    )
    must_follow = latest if earliest.follows else None
    effective_day = _effective_day(effective, earliest, must_follow, period, relative)

    stamped = stamp(
        text,
        version=version,
        published=today,
        summary=summary,
        effective=effective_day,
        title=None if matter.title else default_title(document),
        file=relative,
    )
    # stamp() has read the stamped text back; this is the check the file is written on.
    split(stamped, file=relative)
    translations, behind = _stamped_translations(repo, settings, relative, version, today, effective_day)
    for target, target_relative, before, after in ((path, relative, text, stamped), *translations):
        if after != before:
            _replace(target, target_relative, after.encode("utf-8"))

    # Versions already announced that have not taken effect: the new one comes after them.
    state = state_at(existing, as_of) if existing else None
    warnings = _announced(relative, state, version, earliest.day, earliest.window) + behind
    message = _message(relative, settings, version, today, earliest, must_follow, effective, effective_day)
    if translations:
        first, rest = message.split("\n", 1)
        message = f"{first}\nThe same dates in {', '.join(t[1] for t in translations)}.\n{rest}"
    window_end = earliest.window.earliest_effective if earliest.window else None
    return Publication(path, version, today, window_end, message, effective_day, warnings)


def _stamped_translations(
    repo: Path, settings: Settings, relative: str, version: str, today: dt.date, effective: dt.date | None
) -> tuple[list[tuple[Path, str, str, str]], tuple[str, ...]]:
    """The translations of `relative` that carry `version`, each with the source's
    `published` and `effective` (path, its path for messages, its text, the stamped
    text; their own title and summary kept); and a warning for each language whose file
    carries another version or is missing (its dates come from the source either way)."""
    stamped: list[tuple[Path, str, str, str]] = []
    behind: list[str] = []
    for language in settings.languages[1:]:
        target_relative = translation_path(relative, language)
        target = repo / target_relative
        if target.is_symlink() or (target.exists() and not target.is_file()):
            behind.append(f"{target_relative} is not a regular file: publish stamps only regular files")
            continue
        if not target.exists():
            behind.append(
                f"{target_relative}: there is no {language} translation to stamp: translate version "
                f'{version} into it (`version: "{version}"`) in the same pull request'
            )
            continue
        text = _read(target, target_relative)
        matter, _ = split(text, file=target_relative)
        carried = str(matter.version).strip() if matter.version is not None else None
        if carried != version:
            behind.append(
                f"{target_relative}: the {language} translation carries version {carried or 'none'}, not "
                f'{version}: translate it (`version: "{version}"`) in the same pull request, then run '
                "publish again (it stamps each translation of the version with the same dates)"
            )
            continue
        after = stamp(
            text, version=version, published=today, summary=None, effective=effective, file=target_relative
        )
        split(after, file=target_relative)
        stamped.append((target, target_relative, text, after))
    return stamped, tuple(behind)


def _version_name(version: str, relative: str) -> str:
    """`--version` without surrounding spaces; refused when empty or not fit for an address."""
    if not version.strip():
        raise PolicyError("--version is empty", remedy='give the new version a name, e.g. --version "2.0"')
    version = version.strip()
    problem = urls.version_name_problem(version)
    if problem is not None:
        raise PolicyError(problem, file=relative, remedy=f'e.g. --version "{urls.version_slug(version)}"')
    return version


def _read(path: Path, relative: str) -> str:
    """The policy file's text, or a PolicyError naming what is wrong with it."""
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyError(
            f"not UTF-8 text (byte {exc.start})",
            file=relative,
            remedy="save the file as UTF-8, then run publish again",
        ) from None
    except OSError as exc:
        raise PolicyError(f"cannot read the file: {exc.strerror}", file=relative) from None


def _existing_document(repo: Path, settings: Settings, document: str) -> Document | None:
    """The document as the repository's history has it; None before its first version."""
    try:
        history = read_history(repo, settings)
    except EmptyRepositoryError:
        history = History(())  # the first version of the first document
    return history.document(document)


def _effective_day(
    effective: str | None,
    earliest: EarliestEffective,
    must_follow: Version | None,
    period: NoticePeriod,
    relative: str,
) -> dt.date | None:
    """The `effective:` date to write: `--effective` when it is not too early, else the
    earliest allowed day; None for a first version without `--effective` (in force on
    publication)."""
    if not effective:
        return None if earliest.window is None else earliest.day
    try:
        effective_day = dt.date.fromisoformat(effective.strip())
    except ValueError:
        raise PolicyError(
            f"--effective {effective!r} is not an ISO date",
            remedy="write the date as YYYY-MM-DD, e.g. --effective 2026-10-16",
        ) from None
    if effective_day < earliest.day:
        if must_follow is not None:
            why = f"not after version {must_follow.version}, which takes effect {short_date(must_follow.effective)}"
        elif earliest.window is None:
            why = f"before its publication on {earliest.lawful.date().isoformat()}"
        else:
            why = f"before the end of its {period.adjective} publicity window"
        raise PolicyError(
            f"effective {effective_day.isoformat()} is too early: {why}",
            file=relative,
            remedy=f"the earliest allowed is {earliest.day.isoformat()}",
        )
    return effective_day


def _counted(window: Window, settings: Settings) -> str:
    """How the window was counted: "7 working days in CN", "30 calendar days in Asia/Shanghai"."""
    period = window.period or settings.default_period
    where = settings.calendar.region if period.working_days is not None else settings.timezone
    return f"{period} in {where}"


def _message(
    relative: str,
    settings: Settings,
    version: str,
    today: dt.date,
    earliest: EarliestEffective,
    must_follow: Version | None,
    effective: str | None,
    effective_day: dt.date | None,
) -> str:
    """What publish tells the editor: the dates it stamped, when the version may take
    effect and why, and when to merge it."""
    message = f"{relative}: version {version}, published {today.isoformat()}."
    window = earliest.window
    if window is not None:
        notes = ""
        if window.unscheduled_years:
            notes = (
                f" (the window reaches {', '.join(map(str, window.unscheduled_years))}, whose "
                "official holiday schedule is not known yet)"
            )
        message += (
            f"\nEarliest effective: {window.earliest_effective.isoformat()} "
            f"({_counted(window, settings)}{notes})."
        )
    else:
        message += "\nFirst version: in force on publication."
    if must_follow is not None:
        message += (
            f"\nAfter version {must_follow.version} (effective {short_date(must_follow.effective)}): "
            f"earliest {local_midnight(earliest.day, settings.zone).isoformat()}."
        )
    if effective:
        message += f"\nEffective as set: {effective_day.isoformat() if effective_day else effective}."
    elif effective_day is not None:
        message += (
            f"\nEffective: {effective_day.isoformat()}, written to the front matter "
            "(the announced date no longer depends on the calendar settings)."
        )
    return message + "\n" + merge_advice(today, dt.datetime.now(settings.zone).date())


def merge_advice(published: dt.date, today: dt.date) -> str:
    """When to merge a version stamped `published` (today, or another day by `--as-of`):
    it is published when it reaches main, and never before its `published` date."""
    if published == today:
        return "Commit and merge it today so that the publication date holds."
    if published > today:
        return (
            f"Commit it, and merge it by {published.isoformat()} (the publication date set by --as-of): "
            "merged earlier, it stays unpublished until that day; merged later, `policyctl check` "
            "refuses the date."
        )
    return (
        f"The publication date {published.isoformat()} (set by --as-of) has passed: a merge today "
        "comes after it, and `policyctl check` refuses a version published before it reached "
        "main. Run publish again without --as-of to stamp today's date."
    )


def _announced(
    relative: str,
    state: DocumentState | None,
    version: str,
    earliest_day: dt.date,
    window: Window | None,
) -> tuple[str, ...]:
    """Warnings for the versions already pending (or scheduled) at `as_of`: their dates,
    that they still take effect as announced, and when the new version can follow them."""
    announced = (*state.pending, *state.scheduled) if state else ()
    if state is None or not announced:
        return ()
    warnings = [
        f"{relative}: version {v.version} is {state.status(v)} (published {short_date(v.published)}, "
        f"takes effect {short_date(v.effective)}); it still takes effect as announced"
        for v in announced
    ]
    follow = (
        f"version {version} must take effect after {'it' if len(announced) == 1 else 'them'} "
        f"(effective dates of a document strictly increase): {earliest_day.isoformat()} at the earliest"
    )
    window_day = window.earliest_effective.date() if window else None
    if window_day is not None and window_day < earliest_day:
        follow += f", later than its own publicity window alone would allow ({window_day.isoformat()})"
    warnings[-1] += f"\n  -> {follow}"
    return tuple(warnings)


def _replace(path: Path, relative: str, data: bytes) -> None:
    """Write `data` to `path` at once: a temporary file beside it, then a rename."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise PolicyError(
            f"cannot write the file: {exc.strerror}",
            file=relative,
            remedy="check the permissions of the policy folder",
        ) from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise PolicyError(
            f"cannot write the file: {exc.strerror}; it is left as it was",
            file=relative,
            remedy="check the permissions and free space of the policy folder",
        ) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
