"""Raw HTML in policies: what the site publishes of the HTML a page renders to.

A policy is Markdown, and Markdown lets a writer put raw HTML anywhere: a `<script>`,
an `<iframe>`, an `onerror=` handler or a `javascript:` link in a policy file would run in
every visitor's browser. The `policy` plugin therefore passes the HTML of every page it
stages through `clean_html` (nh3, the Python binding of the Rust sanitizer ammonia) before
the theme wraps it: what a legal text uses stays (headings with their ids and classes,
paragraphs, lists, tables, links, emphasis, `<abbr>`, `<sup>`, `<sub>`, `<ins>`/`<del>` of
the redlines, `<details>`, images from the site itself); everything else goes: scripts
and styles with their content, frames, forms, event handlers, `style=` attributes and
links to anything but http(s), mailto and tel.

`raw_html_removed` says what a policy text loses (for `policyctl check` and the build's
warnings): the text rendered with the Markdown extensions the site uses, sanitised, and
the elements and attributes compared.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable
from html.parser import HTMLParser
from typing import Any

import markdown
import nh3

from generator.core.sections import with_section_ids

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "article", "aside", "b", "blockquote", "br", "caption", "cite", "code",
        "col", "colgroup", "dd", "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption",
        "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li",
        "mark", "ol", "p", "pre", "q", "s", "samp", "section", "small", "span", "strong", "sub",
        "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u",
        "ul", "var", "wbr",
    }
)  # fmt: skip
"""What legal texts (and the site's own page markup) use."""

CONTENT_TAGS = frozenset({"script", "style", "template", "iframe", "object", "svg", "math", "noscript"})
"""Removed with everything inside them (the others lose their tags and keep their text)."""

ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    # `data-*` of the site's own markup (page headers, redline sections), by name: a
    # policy may not make up Material's `data-md-*` components.
    "*": {
        "class", "id", "title", "lang", "dir",
        "data-section", "data-status", "data-policy-document", "data-policy-version",
    },
    "a": {"href", "hreflang"},
    "img": {"src", "alt", "width", "height"},
    "ol": {"start", "reversed", "type"},
    "li": {"value"},
    "td": {"colspan", "rowspan", "headers", "align"},
    "th": {"colspan", "rowspan", "headers", "scope", "align"},
    "col": {"span"},
    "colgroup": {"span"},
    "del": {"datetime", "cite"},
    "ins": {"datetime", "cite"},
    "q": {"cite"},
    "blockquote": {"cite"},
    "details": {"open"},
    "time": {"datetime"},
    "abbr": {"title"},
}  # fmt: skip
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
"""Schemes a link or image may use (relative URLs are kept)."""

RESERVED_ID = re.compile(r"__|policy-dialog")
"""Element ids the theme's own scripts look up (Material's `__config`, `__search`, ...; the
pop-up's `policy-dialog`): a policy may not take them."""

MARKDOWN_EXTENSIONS = ("toc", "attr_list", "admonition", "tables", "footnotes")
"""The extensions the `policy` plugin always enables (it also sets `TABLES_CONFIG`)."""
TABLES_CONFIG = {"use_align_attribute": True}
"""Column alignment as `align=` rather than a `style=` attribute (which the sanitizer
removes and a Content-Security-Policy without 'unsafe-inline' would block)."""


_UNSAFE_IN_ID = re.compile(r"[\s\"'<>`\\\x00-\x1f\x7f]+")


def safe_id(value: str) -> str:
    """An element id (or a link's `#fragment`) that scripts can put in a CSS selector:
    white space, quotes, angle brackets, backslashes and control characters become `-`
    (Material's scripts look headings up by `[id="..."]`). Section ids never have them."""
    return _UNSAFE_IN_ID.sub("-", value)


def _attribute_filter(element: str, attribute: str, value: str) -> str | None:
    if attribute == "id":
        return None if RESERVED_ID.match(value) else safe_id(value)
    if attribute == "href" and value.startswith("#"):
        return "#" + safe_id(value[1:])
    return value


