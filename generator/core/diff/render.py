"""HTML for the redline: inline word changes as `<ins>`/`<del>` with visually hidden
text, blocks nested into lists, and sections with their headings, status badges and
anchors; `redline` and `redline_markdown` put it all together."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from html import escape
from typing import Literal

from generator.core import urls
from generator.core.changes import ChangeSummary, compare
from generator.core.diff.alignment import diff_ints, readable_runs
from generator.core.diff.blocks import Block, pair_blocks, split_blocks
from generator.core.diff.tokens import WHITESPACE, Interner, Tokens
from generator.core.sections import Section, parse_sections

SectionStatus = Literal["unchanged", "changed", "added", "removed", "moved"]


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
    """This section's HTML fragment (no blank lines, all policy text escaped)."""

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

_SR_DEL = '<span class="sr-only">[deleted: </span>'
_SR_INS = '<span class="sr-only">[inserted: </span>'
_SR_END = '<span class="sr-only">]</span>'


def _del(text: str) -> str:
    return f"<del>{_SR_DEL}{text}{_SR_END}</del>"


def _ins(text: str) -> str:
    return f"<ins>{_SR_INS}{text}{_SR_END}</ins>"


def _space(raw: str, preserve: bool) -> str:
    if preserve:
        # Inside <pre>: keep line breaks, but as character references so the raw HTML
        # block never contains a blank line (Markdown would end the block there).
        return escape(raw).replace("\n", "&#10;")
    return " " if raw else ""


def _join(tokens: Tokens, lo: int, hi: int, preserve: bool, lead: bool = True) -> str:
    parts: list[str] = []
    for k in range(lo, hi):
        if k > lo or lead:
            parts.append(_space(tokens.space[k], preserve))
        parts.append(escape(tokens.words[k]))
    return "".join(parts)


def _inline_plain(tokens: Tokens, preserve: bool = False) -> str:
    return _join(tokens, 0, len(tokens.words), preserve, lead=preserve)


def _inline_whole(tokens: Tokens, wrap: str, preserve: bool = False) -> str:
    text = _inline_plain(tokens, preserve)
    if not text:
        return ""
    return _ins(text) if wrap == "ins" else _del(text)


def _inline_diff(old: Tokens, new: Tokens, preserve: bool = False) -> tuple[str, bool]:
    """The inline HTML of a changed block and whether any word changed."""
    ops = diff_ints(old.ids, new.ids)
    runs = readable_runs(ops, old, new)
    parts: list[str] = []
    changed = False
    for position, run in enumerate(runs):
        first = position == 0
        if run.equal:
            # Equal words are shown as the new version writes them.
            parts.append(_join(new, run.b[0], run.b[1], preserve, lead=not first or preserve))
            continue
        changed = True
        a0, a1 = run.a
        b0, b1 = run.b
        # Whitespace in front of a change stays outside the marks, so that the
        # underline / strike-through covers words, not the gap before them.
        if not first or preserve:
            lead_a = old.space[a0] if a1 > a0 else ""
            lead_b = new.space[b0] if b1 > b0 else ""
            parts.append(_space(lead_b or lead_a, preserve))
        if a1 > a0:
            parts.append(_del(_join(old, a0, a1, preserve, lead=False)))
        if b1 > b0:
            parts.append(_ins(_join(new, b0, b1, preserve, lead=False)))
    return "".join(parts), changed


# --------------------------------------------------------------------------- rendered blocks


@dataclass(frozen=True)
class _Rendered:
    """A block ready for output: its structure and its inline HTML."""

    block: Block
    inline: str
    mark: str = ""
    """"ins" / "del" when the whole block was inserted / deleted (a class for CSS)."""


