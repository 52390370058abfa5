"""Front matter of a policy file: title, version, published, effective, summary.

`split` reads it (PyYAML, libyaml when present: front matter is parsed once per commit of
every policy). `stamp` edits it for `policyctl publish`: ruamel.yaml finds where each key
and value sit, ruamel.yaml writes the new values, and everything else of the file (the
editor's comments, key order, quoting, indentation, `summary: >` blocks, the Markdown
body) is kept byte for byte. A stamped text is read back with `split` before it is
returned: `stamp` never hands back a file that does not say what it was asked to say.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, replace
from typing import Any

import yaml
from frontmatter.default_handlers import YAMLHandler
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError as RuamelYAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from generator.core.errors import FrontMatterError

_HANDLER = YAMLHandler()
_BOUNDARY: re.Pattern[str] = re.compile(r"^-{3,}\s*$", re.MULTILINE)
"""The `---` lines around the front matter: the same pattern as python-frontmatter's."""
KNOWN_KEYS = frozenset({"title", "version", "published", "effective", "summary"})
_BOM = "\ufeff"


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The safe loader (libyaml when present) that keeps a date-like value that is no
    date (`published: 2026-13-45`) as its text, so the error can name the key."""


def _timestamp(loader: Any, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


@dataclass(frozen=True)
class FrontMatter:
    """What the editors declare about a version at the top of the file."""

    title: str | None = None
    version: str | None = None
    published: dt.date | dt.datetime | None = None
    effective: dt.date | dt.datetime | None = None
    summary: str | None = None
    extra: tuple[tuple[str, Any], ...] = ()


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple, set)):
        return "a list"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    return f"`{value}`"


def _key_line(text: str, raw: str, key: str) -> int | None:
    """The line of `key:` in the file (1-based), or None."""
    found = re.search(rf"^{re.escape(key)}[ \t]*:", raw, re.MULTILINE)
    if found is None:
        return None
    return text[: text.find(raw)].count("\n") + raw[: found.start()].count("\n") + 1


class _BadValue(Exception):
    """A front matter key whose value cannot be used; `split` names the file and line."""

    def __init__(self, key: str, message: str, remedy: str) -> None:
        super().__init__(message)
        self.key, self.message, self.remedy = key, message, remedy


def _as_date(value: Any, key: str) -> dt.date | dt.datetime | None:
    if value is None or isinstance(value, (dt.date, dt.datetime)):
        return value
    reason = ""
    if isinstance(value, str):
        try:
            return (dt.date if len(value.strip()) == 10 else dt.datetime).fromisoformat(value.strip())
        except ValueError as exc:
            reason = f" ({exc})"
    what = f"`{key}: {value}`" if isinstance(value, (str, int, float)) else f"`{key}` ({_describe(value)})"
    raise _BadValue(
        key, f"{what} is not a date{reason}", f"write {key} as an ISO date, e.g. `{key}: 2026-10-16`"
    )


def _text_value(value: Any, key: str, example: str) -> str | None:
    """`title` and `summary`: text (a number or a date reads as its text), never a
    mapping or a list."""
    if isinstance(value, (dict, list, tuple, set)):
        raise _BadValue(
            key,
            f"`{key}` is {_describe(value)}, not text",
            f"write it as text, e.g. {example} (quote a value that contains `: `, `{{` or `[`)",
        )
    if value in (None, ""):
        return None
    return str(value).strip() or None


def _version_value(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, float):
        # YAML reads 1.10 as 1.1: the editor must quote it to keep what was meant.
        raise _BadValue(
            "version",
            f"`version: {value}` must be quoted",
            f'write `version: "{value}"` so YAML keeps it as written',
        )
    if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        return str(value).strip() or None
    quoted = f'`version: "{value}"`' if isinstance(value, dt.date) else '`version: "2.0"`'
    raise _BadValue(
        "version",
        f"`version` is {_describe(value)}: a version must be a string or a number",
        f"write the version name in quotes, e.g. {quoted}",
    )


def _front_matter_span(text: str) -> tuple[int, int] | None:
    """Where the YAML between the `---` lines starts and ends in `text` (without a BOM),
    or None when the file has no front matter. Raises when it is opened and not closed."""
    opening = _BOUNDARY.match(text)
    if opening is None:
        if text.lstrip().startswith("---"):
            raise _not_closed()
        return None
    closing = _BOUNDARY.search(text, opening.end())
    if closing is None:
        raise _not_closed()
    return opening.end(), closing.start()


def _not_closed(file: str | None = None, commit: str | None = None) -> FrontMatterError:
    return FrontMatterError(
        "front matter is not closed",
        file=file,
        commit=commit,
        line=1,
        remedy="end the front matter with a line of three dashes `---`",
    )


def split(text: str, *, file: str, commit: str | None = None) -> tuple[FrontMatter, str]:
    """Split a policy file into its front matter and its Markdown body."""
    if text.startswith(_BOM):
        text = text[1:]
    try:
        span = _front_matter_span(text)
    except FrontMatterError:
        raise _not_closed(file, commit) from None
    if span is None:
        return FrontMatter(), text
    raw, body = _HANDLER.split(text)
    try:
        data = yaml.load(raw, Loader=_Loader) or {}
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
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        # A value YAML recognises and cannot build, e.g. `!!float twelve`.
        raise FrontMatterError(
            f"malformed front matter: {exc}",
            file=file,
            commit=commit,
            remedy="fix the YAML between the `---` lines (quote a value to keep it as text)",
        ) from None
    if not isinstance(data, dict):
        raise FrontMatterError(
            "front matter must be a mapping of `key: value` lines",
            file=file,
            commit=commit,
            line=2,
            remedy="write e.g. `title: Privacy Policy` on its own line",
        )

    try:
        matter = FrontMatter(
            title=_text_value(data.get("title"), "title", "`title: Privacy Policy`"),
            version=_version_value(data.get("version")),
            published=_as_date(data.get("published"), "published"),
            effective=_as_date(data.get("effective"), "effective"),
            summary=_text_value(
                data.get("summary"),
                "summary",
                "`summary: We now collect phone numbers.` (several lines: a `summary: >` block)",
            ),
            extra=tuple(sorted(((k, v) for k, v in data.items() if k not in KNOWN_KEYS), key=_by_key)),
        )
    except _BadValue as bad:
        raise FrontMatterError(
            bad.message, file=file, commit=commit, line=_key_line(text, raw, bad.key), remedy=bad.remedy
        ) from None
    return matter, body


def _by_key(item: tuple[Any, Any]) -> str:
    return str(item[0])


# --- stamp: `policyctl publish` edits the front matter in place --------------------------

_ROUND_TRIP = YAML(typ="rt")
_ROUND_TRIP.width = 1 << 20  # a new value is written on one line, however long
_INSERT_AFTER: dict[str, tuple[str, ...]] = {
    # Where a key the front matter lacks goes: after the first of these present, else first.
    "title": (),
    "version": ("title",),
    "published": ("version", "title"),
    "effective": ("published", "version", "title"),
    "summary": ("effective", "published", "version", "title"),
}


def _quoted(value: str) -> str:
    """`value` as one double-quoted YAML scalar, as ruamel.yaml writes it."""
    stream = io.StringIO()
    _ROUND_TRIP.dump(CommentedMap([("k", DoubleQuotedScalarString(value))]), stream)
    written = stream.getvalue()
    if not written.startswith('k: "') or written.count("\n") != 1:
        raise FrontMatterError(f"cannot write {value!r} on one line of YAML")
    return written[len("k: ") : -1]


@dataclass(frozen=True)
class _Entry:
    key: ScalarNode
    value: Node


class _EditBroke(Exception):
    """An edit left YAML that ruamel.yaml cannot read (e.g. it removed an anchor)."""


class _Editor:
    """The YAML between the `---` lines, edited one key at a time: each edit reads the
    text again with ruamel.yaml and replaces only the characters of that key's value."""

    def __init__(self, raw: str, file: str | None) -> None:
        self.raw = raw
        self.file = file
        self.newline = "\r\n" if "\r\n" in raw else "\n"
        self.edited = False

    def _entries(self) -> tuple[dict[str, _Entry], int | None, int]:
        """The root mapping's keys, where its first key's line starts, and its column."""
        try:
            root = _ROUND_TRIP.compose(self.raw)
        except RuamelYAMLError as exc:
            problem = str(getattr(exc, "problem", None) or exc).splitlines()[0]
            if self.edited:
                raise _EditBroke(problem) from None
            raise FrontMatterError(
                f"malformed front matter: {problem}",
                file=self.file,
                remedy="fix the YAML between the `---` lines, then run publish again",
            ) from None
        if root is None:
            return {}, None, 0
        if not isinstance(root, MappingNode) or root.flow_style:
            raise FrontMatterError(
                "front matter must be a mapping of `key: value` lines",
                file=self.file,
                remedy="write one `key: value` per line, e.g. `title: Privacy Policy`",
            )
        entries: dict[str, _Entry] = {}
        for key, value in root.value:
            if not isinstance(key, ScalarNode):
                continue
            if key.value in KNOWN_KEYS and key.value in entries:
                raise FrontMatterError(
                    f"`{key.value}` appears twice in the front matter",
                    file=self.file,
                    remedy=f"keep one `{key.value}:` line",
                )
            entries[key.value] = _Entry(key, value)
        first = root.value[0][0].start_mark if root.value else None
        start = first.index - first.column if first is not None else None
        return entries, start, first.column if first is not None else 0

    def _value_end(self, value: Node) -> int:
        """Where the value's text ends: a block scalar (`summary: >`) ends with its last
        line of text, not with the blank lines after it."""
        end: int = value.end_mark.index
        if isinstance(value, ScalarNode) and value.style in ("|", ">"):
            start: int = value.start_mark.index
            return start + len(self.raw[start:end].rstrip(" \t\r\n"))
        return end

    def _line_end(self, index: int) -> int:
        newline = self.raw.find("\n", index)
        return len(self.raw) if newline < 0 else newline + 1

    def set(self, key: str, text: str) -> None:
        entries, first_line, column = self._entries()
        entry = entries.get(key)
        if entry is not None:
            value = entry.value
            start, end = value.start_mark.index, self._value_end(value)
            if isinstance(value, ScalarNode) and value.value == "" and value.style is None and start == end:
                # `key:` with nothing after it: the value goes after the colon.
                colon = self.raw.find(":", entry.key.end_mark.index) + 1
                self.raw = self.raw[:colon] + " " + text + self.raw[colon:]
            else:
                self.raw = self.raw[:start] + text + self.raw[end:]
            self.edited = True
            return
        line = " " * column + f"{key}: {text}{self.newline}"
        anchor = next((entries[k] for k in _INSERT_AFTER[key] if k in entries), None)
        if anchor is not None and isinstance(anchor.value, ScalarNode):
            at = self._line_end(self._value_end(anchor.value))
        elif first_line is not None and not _INSERT_AFTER[key]:
            at = first_line
        else:
            at = len(self.raw)
        if at > 0 and not self.raw[:at].endswith("\n"):
            line = self.newline + line
        self.raw = self.raw[:at] + line + self.raw[at:]
        self.edited = True

    def delete(self, key: str) -> None:
        entries, _, _ = self._entries()
        entry = entries.get(key)
        if entry is None:
            return
        start = entry.key.start_mark.index - entry.key.start_mark.column
        self.raw = self.raw[:start] + self.raw[self._line_end(self._value_end(entry.value)) :]
        self.edited = True