def clean_html(fragment: str) -> str:
    """`fragment` with only what a legal text may publish (see the module's docstring)."""
    return nh3.clean(
        fragment,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(CONTENT_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_attribute_filter,
        strip_comments=True,
        link_rel=None,
        url_schemes=set(URL_SCHEMES),
    )


def clean_text(fragment: str) -> str:
    """An HTML fragment that should be text only (a table-of-contents label): any tag goes,
    the text stays escaped."""
    return nh3.clean(fragment, tags=set(), clean_content_tags=set(CONTENT_TAGS), strip_comments=True)


# --------------------------------------------------------------------------- what went


class _Inventory(HTMLParser):
    """The elements of a fragment and their attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: Counter[str] = Counter()
        self.attributes: Counter[tuple[str, str, str]] = Counter()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        for name, value in attrs:
            self.attributes[(tag, name, value or "")] += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def _inventory(fragment: str) -> _Inventory:
    parser = _Inventory()
    parser.feed(fragment)
    parser.close()
    return parser


def _shorten(value: str, limit: int = 60) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def removed(before: str, after: str) -> list[str]:
    """What sanitising `before` into `after` took away, for a person to read:
    `<script> (2)`, `onerror= on <img>`, `href="javascript:alert(1)" on <a>`."""
    old, new = _inventory(before), _inventory(after)
    lost_tags = old.tags - new.tags
    gone = {tag for tag in lost_tags if new.tags[tag] == 0}
    lines = [f"<{tag}>" + (f" ({count})" if count > 1 else "") for tag, count in sorted(lost_tags.items())]
    for (tag, name, value), count in sorted((old.attributes - new.attributes).items()):
        if tag in gone:
            continue  # said with its element
        if name in ("href", "src", "cite"):
            what = f'{name}="{_shorten(value)}"'
        elif name == "id":
            what = f'id="{_shorten(value)}"'
        else:
            what = f"{name}="
        lines.append(f"{what} on <{tag}>" + (f" ({count})" if count > 1 else ""))
    return lines


_SCHEME = r"<?\s*(?!(?:https?|mailto|tel):)[A-Za-z][A-Za-z0-9+.-]*:"
_RISKY = re.compile(
    "|".join(
        (
            r"<\s*/?\s*[A-Za-z][A-Za-z0-9-]*(?=[\s/>])",  # a raw HTML tag (not an autolink)
            r"<[!?]",  # a comment, a declaration, a processing instruction
            r"\{:?[^}\n]*(?:=|#__|#policy-dialog)",  # an attribute list setting more than id and class
            r"\]\(\s*" + _SCHEME,  # a link or image to another scheme than http(s), mailto, tel
            r"^[ ]{0,3}\[[^\]\n]+\]:\s*" + _SCHEME,  # the same as a reference definition
        )
    ),
    re.MULTILINE,
)
"""What can make Markdown produce HTML the sanitizer changes. A text without any of it
is not rendered to be checked (a long history's build stays fast): plain Markdown, with
`{#id .class}` attribute lists and http(s) links, renders to allowed HTML only."""


@functools.lru_cache(maxsize=512)
def raw_html_removed(text: str) -> tuple[str, ...]:
    """What the site would not publish of a policy text (Markdown): empty for a text that
    has no raw HTML beyond what the sanitizer keeps."""
    if not _RISKY.search(text):
        return ()
    rendered = markdown.markdown(
        with_section_ids(text),
        extensions=list(MARKDOWN_EXTENSIONS),
        extension_configs={"tables": dict(TABLES_CONFIG)},
    )
    return tuple(removed(rendered, clean_html(rendered)))


def raw_html_warning(path: str, version: str, lost: Iterable[str]) -> str:
    """The words of `check`'s and the build's warning about a version's raw HTML."""
    return (
        f"{path}: version {version}: raw HTML left out of the site: {', '.join(lost)}\n"
        '  -> write the policy in Markdown; see "Raw HTML in policies" in docs/site.md'
    )


def raw_html_warnings(model: Any) -> list[str]:
    """One warning per published version of the site `model` (a `SiteModel`) whose raw
    HTML the site leaves out, in the words of `policyctl check`."""
    seen: set[tuple[str, str]] = set()
    warnings = []
    for doc in model.documents:
        for entry in doc.entries:
            v = entry.version
            if (v.path, v.version) in seen:
                continue
            seen.add((v.path, v.version))
            lost = raw_html_removed(v.text)
            if lost:
                warnings.append(raw_html_warning(v.path, v.version, lost))
    return warnings