def _render_blocks(items: Iterable[_Rendered]) -> Iterator[str]:
    """HTML lines for a sequence of blocks, nesting list items into <ul>/<ol>."""
    stack: list[tuple[int, str]] = []  # open lists: (depth, tag), each with an open <li>

    def close_to(depth: int) -> Iterator[str]:
        while stack and stack[-1][0] >= depth:
            yield f"</li></{stack.pop()[1]}>"

    for item in items:
        block = item.block
        css = f' class="redline-block-{item.mark}"' if item.mark else ""
        if block.kind == "li":
            tag = "ol" if block.ordered else "ul"
            yield from close_to(block.depth + 1)
            if stack and stack[-1][0] == block.depth:
                if stack[-1][1] == tag:
                    yield "</li>"
                else:
                    yield from close_to(block.depth)
            if not stack or stack[-1][0] < block.depth:
                yield f"<{tag}>"
                stack.append((block.depth, tag))
            value = f' value="{block.number}"' if block.number is not None else ""
            yield f"<li{value}{css}>{item.inline}"
            continue
        if block.kind == "p" and block.depth > 0 and stack:
            # A further paragraph of the open list item.
            yield from close_to(block.depth)
            yield f"<p{css}>{item.inline}</p>"
            continue
        yield from close_to(0)
        if block.kind == "p":
            yield f"<p{css}>{item.inline}</p>"
        elif block.kind == "quote":
            yield f"<blockquote{css}><p>{item.inline}</p></blockquote>"
        elif block.kind == "code":
            yield f"<pre{css}><code>{item.inline}</code></pre>"
        elif block.kind == "row":
            # Table rows are compared as rows; shown as text so a changed cell can
            # never leave a broken <table>.
            yield f'<p class="redline-table-row{" redline-block-" + item.mark if item.mark else ""}">{item.inline}</p>'
        elif block.kind == "hr":
            yield f"<hr{css}>"
    yield from close_to(0)


# --------------------------------------------------------------------------- section bodies


def _body_diff(old_body: str, new_body: str, interner: Interner) -> tuple[list[_Rendered], bool]:
    old_blocks, new_blocks = split_blocks(old_body), split_blocks(new_body)
    keys: dict[tuple[str, int, bool, str], int] = {}
    old_keys = [keys.setdefault(b.key, len(keys)) for b in old_blocks]
    new_keys = [keys.setdefault(b.key, len(keys)) for b in new_blocks]
    out: list[_Rendered] = []
    changed = False
    for tag, i1, i2, j1, j2 in diff_ints(old_keys, new_keys):
        if tag == "equal":
            out.extend(_Rendered(b, _plain(b)) for b in new_blocks[j1:j2])
            continue
        olds, news = old_blocks[i1:i2], new_blocks[j1:j2]
        old_tok = [interner.tokens(b.text) for b in olds]
        new_tok = [interner.tokens(b.text) for b in news]
        for oi, nj in pair_blocks(olds, news, old_tok, new_tok):
            if oi is not None and nj is not None:
                inline, words_changed = _inline_diff(old_tok[oi], new_tok[nj], news[nj].kind == "code")
                out.append(_Rendered(news[nj], inline))
                changed = changed or words_changed or olds[oi].key != news[nj].key
            elif oi is not None:
                out.append(
                    _Rendered(olds[oi], _inline_whole(old_tok[oi], "del", olds[oi].kind == "code"), "del")
                )
                changed = True
            elif nj is not None:
                out.append(
                    _Rendered(news[nj], _inline_whole(new_tok[nj], "ins", news[nj].kind == "code"), "ins")
                )
                changed = True
    return out, changed


def _plain(block: Block) -> str:
    if block.kind == "code":
        return escape(block.text).replace("\n", "&#10;")
    # Unchanged text needs no tokens: escaping and collapsing spaces is enough.
    return escape(WHITESPACE.sub(" ", block.text).strip())


def _whole(body: str, mark: str) -> list[_Rendered]:
    rendered = []
    for block in split_blocks(body):
        text = _plain(block)
        if block.kind != "hr" and text:
            text = _ins(text) if mark == "ins" else _del(text)
        rendered.append(_Rendered(block, text, mark))
    return rendered


# --------------------------------------------------------------------------- sections

_LABELS: dict[SectionStatus, str] = {
    "unchanged": "unchanged",
    "changed": "changed",
    "added": "new section",
    "removed": "section removed",
    "moved": "moved",
}


def _heading_text(section: Section) -> str:
    return section.heading or section.title


def _heading_level(level: int) -> int:
    # The page has its own h1 and the redline sits under an h2, so "##" sections
    # become h3 and the preamble (level 1) lines up with them.
    return min(6, max(level, 2) + 1)


def _badges(status: SectionStatus, core_rights: bool, text_changed: bool) -> str:
    badges = [f'<span class="redline-badge redline-badge-{status}">{_LABELS[status]}</span>']
    if status == "moved" and text_changed:
        badges.append('<span class="redline-badge redline-badge-changed">changed</span>')
    if core_rights:
        badges.append('<span class="redline-badge redline-badge-core">core rights</span>')
    return " ".join(badges)


