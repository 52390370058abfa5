"""Word changes inside rendered text: the words of a paragraph, a list item's text or a
table cell, each with the inline elements it sits in (`<a href>`, `<strong>`, `<code>`, ...),
compared word by word, and written back with `<ins>`/`<del>` inside those elements.

A word's identity for the comparison is the word plus the elements around it (tag and
attributes but `id`, and but a link's `href`), so that making a word bold is a change the
reader sees. A link that points elsewhere with the same words keeps its words once (in
the new link), followed by the redline's note "(link changed: old address → new
address)"; when its words changed too, they are marked and the note follows as well.
Writing keeps a stack of open elements: a run of inserted or deleted words is
split wherever the elements around it change, so tags are always well nested, and the
visually hidden "[deleted: " ... "]" (in the page's language: `Scope.words`) is said once
per run, not once per piece.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape

from generator.core import urls
from generator.core.diff.alignment import Run, diff_ints, readable_runs
from generator.core.diff.markup import VOID, Element, Node, Text, end_tag, start_tag, text_html
from generator.core.diff.tokens import TOKEN
from generator.core.diff.words import Mark, RedlineWords

Path = tuple[Element, ...]

OBJECT = "\ufffc"
"""The word of an element without text (`<br>`, `<img>`): not a letter, so never glue."""

# --------------------------------------------------------------------------- where HTML goes


@dataclass(frozen=True)
class Scope:
    """Where a section's HTML is shown on the redline page. Element ids of the policy
    (footnotes, `{#id}` attributes) are made unique per section, and links to another
    section of the policy lead to that section's place in the redline."""

    section_id: str
    sections: frozenset[str]
    """The ids of the sections shown on the redline page."""
    words: RedlineWords
    """The redline's own words, in the page's language (what a screen reader says)."""
    local: frozenset[str] = frozenset()
    """The element ids inside this section's (new) body."""

    def fragment(self, element_id: str) -> str:
        return urls.change_element_anchor(self.section_id, element_id)

    def attrs(
        self, element: Element, old: bool, mark: Mark | None = None, extra: Sequence[tuple[str, str]] = ()
    ) -> list[tuple[str, str]]:
        """The attributes to write: ids of deleted (old) elements are dropped, since the
        new text may have the same ones; `mark` adds the class of a whole inserted or
        deleted element."""
        out: list[tuple[str, str]] = []
        classes = f"redline-block-{mark}" if mark else ""
        given = {name for name, _ in extra}
        for name, value in element.attrs:
            if name in given:
                continue  # the redline's own (a list item's number)
            if name == "id":
                if not old:
                    out.append((name, self.fragment(value)))
            elif name == "href" and value.startswith("#"):
                target = value[1:]
                if target in self.local:
                    out.append((name, "#" + self.fragment(target)))
                elif target in self.sections:
                    out.append((name, "#" + urls.change_anchor(target)))
                else:
                    out.append((name, value))
            elif name == "class" and classes:
                classes = f"{value} {classes}"
            else:
                out.append((name, value))
        out.extend(extra)
        if classes:
            out.append(("class", classes))
        return out


# --------------------------------------------------------------------------- words in their elements


@dataclass(frozen=True)
class Pieces:
    """The words of some inline content, each with the elements it sits in."""

    words: tuple[str, ...]
    spaces: tuple[str, ...]
    """The white space before each word, as written."""
    space_paths: tuple[Path, ...]
    """The elements that white space sits in (it may be outside the word's)."""
    paths: tuple[Path, ...]
    voids: tuple[Element | None, ...]
    """The element itself, for a piece that is an element without text (`<br>`)."""
    keys: tuple[str, ...]
    """What is compared: the elements around a word (tag and attributes) and the word."""
    tail: str = ""
    """White space after the last word (it matters inside `<pre>`)."""
    tail_path: Path = ()


def content_pieces(element: Element) -> Pieces:
    """The words of an element's content (memoised with the element)."""
    found = element.memo.get("pieces")
    if found is None:
        found = element.memo["pieces"] = pieces(element.children)
    assert isinstance(found, Pieces)
    return found


def pieces(nodes: Iterable[Node]) -> Pieces:
    words: list[str] = []
    spaces: list[str] = []
    space_paths: list[Path] = []
    paths: list[Path] = []
    voids: list[Element | None] = []
    keys: list[str] = []
    pending = ""
    pending_path: Path = ()

    def walk(items: Iterable[Node], path: Path, signature: str) -> None:
        nonlocal pending, pending_path
        for node in items:
            if isinstance(node, Text):
                text = node.text
                for space, word in TOKEN.findall(text):
                    if space:
                        if not pending:
                            pending_path = path
                        pending += space
                    words.append(word)
                    spaces.append(pending)
                    space_paths.append(pending_path if pending else path)
                    paths.append(path)
                    voids.append(None)
                    keys.append(signature + word)
                    pending = ""
                rest = text[len(text.rstrip()) :]
                if rest:
                    if not pending:
                        pending_path = path
                    pending += rest
            elif node.tag in VOID:
                words.append(OBJECT)
                spaces.append(pending)
                space_paths.append(pending_path if pending else path)
                paths.append(path)
                voids.append(node)
                keys.append(signature + "\x1e" + node.signature)
                pending = ""
            else:
                walk(node.children, (*path, node), signature + _key_signature(node) + "\x1f")

    walk(nodes, (), "")
    return Pieces(
        tuple(words),
        tuple(spaces),
        tuple(space_paths),
        tuple(paths),
        tuple(voids),
        tuple(keys),
        pending,
        pending_path,
    )


