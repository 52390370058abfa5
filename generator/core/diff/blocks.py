"""Markdown blocks for the redline: splitting a section body into the blocks a Markdown
renderer would make (paragraphs, list items, quotes, code, table rows, rules), and pairing
the blocks of a replaced region by word similarity."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from generator.core.diff.tokens import WHITESPACE, Tokens

# --------------------------------------------------------------------------- blocks

BlockKind = Literal["p", "li", "quote", "code", "row", "hr"]

_LIST_ITEM = re.compile(r"^([ \t]*)([-*+]|(\d{1,9})[.)])(?:[ \t]+(.*))?$")
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
_QUOTE = re.compile(r"^[ \t]{0,3}>[ ]?")
_RULE = re.compile(r"^[ \t]{0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_TABLE_DIVIDER = re.compile(r"^[ \t]*\|?[ \t]*:?-{1,}:?[ \t]*(\|[ \t]*:?-{1,}:?[ \t]*)*\|?[ \t]*$")


@dataclass(frozen=True)
class Block:
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
        return (self.kind, self.depth, self.ordered, WHITESPACE.sub(" ", self.text).strip())


def split_blocks(body: str) -> tuple[Block, ...]:
    """Split a section body into the blocks a Markdown renderer would make."""
    blocks: list[Block] = []
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
            blocks.append(Block(current_kind, text, **current_meta))  # type: ignore[arg-type]
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
            blocks.append(Block("code", "\n".join(code)))
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
            blocks.append(Block("hr", ""))
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
                blocks.append(Block("row", line.strip()))
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


# --------------------------------------------------------------------------- block pairing

_PAIR_THRESHOLD = 0.5  # below this share of common words, show delete + insert
_PAIR_BUDGET = 2_500  # blocks-by-blocks cells for the optimal pairing


def _similarity(a: frozenset[int], b: frozenset[int]) -> float:
    if not a and not b:
        return 1.0
    return 2 * len(a & b) / (len(a) + len(b))


def pair_blocks(
    old: Sequence[Block], new: Sequence[Block], old_tok: Sequence[Tokens], new_tok: Sequence[Tokens]
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