def _heading_diff(old: Section, new: Section, interner: Interner) -> str:
    # Numbering is not compared: only the title, shown after the new number.
    if WHITESPACE.sub(" ", old.title).strip() == WHITESPACE.sub(" ", new.title).strip():
        return escape(_heading_text(new))
    inline, _ = _inline_diff(interner.tokens(old.title), interner.tokens(new.title))
    prefix = new.heading[: len(new.heading) - len(new.title)] if new.heading.endswith(new.title) else ""
    return escape(prefix) + inline


def _section_html(
    section_id: str,
    level: int,
    status: SectionStatus,
    core_rights: bool,
    heading_html: str,
    blocks: list[_Rendered],
    text_changed: bool,
    note: str = "",
) -> str:
    anchor = escape(urls.change_anchor(section_id))
    data = f'data-section="{escape(section_id)}" data-status="{status}"'
    body = "\n".join(_render_blocks(blocks))
    core = " redline-core-rights" if core_rights else ""
    if status == "unchanged":
        # Collapsed but expandable: the reader can still check the context.
        lines = [
            f'<details class="redline-section redline-unchanged{core}" id="{anchor}" {data}>',
            f'<summary><span class="redline-heading">{heading_html}</span> '
            f'<span class="redline-status">(unchanged)</span></summary>',
        ]
    else:
        h = _heading_level(level)
        lines = [
            f'<section class="redline-section redline-{status}{core}" {data}>',
            f'<h{h} class="redline-heading" id="{anchor}">{heading_html} '
            f"{_badges(status, core_rights, text_changed)}</h{h}>",
        ]
    if note:
        lines.append(f'<p class="redline-note">{note}</p>')
    if body:
        lines.append(body)
    lines.append("</details>" if status == "unchanged" else "</section>")
    return "\n".join(lines)


def _moved_note(section: Section, old: Sequence[Section], old_index: dict[str, int]) -> str:
    position = old_index[section.id]
    before = old[position - 1] if position else None
    where = f"after “{escape(_heading_text(before))}”" if before else "at the beginning"
    return f"Moved: this section was previously {where}."


def redline(old: Sequence[Section], new: Sequence[Section]) -> Redline:
    """The redline from `old` to `new` (the sections of two versions of one policy)."""
    summary = compare(old, new)
    changed_ids, moved_ids = set(summary.changed), set(summary.moved)
    old_by_id = {s.id: s for s in old}
    new_ids = {s.id for s in new}
    old_index = {s.id: k for k, s in enumerate(old)}
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

    results: list[SectionRedline] = [_removed(s) for s in removed_after.get(None, [])]
    for section in new:
        before = old_by_id.get(section.id)
        core = section.core_rights or bool(before and before.core_rights)
        if before is None:
            blocks = _whole(section.body, "ins")
            heading = _ins(escape(_heading_text(section)))
            html = _section_html(section.id, section.level, "added", core, heading, blocks, True)
            results.append(
                SectionRedline(section.id, _heading_text(section), section.level, "added", core, True, html)
            )
        else:
            text_changed = section.id in changed_ids
            moved = section.id in moved_ids
            status: SectionStatus = "moved" if moved else "changed" if text_changed else "unchanged"
            if text_changed:
                blocks, _ = _body_diff(before.body, section.body, interner)
                heading = _heading_diff(before, section, interner)
            else:
                blocks = [_Rendered(b, _plain(b)) for b in split_blocks(section.body)]
                heading = escape(_heading_text(section))
            note = _moved_note(section, old, old_index) if moved else ""
            html = _section_html(section.id, section.level, status, core, heading, blocks, text_changed, note)
            results.append(
                SectionRedline(
                    section.id, _heading_text(section), section.level, status, core, text_changed, html
                )
            )
        results.extend(_removed(s) for s in removed_after.get(section.id, []))
    return Redline(tuple(results), summary)


def _removed(section: Section) -> SectionRedline:
    blocks = _whole(section.body, "del")
    heading = _del(escape(_heading_text(section)))
    html = _section_html(section.id, section.level, "removed", section.core_rights, heading, blocks, True)
    return SectionRedline(
        section.id, _heading_text(section), section.level, "removed", section.core_rights, True, html
    )


def redline_markdown(old_markdown: str, new_markdown: str) -> Redline:
    """The redline between two policy texts (Markdown without front matter)."""
    return redline(parse_sections(old_markdown), parse_sections(new_markdown))
