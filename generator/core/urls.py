"""Every public URL and anchor of the site, defined once (docs/site.md, "Addresses (permanent)").

The pages, the data files, the feed, `notice.js`, the e-mails and the webhook payloads
all take their links from here, so that a link in a notice always lands on a page and
an anchor that the build wrote.

URLs are relative to the site root and end in "/" (MkDocs' directory URLs); `absolute`
joins them to the operator's `site_url` for links that leave the site (e-mails, feeds).
These addresses are permanent: once released, they never change.

Each page function takes `language`: None (the source language) gives today's URL; a
translation's language tag puts the page under it in lower case (`zh/privacy/`,
`zh-hant-tw/privacy/`: `generator.core.tags.url_segment`). The pages'
own language comes from `Version.translation_language` / `Document.translation_language`.
"""

from __future__ import annotations

import posixpath
import re
from urllib.parse import quote

from generator.core.tags import url_segment

HOME = ""
UPDATES = "updates/"
VERSIONS_JSON = "versions.json"
NOTICES_JSON = "notices.json"
FEED_XML = "feed.xml"
NOTICE_JS = "notice.js"
PUBLICATION_LOG = "publication-log.jsonl"
"""The public record: one JSON line per published version and per checkpoint, hash-chained."""

RESERVED_IDS = frozenset({"updates", "assets", "search", "versions", "changes"})
"""Document ids that would take the address of another page of the site."""

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_VERSION_NAME = re.compile(r"[A-Za-z0-9._-]+")
# Characters a document id (a file's stem, in any script) may not hold: they would end,
# query or escape its URL, or separate paths.
_ID_FORBIDDEN = re.compile(r"[\s#?%&+/\\<>\"'`{}|^\[\]\x00-\x1f\x7f]")
VERSION_NAME_RULE = "letters, digits, `.`, `-` and `_` (e.g. `2.0`, `2026-10`, `3.1-rc1`), not `.` or `..`"
# Characters left as they are in an absolute URL's path and fragment.
_SAFE = "/#:@!$&'()*+,;=-._~%"


def version_slug(version: str) -> str:
    """A version name as a URL segment: "1.0" stays "1.0", "2026 Q1/b" becomes "2026-Q1-b"."""
    return _UNSAFE.sub("-", version).strip("-") or "version"


def version_name_problem(name: str) -> str | None:
    """Why `name` cannot be a version (its URL and folder), or None."""
    if not _VERSION_NAME.fullmatch(name) or name in (".", "..") or ".." in name:
        return f"version {name!r} cannot be part of a URL: use {VERSION_NAME_RULE}"
    return None


def document_id_problem(doc_id: str) -> str | None:
    """Why `doc_id` (a policy file's stem) cannot be a document's URL, or None."""
    if doc_id in RESERVED_IDS:
        return f"document id {doc_id!r} would take the address of the site's /{doc_id}/ pages"
    if not doc_id or doc_id.startswith(".") or _ID_FORBIDDEN.search(doc_id):
        return f"document id {doc_id!r} cannot be a URL: use letters (any script), digits, `-`, `_` and `.`"
    return None


def in_language(url: str, language: str | None) -> str:
    """`url` in a translation's language: under its tag in lower case (`zh/<url>`,
    `zh-hant-tw/<url>`). None, the source language, keeps today's URL: the source
    language's pages never move."""
    return f"{url_segment(language)}/{url}" if language else url


def home(*, language: str | None = None) -> str:
    """The home page: `/`, or `/<lang>/` for a translation's language."""
    return in_language(HOME, language)


def updates(*, language: str | None = None) -> str:
    """Every revision: `/updates/`, or `/<lang>/updates/` for a translation's language."""
    return in_language(UPDATES, language)


def document(doc_id: str, *, language: str | None = None) -> str:
    """The version in force: `/<doc>/` (`/<lang>/<doc>/` in a translation's language)."""
    return in_language(f"{doc_id}/", language)


def archive(doc_id: str, *, language: str | None = None) -> str:
    """Every version of a document: `/<doc>/versions/`."""
    return in_language(f"{doc_id}/versions/", language)


def version(doc_id: str, name: str, *, language: str | None = None) -> str:
    """The full text of one version: `/<doc>/versions/<version>/`."""
    return in_language(f"{doc_id}/versions/{version_slug(name)}/", language)


def version_pdf(doc_id: str, name: str, *, language: str | None = None) -> str:
    """The PDF of one version, beside its page: `/<doc>/versions/<version>/<doc>-<version>.pdf`."""
    return f"{version(doc_id, name, language=language)}{doc_id}-{version_slug(name)}.pdf"


def version_source(doc_id: str, name: str, *, language: str | None = None) -> str:
    """The policy file of one version, byte for byte as hashed in the publication log,
    beside its page: `/<doc>/versions/<version>/<doc>.md`."""
    return f"{version(doc_id, name, language=language)}{doc_id}.md"


def changes(doc_id: str, old: str, new: str, *, language: str | None = None) -> str:
    """The redline between two versions: `/<doc>/changes/<old>-to-<new>/`."""
    return in_language(f"{doc_id}/changes/{version_slug(old)}-to-{version_slug(new)}/", language)


def section_anchor(section_id: str) -> str:
    """The id of a section's heading on a document or version page (the section id)."""
    return section_id


def change_anchor(section_id: str) -> str:
    """The id of a section's block on a redline page."""
    return f"change-{section_id}"


def change_element_anchor(section_id: str, element_id: str) -> str:
    """The id, on a redline page, of an element with an id of its own (a footnote, a
    `{#id}` attribute) in a section: unique on the page, where each section has its own."""
    return f"{change_anchor(section_id)}-{element_id}"


def update_anchor(doc_id: str, name: str) -> str:
    """The id of a revision's entry on the updates page."""
    return f"{doc_id}-{version_slug(name).replace('.', '-')}"


def with_anchor(url: str, anchor: str | None) -> str:
    return f"{url}#{anchor}" if anchor else url


def source_path(url: str) -> str:
    """The staged Markdown file that MkDocs renders at `url`."""
    return f"{url}index.md" if url else "index.md"


def relative(from_url: str, to_url: str) -> str:
    """The link from the page at `from_url` to the page `to_url` (both site-root relative)."""
    target = posixpath.relpath(to_url or ".", from_url or ".")
    return "./" if target == "." else target + "/"


def relative_file(from_url: str, name: str) -> str:
    """The link from the page at `from_url` to a file at the site root (feed.xml, ...)."""
    return posixpath.relpath(name, from_url or ".")


def absolute(url: str, site_url: str | None) -> str:
    """`url` under the operator's `site_url`, percent-encoded for use outside the site;
    without a site URL, the site-root-relative URL itself."""
    if not site_url:
        return url or "./"
    base = site_url if site_url.endswith("/") else site_url + "/"
    return base + quote(url, safe=_SAFE)
