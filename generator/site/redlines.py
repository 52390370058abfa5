"""The redline HTML between two versions: `generator.core.diff.redline` fed with the HTML
each section body renders to on the version page.

Core compares HTML but reads no Markdown, so this edge renders each section body with
the Markdown extensions of the site's pages (`MarkdownSetup`; by default the ones the
`policy` plugin always enables) and sanitises it (`generator.site.sanitize.clean_html`),
so the redline shows what the version page shows and nothing a policy file smuggles in.
A body is rendered with the document's reference-link definitions appended (they may sit
in another section), with `abbr` its abbreviations, and, when footnotes are on, the
definitions of the footnotes it refers to; its footnotes are therefore numbered within
the section. A section's title is rendered the same way, as the heading it is on the
page (emphasis, code, links; sanitised), for the redline's headings and lists.

`Redlines` is the renderer of one build: its Markdown setup, its memo of redlines by the
texts' content hashes and, when given a folder (the plugin passes `<repo>/<cache_dir>`),
its disk cache through `generator.site.cache.ContentCache`: a rebuild after a new commit
diffs only the new pairs. The `policy` plugin makes one per build and hands it to the
pages (`generator.site.pages.render_site`); nothing here is set for the process. The
disk key includes the source of every module that decides the HTML and the Markdown
settings; both keys include the redline's own words (`RedlineWords`), so that each
language has its own redlines. Rendering a body or a title is memoised by its text, what
is appended to it and the Markdown setup (a revision changes a few sections: the others
were rendered for the previous redline already); those memos are pure (a function of
their whole input) and `forget` empties them.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import html
import importlib
import json
import pkgutil
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import markdown

import generator.core.changes as changes
import generator.core.diff as diff
import generator.core.sections as sections
import generator.core.urls as urls
import generator.site.sanitize as sanitize
from generator.core.changes import ChangeSummary, SectionChange
from generator.core.diff import (
    ENGLISH_REDLINE,
    BodyHtml,
    HeadingHtml,
    Redline,
    RedlineWords,
    SectionRedline,
    redline,
)
from generator.core.diff.markup import parse_fragment
from generator.core.diff.render import memos as diff_memos
from generator.core.history import Version
from generator.core.sections import Section, outside_fences, parse_sections
from generator.site.cache import ContentCache, code_salt

_SKIPPED_EXTENSIONS = frozenset({"toc", "markdown.extensions.toc"})
"""Extensions that add nothing to a section body but permalinks and heading ids."""


class MarkdownSetup:
    """The Markdown extensions and their options, as the site's pages use them (MkDocs'
    `markdown_extensions` and `mdx_configs`). Two setups with the same `key` render the
    same HTML. Options that hold functions change the key in every process (a slower
    build, never a stale redline)."""

    def __init__(self, extensions: Iterable[Any], configs: Mapping[str, Any]) -> None:
        self.extensions = [e for e in extensions if not (isinstance(e, str) and e in _SKIPPED_EXTENSIONS)]
        self.configs = {
            name: dict(value) if isinstance(value, Mapping) else value
            for name, value in configs.items()
            if name not in _SKIPPED_EXTENSIONS
        }
        self.key = repr((self.extensions, sorted(self.configs.items(), key=lambda item: item[0])))
        self.footnotes = any(
            isinstance(e, str) and e.rsplit(".", 1)[-1] == "footnotes" for e in self.extensions
        )
        self.abbreviations = any(
            isinstance(e, str) and e.rsplit(".", 1)[-1] == "abbr" for e in self.extensions
        )
        self.plain_words: bool | None = None
        """Known once asked (`_plain_words`)."""
        self._instance: Any = None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MarkdownSetup) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)

    def markdown(self) -> Any:
        if self._instance is None:
            self._instance = markdown.Markdown(extensions=self.extensions, extension_configs=self.configs)
        return self._instance


_MKDOCS_BUILTINS = ("toc", "tables", "fenced_code")
"""The extensions MkDocs always enables (`markdown_extensions`' built-ins)."""
DEFAULT_MARKDOWN = MarkdownSetup(
    dict.fromkeys((*_MKDOCS_BUILTINS, *sanitize.MARKDOWN_EXTENSIONS)),
    {"tables": dict(sanitize.TABLES_CONFIG)},
)
"""What the `policy` plugin gives the pages when mkdocs.yml adds no extension."""


def _code() -> list[ModuleType]:
    """The modules whose source decides a redline's HTML: every module of the
    `generator.core.diff` package, the section parser, the change classification
    (it decides each section's status), the anchors, the sanitizer and this one."""
    names = sorted(info.name for info in pkgutil.iter_modules(diff.__path__, f"{diff.__name__}."))
    return [
        diff,
        *(importlib.import_module(name) for name in names),
        sections,
        changes,
        urls,
        sanitize,
        sys.modules[__name__],
    ]


def _salt(setup: MarkdownSetup) -> str:
    settings = hashlib.sha256(f"{setup.key} markdown {markdown.__version__}".encode()).hexdigest()[:16]
    return code_salt(*_code()) + settings


# --------------------------------------------------------------------------- Markdown to HTML

_REFERENCE = re.compile(
    r"^[ ]{0,3}\[(?!\^)[^\]\n]+\]:(?:[ \t]*\S.*|[ \t]*\n[ \t]+\S.*)(?:\n[ \t]+\S.*)*$", re.MULTILINE
)
"""A reference-link definition, with the indented lines that go on with it (its address
or its title on the next line)."""
_ABBREVIATION = re.compile(r"^[ ]{0,3}\*\[[^\]\n]+\]:.*(?:\n[ \t]+\S.*)*$", re.MULTILINE)
_FOOTNOTE_DEFINITION = re.compile(r"^[ ]{0,3}\[\^([^\]\n]+)\]:")
_FOOTNOTE_REFERENCE = re.compile(r"\[\^([^\]\n]+)\](?!:)")


def _without_fenced_code(text: str) -> str:
    if "```" not in text and "~~~" not in text:
        return text
    return "\n".join(line if outside else "" for line, outside in outside_fences(text.split("\n")))


@functools.lru_cache(maxsize=256)
def _definitions(text: str) -> tuple[str, dict[str, str], str]:
    """A document's reference-link definitions (as one block), its footnote definitions
    by label (each with its indented continuation lines) and its abbreviation
    definitions (as one block). Lines in fenced code define nothing (as on the page)."""
    text = _without_fenced_code(text)
    references = "\n".join(match.group(0) for match in _REFERENCE.finditer(text))
    abbreviations = "\n".join(match.group(0) for match in _ABBREVIATION.finditer(text))
    footnotes: dict[str, str] = {}
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        match = _FOOTNOTE_DEFINITION.match(lines[index])
        if not match:
            index += 1
            continue
        block = [lines[index]]
        index += 1
        while index < len(lines) and (
            lines[index].startswith(("    ", "\t"))
            or (
                not lines[index].strip()
                and index + 1 < len(lines)
                and lines[index + 1].startswith(("    ", "\t"))
            )
        ):
            block.append(lines[index])
            index += 1
        footnotes.setdefault(match.group(1), "\n".join(block))
    return references, footnotes, abbreviations


@functools.lru_cache(maxsize=8192)
def _markdown_html(body: str, appended: str, setup: MarkdownSetup) -> str:
    """Markdown's HTML as the version page shows it (rendered, then sanitised)."""
    rendered = setup.markdown().reset().convert(body + appended)
    return sanitize.clean_html(rendered)


_CHUNKED_EXTENSIONS = frozenset({"toc", "tables", "fenced_code", "attr_list", "admonition", "footnotes"})
"""Extensions whose blocks end at a blank line before an unindented line (none of them
reads definitions from elsewhere in the text, as `abbr` does)."""
_FENCE = re.compile(r"^[ ]{0,3}(`{3,}|~{3,})")
_CONTINUES = re.compile(r"^(?:[ \t]|>|\[)")
"""A line that may continue the block before it across a blank line: indented content,
a quote (Markdown merges adjacent quotes), a definition."""
_LIST_ITEM = re.compile(r"^(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)")
"""An item continues a list before it across a blank line."""
_RAW = re.compile(r"^[ ]{0,3}<|\[\^", re.MULTILINE)


def _plain_words(setup: MarkdownSetup) -> bool:
    """Whether the extensions leave words without markup as they are (no typography)."""
    if setup.plain_words is None:
        setup.plain_words = all(
            isinstance(e, str) and e.rsplit(".", 1)[-1] in _CHUNKED_EXTENSIONS for e in setup.extensions
        )
    return setup.plain_words


def _chunks(body: str, setup: MarkdownSetup) -> list[str]:
    """A section body cut where Markdown starts a new top-level block for sure (a blank
    line, then an unindented line that continues nothing), so that a revision renders only
    the blocks it changed. Bodies with raw HTML or footnotes stay whole."""
    if _RAW.search(body) or not _plain_words(setup):
        return [body]
    chunks: list[str] = []
    current: list[str] = []
    fence: str | None = None
    blank = False
    in_list = False
    for line in body.split("\n"):
        if fence is not None:
            current.append(line)
            if line.strip().startswith(fence):
                fence = None
            continue
        if not line.strip():
            blank = True
            current.append(line)
            continue
        if blank or not current:
            item = bool(_LIST_ITEM.match(line))
            if current and not _CONTINUES.match(line) and not (item and in_list):
                chunks.append("\n".join(current))
                current = []
            if not line[0].isspace():
                in_list = item
        blank = False
        match = _FENCE.match(line)
        if match:
            fence = match.group(1)
        current.append(line)
    if current:
        chunks.append("\n".join(current))
    return chunks


def _appended(text: str, own: str, setup: MarkdownSetup) -> str:
    """What `own` (a section's body or title) is rendered with from its document `text`:
    the definitions of the footnotes it refers to but does not define, every reference
    link definition and, with `abbr`, every abbreviation: as the version page, which
    renders the whole document at once, resolves them."""
    references, footnotes, abbreviations = _definitions(text)
    appended = ""
    if setup.footnotes and footnotes:
        defined = {m.group(1) for line in own.splitlines() if (m := _FOOTNOTE_DEFINITION.match(line))}
        wanted = dict.fromkeys(_FOOTNOTE_REFERENCE.findall(own))
        extra = [footnotes[label] for label in wanted if label not in defined and label in footnotes]
        if extra:
            appended += "\n\n" + "\n\n".join(extra)
    if references and "[" in own:  # text without a bracket uses no reference
        appended += "\n\n" + references
    if setup.abbreviations and abbreviations:
        appended += "\n\n" + abbreviations
    return appended


def _bodies(text: str, setup: MarkdownSetup) -> BodyHtml:
    """The HTML of each section body of the document `text`."""

    def body_html(section: Section) -> str:
        return _render_body(section.body, _appended(text, section.body, setup), setup)

    return body_html


def _headings(text: str, setup: MarkdownSetup) -> HeadingHtml:
    """The inline HTML of each section title of the document `text` (without numbering),
    as the version page renders the heading: its emphasis, code and links, sanitised."""

    def heading_html(section: Section) -> str:
        return _render_heading(section.title, _appended(text, section.title, setup), setup)

    return heading_html


_HEADING_HTML = re.compile(r"<h1[^>]*>(.*?)</h1>", re.DOTALL)


_MARKUP = re.compile(r"[\\`*_\[\]<>&!{}~]")
"""Characters without which a title is plain text to the extensions that do not touch
plain words (`_CHUNKED_EXTENSIONS`)."""


@functools.lru_cache(maxsize=4096)
def _render_heading(title: str, appended: str, setup: MarkdownSetup) -> str:
    if not appended and not _MARKUP.search(title) and _plain_words(setup):
        return html.escape(title, quote=False)
    # Rendered as the heading it is (a title starting "1." or "-" stays a title).
    rendered = setup.markdown().reset().convert("# " + title + appended + "\n")
    match = _HEADING_HTML.search(rendered)
    inner = match.group(1) if match else html.escape(title)
    return " ".join(sanitize.clean_html(inner).split("\n")).strip()


@functools.lru_cache(maxsize=4096)
def _render_body(body: str, appended: str, setup: MarkdownSetup) -> str:
    if appended:
        return _markdown_html(body, appended + "\n", setup)
    return "\n".join(_markdown_html(chunk, "\n", setup) for chunk in _chunks(body, setup))


# --------------------------------------------------------------------------- redlines


def redline_markdown(
    old_text: str,
    new_text: str,
    words: RedlineWords = ENGLISH_REDLINE,
    *,
    setup: MarkdownSetup = DEFAULT_MARKDOWN,
) -> Redline:
    """The redline between two policy texts (Markdown without front matter), in `words`,
    their bodies rendered with `setup`. Not kept anywhere: for tests and benchmarks."""
    return redline(
        parse_sections(old_text),
        parse_sections(new_text),
        _bodies(old_text, setup),
        _bodies(new_text, setup),
        words,
        old_heading=_headings(old_text, setup),
        new_heading=_headings(new_text, setup),
    )


def forget() -> None:
    """Empty every memo of rendered bodies and titles and of parsed HTML (a `Redlines`
    keeps its own memo, and the disk cache stays): what a fresh process starts with. For
    benchmarks and tests."""
    for memo in (_markdown_html, _render_body, _render_heading, _definitions, parse_fragment, *diff_memos()):
        memo.cache_clear()


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@functools.lru_cache(maxsize=16)
def _words_key(words: RedlineWords) -> str:
    """The words, as part of a cache key: a language's redlines are not another's."""
    return _digest(repr(words))


class Redlines:
    """The redlines of one build: rendered with `setup` (the site's Markdown extensions),
    memoised in memory and, with a `cache_folder`, on disk under `cache_folder/redlines/`
    (as JSON). Other caches of pages built from redlines live beside them (`folder`)."""

    def __init__(self, setup: MarkdownSetup = DEFAULT_MARKDOWN, cache_folder: Path | None = None) -> None:
        self.setup = setup
        self.folder = cache_folder
        """The cache folder (None: in memory only)."""
        self._memo: dict[tuple[str, str, str], Redline] = {}
        self._salt: str | None = None
        self._disk = ContentCache(cache_folder, "redlines", self.salt) if cache_folder is not None else None

    @property
    def salt(self) -> str:
        """The code that makes a redline and the Markdown settings, as part of a cache key."""
        if self._salt is None:
            self._salt = _salt(self.setup)
        return self._salt

    def of(self, old: Version, new: Version, words: RedlineWords = ENGLISH_REDLINE) -> Redline:
        """The redline from `old` to `new`, in `words` (the page's language): its sections
        (`SectionRedline`: status, rendered heading, HTML) and its change summary."""
        key = (_digest(old.text), _digest(new.text), _words_key(words))
        cached = self._memo.get(key)
        if cached is not None:
            return cached
        disk = self._disk
        if disk is None:
            cached = _render(old, new, words, self.setup)
        else:
            disk_key = disk.key(*key)
            stored = disk.get(disk_key)
            cached = _loads(stored) if stored is not None else None
            if cached is None:
                cached = _render(old, new, words, self.setup)
                disk.put(disk_key, _dumps(cached))
        self._memo[key] = cached
        return cached

    def html(self, old: Version, new: Version, words: RedlineWords = ENGLISH_REDLINE) -> str:
        """The redline's HTML from `old` to `new`, in `words` (the page's language)."""
        return self.of(old, new, words).html

    def key(self, old: Version, new: Version, words: RedlineWords = ENGLISH_REDLINE) -> str:
        """What names a redline in the caches: its texts, its words and the code that makes it."""
        return "\0".join((self.salt, _digest(old.text), _digest(new.text), _words_key(words)))


def _render(old: Version, new: Version, words: RedlineWords, setup: MarkdownSetup) -> Redline:
    return redline(
        old.sections,
        new.sections,
        _bodies(old.text, setup),
        _bodies(new.text, setup),
        words,
        old_heading=_headings(old.text, setup),
        new_heading=_headings(new.text, setup),
    )


def _dumps(value: Redline) -> str:
    return json.dumps(
        {
            "sections": [dataclasses.asdict(s) for s in value.sections],
            "summary": [dataclasses.asdict(c) for c in value.summary.sections],
        },
        ensure_ascii=False,
    )


def _loads(text: str) -> Redline | None:
    """A stored redline; None for an entry this code cannot read (a miss, not an error)."""
    try:
        data = json.loads(text)
        return Redline(
            tuple(SectionRedline(**s) for s in data["sections"]),
            ChangeSummary(tuple(SectionChange(**c) for c in data["summary"])),
        )
    except (ValueError, TypeError, KeyError):
        return None
