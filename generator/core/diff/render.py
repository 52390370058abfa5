"""HTML for the redline: sections with their headings, status badges and anchors, each
body compared block by block and word by word (`generator.core.diff.blocks`); `redline`
puts it all together."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any, Literal, NamedTuple

from generator.core import urls
from generator.core.changes import ChangeSummary, SectionChange, compare, is_renamed, pair_sections
from generator.core.diff.blocks import BODY, BlockDiff, canonical_html, items, write_nodes
from generator.core.diff.inline import Mark, Pieces, Scope, inline_diff, inline_whole, pieces
from generator.core.diff.markup import (
    VOID,
    Node,
    Text,
    element_ids,
    end_tag,
    parse_fragment,
    start_tag,
    text_html,
)
from generator.core.diff.tokens import Interner
from generator.core.diff.words import ENGLISH_REDLINE, RedlineWords
from generator.core.sections import Section

SectionStatus = Literal["unchanged", "changed", "added", "removed", "moved"]

BodyHtml = Callable[[Section], str]
"""A section body's HTML as the version page shows it (rendered and sanitised at the edge)."""

HeadingHtml = Callable[[Section], str]
"""A section's title (without its numbering) as the version page shows it: inline HTML,
rendered and sanitised at the edge, on one line."""


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class SectionRedline:
    """One section of the redline, as a visitor sees it."""

    id: str
    heading: str
    """The heading to show: the new one, or the old one for a removed section."""
    level: int
    status: SectionStatus
    core_rights: bool
    text_changed: bool
    """True when the words changed; a moved section may or may not have changed too."""
    html: str
    """This section's HTML fragment: no blank lines, well nested, every text and
    attribute escaped as it is written out."""
    heading_html: str = ""
    """The heading as the page shows it (numbering, then the title's inline Markdown
    rendered and sanitised), without badges or marks: one line of inline HTML, fit to be
    a link's label in a list of sections."""
    renamed_from_html: str | None = None
    """For a section whose title changed (paired by id or by content): the old heading,
    rendered like `heading_html`; None otherwise."""

    @property
    def anchor(self) -> str:
        """The element id the change summary links to (`#change-<id>`)."""
        return urls.change_anchor(self.id)


@dataclass(frozen=True)
class Redline:
    """A whole redline: sections in new-document order, removed ones where they were."""

    sections: tuple[SectionRedline, ...]
    summary: ChangeSummary = ChangeSummary()
    """The same classification `generator.core.changes.compare` gives (computed once here)."""

    @property
    def html(self) -> str:
        """The redline as one raw-HTML block, to be placed in Markdown after a blank line."""
        parts = ['<div class="policy-redline">']
        parts.extend(section.html for section in self.sections)
        parts.append("</div>")
        return "\n".join(parts)

    @property
    def has_changes(self) -> bool:
        return any(s.status != "unchanged" for s in self.sections)

    def section(self, section_id: str) -> SectionRedline:
        for candidate in self.sections:
            if candidate.id == section_id:
                return candidate
        raise KeyError(section_id)

    def with_status(self, *statuses: SectionStatus) -> tuple[SectionRedline, ...]:
        return tuple(s for s in self.sections if s.status in statuses)


# --------------------------------------------------------------------------- section bodies


def _body_diff(old_html: str, new_html: str, scope: Scope, interner: Interner) -> tuple[str, bool]:
    return BlockDiff(interner, scope).children(parse_fragment(old_html), parse_fragment(new_html))


@functools.lru_cache(maxsize=2048)
def _body_plain(html: str, scope: Scope) -> str:
    # Memoised: an unchanged section is written the same way in every redline of a build.
    return write_nodes(parse_fragment(html), scope, parent=BODY)


@functools.lru_cache(maxsize=2048)
def _ids(html: str) -> frozenset[str]:
    return element_ids(parse_fragment(html))


def memos() -> tuple[Any, ...]:
    """The memos of this module (`cache_clear()` empties one)."""
    return (_body_plain, _ids, _label)


def _body_whole(html: str, scope: Scope, mark: Mark, interner: Interner) -> str:
    differ = BlockDiff(interner, scope)
    return "".join(differ.whole(item, mark) for item in items(parse_fragment(html)))


