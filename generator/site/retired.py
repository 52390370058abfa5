"""Redline addresses that notices linked and the site no longer renders.

A comparison of an earlier version with the version in force (or with a pending
revision) is rendered only while that version is in force or pending
(`generator.core.notices.compared_with`). A notice of a core-rights revision links a
user governed by an older version to such a page (`/<doc>/changes/<old>-to-<new>/`):
once a later version takes effect, the page is gone from the build, but the address is
in people's mailboxes and must keep working. Each such address gets a small static page
that says so and links on: the comparison from the same version to the version in
force, and the text of the version the notice announced. Written after the engine ran,
so it is in no navigation, search index or sitemap.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from html import escape
from pathlib import Path

from generator.core import tags, urls
from generator.core.timeline import NEVER_IN_FORCE, SUPERSEDED, changes_between
from generator.site.model import DocumentView, SiteModel


def retired_comparisons(doc: DocumentView) -> Iterator[tuple[str, str, str]]:
    """(URL, old version, announced version) of each comparison a notice may have linked
    and the site no longer renders: every earlier version (that took effect) against a
    core-rights revision that is no longer in force or pending."""
    state = doc.state
    rendered = {r.url for r in doc.redlines}
    published = state.published
    for index, target in enumerate(published):
        if index == 0 or state.status(target) not in (SUPERSEDED, NEVER_IN_FORCE):
            continue
        if not changes_between(published[index - 1], target).core_rights_changed:
            continue
        for old in published[:index]:
            # A version this language has no text of: the comparison is the source
            # language's, whose site keeps its address.
            if state.status(old) == NEVER_IN_FORCE or doc.document.untranslated(old):
                continue
            url = urls.changes(doc.id, old.version, target.version, language=doc.language)
            if url not in rendered:
                yield url, old.version, target.version


def _page(model: SiteModel, doc: DocumentView, old: str, new: str, since: str | None) -> str:
    """The page at `/<doc>/changes/<old>-to-<new>/`. Its links are relative and all such
    pages sit at the same depth: `../<old>-to-<current>/`, `../../versions/<new>/`."""
    t = model.words
    title = escape(t.text("changes_title", title=doc.title, old=old, new=new))
    links = []
    if since is not None:
        text = t.text("retired_since", old=old, current=since)
        links.append(
            f'<li><a href="../{urls.version_slug(old)}-to-{urls.version_slug(since)}/">{escape(text)}</a></li>'
        )
    text = t.text("retired_version", new=new)
    links.append(f'<li><a href="../../versions/{urls.version_slug(new)}/">{escape(text)}</a></li>')
    links.append(f'<li><a href="../../versions/">{escape(t["all_versions"])}</a></li>')
    return (
        f'<!doctype html>\n<html lang="{escape(model.language_code)}" dir="{tags.direction(model.language_code)}">\n'
        '<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex">\n'
        f"<title>{title}</title>\n</head>\n<body>\n<main>\n<h1>{title}</h1>\n"
        f"<p>{escape(t.text('retired_text', new=new))}</p>\n<ul>\n" + "\n".join(links) + "\n</ul>\n</main>\n"
        "</body>\n</html>\n"
    )


def write_retired(site: Path, models: Sequence[SiteModel]) -> int:
    """Write each retired comparison's page (the build rendered none of them: see
    `retired_comparisons`). Returns how many."""
    count = 0
    for model in models:
        if model.drafts:
            continue
        for doc in model.documents:
            current = doc.in_force.version.version if doc.in_force is not None else None
            rendered = {r.url for r in doc.redlines}
            for url, old, new in retired_comparisons(doc):
                since = None
                if current is not None and current != old:
                    if urls.changes(doc.id, old, current, language=model.language) in rendered:
                        since = current
                folder = site / url
                folder.mkdir(parents=True, exist_ok=True)
                (folder / "index.html").write_bytes(_page(model, doc, old, new, since).encode("utf-8"))
                count += 1
    return count
