"""HTML fragments for the redline: the rendered HTML of a section body (which the site's
edge makes from Markdown and sanitises) read into a small tree of elements and text, and
written back out as one well-nested fragment.

Reading uses the standard library's `html.parser`; writing escapes every text and every
attribute value again, so what comes out is well nested and well quoted whatever came in.
A written fragment never contains a line break outside `<pre>`, and inside `<pre>` line
breaks are character references: the redline is embedded in a Markdown page as one raw
HTML block, which a blank line would end.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from html import escape
from html.parser import HTMLParser
from typing import Any

VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)
"""Elements without content or end tag."""

INLINE = frozenset(
    {
        "a", "abbr", "b", "bdi", "bdo", "br", "cite", "code", "data", "del", "dfn", "em", "font",
        "i", "img", "ins", "kbd", "label", "mark", "q", "s", "samp", "small", "span", "strike",
        "strong", "sub", "sup", "time", "tt", "u", "var", "wbr",
    }
)  # fmt: skip
"""Phrasing elements: their words are diffed together with the text around them."""

_LINE_BREAKS = re.compile(r"\s*[\r\n]\s*")


@dataclass(frozen=True)
class Text:
    """Character data, unescaped."""

    text: str


@dataclass(frozen=True)
class Element:
    """An element with its attributes (as written, unescaped) and its content."""

    tag: str
    attrs: tuple[tuple[str, str], ...]
    children: tuple[Node, ...] = ()
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """Values the diff derives from this (immutable) element, kept with it: a parsed
    fragment is memoised by its HTML, so a section that two redlines of a build share is
    keyed and split into words once."""

    @property
    def inline(self) -> bool:
        return self.tag in INLINE

    @property
    def signature(self) -> str:
        """What makes two elements look the same: the tag and the attributes but `id`."""
        found = self.memo.get("signature")
        if found is None:
            found = self.memo["signature"] = self.tag + repr([pair for pair in self.attrs if pair[0] != "id"])
        return str(found)

    def attr(self, name: str) -> str | None:
        for key, value in self.attrs:
            if key == name:
                return value
        return None


Node = Text | Element


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        # Open elements: (tag, attributes, content so far); the first is the fragment.
        self.stack: list[tuple[str, tuple[tuple[str, str], ...], list[Node]]] = [("", (), [])]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        pairs = tuple((name, value or "") for name, value in attrs)
        if tag in VOID:
            self.stack[-1][2].append(Element(tag, pairs))
        else:
            self.stack.append((tag, pairs, []))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1][2].append(Element(tag, tuple((name, value or "") for name, value in attrs)))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth][0] == tag:
                while len(self.stack) > depth:
                    self._close()
                return
        # An end tag that closes nothing open is dropped.

    def handle_data(self, data: str) -> None:
        content = self.stack[-1][2]
        if content and isinstance(content[-1], Text):
            content[-1] = Text(content[-1].text + data)
        else:
            content.append(Text(data))

    def _close(self) -> None:
        tag, attrs, content = self.stack.pop()
        self.stack[-1][2].append(Element(tag, attrs, tuple(content)))

    def fragment(self) -> tuple[Node, ...]:
        self.close()
        while len(self.stack) > 1:
            self._close()
        return tuple(self.stack[0][2])


@functools.lru_cache(maxsize=4096)
def parse_fragment(html: str) -> tuple[Node, ...]:
    """The nodes of an HTML fragment (elements left open are closed at the end)."""
    reader = _Reader()
    reader.feed(html)
    return reader.fragment()


# --------------------------------------------------------------------------- writing


def text_html(text: str, preserve: bool) -> str:
    """Text as HTML: inside `<pre>` (`preserve`) line breaks become `&#10;`, elsewhere any
    run of white space holding a line break becomes one space."""
    if preserve:
        return escape(text, quote=False).replace("\r", "").replace("\n", "&#10;")
    return escape(_LINE_BREAKS.sub(" ", text), quote=False)


def start_tag(tag: str, attrs: Iterable[tuple[str, str]]) -> str:
    parts = [f"<{tag}"]
    for name, value in attrs:
        quoted = escape(value, quote=True).replace("\r", "").replace("\n", "&#10;")
        parts.append(f' {name}="{quoted}"')
    parts.append(">")
    return "".join(parts)


def end_tag(tag: str) -> str:
    return "" if tag in VOID else f"</{tag}>"


def element_ids(nodes: Iterable[Node]) -> frozenset[str]:
    """Every `id` in some nodes."""
    found: set[str] = set()

    def walk(items: Iterable[Node]) -> None:
        for node in items:
            if isinstance(node, Element):
                value = node.attr("id")
                if value:
                    found.add(value)
                walk(node.children)

    walk(nodes)
    return frozenset(found)
