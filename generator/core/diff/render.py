"""A section-aware, word-level redline between two versions of a policy.

The redline is what a visitor reads to see what a revision changed, so it follows the
reader's structure rather than the file's bytes:

* sections are matched by their stable id (see `generator.core.sections`), so inserting a
  section and renumbering the ones after it ("V." -> "VI.") shows as one added
  section, not as a dozen changed headings;
* inside a section, blocks (paragraphs, list items, quotes, code, table rows) are
  matched first and words are compared only inside blocks that changed; paragraphs
  stay paragraphs and list items stay list items;
* spacing and list renumbering are not changes, as in `generator.core.changes`.

The output is one HTML fragment (`Redline.html`) meant to be embedded in a Markdown
page as a raw HTML block: it has no blank lines, escapes every piece of policy text,
and marks changes with `<ins>`/`<del>` plus visually hidden text, so that it reads
without colour, to screen readers and on paper (`site_templates/assets/redline.css`).

Speed matters because a site build diffs every consecutive pair of versions: tokens
are interned to ints (cheap hashing and comparison in `SequenceMatcher`), common
prefixes and suffixes are trimmed before any matching, and large regions are split at
unique common words (patience anchors) before the quadratic matcher sees them, with a
hard budget beyond which a region is shown as replaced wholesale.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from html import escape
from typing import Literal

from generator.core.changes import ChangeSummary, compare
from generator.core.sections import Section, parse_sections
from generator.core.sequences import longest_increasing

SectionStatus = Literal["unchanged", "changed", "added", "removed", "moved"]

__all__ = [
    "Redline",
    "SectionRedline",
    "SectionStatus",
    "redline",
    "redline_markdown",
]


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
        return f"change-{self.id}"


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


# --------------------------------------------------------------------------- tokens

# A token is a word (or a single CJK character, or a single punctuation mark) together
# with the whitespace in front of it. Comparing only the word part makes spacing
# irrelevant, and keeping whitespace out of the compared sequence matters for speed:
# a separate whitespace token would be the most frequent element of every sequence,
# which is exactly what makes SequenceMatcher slow.
_CJK = (
    "\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef"
)
_TOKEN = re.compile(rf"(\s*)([{_CJK}]|(?:(?![{_CJK}])\w)+(?:['’](?:(?![{_CJK}])\w)+)*|[^\w\s])")
_WS = re.compile(r"\s+")


@dataclass(frozen=True)
class _Tokens:
    space: tuple[str, ...]
    """Whitespace before each word, as written."""
    words: tuple[str, ...]
    ids: tuple[int, ...]
    """Interned word ids: equal words, equal ids (per redline call)."""


class _Interner:
    """Maps words to small ints so the matchers hash and compare ints, not strings."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}

    def tokens(self, text: str) -> _Tokens:
        ids = self._ids
        space: list[str] = []
        words: list[str] = []
        numbers: list[int] = []
        for match in _TOKEN.finditer(text):
            word = match.group(2)
            space.append(match.group(1))
            words.append(word)
            number = ids.get(word)
            if number is None:
                number = ids[word] = len(ids)
            numbers.append(number)
        return _Tokens(tuple(space), tuple(words), tuple(numbers))


# --------------------------------------------------------------------------- sequence diff

Opcode = tuple[str, int, int, int, int]

# Above this many cells (len(a) * len(b)) a region is first split at unique common
# words; SequenceMatcher's cost grows with the product, and with no anchors at all a
# region this large is shown as a replacement rather than risk a quadratic blow-up.
_MATCHER_BUDGET = 250_000


def _diff_ints(a: Sequence[int], b: Sequence[int]) -> list[Opcode]:
    """Opcodes (as difflib's) turning `a` into `b`; equal runs are maximal."""
    ops: list[Opcode] = []
    _diff_range(a, b, 0, len(a), 0, len(b), ops)
    return _coalesce(ops)


def _diff_range(
    a: Sequence[int], b: Sequence[int], alo: int, ahi: int, blo: int, bhi: int, out: list[Opcode]
) -> None:
    # Common prefix and suffix first: most edits touch a few words in a long block.
    start_a, start_b = alo, blo
    while alo < ahi and blo < bhi and a[alo] == b[blo]:
        alo += 1
        blo += 1
    if alo > start_a:
        out.append(("equal", start_a, alo, start_b, blo))
    end_a, end_b = ahi, bhi
    while ahi > alo and bhi > blo and a[ahi - 1] == b[bhi - 1]:
        ahi -= 1
        bhi -= 1
    tail: Opcode | None = ("equal", ahi, end_a, bhi, end_b) if ahi < end_a else None

    if alo == ahi and blo == bhi:
        pass
    elif alo == ahi:
        out.append(("insert", alo, alo, blo, bhi))
    elif blo == bhi:
        out.append(("delete", alo, ahi, blo, blo))
    elif (ahi - alo) * (bhi - blo) <= _MATCHER_BUDGET:
        # autojunk=False: the heuristic would junk frequent words ("the", ",") and
        # make matches worse; the budget above bounds the cost instead.
        matcher = SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            out.append((tag, alo + i1, alo + i2, blo + j1, blo + j2))
    else:
        anchors = _patience_anchors(a, b, alo, ahi, blo, bhi)
        if not anchors:
            out.append(("replace", alo, ahi, blo, bhi))
        else:
            i, j = alo, blo
            for ai, bj in anchors:
                _diff_range(a, b, i, ai, j, bj, out)
                out.append(("equal", ai, ai + 1, bj, bj + 1))
                i, j = ai + 1, bj + 1
            _diff_range(a, b, i, ahi, j, bhi, out)
    if tail:
        out.append(tail)