# --------------------------------------------------------------------------- headings


def _plain_title_html(section: Section) -> str:
    return escape(section.plain_title)


class _Headings:
    """The titles of one version's sections as inline HTML (rendered at the edge, or the
    plain title), the preamble named in the redline's words."""

    def __init__(self, render: HeadingHtml | None, words: RedlineWords) -> None:
        self.render = render or _plain_title_html
        self.words = words

    def title(self, section: Section) -> str:
        if not section.heading:
            return escape(self.words.preamble or section.title)
        return self.render(section)

    def plain(self, section: Section) -> str:
        """The heading as plain text: numbering, then the title without Markdown."""
        if not section.heading:
            return self.words.preamble or section.title
        return section.plain_heading

    def label(self, section: Section) -> str:
        """The heading for a list: numbering and title, no links, no ids, no marks."""
        return escape(section.numbering_prefix) + _label(self.title(section))


@functools.lru_cache(maxsize=4096)
def _label(html: str) -> str:
    """Inline HTML without its links (their words stay) and without element ids: fit to
    sit inside another link, anywhere on a page."""
    parts: list[str] = []

    def walk(nodes: Sequence[Node]) -> None:
        for node in nodes:
            if isinstance(node, Text):
                parts.append(text_html(node.text, False))
            elif node.tag == "a":
                walk(node.children)
            else:
                parts.append(start_tag(node.tag, [(n, v) for n, v in node.attrs if n != "id"]))
                if node.tag not in VOID:
                    walk(node.children)
                    parts.append(end_tag(node.tag))

    walk(parse_fragment(html))
    return "".join(parts)


def _title_pieces(html: str) -> Pieces:
    return pieces(parse_fragment(html))


def _heading_whole(prefix: str, html: str, mark: Mark, scope: Scope) -> str:
    """A heading inserted or deleted as a whole: its numbering and its title."""
    nodes = parse_fragment(html)
    return inline_whole(pieces((Text(prefix), *nodes) if prefix else nodes), mark, scope)


def _title_plain(html: str, scope: Scope) -> str:
    if "<" not in html:
        return html  # text only (escaped at the edge): nothing to make unique or safe
    return write_nodes(parse_fragment(html), scope)


def _title_diff(old_html: str, new_html: str, scope: Scope, interner: Interner) -> tuple[str, bool]:
    """A changed title, word by word, inside the elements it is written in (as a body's
    words are: `generator.core.diff.inline`), and whether any word changed."""
    if old_html == new_html:
        return _title_plain(new_html, scope), False
    a, b = _title_pieces(old_html), _title_pieces(new_html)
    ids = ([interner.intern(k) for k in a.keys], [interner.intern(k) for k in b.keys])
    return inline_diff(a, b, ids, scope)


# --------------------------------------------------------------------------- sections


def _heading_level(level: int) -> int:
    # The page has its own h1 and the redline sits under an h2, so "##" sections
    # become h3 and the preamble (level 1) lines up with them.
    return min(6, max(level, 2) + 1)


def _badge(kind: str, label: str) -> str:
    return f'<span class="redline-badge redline-badge-{kind}">{escape(label)}</span>'


def _badges(status: SectionStatus, core_rights: bool, text_changed: bool, words: RedlineWords) -> str:
    labels = {"changed": words.changed, "added": words.added, "removed": words.removed, "moved": words.moved}
    badges = [_badge(status, labels[status])]
    if status == "moved" and text_changed:
        badges.append(_badge("changed", words.changed))
    if core_rights:
        badges.append(_badge("core", words.core_rights))
    return " ".join(badges)


