"""The site as a Markdown tree: one `index.md` per permanent URL, for MkDocs to render.

Pure rendering from `SiteModel`; `write_tree` puts the pages on disk, touching only
files whose content changed (so that `mkdocs serve` does not rebuild in a loop and an
unchanged page keeps its mtime).

Structured bits (headers, tables, notices) are written as raw HTML blocks inside the
Markdown, so their escaping does not depend on Markdown's table or emphasis rules; the
links in them are relative to the page, which keeps the site relocatable. The policy
text itself is Markdown, rendered with `attr_list` (for `{#id .core-rights}`).
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from generator.core.changes import ChangeSummary
from generator.core.dates import human_date
from generator.site.redlines import redline_html
from generator.core import urls
from generator.core.notices import Notice
from generator.core.sections import with_section_ids
from generator.site.model import DocumentView, Entry, Redline, SiteModel

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


def rel(from_url: str, to_url: str) -> str:
    return urls.relative(from_url, to_url)


def e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _front_matter(title: str, *, search: bool = True, policy: dict[str, Any] | None = None) -> str:
    data: dict[str, Any] = {"title": title}
    if not search:
        data["search"] = {"exclude": True}
    if policy:
        data["policy"] = policy
    return "---\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=False) + "---\n\n"


def _core_badge() -> str:
    return '<span class="policy-badge policy-badge--core" title="changes a core-rights section">core rights</span>'


def _draft_badge() -> str:
    return '<span class="policy-badge policy-badge--draft">draft</span>'


def _date(model: SiteModel, moment) -> str:  # noqa: ANN001
    return e(human_date(moment, model.settings.zone))


def _has_h1(markdown: str) -> bool:
    return any(line.startswith("# ") for line in markdown.splitlines())


def _header(model: SiteModel, entry: Entry, page_url: str, doc: DocumentView) -> str:
    v = entry.version
    rows = [
        ("Version", e(v.version) + (" " + _draft_badge() if entry.draft else "")),
        ("Status", e(STATUS_LABELS.get(entry.status, entry.status))),
        ("Published", _date(model, v.published)),
        ("Effective", _date(model, v.effective)),
    ]
    if entry.until is not None and entry.status != "pending":
        rows.append(("In force until", _date(model, entry.until)))
    links = [f'<a href="{rel(page_url, doc.archive_url)}">All versions</a>']
    if entry.changes_url:
        links.append(
            f'<a href="{rel(page_url, entry.changes_url)}">What changed from version {e(entry.previous.version)}</a>'
        )
    items = "".join(f'<div><dt>{k}</dt><dd>{val}</dd></div>' for k, val in rows)
    return (
        f'<div class="policy-header" data-policy-document="{e(doc.id)}" data-policy-version="{e(v.version)}">'
        f'<dl class="policy-header__facts">{items}</dl>'
        f'<p class="policy-header__links">{" · ".join(links)}</p></div>\n\n'
    )


def _admonition(kind: str, title: str, body: str, extra_class: str = "") -> str:
    classes = f"admonition {kind} {extra_class}".strip()
    return f'<div class="{classes}"><p class="admonition-title">{title}</p>{body}</div>\n\n'


def _pending_callout(model: SiteModel, notice: Notice, page_url: str) -> str:
    v = notice.version
    links = [f'<a href="{rel(page_url, notice.url)}">Read version {e(v.version)}</a>']
    if notice.changes_url:
        links.append(f'<a href="{rel(page_url, notice.changes_url)}">See what changes</a>')
    body = (
        f"<p>A revised version ({e(v.version)}) takes effect on <strong>{_date(model, v.effective)}</strong>. "
        f"Until then the version below applies. {' · '.join(links)}</p>"
    )
    if v.summary:
        body += f'<p class="policy-summary">{e(v.summary)}</p>'
    if notice.changes.core_rights_changed:
        titles = ", ".join(e(c.title) for c in notice.changes.core_rights_sections)
        body += f"<p>{_core_badge()} It changes sections on your core rights: {titles}.</p>"
    return _admonition("warning", "A revised version takes effect on " + _date(model, v.effective), body, "policy-callout")


def _title_block(doc: DocumentView, text: str) -> str:
    return "" if _has_h1(text) else f"# {doc.title}\n\n"


def _text(version_text: str) -> str:
    return with_section_ids(version_text.strip()) + "\n"


# ---------------------------------------------------------------- pages


def home_page(model: SiteModel) -> Page:
    url = urls.HOME
    title = model.settings.site_name or "Policies"
    parts = [_front_matter(title, policy={"page": "home"}), f"# {e(title)}\n\n"]
    if model.drafts:
        parts.append(_admonition("danger", "Draft preview", "<p>This preview includes scheduled and uncommitted versions. It is not the public site.</p>", "policy-draft-note"))
    cards = []
    for doc in model.documents:
        current = doc.current
        lines = [f'<h2><a href="{rel(url, doc.url)}">{e(doc.title)}</a></h2>']
        if current is not None and current.status == "in-force":
            lines.append(
                f"<p>Version {e(current.version.version)}, in force since {_date(model, current.version.effective)}.</p>"
            )
        elif current is not None:
            lines.append(f"<p>Version {e(current.version.version)} {_draft_badge() if current.draft else ''}</p>")
        for notice in doc.notices:
            v = notice.version
            links = [f'<a href="{rel(url, notice.url)}">the new text</a>']
            if notice.changes_url:
                links.append(f'<a href="{rel(url, notice.changes_url)}">what changes</a>')
            core = f" {_core_badge()}" if notice.changes.core_rights_changed else ""
            lines.append(
                f'<p class="policy-pending"><strong>Revision {e(v.version)} takes effect on {_date(model, v.effective)}.</strong>{core} '
                f"Read {' and '.join(links)}.</p>"
            )
            if v.summary:
                lines.append(f'<p class="policy-summary">{e(v.summary)}</p>')
        lines.append(f'<p><a href="{rel(url, doc.archive_url)}">All versions of the {e(doc.title)}</a></p>')
        cards.append('<section class="policy-card">' + "".join(lines) + "</section>")
    parts.append('<div class="policy-home">' + "".join(cards) + "</div>\n\n")
    parts.append(
        f'<p class="policy-home__more"><a href="{rel(url, urls.UPDATES)}">All updates</a> · '
        f'<a href="feed.xml">Atom feed</a> · <a href="notices.json">notices.json</a> · '
        f'<a href="versions.json">versions.json</a></p>\n'
    )
    return Page(url, title, "".join(parts))


def document_page(model: SiteModel, doc: DocumentView) -> Page:
    url = doc.url
    entry = doc.current
    assert entry is not None
    parts = [
        _front_matter(doc.title, policy={"page": "document", "document": doc.id, "version": entry.version.version}),
        _title_block(doc, entry.version.text),
        _header(model, entry, url, doc),
    ]
    for notice in doc.notices:
        parts.append(_pending_callout(model, notice, url))
    parts.append(_text(entry.version.text))
    return Page(url, doc.title, "".join(parts))


def version_page(model: SiteModel, doc: DocumentView, entry: Entry) -> Page:
    url = entry.url
    v = entry.version
    title = f"{doc.title}, version {v.version}"
    parts = [
        _front_matter(
            title,
            search=False,
            policy={"page": "version", "document": doc.id, "version": v.version, "status": entry.status},
        ),
        _title_block(doc, v.text),
        _header(model, entry, url, doc),
    ]
    current = doc.in_force
    if entry.status == "superseded":
        body = f"<p>It applied from {_date(model, v.effective)}"
        if entry.until:
            body += f" until {_date(model, entry.until)}"
        body += "."
        if current is not None:
            body += (
                f' The version in force is <a href="{rel(url, doc.url)}">version {e(current.version.version)}</a>'
                f" (since {_date(model, current.version.effective)}).</p>"
            )
        else:
            body += "</p>"
        parts.append(_admonition("note", "This version has been superseded", body, "policy-superseded"))
    elif entry.status == "pending":
        body = f"<p>Until then, "
        body += (
            f'<a href="{rel(url, doc.url)}">version {e(current.version.version)}</a> applies.'
            if current
            else "the earlier version applies."
        )
        notice = next((n for n in doc.notices if n.version == v), None)
        if notice and notice.changes_url:
            body += f' <a href="{rel(url, notice.changes_url)}">See what changes</a>.'
        body += "</p>"
        parts.append(_admonition("warning", f"This revised version takes effect on {_date(model, v.effective)}", body, "policy-callout"))
    elif entry.draft:
        body = (
            f"<p>Not public. Publication: {_date(model, v.published)}; effective: {_date(model, v.effective)}. "
            "Visitors do not see this page until it is published.</p>"
        )
        parts.append(_admonition("danger", "Draft", body, "policy-draft-note"))
    parts.append(_text(v.text))
    return Page(url, title, "".join(parts), in_nav=False)


def archive_page(model: SiteModel, doc: DocumentView) -> Page:
    url = doc.archive_url
    title = f"{doc.title}: all versions"
    rows = []
    for entry in reversed(doc.entries):
        v = entry.version
        changes = ""
        if entry.changes_url:
            changes = f'<a href="{rel(url, entry.changes_url)}">{e(entry.previous.version)} → {e(v.version)}</a>'
            if entry.changes.core_rights_changed:
                changes += " " + _core_badge()
        status = e(STATUS_LABELS.get(entry.status, entry.status).split(":")[0])
        rows.append(
            "<tr>"
            f'<td><a href="{rel(url, entry.url)}">{e(v.version)}</a>{" " + _draft_badge() if entry.draft else ""}</td>'
            f"<td>{status}</td>"
            f"<td>{_date(model, v.published)}</td>"
            f"<td>{_date(model, v.effective)}</td>"
            f"<td>{_date(model, entry.until) if entry.until else '—'}</td>"
            f"<td>{e(v.summary or '')}</td>"
            f"<td>{changes or '—'}</td>"
            "</tr>"
        )
    table = (
        '<table class="policy-archive"><thead><tr><th>Version</th><th>Status</th><th>Published</th>'
        "<th>Effective</th><th>In force until</th><th>Summary</th><th>Changes</th></tr></thead>"
        "<tbody>" + "".join(rows) + "</tbody></table>\n"
    )
    parts = [
        _front_matter(title, policy={"page": "archive", "document": doc.id}),
        f"# {e(title)}\n\n",
        f'<p>Every published version of the <a href="{rel(url, doc.url)}">{e(doc.title)}</a>, newest first. '
        "Each has a permanent address.</p>\n\n",
        table,
    ]
    return Page(url, title, "".join(parts))


def _section_lists(changes: ChangeSummary) -> str:
    if changes.is_empty:
        return "<p>No section changed in substance (wording of numbering or spacing only).</p>\n\n"
    blocks = []
    for kind, label in KIND_LABELS:
        items = [c for c in changes.sections if c.kind == kind]
        if not items:
            continue
        lis = "".join(
            f'<li data-section="{e(c.id)}"><a href="#change-{e(c.id)}">{e(c.title)}</a>'
            f'{" " + _core_badge() if c.core_rights else ""}</li>'
            for c in items
        )
        blocks.append(f'<div class="policy-changes__kind policy-changes__kind--{kind}"><h3>{label} ({len(items)})</h3><ul>{lis}</ul></div>')
    return '<div class="policy-changes">' + "".join(blocks) + "</div>\n\n"


def changes_page(model: SiteModel, doc: DocumentView, redline: Redline) -> Page:
    url = redline.url
    old, new = redline.old, redline.new
    title = f"{doc.title}: changes from version {old.version} to {new.version}"
    new_entry = doc.entry(new)
    old_entry = doc.entry(old)
    status = STATUS_LABELS.get(new_entry.status, "") if new_entry else ""
    parts = [
        _front_matter(
            title,
            search=False,
            policy={"page": "changes", "document": doc.id, "old": old.version, "new": new.version},
        ),
        f"# {e(title)}\n\n",
        '<div class="policy-header policy-header--changes"><dl class="policy-header__facts">'
        f'<div><dt>From</dt><dd><a href="{rel(url, old_entry.url if old_entry else doc.url)}">version {e(old.version)}</a>, effective {_date(model, old.effective)}</dd></div>'
        f'<div><dt>To</dt><dd><a href="{rel(url, new_entry.url if new_entry else doc.url)}">version {e(new.version)}</a>, published {_date(model, new.published)}, effective {_date(model, new.effective)}</dd></div>'
        f"<div><dt>Status of version {e(new.version)}</dt><dd>{e(status)}</dd></div>"
        "</dl></div>\n\n",
    ]
    if new.summary:
        parts.append(f'<p class="policy-summary"><strong>Summary:</strong> {e(new.summary)}</p>\n\n')
    if redline.changes.core_rights_changed:
        titles = ", ".join(e(c.title) for c in redline.changes.core_rights_sections)
        parts.append(
            _admonition(
                "danger",
                "This revision changes your core rights",
                f"<p>Core-rights sections affected: {titles}.</p>",
                "policy-core-rights",
            )
        )
    parts.append("## Sections\n\n")
    parts.append(_section_lists(redline.changes))
    parts.append("## Redline {#redline}\n\n")
    parts.append(
        '<p class="policy-legend">Inserted text is <ins>underlined</ins>; deleted text is '
        "<del>struck through</del>. Renumbering is not shown as a change.</p>\n\n"
    )
    parts.append(redline_html(old, new).strip() + "\n")
    return Page(url, title, "".join(parts), in_nav=False)


def updates_page(model: SiteModel) -> Page:
    url = urls.UPDATES
    title = "Updates"
    items = []
    for doc, entry in model.updates:
        v = entry.version
        facts = [f"Published {_date(model, v.published)}", f"effective {_date(model, v.effective)}",
                 e(STATUS_LABELS.get(entry.status, entry.status).split(":")[0].lower())]
        links = [f'<a href="{rel(url, entry.url)}">Full text</a>']
        if entry.changes_url:
            links.append(f'<a href="{rel(url, entry.changes_url)}">What changed</a>')
        badge = f" {_core_badge()}" if entry.changes.core_rights_changed else ""
        items.append(
            f'<article class="policy-update policy-update--{e(entry.status)}">'
            f'<h2 id="{e(urls.update_anchor(doc.id, v.version))}">{e(doc.title)}, version {e(v.version)}{badge}</h2>'
            f'<p class="policy-update__facts">{" · ".join(facts)}</p>'
            + (f'<p class="policy-summary">{e(v.summary)}</p>' if v.summary else "")
            + f'<p>{" · ".join(links)}</p></article>'
        )
    parts = [
        _front_matter(title, policy={"page": "updates"}),
        "# Updates\n\n",
        '<p>Every revision of every policy, newest first. Subscribe with the <a href="../feed.xml">Atom feed</a>.</p>\n\n',
        '<div class="policy-updates">' + "".join(items) + "</div>\n",
    ]
    return Page(url, title, "".join(parts))


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
    """The sidebar: home, each document (current text and archive), updates."""
    nav: list[Any] = [{"Home": urls.source_path(urls.HOME)}]
    for doc in model.documents:
        nav.append(
            # Named in full: Material's footer shows these labels out of context ("Next: …").
            {doc.title: [{doc.title: urls.source_path(doc.url)}, {f"{doc.title}: all versions": urls.source_path(doc.archive_url)}]}
        )
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
