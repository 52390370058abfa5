"""The site as a Markdown tree: one `index.md` per permanent URL, for MkDocs to render.

Pure rendering from `SiteModel`; `write_tree` puts the pages on disk, touching only
files whose content changed (so that `mkdocs serve` does not rebuild in a loop and an
unchanged page keeps its mtime).

Each page is its YAML front matter (written here) followed by a Jinja2 template of
`site_templates/pages/`. The functions below decide what a page says (which callout for
which status, the links, relative to the page, which keeps the site relocatable) and
pass it to the template as a small context of plain values; the templates hold the
markup. Structured bits (headers, tables, notices) are raw HTML blocks inside the
Markdown, so their escaping does not depend on Markdown's table or emphasis rules:
the templates are rendered with autoescape on, so every value from a policy file
(titles, versions, summaries, section titles) is HTML-escaped, and only what is markup
already is passed in as `Markup`: the policy text (Markdown, which MkDocs renders with
`attr_list` for `{#id .core-rights}`) and the redline HTML (the plugin sanitises the
rendered page: `generator.site.sanitize`). A value's line breaks become spaces, so that
no value can end a raw HTML block; a title on a Markdown `# heading` line is escaped for
Markdown too (`markdown_text`).

Titles reach Material's own templates as well: the page's front matter `title` and the
navigation labels. Jinja in MkDocs themes does not autoescape, and Material prints a
title as HTML (in `<title>`, the header, the sidebar, the footer), so both are written
here HTML-escaped (`html_text`): the theme shows the characters the policy file has.
The front matter is YAML, written here with PyYAML's safe dumper (libyaml's when PyYAML
has it: a two-language site of 200 versions has 800 pages).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import html
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import jinja2
import markupsafe
import yaml
from markupsafe import Markup

from generator.core import urls
from generator.core.dates import human_date
from generator.core.diff import SectionRedline
from generator.core.history import Version
from generator.core.notices import Notice
from generator.core.sections import with_section_ids
from generator.core.window import unknown_schedules
from generator.site.cache import ContentCache, code_salt
from generator.site.catalogues import Catalogues
from generator.site.languages import language_name
from generator.site.model import DocumentView, Entry, Redline, SiteModel
from generator.site.record import HEAD_PLACEHOLDER
from generator.site.redlines import Redlines
from generator.site.sanitize import clean_text
from generator.site.words import Words, words

PAGE_TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "site_templates" / "pages"
"""The page templates, beside the packages once installed (like the plugin's `TEMPLATES_DIR`,
whose `pages/` folder the plugin keeps off the built site)."""

KINDS = ("added", "removed", "changed", "moved")
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _status_label(t: Words, status: str) -> str:
    """A status as visitors read it: "In force", "Pending: takes effect later", ..."""
    key = "status_" + status.replace("-", "_")
    return t[key] if key in t else status


@dataclass(frozen=True)
class Page:
    url: str
    title: str
    body: str
    """The Markdown after the front matter."""
    in_nav: bool = True
    front: dict[str, Any] = field(default_factory=dict)
    """The front matter (see `_front_matter`)."""
    raw: dict[str, str] = field(default_factory=dict)
    """HTML put into the rendered page in place of its placeholder (`raw_placeholder`), after
    Markdown has run: a redline's sections, which Markdown would only parse to pass through
    (most of a long history's build time)."""

    @property
    def src(self) -> str:
        return urls.source_path(self.url)

    @property
    def markdown(self) -> str:
        return (
            "---\n"
            + yaml.dump(self.front, Dumper=_DUMPER, allow_unicode=True, sort_keys=False)
            + "---\n\n"
            + self.body
        )


# ---------------------------------------------------------------- helpers


def one_line(value: str) -> str:
    """`value` with every run of white space (line breaks included) made one space."""
    return " ".join(value.split())


def html_text(value: str) -> str:
    """Text for a template that prints it as HTML (Material's titles and labels)."""
    return html.escape(one_line(value), quote=True)


# Python-Markdown's backslash escapes (`<`, `>` and `&` are HTML-escaped instead).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!])")


def markdown_text(value: str) -> Markup:
    """Text on a Markdown line (a `# heading`): HTML-escaped, and Markdown's own syntax
    (emphasis, links, `{#id}` attribute lists, a closing `#`) backslash-escaped, so that
    the heading reads what the policy file says."""
    return Markup(html.escape(_MARKDOWN_SPECIAL.sub(r"\\\1", one_line(str(value))), quote=True))


def _finalize(value: Any) -> Any:
    """Every `{{ value }}` of the page templates: text on one line (a blank line would end
    the raw HTML block it sits in); markup (the policy text, the redline, macros) as is."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return one_line(value)
    return value


@functools.cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        # The pages' own templates, then the theme's partials that pages share with it.
        loader=jinja2.FileSystemLoader([str(PAGE_TEMPLATES_DIR), str(PAGE_TEMPLATES_DIR.parent)]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        finalize=_finalize,
    )
    environment.filters["markdown_text"] = markdown_text
    return environment


def _render(model: SiteModel, template: str, **context: Any) -> str:
    return _environment().get_template(template).render(t=_words(model), **context)


def _words(model: SiteModel) -> Words:
    return model.words


def _front_matter(
    model: SiteModel, title: str, *, search: bool = True, policy: dict[str, Any] | None = None
) -> dict[str, Any]:
    # HTML-escaped: Material prints `page.title` as HTML (see the module's docstring).
    data: dict[str, Any] = {"title": html_text(title)}
    if not search:
        data["search"] = {"exclude": True}
    if policy:
        data["policy"] = policy
        if model.language is not None:
            # The theme's words, <html lang> and the search index of a translation's pages.
            policy["language"] = model.language
    return data


def _date(model: SiteModel, moment: dt.datetime) -> str:
    return human_date(moment, model.settings.zone, language=model.language_code)


def _has_h1(markdown: str) -> bool:
    return any(line.startswith("# ") for line in markdown.splitlines())


def _title(doc: DocumentView, text: str) -> str | None:
    """The page's `# title`, unless the policy text has its own."""
    return None if _has_h1(text) else doc.title


def _text(version_text: str) -> Markup:
    """The policy text: Markdown that MkDocs renders, passed to the templates as is."""
    return Markup(with_section_ids(version_text.strip()))


def _status_word(model: SiteModel, entry: Entry) -> str:
    """The status label without its explanation: "Pending", "Draft", ..."""
    label = _status_label(_words(model), entry.status)
    return label.split("：")[0].split(":")[0].strip()


def _provisional(model: SiteModel, version: Version) -> str | None:
    """Why the version's effective date is provisional, in the page's language ("the 2027
    holiday schedule is not known yet"), None when its window was counted with known
    schedules only."""
    window = version.window
    if window is None or not window.unscheduled_years:
        return None
    return unknown_schedules(window.unscheduled_years, _words(model).schedules)


def _header(model: SiteModel, entry: Entry, page_url: str, doc: DocumentView) -> dict[str, Any]:
    v = entry.version
    return {
        "document": doc.id,
        "version": v.version,
        "draft": entry.draft,
        "status": _status_label(_words(model), entry.status),
        "published": _date(model, v.published),
        "effective": _date(model, v.effective),
        # Replaced before it took effect: the date is when it was to take effect.
        "never_in_force": entry.never_in_force,
        # Only while the date lies ahead: once a version is in force the date is history.
        "provisional": _provisional(model, v) if entry.status in ("pending", "scheduled", "draft") else None,
        "until": (
            _date(model, entry.until) if entry.until is not None and entry.status != "pending" else None
        ),
        "archive_href": urls.relative(page_url, doc.archive_url),
        "changes_href": urls.relative(page_url, entry.changes_url) if entry.changes_url else None,
        "previous": entry.previous.version if entry.previous else None,
        # On paper: the version's permanent address (absolute with `site_url`; else
        # site-relative, and policy.js writes the address the page was read at).
        "permalink_href": urls.relative(page_url, entry.url),
        "permalink": urls.absolute(entry.url, model.settings.site_url),
        "pdf_href": (
            urls.relative_file(page_url, urls.version_pdf(doc.id, v.version, language=model.language))
            if model.settings.pdf and not entry.draft
            else None
        ),
    }


def _notice(model: SiteModel, notice: Notice, page_url: str) -> dict[str, Any]:
    v = notice.version
    return {
        "version": v.version,
        "published": _date(model, v.published),
        "effective": _date(model, v.effective),
        "provisional": _provisional(model, v),
        "summary": v.summary,
        "href": urls.relative(page_url, notice.url),
        "changes_href": urls.relative(page_url, notice.changes_url) if notice.changes_url else None,
        "core_rights": notice.changes.core_rights_changed,
        "core_sections": [c.title for c in notice.changes.core_rights_sections],
        "objection_href": _objection_href(model, notice, page_url),
    }


def _objection_href(model: SiteModel, notice: Notice, page_url: str) -> str:
    """The one way to object to `notice`, linked from the page at `page_url`: the answer
    page, else the policy's rights section (as `generator.site.feeds.objection_url`)."""
    if model.settings.answer_url:
        return model.settings.answer_url
    url, _, anchor = notice.rights_url.partition("#")
    return urls.with_anchor(urls.relative(page_url, url), anchor or None)


# ---------------------------------------------------------------- pages


def home_page(model: SiteModel) -> Page:
    url = model.url(urls.HOME)
    title = model.settings.site_name_in(model.language_code) or _words(model)["site_name"]
    cards = []
    for doc in model.documents:
        current = doc.current
        cards.append(
            {
                "href": urls.relative(url, doc.url),
                "title": doc.title,
                "current": None
                if current is None
                else {
                    "version": current.version.version,
                    "in_force": current.status == "in-force",
                    "effective": _date(model, current.version.effective),
                    "draft": current.draft,
                },
                "notices": [_notice(model, notice, url) for notice in doc.notices],
                "archive_href": urls.relative(url, doc.archive_url),
            }
        )
    links = {
        "updates": urls.relative(url, model.url(urls.UPDATES)),
        "feed": urls.relative_file(url, model.url(urls.FEED_XML)),
    }
    body = _render(model, "home.md.j2", title=title, drafts=model.drafts, cards=cards, links=links)
    return Page(url, title, body, front=_front_matter(model, title, policy={"page": "home"}))


def document_page(model: SiteModel, doc: DocumentView) -> Page:
    url = doc.url
    entry = doc.current
    assert entry is not None
    front = _front_matter(
        model, doc.title, policy={"page": "document", "document": doc.id, "version": entry.version.version}
    )
    raw: dict[str, str] = {}
    text = _text(entry.version.text)
    untranslated = None
    if doc.untranslated(entry):
        # The version that applies has no text in this language: its source text, marked
        # as such (and in its own language, for screen readers and search).
        untranslated = _untranslated_note(model, entry.version)
        text = _in_its_language(raw, text, entry.version.language)
    body = _render(
        model,
        "document.md.j2",
        title=_title(doc, entry.version.text),
        header=_header(model, entry, url, doc),
        notices=[_notice(model, notice, url) for notice in doc.notices],
        untranslated=untranslated,
        text=text,
    )
    return Page(url, doc.title, body, front=front, raw=raw)


def _untranslated_note(model: SiteModel, version: Version) -> str:
    """Why the page shows another language's text: "Version 1.1 has no Chinese text. The
    English text below is the one that applies." (in the page's language)."""
    t, page_language = _words(model), model.language_code
    return t.text(
        "untranslated_text",
        version=version.version,
        language=language_name(page_language, page_language),
        source=language_name(version.language, page_language),
    )


def _untranslated_mark(model: SiteModel, doc: DocumentView, entry: Entry) -> str | None:
    """The mark beside a version that this language reads in the source language: "(English)"."""
    if not doc.untranslated(entry):
        return None
    return _words(model).text(
        "untranslated_mark", source=language_name(entry.version.language, model.language_code)
    )


def _in_its_language(raw: dict[str, str], text: Markup, language: str) -> Markup:
    """`text` (Markdown) inside an element that says its language, put in after Markdown
    has run (the placeholders of `_defer`), so that the text stays Markdown."""
    opening = _defer(raw, Markup('<div class="policy-untranslated-text" lang="{}">').format(language))
    closing = _defer(raw, Markup("</div>"))
    return Markup(f"{opening}\n\n{text}\n\n{closing}")


def version_page(model: SiteModel, doc: DocumentView, entry: Entry) -> Page:
    url = entry.url
    v = entry.version
    # The version in the heading and the tab's title, not only in the facts below them.
    title = _words(model).text("version_title", title=v.title, version=v.version)
    front = _front_matter(
        model,
        title,
        search=False,
        policy={"page": "version", "document": doc.id, "version": v.version, "status": entry.status},
    )
    in_force = doc.in_force
    current = (
        None
        if in_force is None
        else {
            "href": urls.relative(url, doc.url),
            "version": in_force.version.version,
            "effective": _date(model, in_force.version.effective),
        }
    )
    callout: str | None = None
    changes_href: str | None = None
    pending: dict[str, Any] | None = None
    replaced_by = (
        None
        if entry.replaced_by is None or entry.replaced_by_url is None
        else {"href": urls.relative(url, entry.replaced_by_url), "version": entry.replaced_by.version}
    )
    if entry.status == "superseded":
        callout = "superseded"
    elif entry.never_in_force:
        callout = "never"
    elif entry.status == "pending":
        callout = "pending"
        notice = next((n for n in doc.notices if n.version == v), None)
        if notice and notice.changes_url:
            changes_href = urls.relative(url, notice.changes_url)
        pending = _notice(model, notice, url) if notice else None
    elif entry.draft:
        callout = "draft"
    body = _render(
        model,
        "version.md.j2",
        compare=_compare_links(url, entry),
        title=None if _has_h1(v.text) else title,
        header=_header(model, entry, url, doc),
        callout=callout,
        published=_date(model, v.published),
        effective=_date(model, v.effective),
        provisional=_provisional(model, v),
        until=_date(model, entry.until) if entry.until else None,
        current=current,
        replaced_by=replaced_by,
        changes_href=changes_href,
        notice=pending,
        text=_text(v.text),
    )
    return Page(url, title, body, in_nav=False, front=front)


def _compare_links(page_url: str, entry: Entry) -> dict[str, Any]:
    """The redlines from `entry`'s version to the version in force ("What changed since
    this version") and, during a publicity window, to each pending revision."""
    return {
        "since_href": urls.relative(page_url, entry.since_url) if entry.since_url else None,
        "pending": [
            {"version": version.version, "href": urls.relative(page_url, url)}
            for version, url in entry.pending_urls
        ],
    }


def archive_page(model: SiteModel, doc: DocumentView) -> Page:
    url = doc.archive_url
    title = _words(model).text("all_versions_title", title=doc.title)
    rows = []
    for entry in reversed(doc.entries):
        v = entry.version
        rows.append(
            {
                "href": urls.relative(url, entry.url),
                "version": v.version,
                "untranslated": _untranslated_mark(model, doc, entry),
                "lang": v.language if doc.untranslated(entry) else None,
                "draft": entry.draft,
                "status": _status_word(model, entry),
                "published": _date(model, v.published),
                "effective": _date(model, v.effective),
                "until": _date(model, entry.until) if entry.until else None,
                "summary": v.summary or "",
                "changes_href": urls.relative(url, entry.changes_url) if entry.changes_url else None,
                "previous": entry.previous.version if entry.previous else None,
                "core_rights": entry.changes.core_rights_changed,
                "since_href": urls.relative(url, entry.since_url) if entry.since_url else None,
            }
        )
    body = _render(
        model,
        "archive.md.j2",
        title=title,
        document_href=urls.relative(url, doc.url),
        document_title=doc.title,
        rows=rows,
    )
    return Page(
        url, title, body, front=_front_matter(model, title, policy={"page": "archive", "document": doc.id})
    )


def _kinds_of(section: SectionRedline) -> tuple[str, ...]:
    """What a visitor is told happened to a section: its status, and for a moved section
    whether its words changed too; "renamed" beside it when its title changed."""
    kinds: tuple[str, ...] = (section.status,)
    if section.status == "moved" and section.text_changed:
        kinds += ("changed",)
    if section.renamed_from_html is not None:
        kinds += ("renamed",)
    return kinds


_LINK_TAG = re.compile(r"</?a\b[^>]*>", re.IGNORECASE)


def _name_html(section: SectionRedline) -> Markup:
    """A section's rendered heading as a link's label (a link inside a link is none)."""
    return Markup(_LINK_TAG.sub("", section.heading_html or html.escape(section.heading)))


def _section_kinds(
    t: Words, sections: Sequence[SectionRedline]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The changed sections in the order of the redline (name, kinds, core-rights, link to
    their block), and how many there are of each kind ("Changed (3)"), empty kinds left out."""
    changed = [s for s in sections if s.status != "unchanged"]
    changes: list[dict[str, Any]] = []
    for section in changed:
        changes.append(
            {
                "id": section.id,
                "status": section.status,
                "href": "#" + section.anchor,
                "name": _name_html(section),
                "kinds": [{"kind": kind, "label": t["kind_" + kind]} for kind in _kinds_of(section)],
                "renamed_from": None
                if section.renamed_from_html is None
                else Markup(_LINK_TAG.sub("", section.renamed_from_html)),
                "core_rights": section.core_rights,
            }
        )
    counts = []
    for kind in (*KINDS, "renamed"):
        count = sum(kind in _kinds_of(section) for section in changed)
        if count:
            counts.append({"kind": kind, "label": t["kind_" + kind], "count": count})
    return changes, counts


def _changes_listing(t: Words, changes: list[dict[str, Any]], counts: list[dict[str, Any]]) -> Markup:
    """The list of changed sections and their counts, as HTML (written here rather than in
    the template: a far-apart comparison lists every section, on hundreds of pages)."""
    esc = markupsafe.escape
    badge = Markup('<span class="policy-badge policy-badge--core" title="{}">{}</span>').format(
        Markup(t["core_badge_title"]), Markup(t["core_badge"])
    )
    parts = ['<div class="policy-changes"><p class="policy-changes__counts">']
    for index, count in enumerate(counts):
        if index:
            parts.append(t["separator"])
        parts.append(
            f'<span class="policy-kind policy-kind--{esc(count["kind"])}">{esc(one_line(count["label"]))} '
            f"({count['count']})</span>"
        )
    parts.append('</p><ol class="policy-changes__list">')
    for change in changes:
        parts.append(
            f'<li data-section="{esc(one_line(change["id"]))}" data-status="{esc(change["status"])}">'
            f'<a href="{esc(change["href"])}">{change["name"]}</a>'
        )
        for kind in change["kinds"]:
            parts.append(
                f' <span class="policy-kind policy-kind--{esc(kind["kind"])}">{esc(one_line(kind["label"]))}</span>'
            )
        if change["renamed_from"]:
            renamed = t.say("renamed_from", heading=change["renamed_from"])
            parts.append(f' <span class="policy-changes__renamed">{renamed}</span>')
        if change["core_rights"]:
            parts.append(f" {badge}")
        parts.append("</li>")
    parts.append("</ol></div>")
    return Markup("".join(parts))


def _redline_markdown(t: Words, blocks: list[dict[str, Any]]) -> Markup:
    """The redline's blocks as the page's Markdown (see `_redline_blocks`): each fold a raw
    HTML block; each change a table-of-contents heading, then its raw HTML block with the
    links to the previous and the next change."""
    esc = markupsafe.escape
    parts = []
    for block in blocks:
        if block["fold"]:
            parts.append(
                '\n<div class="policy-redline"><details class="redline-fold"><summary>'
                f'<span class="redline-fold__label">{esc(one_line(block["label"]))}</span></summary>\n'
                f"{block['html']}\n</details></div>\n"
            )
            continue
        navigation = ""
        if block["navigation"]:
            navigation = f'\n<p class="redline-nav"><span class="redline-nav__position">{esc(one_line(block["position"]))}</span>'
            if block["previous"]:
                navigation += f' <a class="redline-nav__previous" href="{esc(block["previous"])}">{t.previous_change}</a>'
            if block["next"]:
                navigation += f' <a class="redline-nav__next" href="{esc(block["next"])}">{t.next_change}</a>'
            navigation += "</p>"
        parts.append(
            f"\n### {markdown_text(block['name'])} {{: #{esc(block['toc_id'])} .redline-toc }}\n\n"
            f'<div class="policy-redline">\n{block["html"]}{navigation}\n</div>\n'
        )
    return Markup("".join(parts))


def _toc_id(section: SectionRedline, taken: set[str]) -> str:
    """The id of a changed section's entry in the page's table of contents (see
    `_redline_blocks`): letters, digits and hyphens only, as a Markdown attribute list
    needs (an underscore there would start emphasis); unique on the page."""
    base = "toc-" + re.sub(r"[\W_]+", "-", section.anchor)
    candidate, suffix = base, 1
    while candidate in taken:
        suffix += 1
        candidate = f"{base}-{suffix}"
    taken.add(candidate)
    return candidate


def _opened(section_html: str) -> str:
    """An unchanged section's collapsed block, open: inside a fold, opening the fold shows
    the text (each section can still be closed on its own)."""
    closed = '<details class="redline-section redline-unchanged'
    return (
        "<details open " + section_html[len("<details ") :]
        if section_html.startswith(closed)
        else section_html
    )


@functools.lru_cache(maxsize=8192)
def _toc_name(heading_html: str) -> str:
    """A rendered heading as the table of contents' text (a section's heading is the same
    on every redline page that shows it: made once)."""
    return html.unescape(clean_text(heading_html))


def _redline_blocks(t: Words, sections: Sequence[SectionRedline]) -> list[dict[str, Any]]:
    """The redline in the order of its sections: each run of unchanged sections folded into
    one bar ("12 unchanged sections", expandable), each changed section with its place
    among the changes and links to the previous and the next one.

    A changed section's heading is raw HTML (the section's block), which Material's table
    of contents does not see: each changed section is therefore preceded by a Markdown
    heading of its name that the page does not show (redline.css), whose only use is its
    entry in the table of contents (and Material's highlighting of where the reader is)."""
    changed = [s for s in sections if s.status != "unchanged"]
    blocks: list[dict[str, Any]] = []
    run: list[SectionRedline] = []
    taken: set[str] = set()

    def fold() -> None:
        if run:
            blocks.append(
                {
                    "fold": True,
                    "label": t.plural_text("unchanged_sections", len(run), count=len(run)),
                    "html": Markup("\n".join(_opened(s.html) for s in run)),
                }
            )
            run.clear()

    number = 0
    for section in sections:
        if section.status == "unchanged":
            run.append(section)
            continue
        fold()
        blocks.append(
            {
                "fold": False,
                # The table of contents shows text: the rendered heading's.
                "name": _toc_name(_name_html(section)),
                "toc_id": _toc_id(section, taken),
                "html": Markup(section.html),
                "position": t.text("change_position", number=number + 1, count=len(changed)),
                "previous": "#" + changed[number - 1].anchor if number else None,
                "next": "#" + changed[number + 1].anchor if number + 1 < len(changed) else None,
                "navigation": len(changed) > 1,
            }
        )
        number += 1
    fold()
    return blocks


def raw_placeholder(html_text: str) -> str:
    """The HTML comment that stands for `html_text` in a page's Markdown (named by its hash:
    the same page stages the same Markdown, and nothing from a policy file can name it,
    since the policy's own HTML reaches a page sanitised, without comments)."""
    return f"<!--policy-raw:{hashlib.sha256(html_text.encode('utf-8')).hexdigest()[:24]}-->"


def _deferred(blocks: list[dict[str, Any]], raw: dict[str, str]) -> list[dict[str, Any]]:
    """The redline blocks with their HTML replaced by placeholders, collected in `raw`."""
    for block in blocks:
        block["html"] = _defer(raw, block["html"])
    return blocks


def _defer(raw: dict[str, str], html_text: str) -> Markup:
    """The placeholder of `html_text` in the page's Markdown; the HTML goes into `raw`."""
    placeholder = raw_placeholder(str(html_text))
    raw[placeholder] = str(html_text)
    return Markup(placeholder)


def _revisions_between(
    model: SiteModel, doc: DocumentView, url: str, old: Version, new: Version
) -> list[dict[str, Any]]:
    """When a redline spans several revisions (a comparison with the version in force or
    a pending one), each revision after `old` up to `new` with its summary, oldest first;
    empty for neighbours (the page shows the new version's summary alone)."""
    names = [e.version.version for e in doc.entries]
    if old.version not in names or new.version not in names:
        return []
    spanned = [e.version for e in doc.entries[names.index(old.version) + 1 : names.index(new.version) + 1]]
    if len(spanned) < 2:
        return []
    t = _words(model)
    # Every version page sits in the archive's folder: one relative path for all of them.
    archive = urls.relative(url, doc.archive_url)
    return [
        {
            "version": v.version,
            "href": f"{archive}{urls.version_slug(v.version)}/",
            "summary": v.summary or t["feed_revised"],
        }
        for v in spanned
    ]


@functools.lru_cache(maxsize=8192)
def _between_item(
    language: str, source: str, catalogues: Catalogues | None, href: str, version: str, summary: str
) -> str:
    """One revision in the list of `_between_html`: the same on every comparison page of a
    language that spans it (all sit at one depth), so made once."""
    t = words(language, source, catalogues)
    esc = markupsafe.escape
    return (
        f'<li><a href="{esc(href)}">{esc(t.text("version_link", version=version))}</a>'
        f"{t.list_colon}{esc(one_line(summary))}</li>"
    )


def _between_html(t: Words, between: list[dict[str, Any]]) -> Markup | None:
    """What each revision a comparison spans changed, as HTML (a comparison of the first
    version with the version in force spans every revision)."""
    if not between:
        return None
    items = "".join(
        _between_item(t.language, t.source, t.catalogues, item["href"], item["version"], item["summary"])
        for item in between
    )
    return Markup(
        f'<div class="policy-summary policy-summaries"><p><strong>{t.summaries_between}</strong></p><ul>{items}</ul></div>'
    )


def changes_page(model: SiteModel, doc: DocumentView, redline: Redline, redlines: Redlines) -> Page:
    """A redline page: its redline from `redlines` (the build's), its Markdown staged from
    the disk cache beside them when the page would say the same (`_staged`)."""
    url = redline.url
    old, new = redline.old, redline.new
    t = _words(model)
    title = t.text("changes_title", title=doc.title, old=old.version, new=new.version)
    new_entry = doc.entry(new)
    old_entry = doc.entry(old)
    front = _front_matter(
        model,
        title,
        search=False,
        policy={"page": "changes", "document": doc.id, "old": old.version, "new": new.version},
    )
    facts: dict[str, Any] = {
        "title": title,
        "old": {
            "href": urls.relative(url, old_entry.url if old_entry else doc.url),
            "version": old.version,
            "effective": _date(model, old.effective),
            "never_in_force": old_entry is not None and old_entry.never_in_force,
        },
        "new": {
            "href": urls.relative(url, new_entry.url if new_entry else doc.url),
            "version": new.version,
            "published": _date(model, new.published),
            "effective": _date(model, new.effective),
            "status": _status_label(t, new_entry.status) if new_entry else "",
            "never_in_force": new_entry is not None and new_entry.never_in_force,
            "summary": new.summary,
        },
        "between": _revisions_between(model, doc, url, old, new),
        "core_sections": [c.title for c in redline.changes.core_rights_sections],
    }

    def render() -> tuple[str, dict[str, str]]:
        sections = redlines.of(old, new, t.redline).sections
        changed, counts = _section_kinds(t, sections)
        raw: dict[str, str] = {}
        body = _render(
            model,
            "changes.md.j2",
            **{key: value for key, value in facts.items() if key != "between"},
            between=_between_html(t, facts["between"]),
            changes=bool(changed),
            listing=_changes_listing(t, changed, counts),
            blocks=_redline_markdown(t, _deferred(_redline_blocks(t, sections), raw)),
            defer=functools.partial(_defer, raw),
        )
        return body, raw

    key = json.dumps(
        [url, model.language_code, t.digest, redlines.key(old, new, t.redline), facts], ensure_ascii=False
    )
    body, raw = _staged(redlines.folder, key, render)
    return Page(url, title, body, in_nav=False, front=front, raw=raw)


def _pages_salt() -> str:
    """The code and templates that stage a redline page, for `_staged`'s keys."""
    digest = hashlib.sha256(code_salt(sys.modules[__name__], sys.modules[Words.__module__]).encode())
    for name in ("changes.md.j2", "_macros.j2"):
        digest.update((PAGE_TEMPLATES_DIR / name).read_bytes())
    return digest.hexdigest()[:16]


def _staged(
    folder: Path | None, key: str, render: Callable[[], tuple[str, dict[str, str]]]
) -> tuple[str, dict[str, str]]:
    """A redline page's Markdown and deferred HTML, from the disk cache in `folder` (the
    redlines' cache folder; None: no disk cache) when the page would say the same (`key`:
    its redline and every fact it states), else rendered and kept there. A rebuild with
    nothing new stages its hundreds of redline pages without rendering them again."""
    if folder is None:
        return render()
    cache = ContentCache(folder, "redline-pages", _pages_salt())
    name = cache.key(key)
    stored = cache.get(name)
    if stored is not None:
        try:
            data = json.loads(stored)
            return str(data["body"]), {str(k): str(v) for k, v in data["raw"].items()}
        except (ValueError, KeyError, TypeError, AttributeError):
            pass  # an unreadable entry is a miss
    body, raw = render()
    cache.put(name, json.dumps({"body": body, "raw": raw}, ensure_ascii=False))
    return body, raw


def updates_page(model: SiteModel) -> Page:
    url = model.url(urls.UPDATES)
    title = _words(model)["updates"]
    items = []
    for doc, entry in model.updates:
        v = entry.version
        items.append(
            {
                "status": entry.status,
                "anchor": urls.update_anchor(doc.id, v.version),
                "title": doc.title,
                "version": v.version,
                "core_rights": entry.changes.core_rights_changed,
                "published": _date(model, v.published),
                "effective": _date(model, v.effective),
                "status_label": _status_word(model, entry).lower(),
                "replaced_by": entry.replaced_by.version if entry.replaced_by else None,
                "summary": v.summary,
                "untranslated": _untranslated_mark(model, doc, entry),
                "lang": v.language if doc.untranslated(entry) else None,
                "href": urls.relative(url, entry.url),
                "changes_href": urls.relative(url, entry.changes_url) if entry.changes_url else None,
            }
        )
    body = _render(
        model,
        "updates.md.j2",
        feed_href=urls.relative_file(url, model.url(urls.FEED_XML)),
        notices_href=urls.relative_file(url, model.url(urls.NOTICES_JSON)),
        versions_href=urls.relative_file(url, model.url(urls.VERSIONS_JSON)),
        log_href=urls.relative_file(url, urls.PUBLICATION_LOG),
        # The chain head is known once the pages are rendered: the build writes it here.
        log_head=HEAD_PLACEHOLDER,
        items=items,
    )
    return Page(url, title, body, front=_front_matter(model, title, policy={"page": "updates"}))


def render_pages(model: SiteModel, redlines: Redlines | None = None) -> list[Page]:
    """Every page of one language's site; its redlines from `redlines` (the build's;
    default: in memory only, with the plugin's default Markdown extensions)."""
    redlines = redlines if redlines is not None else Redlines()
    pages = [home_page(model)]
    for doc in model.documents:
        pages.append(document_page(model, doc))
        pages.append(archive_page(model, doc))
        # A version this language has no text of is the source language's page.
        pages.extend(version_page(model, doc, entry) for entry in doc.entries if not doc.untranslated(entry))
        pages.extend(changes_page(model, doc, redline, redlines) for redline in doc.redlines)
    pages.append(updates_page(model))
    return pages


def navigation(model: SiteModel) -> list[Any]:
    """The sidebar: home, each document (current text, then its archive), updates.

    One level: a section named after the document would list the document under its own
    name ("Privacy Policy > Privacy Policy")."""
    t = _words(model)
    nav: list[Any] = [{t["home"]: urls.source_path(model.url(urls.HOME))}]
    for doc in model.documents:
        # HTML-escaped: Material prints the labels as HTML.
        title = html_text(doc.title)
        # Named in full: Material's footer shows these labels out of context ("Next: …").
        nav.append({title: urls.source_path(doc.url)})
        nav.append({t.text("all_versions_title", title=title): urls.source_path(doc.archive_url)})
    nav.append({t["updates"]: urls.source_path(model.url(urls.UPDATES))})
    return nav


def render_site(models: Sequence[SiteModel], redlines: Redlines | None = None) -> list[Page]:
    """The pages of every language's site (the source language's first), the redlines from
    `redlines` (the build's; default: in memory only, as `render_pages`). With more than
    one language, each page's front matter names the same page in every language
    (`policy.alternates`: language -> URL, for the language switcher and the hreflang
    links: `generator.site.languages.alternates`); where a language
    lacks that page (a version from before its translation existed), its alternate is the
    document's page in that language, else that language's home page."""
    redlines = redlines if redlines is not None else Redlines()
    rendered = [render_pages(model, redlines) for model in models]
    if len(models) < 2:
        return rendered[0] if rendered else []
    available = [{page.url for page in pages} for pages in rendered]
    result = []
    for model, pages in zip(models, rendered, strict=True):
        for page in pages:
            neutral = page.url.removeprefix(model.url(urls.HOME))
            alternates = {}
            for other, urls_of_other in zip(models, available, strict=True):
                target = other.url(neutral)
                if target not in urls_of_other:
                    document = other.url(neutral.split("/", 1)[0] + "/") if "/" in neutral else None
                    target = document if document in urls_of_other else other.url(urls.HOME)
                alternates[other.language_code] = target
            front = dict(page.front)
            front["policy"] = {**front.get("policy", {}), "alternates": alternates}
            result.append(replace(page, front=front))
    return result


# ---------------------------------------------------------------- on disk


def write_tree(pages: Iterable[Page], root: Path) -> int:
    """Write the pages under `root`, only where the content changed; remove stale files.
    Returns the number of files written."""
    root.mkdir(parents=True, exist_ok=True)
    wanted: set[Path] = set()
    written = 0
    for page in pages:
        target = root / page.src
        wanted.add(target)
        data = page.markdown.encode("utf-8")
        try:
            if target.read_bytes() == data:
                continue
        except FileNotFoundError:
            target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)
        written += 1
    for path in sorted(root.rglob("*"), reverse=True):
        if path.is_file() and path not in wanted:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return written