def _patience_anchors(
    a: Sequence[int], b: Sequence[int], alo: int, ahi: int, blo: int, bhi: int
) -> list[tuple[int, int]]:
    """Positions of words that occur exactly once in each range, in an order both
    ranges agree on (longest increasing subsequence): safe points to split at."""
    count_a: dict[int, int] = {}
    for i in range(alo, ahi):
        count_a[a[i]] = count_a.get(a[i], 0) + 1
    count_b: dict[int, int] = {}
    where_b: dict[int, int] = {}
    for j in range(blo, bhi):
        count_b[b[j]] = count_b.get(b[j], 0) + 1
        where_b[b[j]] = j
    pairs = [(i, where_b[a[i]]) for i in range(alo, ahi) if count_a[a[i]] == 1 and count_b.get(a[i]) == 1]
    return longest_increasing(pairs)


def _coalesce(ops: list[Opcode]) -> list[Opcode]:
    """Merge adjacent equal runs and adjacent changes (recursion leaves them split)."""
    merged: list[Opcode] = []
    for tag, i1, i2, j1, j2 in ops:
        if i1 == i2 and j1 == j2:
            continue
        if merged:
            ptag, pi1, _, pj1, _ = merged[-1]
            if (ptag == "equal") == (tag == "equal"):
                if tag != "equal":
                    # A merged change is a replace when both sides are non-empty.
                    tag = "replace" if (i2 - pi1) and (j2 - pj1) else ("delete" if i2 - pi1 else "insert")
                merged[-1] = (tag, pi1, i2, pj1, j2)
                continue
        merged.append((tag, i1, i2, j1, j2))
    return merged


# --------------------------------------------------------------------------- readable runs

# Small words that, alone between two changes, make a redline choppy without telling
# the reader anything: "<del>a</del><ins>b</ins> the <del>c</del><ins>d</ins>" reads
# better as one replaced phrase.
_GLUE_WORDS = frozenset(
    "a an the of to and or in on at by for as is be with from that this it its we you your our".split()
)


@dataclass(frozen=True)
class _Run:
    equal: bool
    a: tuple[int, int]
    b: tuple[int, int]


def _readable_runs(ops: list[Opcode], old: _Tokens, new: _Tokens) -> list[_Run]:
    """Alternating equal / changed runs, with tiny equal fragments folded into the
    changes around them."""
    runs: list[_Run] = []
    for tag, i1, i2, j1, j2 in ops:
        runs.append(_Run(tag == "equal", (i1, i2), (j1, j2)))

    def is_glue(run: _Run, before: _Run, after: _Run) -> bool:
        words = [w for w in new.words[run.b[0] : run.b[1]] if w[0].isalnum()]
        if not words:
            return True  # only punctuation between two changes
        if len(words) == 1 and (len(words[0]) <= 3 or words[0].lower() in _GLUE_WORDS):
            return True

        # Two words squeezed between two big changes are noise too.
        def size(r: _Run) -> int:
            return max(r.a[1] - r.a[0], r.b[1] - r.b[0])

        return len(words) <= 2 and size(before) >= 4 * len(words) and size(after) >= 4 * len(words)

    tidy: list[_Run] = []
    index = 0
    while index < len(runs):
        run = runs[index]
        if (
            run.equal
            and tidy
            and not tidy[-1].equal
            and index + 1 < len(runs)
            and not runs[index + 1].equal
            and is_glue(run, tidy[-1], runs[index + 1])
        ):
            following = runs[index + 1]
            previous = tidy.pop()
            tidy.append(_Run(False, (previous.a[0], following.a[1]), (previous.b[0], following.b[1])))
            index += 2
            continue
        if not run.equal and tidy and not tidy[-1].equal:
            previous = tidy.pop()
            run = _Run(False, (previous.a[0], run.a[1]), (previous.b[0], run.b[1]))
        tidy.append(run)
        index += 1
    return tidy


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


