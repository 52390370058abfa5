"""After the engine: the built projects put together into one site, and everything of
ours that needs the built HTML or only the site's data.

- `assemble`: the source language's site at the root, each translation's under
  `/<language>/`;
- `seal`: in every page, each piece of content between the build's content marks
  (`generator.site.project.ContentMarks`, written by `generator.site.mdx`) sanitised
  again and the marks removed; a page whose marks do not pair up fails the build;
- `finish_site`: the `.policy-site` marker, the PDFs (`pdf: true`), the data files
  (versions.json, notices.json, feed.xml per language), `notice.js`, and the pages of
  comparisons no longer rendered (`generator.site.retired`). The public record is the
  build's last stage (`generator.site.record.publish_record`).
"""

from __future__ import annotations

import html
import json
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from generator.core import urls
from generator.site.feeds import data_files
from generator.site.model import SiteModel
from generator.site.pdf import print_versions, require_chromium
from generator.site.project import ContentMarks, Project
from generator.site.retired import write_retired
from generator.site.sanitize import clean_html
from generator.site.templates import MARKER_TEXT, SITE_MARKER


class UnsealedPage(Exception):
    """A built page whose content marks do not pair up: the engine (or a template) put
    content where it cannot be checked."""


def assemble(projects: Sequence[Project], out: Path) -> None:
    """Move each project's built site into `out` (which must not exist yet)."""
    source, *translations = projects
    os.rename(source.site_dir, out)
    for project in translations:
        target = out / project.prefix.rstrip("/")
        if target.exists():
            shutil.rmtree(target)
        os.rename(project.site_dir, target)


def seal(out: Path, marks: ContentMarks) -> int:
    """Check and sanitise the marked content of every page under `out`; returns the
    number of pages that held content."""
    sealed = 0
    for path in sorted(out.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        if marks.begin not in text and marks.end not in text:
            continue
        path.write_text(sealed_page(text, marks, path.relative_to(out).as_posix()), encoding="utf-8")
        sealed += 1
    return sealed


def sealed_page(text: str, marks: ContentMarks, name: str) -> str:
    """`text` with each marked piece of content sanitised and the marks removed."""
    parts: list[str] = []
    rest = text
    while True:
        start = rest.find(marks.begin)
        stop = rest.find(marks.end)
        if start < 0 and stop < 0:
            parts.append(rest)
            return "".join(parts)
        if start < 0 or stop < start or rest.find(marks.begin, start + 1, stop) >= 0:
            raise UnsealedPage(f"{name}: its content marks do not pair up")
        parts.append(rest[:start])
        parts.append(clean_html(rest[start + len(marks.begin) : stop]))
        rest = rest[stop + len(marks.end) :]


def finish_site(
    out: Path,
    models: Sequence[SiteModel],
    *,
    notice_script: Path | None,
    previous_site: Path | None,
) -> list[str]:
    """What the site needs besides the engine's pages (see the module's docstring).
    Returns warnings (a PDF printed without something its page asked for)."""
    (out / SITE_MARKER).write_text(MARKER_TEXT, encoding="utf-8")
    pdfs, warnings = _pdfs(out, models, previous_site)
    several = len(models) > 1
    languages = {m.language_code: m.url(urls.NOTICES_JSON) for m in models} if several else {}
    for model in models:
        for name, content in data_files(model, pdfs=pdfs, languages=languages).items():
            target = out / model.url(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content, encoding="utf-8")
        _plain_search_paths(out / model.url(ZENSICAL_SEARCH_INDEX))
    if notice_script is not None and notice_script.is_file():
        shutil.copyfile(notice_script, out / urls.NOTICE_JS)
    # Comparisons that notices linked and this build no longer renders keep an address.
    write_retired(out, models)
    return warnings


ZENSICAL_SEARCH_INDEX = "search.json"


def _plain_search_paths(index_file: Path) -> None:
    """Zensical's search index (a language's `search.json`) gives each entry's place in
    the navigation ("path") escaped for an attribute (`&#x27;`, `&quot;`), and its dialog
    shows those entities as written beside a title escaped as text (`&lt;`, `&gt;`,
    `&amp;` only): the path is escaped the same way as the title, so that a title with
    quotes reads as the policy file has it. MkDocs writes no such file."""
    if not index_file.is_file():
        return
    index = json.loads(index_file.read_text(encoding="utf-8"))
    for item in index.get("items", ()):
        item["path"] = [html.escape(html.unescape(part), quote=False) for part in item.get("path", ())]
    index_file.write_text(json.dumps(index, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


def _pdfs(
    out: Path, models: Sequence[SiteModel], previous_site: Path | None
) -> tuple[dict[str, str], list[str]]:
    """With `pdf: true`, each version's PDF beside its page (kept from the previous site
    when unchanged): the sha256 of each by its URL, and the printer's warnings."""
    if not models or not models[0].settings.pdf:
        return {}, []
    chromium = require_chromium(None)
    pdfs: dict[str, str] = {}
    warnings: list[str] = []
    for model in models:
        printed, warned = print_versions(out, model, chromium, previous_site)
        pdfs.update(printed)
        warnings += warned
    return pdfs, warnings
