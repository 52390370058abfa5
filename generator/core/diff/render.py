"""HTML for the redline: sections with their headings, status badges and anchors, each
body compared block by block and word by word (`generator.core.diff.blocks`); `redline`
puts it all together."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any, Literal

from generator.core import urls
from generator.core.changes import ChangeSummary, compare
from generator.core.diff.alignment import diff_ints, readable_runs
from generator.core.diff.blocks import BODY, BlockDiff, items, write_nodes
from generator.core.diff.inline import Mark, Scope
from generator.core.diff.markup import element_ids, parse_fragment
from generator.core.diff.tokens import WHITESPACE, Interner, Tokens
from generator.core.diff.words import ENGLISH_REDLINE, RedlineWords
from generator.core.sections import PREAMBLE_ID, Section

SectionStatus = Literal["unchanged", "changed", "added", "removed", "moved"]

BodyHtml = Callable[[Section], str]
"""A section body's HTML as the version page shows it (rendered and sanitised at the edge)."""


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


# --------------------------------------------------------------------------- inline HTML


def _del(text: str, words: RedlineWords) -> str:
    return f"<del>{words.screen_reader['del']}{text}{words.screen_reader_end}</del>"


def _ins(text: str, words: RedlineWords) -> str:
    return f"<ins>{words.screen_reader['ins']}{text}{words.screen_reader_end}</ins>"


def _inline_diff(old: Tokens, new: Tokens, words: RedlineWords) -> str:
    """The HTML of a changed heading title (plain text, word by word)."""
    ops = diff_ints(old.ids, new.ids)
    parts: list[str] = []
    for position, run in enumerate(readable_runs(ops, old, new)):
        if run.equal:
            parts.extend(_words(new, *run.b, lead=position > 0))
            continue
        if position:
            parts.append(" " if (new.space[run.b[0]] if run.b[1] > run.b[0] else old.space[run.a[0]]) else "")
        if run.a[1] > run.a[0]:
            parts.append(_del("".join(_words(old, *run.a, lead=False)), words))
        if run.b[1] > run.b[0]:
            parts.append(_ins("".join(_words(new, *run.b, lead=False)), words))
    return "".join(parts)


def _words(tokens: Tokens, lo: int, hi: int, lead: bool) -> Iterator[str]:
    for k in range(lo, hi):
        if (k > lo or lead) and tokens.space[k]:
            yield " "
        yield escape(tokens.words[k])


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
    return (_body_plain, _ids)


def _body_whole(html: str, scope: Scope, mark: Mark, interner: Interner) -> str:
    differ = BlockDiff(interner, scope)
    return "".join(differ.whole(item, mark) for item in items(parse_fragment(html)))


# --------------------------------------------------------------------------- sections


def _heading_text(section: Section, words: RedlineWords) -> str:
    if not section.heading and section.id == PREAMBLE_ID and words.preamble is not None:
        return words.preamble
    return section.heading or section.title


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


def _heading_diff(old: Section, new: Section, interner: Interner, words: RedlineWords) -> str:
    # Numbering is not compared: only the title, shown after the new number.
    if WHITESPACE.sub(" ", old.title).strip() == WHITESPACE.sub(" ", new.title).strip():
        return escape(_heading_text(new, words))
    inline = _inline_diff(interner.tokens(old.title), interner.tokens(new.title), words)
    prefix = new.heading[: len(new.heading) - len(new.title)] if new.heading.endswith(new.title) else ""
    return escape(prefix) + inline


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


def _moved_note(
    section: Section, old: Sequence[Section], old_index: dict[str, int], words: RedlineWords
) -> str:
    position = old_index[section.id]
    if not position:
        return escape(words.moved_first)
    before = old[position - 1]
    return escape(words.moved_after).format(heading=escape(_heading_text(before, words)))


def redline(
    old: Sequence[Section],
    new: Sequence[Section],
    old_html: BodyHtml,
    new_html: BodyHtml,
    words: RedlineWords = ENGLISH_REDLINE,
) -> Redline:
    """The redline from `old` to `new` (the sections of two versions of one policy).
    `old_html` and `new_html` give each section body's HTML as its version page shows it
    (the edge renders the Markdown and sanitises it: core reads no Markdown); `words` are
    the redline's own words in the page's language (English by default)."""
    summary = compare(old, new)
    changed_ids, moved_ids = set(summary.changed), set(summary.moved)
    old_by_id = {s.id: s for s in old}
    new_ids = {s.id for s in new}
    old_index = {s.id: k for k, s in enumerate(old)}
    shown = frozenset(new_ids | old_by_id.keys())
    interner = Interner()

    # Removed sections go right after the last section before them that still exists,
    # so the reader sees them where they used to be.
    removed_after: dict[str | None, list[Section]] = {}
    anchor: str | None = None
    for section in old:
        if section.id in new_ids:
            anchor = section.id
        else:
            removed_after.setdefault(anchor, []).append(section)

    def removed(section: Section) -> SectionRedline:
        html = old_html(section)
        scope = Scope(section.id, shown, words)
        body = _body_whole(html, scope, "del", interner)
        title = _heading_text(section, words)
        heading = _del(escape(title), words)
        out = _section_html(
            section.id, section.level, "removed", section.core_rights, heading, body, True, words
        )
        return SectionRedline(
            section.id, title, section.level, "removed", section.core_rights, True, out, escape(title)
        )

    results: list[SectionRedline] = [removed(s) for s in removed_after.get(None, [])]
    for section in new:
        before = old_by_id.get(section.id)
        core = section.core_rights or bool(before and before.core_rights)
        html = new_html(section)
        scope = Scope(section.id, shown, words, _ids(html))
        title = _heading_text(section, words)
        if before is None:
            body = _body_whole(html, scope, "ins", interner)
            heading = _ins(escape(title), words)
            out = _section_html(section.id, section.level, "added", core, heading, body, True, words)
            results.append(
                SectionRedline(section.id, title, section.level, "added", core, True, out, escape(title))
            )
        else:
            text_changed = section.id in changed_ids
            moved = section.id in moved_ids
            status: SectionStatus = "moved" if moved else "changed" if text_changed else "unchanged"
            notes = [_moved_note(section, old, old_index, words)] if moved else []
            if text_changed:
                body, body_changed = _body_diff(old_html(before), html, scope, interner)
                heading = _heading_diff(before, section, interner, words)
                if not body_changed and "<ins>" not in heading and "<del>" not in heading:
                    notes.append(escape(words.source_only))
            else:
                body = _body_plain(html, scope)
                heading = escape(title)
            out = _section_html(
                section.id, section.level, status, core, heading, body, text_changed, words, " ".join(notes)
            )
            results.append(
                SectionRedline(
                    section.id, title, section.level, status, core, text_changed, out, escape(title)
                )
            )
        results.extend(removed(s) for s in removed_after.get(section.id, []))
    return Redline(tuple(results), summary)