def _section_html(
    section_id: str,
    level: int,
    status: SectionStatus,
    core_rights: bool,
    heading_html: str,
    body: str,
    text_changed: bool,
    words: RedlineWords,
    note: str = "",
) -> str:
    anchor = escape(urls.change_anchor(section_id))
    data = f'data-section="{escape(section_id)}" data-status="{status}"'
    core = " redline-core-rights" if core_rights else ""
    if status == "unchanged":
        # Collapsed but expandable: the reader can still check the context.
        lines = [
            f'<details class="redline-section redline-unchanged{core}" id="{anchor}" {data}>',
            f'<summary><span class="redline-heading">{heading_html}</span> '
            f'<span class="redline-status">{escape(words.unchanged)}</span></summary>',
        ]
    else:
        h = _heading_level(level)
        lines = [
            f'<section class="redline-section redline-{status}{core}" {data}>',
            f'<h{h} class="redline-heading" id="{anchor}">{heading_html} '
            f"{_badges(status, core_rights, text_changed, words)}</h{h}>",
        ]
    if note:
        lines.append(f'<p class="redline-note">{note}</p>')
    if body:
        lines.append(f'<div class="redline-body">{body}</div>')
    lines.append("</details>" if status == "unchanged" else "</section>")
    return "\n".join(lines)


def _moved_note(section: Section, old: Sequence[Section], headings: _Headings, words: RedlineWords) -> str:
    position = next(k for k, s in enumerate(old) if s is section)
    if not position:
        return escape(words.moved_first)
    return escape(words.moved_after).format(heading=headings.label(old[position - 1]))


def redline(
    old: Sequence[Section],
    new: Sequence[Section],
    old_html: BodyHtml,
    new_html: BodyHtml,
    words: RedlineWords = ENGLISH_REDLINE,
    *,
    old_heading: HeadingHtml | None = None,
    new_heading: HeadingHtml | None = None,
) -> Redline:
    """The redline from `old` to `new` (the sections of two versions of one policy).
    `old_html` and `new_html` give each section body's HTML as its version page shows it,
    `old_heading` and `new_heading` each title's inline HTML (the edge renders the
    Markdown and sanitises it: core reads no Markdown; without them, titles are shown as
    plain text); `words` are the redline's own words in the page's language (English by
    default).

    Sections are paired and classified by `generator.core.changes` (by id, else by their
    words), so the redline says what the change summary says; a section nobody sees (a
    preamble of link definitions) is not shown. A section is changed when what a reader
    sees of it changed, in its document; one whose source changed and reads the same
    says so in a note."""
    old = [s for s in old if s.visible]
    new = [s for s in new if s.visible]
    pairs = pair_sections(old, new)
    summary = compare(old, new, pairs)
    writer = _SectionWriter(
        old,
        old_html,
        new_html,
        words,
        _Headings(old_heading, words),
        _Headings(new_heading, words),
        shown=frozenset({s.id for s in new} | {s.id for s in old}),
        changed_ids=set(summary.changed),
        moved_ids=set(summary.moved),
    )
    removed_after = _removed_after(old, pairs)
    results: list[SectionRedline] = [writer.removed(s) for s in removed_after.get(None, [])]
    for section in new:
        before = pairs.get(section.id)
        results.append(writer.section(section, before))
        if before is not None:
            results.extend(writer.removed(s) for s in removed_after.get(id(before), []))
    summary = _with(summary, writer.extra, [s.id for s in new]) if writer.extra else summary
    return Redline(tuple(results), summary)


def _removed_after(old: Sequence[Section], pairs: Mapping[str, Section]) -> dict[int | None, list[Section]]:
    """The removed sections by the `id()` of the last section before them that still
    exists (None: before the first): the redline shows them right after it, where they
    used to be."""
    continued = {id(before) for before in pairs.values()}
    removed_after: dict[int | None, list[Section]] = {}
    anchor: int | None = None
    for section in old:
        if id(section) in continued:
            anchor = id(section)
        else:
            removed_after.setdefault(anchor, []).append(section)
    return removed_after


class _Shown(NamedTuple):
    """A new section as the version page shows it: its body's and title's HTML, its
    heading as plain text and as a list's label."""

    html: str
    title: str
    plain: str
    label: str


