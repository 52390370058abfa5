"""A policy's section tree, read from its Markdown headings.

Each section has a stable id: an explicit `{#id}` attribute on the heading, else the
slug of the heading text without its numbering, so that "V. Sharing" and
"VI. Sharing" are the same section after an insertion. A heading with the class
`core-rights` marks a core-rights section; its subsections inherit the mark.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property

CORE_RIGHTS_CLASS = "core-rights"
PREAMBLE_ID = "preamble"

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$")
_ATTRS = re.compile(r"\s*\{:?\s*([^{}]*)\}\s*$")
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
# "II.", "(I)", "1.", "1.2", "A)", "Article 5", "第五条", "一、", "（一）"
_NUMBERING = re.compile(
    r"""^(
        (?:article|section|chapter|part|clause|art\.)\s+(?:[ivxlcdm]+|\d+(?:\.\d+)*)[.:]?(?=\s)
      | (?:[ivxlcdm]+|\d+(?:\.\d+)*|[a-z])(?:[.):]|\s*[-–—])(?=\s)
      | \(\s*(?:[ivxlcdm]+|\d+|[a-z])\s*\)
      | （[一二三四五六七八九十百]+）
      | [一二三四五六七八九十百]+、
      | 第[一二三四五六七八九十百零\d]+[条章节部分]
      | \d+(?:\.\d+)+
    )\s*""",
    re.IGNORECASE | re.VERBOSE,
)
_ORDERED_ITEM = re.compile(r"^(\s*)\d+[.)](\s+)", re.MULTILINE)
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Section:
    """One heading of a policy and the text under it, up to its first subsection."""

    id: str
    title: str
    """Heading text without numbering or attributes ("Sharing")."""
    heading: str
    """Heading text as written, without attributes ("V. Sharing")."""
    number: str | None
    level: int
    parent: str | None
    core_rights: bool
    body: str
    """The section's own Markdown, without its heading and its subsections."""

    @cached_property
    def fingerprint(self) -> str:
        """Equal for two versions of the section that differ only in numbering or spacing."""
        return hashlib.sha256(
            (normalize_text(self.title) + "\n" + normalize_text(self.body)).encode()
        ).hexdigest()


def slugify(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[^\w\s-]", "", text)
    return re.sub(r"[\s_-]+", "-", text).strip("-")


def split_numbering(heading: str) -> tuple[str | None, str]:
    match = _NUMBERING.match(heading)
    if not match or match.end() == len(heading):
        return None, heading.strip()
    number = match.group(1).strip().rstrip(".:").strip()
    return number, heading[match.end() :].strip()


def normalize_text(text: str) -> str:
    """Ignore what is not a change: spacing, list renumbering."""
    return _SPACE.sub(" ", _ORDERED_ITEM.sub(r"\g<1>1.\g<2>", text)).strip()


def _parse_attrs(raw: str) -> tuple[str | None, set[str]]:
    explicit_id = None
    classes: set[str] = set()
    for token in raw.split():
        if token.startswith("#"):
            explicit_id = token[1:]
        elif token.startswith("."):
            classes.add(token[1:])
        elif token.startswith("class="):
            classes.update(token[6:].strip("\"'").split())
        elif token.startswith("id="):
            explicit_id = token[3:].strip("\"'")
    return explicit_id, classes


@dataclass(frozen=True)
class Heading:
    """A Markdown heading as written, with its `{#id .class}` attributes."""

    line: int
    level: int
    text: str
    explicit_id: str | None
    classes: frozenset[str]


def headings(markdown: str) -> list[Heading]:
    """The ATX headings of a document, outside fenced code blocks."""
    found: list[Heading] = []
    fence: str | None = None
    for index, line in enumerate(markdown.splitlines()):
        fence_match = _FENCE.match(line)
        if fence_match:
            marker = fence_match.group(1)
            if fence is None:
                fence = marker[0] * 3
            elif marker.startswith(fence):
                fence = None
            continue
        if fence is not None:
            continue
        match = _HEADING.match(line)
        if not match:
            continue
        text = match.group(2)
        explicit_id: str | None = None
        classes: set[str] = set()
        attrs = _ATTRS.search(text)
        if attrs:
            explicit_id, classes = _parse_attrs(attrs.group(1))
            text = text[: attrs.start()].rstrip()
        found.append(Heading(index, len(match.group(1)), text.strip(), explicit_id, frozenset(classes)))
    return found


def parse_sections(markdown: str) -> tuple[Section, ...]:
    """The sections of a Markdown document in order, with a preamble for text before
    the first heading (when there is any)."""
    lines = markdown.splitlines()
    marks = headings(markdown)

    sections: list[Section] = []
    preamble_end = marks[0].line if marks else len(lines)
    preamble = "\n".join(lines[:preamble_end]).strip()
    if preamble:
        sections.append(Section(PREAMBLE_ID, "Preamble", "", None, 1, None, False, preamble))

    used: set[str] = {s.id for s in sections}
    # Stack of (level, id, core_rights) of the open ancestors.
    stack: list[tuple[int, str, bool]] = []
    for position, heading in enumerate(marks):
        start, level, text, explicit_id = heading.line, heading.level, heading.text, heading.explicit_id
        end = marks[position + 1].line if position + 1 < len(marks) else len(lines)
        while stack and stack[-1][0] >= level:
            stack.pop()
        parent = stack[-1] if stack else None
        number, title = split_numbering(text)
        section_id = explicit_id or slugify(title) or f"section-{position + 1}"
        if section_id in used and not explicit_id and parent:
            section_id = f"{parent[1]}-{section_id}"
        base, suffix = section_id, 2
        while section_id in used:
            section_id = f"{base}-{suffix}"
            suffix += 1
        used.add(section_id)
        core = CORE_RIGHTS_CLASS in heading.classes or bool(parent and parent[2])
        body = "\n".join(lines[start + 1 : end]).strip()
        sections.append(
            Section(section_id, title, text, number, level, parent[1] if parent else None, core, body)
        )
        stack.append((level, section_id, core))
    return tuple(sections)


def with_section_ids(markdown: str) -> str:
    """The Markdown with every heading carrying its section id as an explicit `{#id}`:
    the page's anchors are then the section ids that notices, redlines and data files
    link to, for headings written with or without an id (and they survive renumbering)."""
    marks = headings(markdown)
    if not marks:
        return markdown
    sections = parse_sections(markdown)
    own = sections[len(sections) - len(marks) :]  # without the preamble
    lines = markdown.splitlines(keepends=True)
    for heading, section in zip(marks, own, strict=True):
        if heading.explicit_id is not None:
            continue
        line = lines[heading.line]
        ending = line[len(line.rstrip("\r\n")) :]
        match = _HEADING.match(line.rstrip("\r\n"))
        assert match is not None  # `headings` matched this line
        text = match.group(2)
        attrs = _ATTRS.search(text)
        inner = ""
        if attrs:
            inner = " " + attrs.group(1).strip()
            text = text[: attrs.start()].rstrip()
        lines[heading.line] = f"{match.group(1)} {text} {{#{section.id}{inner}}}{ending}"
    return "".join(lines)