def _key_signature(element: Element) -> str:
    """What the comparison sees of an element around a word: its signature, but a
    link's address (a changed address is noted, not shown as changed words)."""
    if element.tag != "a":
        return element.signature
    found = element.memo.get("key")
    if found is None:
        found = element.memo["key"] = element.tag + repr(
            [pair for pair in element.attrs if pair[0] not in ("id", "href")]
        )
    return str(found)


def _link(path: Path) -> int:
    """Where the innermost link of a path is (-1: none)."""
    for depth in range(len(path) - 1, -1, -1):
        if path[depth].tag == "a":
            return depth
    return -1


# --------------------------------------------------------------------------- writing


@dataclass(frozen=True)
class _Atom:
    html: str
    path: Path
    old: bool
    mark: Mark | None = None
    group: int = -1
    """Which change this piece belongs to (a deletion and its insertion are two groups)."""


class _Writer:
    """Writes atoms, opening and closing elements (and ins/del) as the path changes."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.parts: list[str] = []
        # Open: (signature, end tag, mark, group) from the outside in.
        self.open: list[tuple[str, str, Mark | None, int]] = []
        self.said: int = -1  # the last group whose "[deleted: " was written
        self._last: tuple[Path, Mark | None, int] | None = None

    def write(self, atom: _Atom) -> None:
        if not atom.html:
            return
        where = (atom.path, atom.mark, atom.group)
        last = self._last
        if last is not None and last[0] is where[0] and last[1] == where[1] and last[2] == where[2]:
            self.parts.append(atom.html)  # still inside the same elements
            return
        self._last = where
        target: list[tuple[str, Element | None]] = [(e.signature, e) for e in atom.path]
        if atom.mark:
            target.append(("\x00" + atom.mark, None))
        keep = 0
        while (
            keep < len(self.open)
            and keep < len(target)
            and self.open[keep][0] == target[keep][0]
            and (self.open[keep][2] is None or self.open[keep][3] == atom.group)
        ):
            keep += 1
        self._close_to(keep, atom.group)
        for signature, element in target[keep:]:
            if element is None:
                assert atom.mark is not None
                opening = f"<{atom.mark}>"
                if self.said != atom.group:
                    opening += self.scope.words.screen_reader[atom.mark]
                    self.said = atom.group
                self.parts.append(opening)
                self.open.append((signature, f"</{atom.mark}>", atom.mark, atom.group))
            else:
                self.parts.append(start_tag(element.tag, self.scope.attrs(element, atom.old)))
                self.open.append((signature, end_tag(element.tag), None, -1))
        self.parts.append(atom.html)

    def _close_to(self, depth: int, next_group: int) -> None:
        while len(self.open) > depth:
            _, closing, mark, group = self.open.pop()
            if mark is not None and group != next_group:
                closing = self.scope.words.screen_reader_end + closing
            self.parts.append(closing)

    def html(self) -> str:
        self._last = None
        self._close_to(0, -1)
        return "".join(self.parts)


def _space(text: str, preserve: bool) -> str:
    if preserve:
        return text_html(text, True)
    return " " if text else ""


def _emit(
    writer: _Writer,
    p: Pieces,
    lo: int,
    hi: int,
    old: bool,
    mark: Mark | None = None,
    group: int = -1,
    lead: bool = True,
    preserve: bool = False,
    notes: dict[int, tuple[str, Path]] | None = None,
) -> None:
    """Write pieces lo..hi (with the space before the first when `lead`), as few atoms
    as the elements allow: neighbouring words in the same element go out as one. A note
    (HTML, where) is written after the piece it is keyed by."""
    text: list[str] = []
    where: Path | None = None
    spaces, words, paths, space_paths, voids = p.spaces, p.words, p.paths, p.space_paths, p.voids

    def flush() -> None:
        if text and where is not None:
            writer.write(_Atom(text_html("".join(text), preserve), where, old, mark, group))
        text.clear()

    for k in range(lo, hi):
        if (k > lo or lead) and spaces[k]:
            if space_paths[k] is not where:
                flush()
                where = space_paths[k]
            text.append(spaces[k] if preserve else " ")
        if paths[k] is not where:
            flush()
            where = paths[k]
        void = voids[k]
        if void is None:
            text.append(words[k])
        else:
            flush()
            writer.write(
                _Atom(start_tag(void.tag, writer.scope.attrs(void, old)), paths[k], old, mark, group)
            )
        if notes and k in notes:
            flush()
            note, outside = notes[k]
            writer.write(_Atom(note, outside, old, None, group))
            where = None
    flush()


def _link_notes(old: Pieces, new: Pieces, runs: Sequence[Run], scope: Scope) -> dict[int, tuple[str, Path]]:
    """The "(link changed: a → b)" notes of the links whose address changed, keyed by
    the last new piece of the link (the note goes right after it, outside it)."""
    pairs = _link_pairs(old, new, runs)
    if not pairs:
        return {}
    last: dict[int, int] = {}
    for k, path in enumerate(new.paths):
        for element in path:
            if element.tag == "a":
                last[id(element)] = k
    notes: dict[int, tuple[str, Path]] = {}
    template = escape(scope.words.link_changed)
    for a, b, outside in pairs:
        before, after = a.attr("href") or "", b.attr("href") or ""
        if before != after and id(b) in last:
            text = template.format(old=escape(before), new=escape(after))
            notes[last[id(b)]] = (f' <span class="redline-link-note">{text}</span>', outside)
    return notes


def _link_pairs(old: Pieces, new: Pieces, runs: Sequence[Run]) -> list[tuple[Element, Element, Path]]:
    """(old link, new link, the new link's ancestors) of each link the new text continues:
    a new link continues the old one whose words it keeps; a link whose words all changed
    continues the one it replaced (in order) in its run of changed words."""
    pairs: list[tuple[Element, Element, Path]] = []
    paired_old: set[int] = set()
    paired_new: set[int] = set()

    def pair(i: int, j: int) -> None:
        a_depth, b_depth = _link(old.paths[i]), _link(new.paths[j])
        if a_depth < 0 or b_depth < 0:
            return
        a, b = old.paths[i][a_depth], new.paths[j][b_depth]
        if id(a) in paired_old or id(b) in paired_new:
            return
        paired_old.add(id(a))
        paired_new.add(id(b))
        pairs.append((a, b, new.paths[j][:b_depth]))

    for run in runs:
        if run.equal:
            for i, j in zip(range(*run.a), range(*run.b), strict=True):
                pair(i, j)
    for run in runs:
        if not run.equal:
            olds = _links_in(old, *run.a, paired_old)
            news = _links_in(new, *run.b, paired_new)
            for i, j in zip(olds, news, strict=False):
                pair(i, j)
    return pairs


def _links_in(p: Pieces, lo: int, hi: int, taken: set[int]) -> list[int]:
    """The first piece of each link not yet paired in pieces lo..hi, in order."""
    found: list[int] = []
    seen: set[int] = set()
    for k in range(lo, hi):
        depth = _link(p.paths[k])
        if depth >= 0:
            link = p.paths[k][depth]
            if id(link) not in taken and id(link) not in seen:
                seen.add(id(link))
                found.append(k)
    return found


def inline_diff(
    old: Pieces, new: Pieces, ids: tuple[list[int], list[int]], scope: Scope, preserve: bool = False
) -> tuple[str, bool]:
    """The HTML of changed inline content, and whether any word changed. `ids` are the
    pieces' keys interned (equal ids, equal keys)."""
    runs = readable_runs(diff_ints(*ids), old, new)
    notes = _link_notes(old, new, runs, scope)
    writer = _Writer(scope)
    changed = bool(notes)
    for group, run in enumerate(runs):
        first = group == 0
        if run.equal:
            # Equal words are shown as the new version writes them.
            _emit(writer, new, *run.b, False, lead=not first or preserve, preserve=preserve, notes=notes)
            continue
        changed = True
        a0, a1 = run.a
        b0, b1 = run.b
        # White space in front of a change stays outside the marks, so that the
        # underline / strike-through covers words, not the gap before them.
        # The new text's space, or the old one's when the new text has none there
        # ("rights and process" -> "rights, and answer": a space before the deletion).
        if not first or preserve:
            if b1 > b0 and (new.spaces[b0] or a1 == a0):
                writer.write(_Atom(_space(new.spaces[b0], preserve), new.space_paths[b0], False))
            else:
                writer.write(_Atom(_space(old.spaces[a0], preserve), old.space_paths[a0], True))
        _emit(writer, old, a0, a1, True, "del", 2 * group, lead=False, preserve=preserve)
        _emit(writer, new, b0, b1, False, "ins", 2 * group + 1, lead=False, preserve=preserve, notes=notes)
    if preserve:
        writer.write(_Atom(text_html(new.tail, True), new.tail_path, False))
    return writer.html(), changed


def inline_whole(p: Pieces, mark: Mark, scope: Scope, preserve: bool = False) -> str:
    """The HTML of inline content inserted or deleted as a whole."""
    old = mark == "del"
    writer = _Writer(scope)
    if p.words and preserve:
        writer.write(_Atom(_space(p.spaces[0], True), p.space_paths[0], old))
    _emit(writer, p, 0, len(p.words), old, mark, 0, lead=False, preserve=preserve)
    if preserve:
        writer.write(_Atom(text_html(p.tail, True), p.tail_path, old))
    return writer.html()
