"""`policyctl publish`: stamp a revision in the working tree for an editor."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from generator.core.calendar import WorkingCalendar
from generator.core.errors import PolicyError
from generator.core.frontmatter import split
from generator.settings import Settings
from generator.core.window import publicity_window


@dataclass(frozen=True)
class Publication:
    path: Path
    version: str
    published: dt.date
    earliest_effective: dt.datetime | None
    message: str


def _set_key(front: str, key: str, value: str) -> str:
    line = f"{key}: {value}"
    pattern = re.compile(rf"^{key}:.*$", re.MULTILINE)
    if pattern.search(front):
        return pattern.sub(lambda _m: line, front, count=1)
    return front.rstrip("\n") + "\n" + line + "\n"


def _yaml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


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
    from generator.policies import read_history

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
            remedy=f'rerun with --summary "..." or write `summary:` in the front matter',
        )
    calendar = WorkingCalendar.from_settings(settings)
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

    if text.startswith("---"):
        _, front, rest = text.split("---", 2)
    else:
        front, rest = "\n", "\n" + text
    front = _set_key(front, "version", _yaml_string(version))
    front = _set_key(front, "published", today.isoformat())
    if summary:
        front = _set_key(front, "summary", _yaml_string(summary))
    if effective:
        front = _set_key(front, "effective", effective)
    elif re.search(r"^effective:", front, re.MULTILINE):
        front = re.sub(r"^effective:.*\n?", "", front, flags=re.MULTILINE)
    if not matter.title:
        front = _set_key(front, "title", _yaml_string(document.replace("-", " ").title()))
    path.write_text("---" + front + "---" + rest, encoding="utf-8")

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
