"""Front matter of a policy file: title, version, published, effective, summary."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import yaml
from frontmatter.default_handlers import YAMLHandler

from generator.core.errors import FrontMatterError

_HANDLER = YAMLHandler()
# libyaml when present: front matter is parsed once per commit of every policy.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
KNOWN_KEYS = frozenset({"title", "version", "published", "effective", "summary"})


@dataclass(frozen=True)
class FrontMatter:
    """What the editors declare about a version at the top of the file."""

    title: str | None = None
    version: str | None = None
    published: dt.date | dt.datetime | None = None
    effective: dt.date | dt.datetime | None = None
    summary: str | None = None
    extra: tuple[tuple[str, Any], ...] = ()


def _as_date(value: Any, key: str, file: str, commit: str | None) -> dt.date | dt.datetime | None:
    if value is None or isinstance(value, (dt.date, dt.datetime)):
        return value
    if isinstance(value, str):
        try:
            return (dt.date if len(value.strip()) == 10 else dt.datetime).fromisoformat(value.strip())
        except ValueError:
            pass
    raise FrontMatterError(
        f"`{key}: {value}` is not a date",
        file=file,
        commit=commit,
        remedy=f"write {key} as an ISO date, e.g. `{key}: 2026-10-16`",
    )


def split(text: str, *, file: str, commit: str | None = None) -> tuple[FrontMatter, str]:
    """Split a policy file into its front matter and its Markdown body."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if not _HANDLER.detect(text):
        if text.lstrip().startswith("---"):
            raise FrontMatterError(
                "front matter is not closed",
                file=file,
                commit=commit,
                line=1,
                remedy="end the front matter with a line of three dashes `---`",
            )
        return FrontMatter(), text
    raw, body = _HANDLER.split(text)
    try:
        data = yaml.load(raw, Loader=_LOADER) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise FrontMatterError(
            f"malformed front matter: {problem}",
            file=file,
            commit=commit,
            line=text[: text.find(raw)].count("\n") + mark.line + 1 if mark is not None else None,
            remedy="fix the YAML between the `---` lines (quote values that contain a colon)",
        ) from None
    if not isinstance(data, dict):
        raise FrontMatterError(
            "front matter must be a mapping of `key: value` lines",
            file=file,
            commit=commit,
            line=2,
            remedy="write e.g. `title: Privacy Policy` on its own line",
        )
    version = data.get("version")
    if isinstance(version, float):
        # YAML reads 1.10 as 1.1: the editor must quote it to keep what was meant.
        raise FrontMatterError(
            f"`version: {version}` must be quoted",
            file=file,
            commit=commit,
            remedy=f'write `version: "{version}"` so YAML keeps it as written',
        )
    summary = data.get("summary")
    matter = FrontMatter(
        title=str(data["title"]).strip() if data.get("title") else None,
        version=str(version).strip() if version not in (None, "") else None,
        published=_as_date(data.get("published"), "published", file, commit),
        effective=_as_date(data.get("effective"), "effective", file, commit),
        summary=str(summary).strip() if summary not in (None, "") else None,
        extra=tuple(sorted((k, v) for k, v in data.items() if k not in KNOWN_KEYS)),
    )
    return matter, body


def _yaml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _set_key(front: str, key: str, value: str | None) -> str:
    pattern = re.compile(rf"^{key}:.*(?:\n|$)", re.MULTILINE)
    if value is None:
        return pattern.sub("", front)
    line = f"{key}: {value}\n"
    if pattern.search(front):
        return pattern.sub(lambda _m: line, front, count=1)
    return front.rstrip("\n") + "\n" + line


def stamp(
    text: str,
    *,
    version: str,
    published: dt.date,
    summary: str | None,
    effective: dt.date | None,
    title: str | None = None,
) -> str:
    """The policy file with `version`, `published`, `summary` and `effective` set in its
    front matter (an `effective` left from an earlier version is removed when None);
    the rest of the file is kept byte for byte. `title` is added only when given."""
    if text.startswith("---"):
        _, front, rest = text.split("---", 2)
    else:
        front, rest = "\n", "\n" + text
    front = _set_key(front, "version", _yaml_string(version))
    front = _set_key(front, "published", published.isoformat())
    if summary:
        front = _set_key(front, "summary", _yaml_string(summary))
    front = _set_key(front, "effective", effective.isoformat() if effective else None)
    if title:
        front = _set_key(front, "title", _yaml_string(title))
    return "---" + front + "---" + rest
