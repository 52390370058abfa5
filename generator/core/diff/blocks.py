"""Blocks of rendered HTML for the redline: a section body's elements compared as the
reader sees them (paragraphs, lists and their items, tables and their rows and cells,
quotes, code), each level by its own children.

At each level the children are first matched whole (an unchanged item costs nothing);
the blocks of a changed region are then paired by word similarity: a pair of paragraphs,
list items or cells is compared word by word inside the one element
(`generator.core.diff.inline`), a pair of lists or tables item by item and row by row,
and a block without a partner is shown wholly inserted or deleted, with a class on the
element itself (a whole `<li>` or `<tr>`) as well as `<ins>`/`<del>` around its words.

Renumbering is not a change: list numbers are not in the rendered HTML, and a changed
ordered list gives each item the number the reader sees (`value`), the new number for
kept and inserted items, the old one for a deleted item.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from generator.core.diff.alignment import diff_ints
from generator.core.diff.inline import Mark, Pieces, Scope, content_pieces, inline_diff, inline_whole, pieces
from generator.core.diff.markup import (
    VOID,
    Element,
    Node,
    Text,
    end_tag,
    parse_fragment,
    start_tag,
    text_html,
)
from generator.core.diff.tokens import Interner

CONTAINERS = frozenset(
    {
        "ul",
        "ol",
        "dl",
        "table",
        "thead",
        "tbody",
        "tfoot",
        "blockquote",
        "div",
        "details",
        "section",
        "figure",
    }
)
"""Blocks that hold other blocks: two of a kind in a changed region are compared item by
item however different they are, so a changed list stays one list."""

_PAIR_THRESHOLD = 0.5  # below this share of common words, show delete + insert
_ITEM_THRESHOLD = 0.25
"""Lower for list items and table rows: a reworded item is better read inside the one
item (its number printed once) than as an item deleted and another inserted."""
_ITEMS = frozenset({"li", "tr", "dt", "dd"})
_TABLE_PARTS = frozenset({"table", "thead", "tbody", "tfoot"})
"""Inserted or deleted whole, these leave the mark to their rows: the theme styles only
tables without a class."""
_PAIR_BUDGET = 2_500  # blocks-by-blocks cells for the optimal pairing


@dataclass(frozen=True)
class Item:
    """One block of a level: an element, or text with its inline elements."""

    kind: str
    """The tag; "p" for a paragraph and for bare text (a tight list item's words), so
    that making a list loose or tight is not a change."""
    element: Element | None
    """None for bare text."""
    nodes: tuple[Node, ...]
    """The content: the element's children, or the bare text's nodes."""
    owner: Element | None = None
    """The element whose whole content `nodes` is (its words are memoised with it)."""


def items(nodes: tuple[Node, ...], owner: Element | None = None) -> list[Item]:
    """The blocks of some content (`owner`'s children, if given)."""
    out: list[Item] = []
    run: list[Node] = []

    def flush() -> None:
        if any(not isinstance(n, Text) or n.text.strip() for n in run):
            whole = len(run) == len(nodes)
            out.append(Item("p", None, nodes if whole else tuple(run), owner if whole else None))
        run.clear()

    for node in nodes:
        if isinstance(node, Text) or node.inline:
            run.append(node)
            continue
        flush()
        out.append(Item(node.tag, node, node.children, node))
    flush()
    return out


BODY = "#body"
"""The `parent` of a section body's own blocks."""
_BLOCKS_ONLY = frozenset({BODY, "table", "thead", "tbody", "tfoot", "tr", "ul", "ol", "dl", "colgroup"})
"""Where white space between elements means nothing (and is left out)."""


def write_nodes(nodes: Iterable[Node], scope: Scope, preserve: bool = False, parent: str = "") -> str:
    """Unchanged HTML, written again (well nested, ids made unique on the page)."""
    parts: list[str] = []

    def walk(children: Iterable[Node], keep: bool, within: str) -> None:
        for node in children:
            if isinstance(node, Text):
                if within in _BLOCKS_ONLY and not node.text.strip():
                    continue
                parts.append(text_html(node.text, keep))
            else:
                parts.append(start_tag(node.tag, scope.attrs(node, False)))
                if node.tag not in VOID:
                    walk(node.children, keep or node.tag == "pre", node.tag)
                    parts.append(end_tag(node.tag))

    walk(nodes, preserve, parent)
    return "".join(parts)


# --------------------------------------------------------------------------- pairing


def _similarity(a: frozenset[int], b: frozenset[int]) -> float:
    if not a and not b:
        return 1.0
    return 2 * len(a & b) / (len(a) + len(b))


def pair_blocks(n: int, m: int, score: Callable[[int, int], float]) -> list[tuple[int | None, int | None]]:
    """Pair the blocks of a replaced region (n old, m new) so that a reworded paragraph
    shows as word changes and a rewritten one as deleted + inserted. `score` is 0 for
    blocks that may not pair. Returns (old, new) index pairs in reading order; None on
    one side means wholly deleted / inserted."""
    pairs: list[tuple[int, int]] = []
    if n * m <= _PAIR_BUDGET:
        # Order-preserving pairing with the greatest total similarity (small DP).
        scores = [[score(i, j) for j in range(m)] for i in range(n)]
        best = [[0.0] * (m + 1) for _ in range(n + 1)]
        for i in range(n - 1, -1, -1):
            row, below, own = best[i], best[i + 1], scores[i]
            for j in range(m - 1, -1, -1):
                s = own[j]
                row[j] = max(below[j], row[j + 1], (below[j + 1] + s) if s else 0.0)
        i = j = 0
        while i < n and j < m:
            s = scores[i][j]
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
    for pi, pj in [*pairs, (n, m)]:
        result.extend((k, None) for k in range(i, pi))
        result.extend((None, k) for k in range(j, pj))
        if pi < n:
            result.append((pi, pj))
        i, j = pi + 1, pj + 1
    return result


# --------------------------------------------------------------------------- comparing


def _canonical(node: Node) -> str:
    """What must be equal for two blocks to be the same: words and elements, not spacing."""
    if isinstance(node, Text):
        return " ".join(node.text.split())
    found = node.memo.get("canonical")
    if found is None:
        found = node.memo["canonical"] = f"<{node.signature}>{_inner(node)}</>"
    return str(found)


def canonical_html(html: str) -> str:
    """What two renderings must share to read the same: words and elements, not spacing."""
    return "".join(map(_canonical, parse_fragment(html)))


def _inner(element: Element) -> str:
    found = element.memo.get("inner")
    if found is None:
        found = element.memo["inner"] = "".join(map(_canonical, element.children))
    return str(found)


class _Numbers:
    """The numbers a reader sees on the items of a changed ordered list."""

    def __init__(self, old: Element, new: Element) -> None:
        self.old = _start(old)
        self.new = _start(new)

    def kept(self) -> tuple[tuple[str, str], ...]:
        value = self.new
        self.old += 1
        self.new += 1
        return (("value", str(value)),)

    def inserted(self) -> tuple[tuple[str, str], ...]:
        self.new += 1
        return (("value", str(self.new - 1)),)

    def deleted(self) -> tuple[tuple[str, str], ...]:
        self.old += 1
        return (("value", str(self.old - 1)),)


def _start(element: Element) -> int:
    try:
        return int(element.attr("start") or 1)
    except ValueError:
        return 1


class BlockDiff:
    """Compares the rendered bodies of one section's two versions."""

    def __init__(self, interner: Interner, scope: Scope) -> None:
        self.interner = interner
        self.scope = scope
        self._keys: dict[str, int] = {}
        self._ids: dict[int, tuple[Pieces, list[int]]] = {}
        self._bare: dict[int, tuple[tuple[Node, ...], Pieces]] = {}

    # ---- what makes two blocks equal, and how alike they are

    def key(self, item: Item) -> int:
        if item.kind == "p":
            inner = _inner(item.owner) if item.owner is not None else "".join(map(_canonical, item.nodes))
            text = "p:" + inner
        else:
            assert item.element is not None
            text = _canonical(item.element)
        return self._keys.setdefault(text, len(self._keys))

    def pieces(self, item: Item) -> Pieces:
        """The words of some content (computed once: for pairing, then for the word diff)."""
        if item.owner is not None:
            return content_pieces(item.owner)
        # Keyed by identity, and the key object kept with the value: an id is unique
        # only while its object lives.
        found = self._bare.get(id(item.nodes))
        if found is None or found[0] is not item.nodes:
            found = self._bare[id(item.nodes)] = (item.nodes, pieces(item.nodes))
        return found[1]

    def ids(self, p: Pieces) -> list[int]:
        found = self._ids.get(id(p))
        if found is None or found[0] is not p:
            intern = self.interner.intern
            found = self._ids[id(p)] = (p, [intern(key) for key in p.keys])
        return found[1]

    def words(self, item: Item) -> frozenset[int]:
        """The words of a block, whatever elements they sit in (for similarity)."""
        intern = self.interner.intern
        return frozenset(intern(word) for word in self.pieces(item).words)

    # ---- HTML

    def whole(
        self, item: Item, mark: Mark, preserve: bool = False, extra: Sequence[tuple[str, str]] = ()
    ) -> str:
        """A block inserted or deleted as a whole: a class on the element, and its words
        inside `<ins>`/`<del>`."""
        return self._whole(item, mark, preserve, extra, top=True)

    def _whole(
        self, item: Item, mark: Mark, preserve: bool, extra: Sequence[tuple[str, str]], top: bool
    ) -> str:
        old = mark == "del"
        element = item.element
        if element is None:
            return inline_whole(self.pieces(item), mark, self.scope, preserve)
        table = element.tag in _TABLE_PARTS
        attrs = self.scope.attrs(element, old, mark if top and not table else None, extra)
        if element.tag in VOID:
            return start_tag(element.tag, attrs)
        keep = preserve or element.tag == "pre"
        if item.kind == "p":
            inner = inline_whole(content_pieces(element), mark, self.scope, keep)
        else:
            inner = "".join(
                self._whole(child, mark, keep, (), top and table)
                for child in items(element.children, element)
            )
        return start_tag(element.tag, attrs) + inner + end_tag(element.tag)

    def plain(self, item: Item, preserve: bool = False, extra: Sequence[tuple[str, str]] = ()) -> str:
        element = item.element
        if element is None:
            return write_nodes(item.nodes, self.scope, preserve)
        attrs = self.scope.attrs(element, False, None, extra)
        if element.tag in VOID:
            return start_tag(element.tag, attrs)
        inner = write_nodes(element.children, self.scope, preserve or element.tag == "pre", element.tag)
        return start_tag(element.tag, attrs) + inner + end_tag(element.tag)

    def pair(
        self, old: Item, new: Item, preserve: bool = False, extra: Sequence[tuple[str, str]] = ()
    ) -> tuple[str, bool]:
        """Two versions of one block: words compared inside it, or its children compared."""
        element = new.element
        keep = preserve or (element is not None and element.tag == "pre")
        if new.kind == "p":
            a, b = self.pieces(old), self.pieces(new)
            inner, changed = inline_diff(a, b, (self.ids(a), self.ids(b)), self.scope, keep)
        elif element is not None and element.tag in VOID:
            return start_tag(element.tag, self.scope.attrs(element, False, None, extra)), False
        else:
            assert old.element is not None and element is not None
            numbers = _Numbers(old.element, element) if element.tag == "ol" else None
            inner, changed = self.children(
                old.nodes, new.nodes, old.element, element, keep, numbers, cells=element.tag == "tr"
            )
        if element is None:
            return inner, changed
        attrs = self.scope.attrs(element, False, None, extra)
        return start_tag(element.tag, attrs) + inner + end_tag(element.tag), changed

    def children(
        self,
        old_nodes: tuple[Node, ...],
        new_nodes: tuple[Node, ...],
        old_owner: Element | None = None,
        new_owner: Element | None = None,
        preserve: bool = False,
        numbers: _Numbers | None = None,
        cells: bool = False,
    ) -> tuple[str, bool]:
        """The HTML of a level's blocks compared, and whether any changed."""
        olds, news = items(old_nodes, old_owner), items(new_nodes, new_owner)
        parts: list[str] = []
        changed = False
        none: tuple[tuple[str, str], ...] = ()
        for tag, i1, i2, j1, j2 in diff_ints([self.key(i) for i in olds], [self.key(j) for j in news]):
            if tag == "equal":
                parts.extend(
                    self.plain(item, preserve, numbers.kept() if numbers else none) for item in news[j1:j2]
                )
                continue
            changed = True
            region_old, region_new = olds[i1:i2], news[j1:j2]
            if cells and len(region_old) == len(region_new):
                # The cells of a changed row pair by column, however different they are.
                pairs: list[tuple[int | None, int | None]] = [(k, k) for k in range(len(region_old))]
            else:
                pairs = pair_blocks(len(region_old), len(region_new), self._scorer(region_old, region_new))
            for oi, nj in pairs:
                if oi is not None and nj is not None:
                    html, _ = self.pair(
                        region_old[oi], region_new[nj], preserve, numbers.kept() if numbers else none
                    )
                    parts.append(html)
                elif oi is not None:
                    parts.append(
                        self.whole(region_old[oi], "del", preserve, numbers.deleted() if numbers else none)
                    )
                    if region_old[oi].element is None:
                        parts.append(" ")  # deleted text is not run into what follows it
                elif nj is not None:
                    parts.append(
                        self.whole(region_new[nj], "ins", preserve, numbers.inserted() if numbers else none)
                    )
        return "".join(parts), changed

    def _scorer(self, olds: Sequence[Item], news: Sequence[Item]) -> Callable[[int, int], float]:
        old_sets: dict[int, frozenset[int]] = {}
        new_sets: dict[int, frozenset[int]] = {}

        def score(i: int, j: int) -> float:
            kind = olds[i].kind
            if kind != news[j].kind:
                return 0.0
            if kind in CONTAINERS:
                return 1.0
            a = old_sets.get(i)
            if a is None:
                a = old_sets[i] = self.words(olds[i])
            b = new_sets.get(j)
            if b is None:
                b = new_sets[j] = self.words(news[j])
            s = _similarity(a, b)
            return s if s >= (_ITEM_THRESHOLD if kind in _ITEMS else _PAIR_THRESHOLD) else 0.0

        return score