@dataclass
class _SectionWriter:
    """Writes the sections of one redline, with what they share: the old version's
    sections, the renderers, the words, the ids shown and the classification."""

    old: Sequence[Section]
    old_html: BodyHtml
    new_html: BodyHtml
    words: RedlineWords
    old_titles: _Headings
    new_titles: _Headings
    shown: frozenset[str]
    changed_ids: set[str]
    moved_ids: set[str]
    interner: Interner = field(default_factory=Interner)
    extra: list[SectionChange] = field(default_factory=list)
    """Sections whose rendering changed although the classification says their text did
    not: the redline shows them changed, and its summary says so."""

    def removed(self, section: Section) -> SectionRedline:
        """A section of the old version that the new one does not have."""
        scope = Scope(section.id, self.shown, self.words)
        body = _body_whole(self.old_html(section), scope, "del", self.interner)
        title = self.old_titles.title(section)
        heading = _heading_whole(section.numbering_prefix, title, "del", scope)
        out = _section_html(
            section.id, section.level, "removed", section.core_rights, heading, body, True, self.words
        )
        return SectionRedline(
            section.id,
            self.old_titles.plain(section),
            section.level,
            "removed",
            section.core_rights,
            True,
            out,
            self.old_titles.label(section),
        )

    def section(self, section: Section, before: Section | None) -> SectionRedline:
        """A section of the new version: added (`before` is None), or compared with
        `before`, the old section paired with it."""
        html = self.new_html(section)
        scope = Scope(section.id, self.shown, self.words, _ids(html))
        titles = self.new_titles
        new = _Shown(html, titles.title(section), titles.plain(section), titles.label(section))
        if before is None:
            core = section.core_rights
            body = _body_whole(html, scope, "ins", self.interner)
            heading = _heading_whole(section.numbering_prefix, new.title, "ins", scope)
            out = _section_html(section.id, section.level, "added", core, heading, body, True, self.words)
            return SectionRedline(section.id, new.plain, section.level, "added", core, True, out, new.label)
        return self._compared(section, before, new, scope)

    def _compared(self, section: Section, before: Section, new: _Shown, scope: Scope) -> SectionRedline:
        core = section.core_rights or before.core_rights
        moved = section.id in self.moved_ids
        old_body, old_title = self.old_html(before), self.old_titles.title(before)
        text_changed = section.id in self.changed_ids
        if not text_changed and (
            (old_body != new.html and canonical_html(old_body) != canonical_html(new.html))
            or (old_title != new.title and canonical_html(old_title) != canonical_html(new.title))
        ):
            # What the reader sees changed although the classification says it did not:
            # the redline shows it, and its summary says so.
            text_changed = True
            self.extra.append(SectionChange(section.id, section.plain_title, "changed", core))
        renamed = is_renamed(before, section)
        notes = [_moved_note(before, self.old, self.old_titles, self.words)] if moved else []
        renamed_html: str | None = None
        if renamed:
            renamed_html = _label(old_title)
            notes.append(escape(self.words.renamed).format(heading=renamed_html))
        if text_changed:
            body, body_changed = _body_diff(old_body, new.html, scope, self.interner)
            heading_inner, heading_changed = _title_diff(old_title, new.title, scope, self.interner)
            if not body_changed and not heading_changed and not renamed:
                notes.append(escape(self.words.source_only))
        else:
            body = _body_plain(new.html, scope)
            heading_inner = _title_plain(new.title, scope)
        status: SectionStatus = "moved" if moved else "changed" if text_changed else "unchanged"
        heading = escape(section.numbering_prefix) + heading_inner
        out = _section_html(
            section.id, section.level, status, core, heading, body, text_changed, self.words, " ".join(notes)
        )
        return SectionRedline(
            section.id, new.plain, section.level, status, core, text_changed, out, new.label, renamed_html
        )


def _with(summary: ChangeSummary, extra: Sequence[SectionChange], order: Sequence[str]) -> ChangeSummary:
    """The summary with `extra` changes, in the summary's order: the new version's
    sections in order (a section's change before its move), then the removed ones."""
    position = {section_id: k for k, section_id in enumerate(order)}

    def key(change: SectionChange) -> tuple[bool, int, bool]:
        removed = change.kind == "removed"
        return removed, 0 if removed else position.get(change.id, 0), change.kind == "moved"

    return ChangeSummary(tuple(sorted([*summary.sections, *extra], key=key)))