def stamp(
    text: str,
    *,
    version: str,
    published: dt.date,
    summary: str | None,
    effective: dt.date | None,
    title: str | None = None,
    file: str = "policy file",
) -> str:
    """The policy file with `version`, `published`, `summary` and `effective` set in its
    front matter (an `effective` left from an earlier version is removed when None; a
    summary already there is kept as written when it says the same); the rest of the file
    is kept byte for byte. `title` is added only when given.

    Raises FrontMatterError (the file unusable, or the stamped text would not read back
    as exactly what was asked) instead of returning a file that does not parse."""
    bom = _BOM if text.startswith(_BOM) else ""
    source = text[len(bom) :]
    span = _front_matter_span(source)
    if span is None:
        newline = "\r\n" if "\r\n" in source else "\n"
        source = f"---{newline}---{newline}" + source
        span = _front_matter_span(source)
        assert span is not None
    before, body = split(source, file=file)
    summary = summary.strip() if summary and summary.strip() else None

    expected = replace(
        before,
        title=before.title if before.title is not None or not title else title.strip(),
        version=version.strip(),
        published=published,
        effective=effective,
        summary=summary if summary is not None else before.summary,
    )
    editor = _Editor(source[span[0] : span[1]], file)
    try:
        if title and before.title is None:
            editor.set("title", _quoted(title.strip()))
        if before.version != version.strip():
            editor.set("version", _quoted(version.strip()))
        if before.published != published or type(before.published) is not dt.date:
            editor.set("published", published.isoformat())
        if summary is not None and summary != before.summary:
            editor.set("summary", _quoted(summary))
        if effective is None:
            editor.delete("effective")
        elif before.effective != effective or type(before.effective) is not dt.date:
            editor.set("effective", effective.isoformat())
    except _EditBroke as broke:
        raise FrontMatterError(
            f"stamping the front matter would break it ({broke}); the file is left as it was",
            file=file,
            remedy=f"set them by hand: {_wanted(expected)}",
        ) from None
    stamped = source[: span[0]] + editor.raw + source[span[1] :]
    try:
        after, body_after = split(stamped, file=file)
    except FrontMatterError as error:
        raise FrontMatterError(
            f"stamping the front matter would break it ({error.message}); the file is left as it was",
            file=file,
            remedy=f"set them by hand: {_wanted(expected)}",
        ) from None
    if after != expected or body_after != body:
        wrong = [
            k
            for k in ("title", "version", "published", "effective", "summary", "extra")
            if getattr(after, k) != getattr(expected, k)
        ] or ["body"]
        raise FrontMatterError(
            f"stamping the front matter would change {', '.join(wrong)} unexpectedly; "
            "the file is left as it was",
            file=file,
            remedy=f"set them by hand: {_wanted(expected)}",
        )
    return bom + stamped


def _wanted(matter: FrontMatter) -> str:
    keys = [f'version: "{matter.version}"']
    if isinstance(matter.published, dt.date):
        keys.append(f"published: {matter.published.isoformat()}")
    if isinstance(matter.effective, dt.date):
        keys.append(f"effective: {matter.effective.isoformat()}")
    return ", ".join(f"`{k}`" for k in keys)