def _join(tokens: _Tokens, lo: int, hi: int, preserve: bool, lead: bool = True) -> str:
    parts: list[str] = []
    for k in range(lo, hi):
        if k > lo or lead:
            parts.append(_space(tokens.space[k], preserve))
        parts.append(escape(tokens.words[k]))
    return "".join(parts)


def _inline_plain(tokens: _Tokens, preserve: bool = False) -> str:
    return _join(tokens, 0, len(tokens.words), preserve, lead=preserve)


def _inline_whole(tokens: _Tokens, wrap: str, preserve: bool = False) -> str:
    text = _inline_plain(tokens, preserve)
    if not text:
        return ""
    return _ins(text) if wrap == "ins" else _del(text)


def _inline_diff(old: _Tokens, new: _Tokens, preserve: bool = False) -> tuple[str, bool]:
    """The inline HTML of a changed block and whether any word changed."""
    ops = _diff_ints(old.ids, new.ids)
    runs = _readable_runs(ops, old, new)
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


# --------------------------------------------------------------------------- blocks

BlockKind = Literal["p", "li", "quote", "code", "row", "hr"]

_LIST_ITEM = re.compile(r"^([ \t]*)([-*+]|(\d{1,9})[.)])(?:[ \t]+(.*))?$")
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
_QUOTE = re.compile(r"^[ \t]{0,3}>[ ]?")
_RULE = re.compile(r"^[ \t]{0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_TABLE_DIVIDER = re.compile(r"^[ \t]*\|?[ \t]*:?-{1,}:?[ \t]*(\|[ \t]*:?-{1,}:?[ \t]*)*\|?[ \t]*$")


@dataclass(frozen=True)
class _Block:
    kind: BlockKind
    text: str
    depth: int = 0
    """List nesting depth (0 = outermost); for paragraphs, >0 means "inside a list item"."""
    ordered: bool = False
    number: int | None = None
    """The number a reader sees on an ordered list item (renderers renumber lists)."""

    @property
    def key(self) -> tuple[str, int, bool, str]:
        # What must be equal for two blocks to be "the same": not the list number
        # (renumbering is not a change), not the spacing.
        return (self.kind, self.depth, self.ordered, _WS.sub(" ", self.text).strip())


def _blocks(body: str) -> tuple[_Block, ...]:
    """Split a section body into the blocks a Markdown renderer would make."""
    blocks: list[_Block] = []
    lines = body.splitlines()
    current: list[str] = []
    current_kind: BlockKind | None = None
    current_meta: dict[str, object] = {}
    indents: list[int] = []  # indentation of the open list levels
    counters: dict[int, int] = {}  # next number per list depth
    in_list = False

    def flush() -> None:
        nonlocal current_kind, current, current_meta
        if current_kind is not None:
            joiner = "\n" if current_kind == "code" else " "
            text = joiner.join(current) if current_kind == "code" else joiner.join(s.strip() for s in current)
            blocks.append(_Block(current_kind, text, **current_meta))  # type: ignore[arg-type]
        current_kind, current, current_meta = None, [], {}

    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.strip():
            flush()
            index += 1
            continue
        fence = _FENCE.match(line)
        if fence:
            flush()
            marker = fence.group(1)
            code: list[str] = []
            index += 1
            while index < len(lines) and not lines[index].strip().startswith(marker):
                code.append(lines[index])
                index += 1
            index += 1  # closing fence
            blocks.append(_Block("code", "\n".join(code)))
            in_list = False
            continue
        item = _LIST_ITEM.match(line)
        if item and not _RULE.match(line):
            flush()
            indent = len(item.group(1).expandtabs(4))
            if not in_list:
                indents, counters = [], {}
            while indents and indent < indents[-1]:
                indents.pop()
            if not indents or indent > indents[-1]:
                indents.append(indent)
            depth = len(indents) - 1
            for deeper in [d for d in counters if d > depth]:
                del counters[deeper]
            ordered = item.group(3) is not None
            number = None
            if ordered:
                # Markdown keeps only the first number of a list and counts from it.
                number = counters.get(depth, int(item.group(3)))
                counters[depth] = number + 1
            else:
                counters.pop(depth, None)
            current_kind = "li"
            current = [item.group(4) or ""]
            current_meta = {"depth": depth, "ordered": ordered, "number": number}
            in_list = True
            index += 1
            continue
        if _RULE.match(line):
            flush()
            blocks.append(_Block("hr", ""))
            in_list = False
            index += 1
            continue
        if _QUOTE.match(line) and current_kind != "quote":
            flush()
            current_kind = "quote"
        if current_kind == "quote":
            current.append(_QUOTE.sub("", line))
            index += 1
            continue
        if line.lstrip().startswith("|"):
            flush()
            if not _TABLE_DIVIDER.match(line):
                blocks.append(_Block("row", line.strip()))
            in_list = False
            index += 1
            continue
        if current_kind is not None:
            current.append(line)  # a continuation line of the same paragraph / item
            index += 1
            continue
        # A new paragraph: indented under an open list, it belongs to the last item.
        indent = len(line) - len(line.lstrip())
        nested = in_list and indent > 0
        if not nested:
            in_list = False
        current_kind = "p"
        current = [line]
        current_meta = {"depth": (len(indents) if nested else 0)}
        index += 1
    flush()
    return tuple(blocks)


@dataclass(frozen=True)
class _Rendered:
    """A block ready for output: its structure and its inline HTML."""

    block: _Block
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

_PAIR_THRESHOLD = 0.5  # below this share of common words, show delete + insert
_PAIR_BUDGET = 2_500  # blocks-by-blocks cells for the optimal pairing


def _similarity(a: frozenset[int], b: frozenset[int]) -> float:
    if not a and not b:
        return 1.0
    return 2 * len(a & b) / (len(a) + len(b))


def _pair_blocks(
    old: Sequence[_Block], new: Sequence[_Block], old_tok: Sequence[_Tokens], new_tok: Sequence[_Tokens]
) -> list[tuple[int | None, int | None]]:
    """Pair the blocks of a replaced region so that a reworded paragraph shows as
    word changes and a rewritten one as deleted + inserted. Returns (old, new) index
    pairs in reading order; None on one side means wholly deleted / inserted."""
    n, m = len(old), len(new)
    old_sets = [frozenset(t.ids) for t in old_tok]
    new_sets = [frozenset(t.ids) for t in new_tok]

    def score(i: int, j: int) -> float:
        if old[i].kind != new[j].kind:
            return 0.0
        s = _similarity(old_sets[i], new_sets[j])
        return s if s >= _PAIR_THRESHOLD else 0.0

    pairs: list[tuple[int, int]] = []
    if n * m <= _PAIR_BUDGET:
        # Order-preserving pairing with the greatest total similarity (small DP).
        best = [[0.0] * (m + 1) for _ in range(n + 1)]
        for i in range(n - 1, -1, -1):
            row, below = best[i], best[i + 1]
            for j in range(m - 1, -1, -1):
                s = score(i, j)
                row[j] = max(below[j], row[j + 1], (below[j + 1] + s) if s else 0.0)
        i = j = 0
        while i < n and j < m:
            s = score(i, j)
            if s and best[i][j] == best[i + 1][j + 1] + s:
                pairs.append((i, j))
                i += 1
                j += 1
            elif best[i][j] == best[i + 1][j]:
                i += 1
            else:
                j += 1
    else:
        # Too many blocks to compare all with all: pair along the diagonal.
        for k in range(min(n, m)):
            if score(k, k):
                pairs.append((k, k))

    result: list[tuple[int | None, int | None]] = []
    i = j = 0
    for pi, pj in pairs + [(n, m)]:
        result.extend((k, None) for k in range(i, pi))
        result.extend((None, k) for k in range(j, pj))
        if pi < n:
            result.append((pi, pj))
        i, j = pi + 1, pj + 1
    return result


def _body_diff(old_body: str, new_body: str, interner: _Interner) -> tuple[list[_Rendered], bool]:
    old_blocks, new_blocks = _blocks(old_body), _blocks(new_body)
    keys: dict[tuple[str, int, bool, str], int] = {}
    old_keys = [keys.setdefault(b.key, len(keys)) for b in old_blocks]
    new_keys = [keys.setdefault(b.key, len(keys)) for b in new_blocks]
    out: list[_Rendered] = []
    changed = False
    for tag, i1, i2, j1, j2 in _diff_ints(old_keys, new_keys):
        if tag == "equal":
            out.extend(_Rendered(b, _plain(b)) for b in new_blocks[j1:j2])
            continue
        olds, news = old_blocks[i1:i2], new_blocks[j1:j2]
        old_tok = [interner.tokens(b.text) for b in olds]
        new_tok = [interner.tokens(b.text) for b in news]
        for oi, nj in _pair_blocks(olds, news, old_tok, new_tok):
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


def _plain(block: _Block) -> str:
    if block.kind == "code":
        return escape(block.text).replace("\n", "&#10;")
    # Unchanged text needs no tokens: escaping and collapsing spaces is enough.
    return escape(_WS.sub(" ", block.text).strip())


def _whole(body: str, mark: str) -> list[_Rendered]:
    rendered = []
    for block in _blocks(body):
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


def _heading_diff(old: Section, new: Section, interner: _Interner) -> str:
    # Numbering is not compared: only the title, shown after the new number.
    if _WS.sub(" ", old.title).strip() == _WS.sub(" ", new.title).strip():
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
    anchor = f"change-{escape(section_id)}"
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
    interner = _Interner()

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
                blocks = [_Rendered(b, _plain(b)) for b in _blocks(section.body)]
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
