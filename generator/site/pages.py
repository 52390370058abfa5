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
The front matter is YAML, written here with `yaml.safe_dump`.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import yaml
from markupsafe import Markup

from generator.core import urls
from generator.core.changes import ChangeSummary
from generator.core.dates import human_date
from generator.core.history import Version
from generator.core.notices import Notice
from generator.core.sections import with_section_ids
from generator.site.model import DocumentView, Entry, Redline, SiteModel
from generator.site.redlines import redline_html

PAGE_TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "site_templates" / "pages"
"""The page templates, beside the packages once installed (like the plugin's `TEMPLATES_DIR`,
whose `pages/` folder the plugin keeps off the built site)."""

STATUS_LABELS = {
    "in-force": "In force",
    "pending": "Pending: takes effect later",
    "superseded": "Superseded",
    "scheduled": "Draft: scheduled, not yet published",
    "draft": "Draft: uncommitted",
}
KIND_LABELS = (("added", "Added"), ("removed", "Removed"), ("changed", "Changed"), ("moved", "Moved"))


@dataclass(frozen=True)
class Page:
    url: str
    title: str
    markdown: str
    in_nav: bool = True

    @property
    def src(self) -> str:
        return urls.source_path(self.url)


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


def _render(template: str, **context: Any) -> str:
    return _environment().get_template(template).render(**context)


def _front_matter(title: str, *, search: bool = True, policy: dict[str, Any] | None = None) -> str:
    # HTML-escaped: Material prints `page.title` as HTML (see the module's docstring).
    data: dict[str, Any] = {"title": html_text(title)}
    if not search:
        data["search"] = {"exclude": True}
    if policy:
        data["policy"] = policy
    return "---\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=False) + "---\n\n"


def _date(model: SiteModel, moment: dt.datetime) -> str:
    return human_date(moment, model.settings.zone)


def _has_h1(markdown: str) -> bool:
    return any(line.startswith("# ") for line in markdown.splitlines())


def _title(doc: DocumentView, text: str) -> str | None:
    """The page's `# title`, unless the policy text has its own."""
    return None if _has_h1(text) else doc.title


def _text(version_text: str) -> Markup:
    """The policy text: Markdown that MkDocs renders, passed to the templates as is."""
    return Markup(with_section_ids(version_text.strip()))


def _status_word(entry: Entry) -> str:
    """The status label without its explanation: "Pending", "Draft", ..."""
    return STATUS_LABELS.get(entry.status, entry.status).split(":")[0]


def _provisional(version: Version) -> str | None:
    """Why the version's effective date is provisional ("the 2027 holiday schedule is not
    known yet"), None when its window was counted with known schedules only."""
    return version.window.provisional_reason if version.window is not None else None


def _header(model: SiteModel, entry: Entry, page_url: str, doc: DocumentView) -> dict[str, Any]:
    v = entry.version
    return {
        "document": doc.id,
        "version": v.version,
        "draft": entry.draft,
        "status": STATUS_LABELS.get(entry.status, entry.status),
        "published": _date(model, v.published),
        "effective": _date(model, v.effective),
        # Only while the date lies ahead: once a version is in force the date is history.
        "provisional": _provisional(v) if entry.status in ("pending", "scheduled", "draft") else None,
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
            urls.relative_file(page_url, urls.version_pdf(doc.id, v.version))
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
        "provisional": _provisional(v),
        "summary": v.summary,
        "href": urls.relative(page_url, notice.url),
        "changes_href": urls.relative(page_url, notice.changes_url) if notice.changes_url else None,
        "core_rights": notice.changes.core_rights_changed,
        "core_sections": [c.title for c in notice.changes.core_rights_sections],
        "answer_url": model.settings.answer_url,
    }


# ---------------------------------------------------------------- pages


def home_page(model: SiteModel) -> Page:
    url = urls.HOME
    title = model.settings.site_name or "Policies"
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
        "updates": urls.relative(url, urls.UPDATES),
        "feed": urls.relative_file(url, urls.FEED_XML),
    }
    markdown = _front_matter(title, policy={"page": "home"}) + _render(
        "home.md.j2", title=title, drafts=model.drafts, cards=cards, links=links
    )
    return Page(url, title, markdown)


def document_page(model: SiteModel, doc: DocumentView) -> Page:
    url = doc.url
    entry = doc.current
    assert entry is not None
    front = _front_matter(
        doc.title, policy={"page": "document", "document": doc.id, "version": entry.version.version}
    )
    markdown = front + _render(
        "document.md.j2",
        title=_title(doc, entry.version.text),
        header=_header(model, entry, url, doc),
        notices=[_notice(model, notice, url) for notice in doc.notices],
        text=_text(entry.version.text),
    )
    return Page(url, doc.title, markdown)


