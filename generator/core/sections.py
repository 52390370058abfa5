"""A policy's section tree, read from its Markdown headings.

Each section has a stable id: an explicit `{#id}` attribute on the heading, else the
slug of the heading text without its numbering, so that "V. Sharing" and
"VI. Sharing" are the same section after an insertion. A heading with the class
`core-rights` marks a core-rights section; its subsections inherit the mark.

A section is compared as a reader sees it, in its document: its fingerprint leaves out
the lines a reader never sees (reference-link and abbreviation definitions, HTML
comments) and takes in, instead, what its text shows from elsewhere in the document
(`Section.context`: the definitions of the links, abbreviations and footnotes it uses),
so that dropping `[support]: https://...` from the preamble changes the section whose
`[our support team][support]` now shows as raw text. A preamble made only of such lines
is not `visible`: no section of its own for a reader. This is read from the Markdown
source (no Markdown library: the edge renders); `plain_text` is a heading's words
without their Markdown, for plain-text places (feeds, notices, e-mails).
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from collections.abc import Iterable
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

# Lines a reader never sees (when outside fenced code): reference-link definitions
# (`[label]: address "title"`), abbreviation definitions (`*[HTML]: Hyper Text ...`) and
# HTML comments.
_REFERENCE_DEFINITION = re.compile(r"^[ ]{0,3}\[(?!\^)([^\]\n]+)\]:[ \t]*(\S.*)?$")
_ABBREVIATION_DEFINITION = re.compile(r"^[ ]{0,3}\*\[([^\]\n]+)\]:[ \t]*(.*)$")
_FOOTNOTE_DEFINITION = re.compile(r"^[ ]{0,3}\[\^([^\]\n]+)\]:")
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
_BRACKETED = re.compile(r"\[([^\[\]]+)\]")
_FOOTNOTE_REFERENCE = re.compile(r"\[\^([^\]\n]+)\](?!:)")

# Inline Markdown, to plain text.
_CODE_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)", re.DOTALL)
_IMAGE_OR_LINK = re.compile(r"!?\[([^\[\]]*)\](?:\([^()\s]*(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)|\[[^\[\]]*\])")
_AUTOLINK = re.compile(r"<((?:[a-z][a-z0-9+.-]{1,31}:[^\s<>]*)|(?:[^\s<>@]+@[^\s<>@]+))>", re.IGNORECASE)
_TAG = re.compile(r"</?[a-z][a-z0-9-]*(?:\s[^<>]*)?/?>", re.IGNORECASE)
_STAR_EMPHASIS = re.compile(r"(\*{1,3})(?=\S)(.+?)(?<=\S)\1")
_UNDERSCORE_EMPHASIS = re.compile(r"(?<![^\W_])(_{1,3})(?=\S)(.+?)(?<=\S)\1(?![^\W_])")
_BACKSLASH_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_INLINE_MARKUP = re.compile(r"[\\`*_\[\]<>&!]")
_STASH = "\x02{}\x03"
_STASHED = re.compile(r"\x02(\d+)\x03")
_CJK = "\u2e80-\u2fdf\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_WORD = re.compile(rf"[{_CJK}]|(?:(?![{_CJK}])[^\W_])+")


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
    explicit_id: bool = False
    """The id was written on the heading (`{#id}`), not derived from its words."""
    context: str = ""
    """What the section's text shows from elsewhere in its document: the definitions of
    the reference links, abbreviations and footnotes its heading and body use (one per
    line, sorted; empty when it uses none)."""

    @cached_property
    def fingerprint(self) -> str:
        """Equal for two versions of the section that a reader sees alike: they differ only
        in numbering, spacing, or lines a reader never sees, and the definitions they use
        from elsewhere in the document are the same."""
        return hashlib.sha256(
            "\n".join((normalize_text(self.title), normalize_text(self.seen_body), self.context)).encode()
        ).hexdigest()

    @cached_property
    def visible(self) -> bool:
        """A reader sees this section: it has a heading, or text besides definitions and
        comments (a preamble made only of link definitions is nobody's section)."""
        return bool(self.heading) or bool(self.seen_body.strip())

    @cached_property
    def seen_body(self) -> str:
        """The body without the lines a reader never sees (`seen_text`)."""
        return seen_text(self.body)

    @cached_property
    def plain_title(self) -> str:
        """The title's words without their Markdown (`*Payment Information*` ->
        `Payment Information`): for plain-text places. A title that has no words without
        its markup (only an HTML tag) is given as written."""
        return plain_text(self.title) or self.title

    @property
    def plain_heading(self) -> str:
        """The heading as plain text: its numbering, then `plain_title`."""
        return self.numbering_prefix + self.plain_title

    @property
    def numbering_prefix(self) -> str:
        """What the heading writes before its title ("V. "); empty without numbering."""
        if self.heading.endswith(self.title):
            return self.heading[: len(self.heading) - len(self.title)]
        return ""


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


def _outside_fences(text: str) -> list[tuple[str, bool]]:
    """The lines of some Markdown, each with whether it is outside fenced code."""
    return outside_fences(text.split("\n"))


def outside_fences(lines: Iterable[str]) -> list[tuple[str, bool]]:
    """Each line with whether it is outside fenced code (a fence's own lines are not)."""
    out: list[tuple[str, bool]] = []
    fence: str | None = None
    for line in lines:
        match = _FENCE.match(line)
        if match:
            marker = match.group(1)
            if fence is None:
                fence = marker[0] * 3
            elif marker.startswith(fence):
                fence = None
                out.append((line, False))
                continue
        out.append((line, fence is None))
    return out


def _link_definitions(lines: list[tuple[str, bool]]) -> dict[int, tuple[int, str, str]]:
    """The reference-link and abbreviation definitions among some lines (outside fenced
    code), by first line: (end line, kind "[" or "*[", label) for each. A definition
    goes on over the indented lines right after it (`[label]:` then its address, or
    its title, on the next line)."""
    found: dict[int, tuple[int, str, str]] = {}
    index = 0
    while index < len(lines):
        line, outside = lines[index]
        match = (
            (_REFERENCE_DEFINITION.match(line) or _ABBREVIATION_DEFINITION.match(line)) if outside else None
        )
        if match is None:
            index += 1
            continue
        end = index + 1
        while (
            end < len(lines) and lines[end][1] and lines[end][0][:1] in (" ", "\t") and lines[end][0].strip()
        ):
            end += 1
        kind = "*[" if line.lstrip().startswith("*") else "["
        if kind == "[" and not match.group(2) and end == index + 1:
            index += 1  # "[label]:" with nothing after it is text, not a definition
            continue
        found[index] = (end, kind, match.group(1))
        index = end
    return found


def seen_text(markdown: str) -> str:
    """Markdown without the lines a reader never sees: reference-link and abbreviation
    definitions and HTML comments (outside fenced code)."""
    if "]:" not in markdown and "<!--" not in markdown:
        return markdown
    lines = _outside_fences(markdown)
    definitions = _link_definitions(lines)
    kept: list[str] = []
    index = 0
    while index < len(lines):
        if index in definitions:
            index = definitions[index][0]
            continue
        kept.append(lines[index][0])
        index += 1
    text = "\n".join(kept)
    return _COMMENT.sub("", text) if "<!--" in text else text


def _label(text: str) -> str:
    """A link label as Markdown matches it: case and spacing do not count."""
    return _SPACE.sub(" ", text).strip().casefold()


@dataclass(frozen=True)
class _Definitions:
    """The definitions of a document that other sections' text may use."""

    references: dict[str, list[str]]
    abbreviations: dict[str, list[str]]
    footnotes: dict[str, list[str]]

    def context(self, markdown: str) -> str:
        """The definitions `markdown` (a heading and a body) uses, one per line, sorted."""
        used: set[str] = set()
        if self.references:
            for match in _BRACKETED.finditer(markdown):
                label = _label(match.group(1))
                for definition in self.references.get(label, ()):
                    used.add(f"[{label}]: {definition}")
        if self.footnotes:
            for match in _FOOTNOTE_REFERENCE.finditer(markdown):
                for definition in self.footnotes.get(match.group(1), ()):
                    used.add(f"[^{match.group(1)}]: {definition}")
        for term, definitions in self.abbreviations.items():
            if re.search(rf"(?<!\w){re.escape(term)}(?!\w)", markdown):
                used.update(f"*[{term}]: {definition}" for definition in definitions)
        return "\n".join(sorted(used))


def _definitions(markdown: str) -> _Definitions:
    references: dict[str, list[str]] = {}
    abbreviations: dict[str, list[str]] = {}
    footnotes: dict[str, list[str]] = {}
    lines = _outside_fences(markdown)
    for start, (end, kind, label) in _link_definitions(lines).items():
        text = "\n".join(line for line, _ in lines[start:end])
        definition = normalize_text(text[text.index("]:") + 2 :])
        if kind == "[":
            references.setdefault(_label(label), []).append(definition)
        else:
            abbreviations.setdefault(label.strip(), []).append(definition)
    for index, (line, outside) in enumerate(lines):
        match = _FOOTNOTE_DEFINITION.match(line) if outside else None
        if match:
            block = [line]
            for following, _ in lines[index + 1 :]:
                if following.strip() and not following.startswith(("    ", "\t")):
                    break
                block.append(following)
            footnotes.setdefault(match.group(1), []).append(normalize_text("\n".join(block)))
    return _Definitions(references, abbreviations, footnotes)


def plain_text(markdown: str) -> str:
    """Inline Markdown as the words a reader sees, without markup: code spans keep their
    text, links and images their text, emphasis loses its asterisks and underscores, HTML
    tags and comments go, backslash escapes and character references are resolved."""
    if not _INLINE_MARKUP.search(markdown):
        return _SPACE.sub(" ", markdown).strip()
    stash: list[str] = []

    def keep(text: str) -> str:
        stash.append(text)
        return _STASH.format(len(stash) - 1)

    text = _CODE_SPAN.sub(lambda m: keep(m.group(2).strip() or m.group(2)), markdown)
    text = _BACKSLASH_ESCAPE.sub(lambda m: keep(m.group(1)), text)
    text = _COMMENT.sub("", text)
    text = _AUTOLINK.sub(lambda m: keep(m.group(1)), text)
    text = _FOOTNOTE_REFERENCE.sub("", text)
    previous = None
    while previous != text:
        previous = text
        text = _IMAGE_OR_LINK.sub(r"\1", text)
    text = _TAG.sub("", text)
    for pattern in (_STAR_EMPHASIS, _UNDERSCORE_EMPHASIS):
        previous = None
        while previous != text:
            previous = text
            text = pattern.sub(r"\2", text)
    text = _STASHED.sub(lambda m: stash[int(m.group(1))], text)
    return _SPACE.sub(" ", html.unescape(text)).strip()


def plain_words(markdown: str) -> list[str]:
    """The words a reader sees in some Markdown, lower case (a CJK character is a word):
    what two sections' similarity is measured on. Link addresses are not words."""
    return [w.casefold() for w in _WORD.findall(plain_text(seen_text(markdown)))]


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
    for index, (line, outside) in enumerate(outside_fences(markdown.splitlines())):
        if not outside:
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

    definitions = _definitions(markdown)
    sections: list[Section] = []
    preamble_end = marks[0].line if marks else len(lines)
    preamble = "\n".join(lines[:preamble_end]).strip()
    if preamble:
        sections.append(
            Section(
                PREAMBLE_ID,
                "Preamble",
                "",
                None,
                1,
                None,
                False,
                preamble,
                context=definitions.context(seen_text(preamble)),
            )  # fmt: skip
        )

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
            Section(
                section_id,
                title,
                text,
                number,
                level,
                parent[1] if parent else None,
                core,
                body,
                explicit_id=explicit_id is not None,
                context=definitions.context(text + "\n" + seen_text(body)),
            )  # fmt: skip
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