def version_page(model: SiteModel, doc: DocumentView, entry: Entry) -> Page:
    url = entry.url
    v = entry.version
    # The version in the heading and the tab's title, not only in the facts below them.
    title = f"{v.title}, version {v.version}"
    front = _front_matter(
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
    if entry.status == "superseded":
        callout = "superseded"
    elif entry.status == "pending":
        callout = "pending"
        notice = next((n for n in doc.notices if n.version == v), None)
        if notice and notice.changes_url:
            changes_href = urls.relative(url, notice.changes_url)
    elif entry.draft:
        callout = "draft"
    markdown = front + _render(
        "version.md.j2",
        title=None if _has_h1(v.text) else title,
        header=_header(model, entry, url, doc),
        callout=callout,
        published=_date(model, v.published),
        effective=_date(model, v.effective),
        provisional=_provisional(v),
        until=_date(model, entry.until) if entry.until else None,
        current=current,
        changes_href=changes_href,
        text=_text(v.text),
    )
    return Page(url, title, markdown, in_nav=False)


def archive_page(model: SiteModel, doc: DocumentView) -> Page:
    url = doc.archive_url
    title = f"{doc.title}: all versions"
    rows = []
    for entry in reversed(doc.entries):
        v = entry.version
        rows.append(
            {
                "href": urls.relative(url, entry.url),
                "version": v.version,
                "draft": entry.draft,
                "status": _status_word(entry),
                "published": _date(model, v.published),
                "effective": _date(model, v.effective),
                "until": _date(model, entry.until) if entry.until else None,
                "summary": v.summary or "",
                "changes_href": urls.relative(url, entry.changes_url) if entry.changes_url else None,
                "previous": entry.previous.version if entry.previous else None,
                "core_rights": entry.changes.core_rights_changed,
            }
        )
    markdown = _front_matter(title, policy={"page": "archive", "document": doc.id}) + _render(
        "archive.md.j2",
        title=title,
        document_href=urls.relative(url, doc.url),
        document_title=doc.title,
        rows=rows,
    )
    return Page(url, title, markdown)


def _section_kinds(changes: ChangeSummary) -> list[dict[str, Any]]:
    """The changed sections by kind (added, removed, ...), empty kinds left out."""
    kinds = []
    for kind, label in KIND_LABELS:
        sections = [
            {
                "id": c.id,
                "href": "#" + urls.change_anchor(c.id),
                "title": c.title,
                "core_rights": c.core_rights,
            }
            for c in changes.sections
            if c.kind == kind
        ]
        if sections:
            kinds.append({"kind": kind, "label": label, "sections": sections})
    return kinds


def changes_page(model: SiteModel, doc: DocumentView, redline: Redline) -> Page:
    url = redline.url
    old, new = redline.old, redline.new
    title = f"{doc.title}: changes from version {old.version} to {new.version}"
    new_entry = doc.entry(new)
    old_entry = doc.entry(old)
    front = _front_matter(
        title,
        search=False,
        policy={"page": "changes", "document": doc.id, "old": old.version, "new": new.version},
    )
    changes = redline.changes
    markdown = front + _render(
        "changes.md.j2",
        title=title,
        old={
            "href": urls.relative(url, old_entry.url if old_entry else doc.url),
            "version": old.version,
            "effective": _date(model, old.effective),
        },
        new={
            "href": urls.relative(url, new_entry.url if new_entry else doc.url),
            "version": new.version,
            "published": _date(model, new.published),
            "effective": _date(model, new.effective),
            "status": STATUS_LABELS.get(new_entry.status, "") if new_entry else "",
            "summary": new.summary,
        },
        core_sections=[c.title for c in changes.core_rights_sections],
        kinds=[] if changes.is_empty else _section_kinds(changes),
        redline=Markup(redline_html(old, new).strip()),
    )
    return Page(url, title, markdown, in_nav=False)


def updates_page(model: SiteModel) -> Page:
    url = urls.UPDATES
    title = "Updates"
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
                "status_label": _status_word(entry).lower(),
                "summary": v.summary,
                "href": urls.relative(url, entry.url),
                "changes_href": urls.relative(url, entry.changes_url) if entry.changes_url else None,
            }
        )
    markdown = _front_matter(title, policy={"page": "updates"}) + _render(
        "updates.md.j2",
        feed_href=urls.relative_file(url, urls.FEED_XML),
        notices_href=urls.relative_file(url, urls.NOTICES_JSON),
        versions_href=urls.relative_file(url, urls.VERSIONS_JSON),
        items=items,
    )
    return Page(url, title, markdown)


def render_pages(model: SiteModel) -> list[Page]:
    pages = [home_page(model)]
    for doc in model.documents:
        pages.append(document_page(model, doc))
        pages.append(archive_page(model, doc))
        pages.extend(version_page(model, doc, entry) for entry in doc.entries)
        pages.extend(changes_page(model, doc, redline) for redline in doc.redlines)
    pages.append(updates_page(model))
    return pages


def navigation(model: SiteModel) -> list[Any]:
    """The sidebar: home, each document (current text, then its archive), updates.

    One level: a section named after the document would list the document under its own
    name ("Privacy Policy > Privacy Policy")."""
    nav: list[Any] = [{"Home": urls.source_path(urls.HOME)}]
    for doc in model.documents:
        # HTML-escaped: Material prints the labels as HTML.
        title = html_text(doc.title)
        # Named in full: Material's footer shows these labels out of context ("Next: …").
        nav.append({title: urls.source_path(doc.url)})
        nav.append({f"{title}: all versions": urls.source_path(doc.archive_url)})
    nav.append({"Updates": urls.source_path(urls.UPDATES)})
    return nav


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
