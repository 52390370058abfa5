"""What the public site shows at an instant: a pure function of the history and `as_of`.

Every page, data file and feed is rendered from this one model, so that "never early,
never leaked" holds by construction: a scheduled version (published after `as_of`) is
not in the model unless an editor previews drafts (`policyctl serve --drafts`).

URLs are the permanent ones of DESIGN.md ("Public URLs and files"), relative to the
site root and ending in "/" (MkDocs' directory URLs).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from generator.core.changes import ChangeSummary
from generator.core.errors import PolicyError
from generator.core.history import Document, Version
from generator.core.history import History
from generator.settings import Settings
from generator.core.timeline import DocumentState, changes_between, state_at

RESERVED_IDS = frozenset({"updates", "assets", "search", "versions", "changes"})
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


# ---------------------------------------------------------------- URLs (permanent)


def slug(version: str) -> str:
    """A version name as a URL segment ("1.0" stays "1.0")."""
    return _UNSAFE.sub("-", version).strip("-") or "version"


def document_url(doc_id: str) -> str:
    return f"{doc_id}/"


def archive_url(doc_id: str) -> str:
    return f"{doc_id}/versions/"


def version_url(doc_id: str, version: str) -> str:
    return f"{doc_id}/versions/{slug(version)}/"


def changes_url(doc_id: str, old: str, new: str) -> str:
    return f"{doc_id}/changes/{slug(old)}-to-{slug(new)}/"


UPDATES_URL = "updates/"
HOME_URL = ""


def source_path(url: str) -> str:
    """The staged Markdown file that MkDocs renders at `url`."""
    return f"{url}index.md" if url else "index.md"


# ---------------------------------------------------------------- the model


@dataclass(frozen=True)
class Entry:
    """One visible version of a document and what it changed against its predecessor."""

    version: Version
    status: str
    """in-force, pending, superseded, or (drafts preview only) scheduled / draft."""
    until: dt.datetime | None
    previous: Version | None
    changes: ChangeSummary
    url: str
    changes_url: str | None
    """The redline from the previous version, None for the first version."""

    @property
    def draft(self) -> bool:
        return self.status in ("scheduled", "draft")


@dataclass(frozen=True)
class Redline:
    """A redline page: from `old` to `new` of one document."""

    document: Document
    old: Version
    new: Version
    changes: ChangeSummary
    url: str


@dataclass(frozen=True)
class Notice:
    """An open publicity window: a pending version, compared with the one in force."""

    document: Document
    version: Version
    base: Version | None
    changes: ChangeSummary
    url: str
    changes_url: str | None

    @property
    def key(self) -> str:
        """Identifies the revision for once-per-revision dismissal."""
        return f"{self.document.id}@{self.version.version}"


@dataclass(frozen=True)
class DocumentView:
    document: Document
    state: DocumentState
    entries: tuple[Entry, ...]
    """Visible versions, oldest first."""
    notices: tuple[Notice, ...]
    redlines: tuple[Redline, ...]

    @property
    def id(self) -> str:
        return self.document.id

    @property
    def title(self) -> str:
        current = self.current
        return current.version.title if current else self.document.title

    @property
    def url(self) -> str:
        return document_url(self.id)

    @property
    def archive_url(self) -> str:
        return archive_url(self.id)

    @property
    def in_force(self) -> Entry | None:
        return next((e for e in self.entries if e.status == "in-force"), None)

    @property
    def current(self) -> Entry | None:
        """What /<doc>/ shows: the version in force (in a drafts preview, else the first draft)."""
        return self.in_force or next(iter(self.entries), None)

    def entry(self, version: Version) -> Entry | None:
        return next((e for e in self.entries if e.version == version), None)


@dataclass(frozen=True)
class SiteModel:
    as_of: dt.datetime
    settings: Settings
    documents: tuple[DocumentView, ...]
    drafts: bool = False

    @property
    def notices(self) -> tuple[Notice, ...]:
        return tuple(n for d in self.documents for n in d.notices)

    @property
    def updates(self) -> tuple[tuple[DocumentView, Entry], ...]:
        """Every revision of every document, newest first."""
        items = [(d, e) for d in self.documents for e in d.entries]
        items.sort(key=lambda item: (item[1].version.published, item[1].version.effective), reverse=True)
        return tuple(items)

    @property
    def redlines(self) -> tuple[Redline, ...]:
        return tuple(r for d in self.documents for r in d.redlines)


def check_document_ids(documents: Iterable[Document]) -> None:
    """A document's id is its URL: it may not take the address of another page."""
    for document in documents:
        if document.id in RESERVED_IDS:
            raise PolicyError(
                f"document id {document.id!r} collides with a page of the site",
                file=document.path,
                remedy=f"rename the file; ids {', '.join(sorted(RESERVED_IDS))} are reserved",
            )


def build_model(
    history: History,
    settings: Settings,
    as_of: dt.datetime,
    *,
    drafts: bool = False,
    working: dict[str, Version] | None = None,
) -> SiteModel:
    """The site at `as_of`. With `drafts`, scheduled versions (and `working`, the
    uncommitted texts by document id) are included and marked as drafts."""
    views = []
    documents = list(history.documents)
    working = dict(working or {})
    for doc_id, draft in list(working.items()):
        if history.document(doc_id) is None:
            documents.append(Document(doc_id, draft.path, draft.title, ()))
    check_document_ids(documents)
    for document in documents:
        draft = working.get(document.id) if drafts else None
        view = _document_view(document, as_of, drafts, draft)
        if view.entries:
            views.append(view)
    return SiteModel(as_of, settings, tuple(views), drafts)


def _document_view(
    document: Document, as_of: dt.datetime, drafts: bool, working: Version | None
) -> DocumentView:
    state = state_at(document, as_of)
    visible = list(state.published)
    if drafts:
        visible += list(state.scheduled)
        if working is not None:
            visible.append(working)
    entries: list[Entry] = []
    previous: Version | None = None
    for version in visible:
        if version is working:
            status = "draft"
        else:
            status = state.status(version)
        if status in ("in-force", "superseded"):
            until = state.until(version)
        else:
            later = [v.effective for v in visible if v.effective > version.effective]
            until = min(later, default=None)
        changes = changes_between(previous, version) if previous else ChangeSummary()
        entries.append(
            Entry(
                version=version,
                status=status,
                until=until,
                previous=previous,
                changes=changes,
                url=version_url(document.id, version.version),
                changes_url=changes_url(document.id, previous.version, version.version) if previous else None,
            )
        )
        previous = version

    redlines: dict[str, Redline] = {}
    for entry in entries:
        if entry.previous is not None and entry.changes_url:
            redlines[entry.changes_url] = Redline(
                document, entry.previous, entry.version, entry.changes, entry.changes_url
            )
    in_force = state.in_force
    notices: list[Notice] = []
    for entry in entries:
        if entry.status != "pending":
            continue
        base = in_force or entry.previous
        summary = changes_between(base, entry.version) if base else ChangeSummary()
        url = changes_url(document.id, base.version, entry.version.version) if base else None
        if base is not None and url not in redlines:
            redlines[url] = Redline(document, base, entry.version, summary, url)
        notices.append(Notice(document, entry.version, base, summary, entry.url, url))
    return DocumentView(document, state, tuple(entries), tuple(notices), tuple(redlines.values()))


# ---------------------------------------------------------------- drafts of the working tree


def working_drafts(repo: Path, history: History, settings: Settings, as_of: dt.datetime) -> dict[str, Version]:
    """Uncommitted policy texts that differ from the last committed version, as draft
    versions (for `policyctl serve --drafts`). Unreadable files are skipped."""
    from generator.core.calendar import WorkingCalendar
    from generator.core.frontmatter import split
    from generator.core.history import document_id
    from generator.core.sections import parse_sections
    from generator.core.window import local_midnight, publicity_window

    folder = repo / settings.policy_dir
    if not folder.is_dir():
        return {}
    calendar = settings.calendar
    drafts: dict[str, Version] = {}
    for path in sorted(folder.glob("*.md")):
        if path.name == "README.md":
            continue
        data = path.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        doc_id = document_id(path.name)
        document = history.document(doc_id)
        last = document.versions[-1] if document and document.versions else None
        if last is not None and last.sha256 == sha:
            continue
        relative = f"{settings.policy_dir}/{path.name}"
        try:
            matter, body = split(data.decode("utf-8", errors="replace"), file=relative)
        except PolicyError:
            continue
        if last is not None and body == last.text:
            continue
        name = matter.version if matter.version and (document is None or document.version(matter.version) is None) else None
        if name is None:
            name = f"{last.version}-draft" if last else "draft"
        today = as_of.astimezone(calendar.zone).date()
        published_day = matter.published if isinstance(matter.published, dt.date) and not isinstance(matter.published, dt.datetime) else today
        published_day = max(published_day, today)
        window = publicity_window(published_day, calendar, settings.working_days) if last else None
        effective = window.earliest_effective if window else local_midnight(published_day, calendar.zone)
        if isinstance(matter.effective, dt.date) and not isinstance(matter.effective, dt.datetime):
            effective = max(effective, local_midnight(matter.effective, calendar.zone))
        if last is not None and effective <= last.effective:
            effective = last.effective + dt.timedelta(days=1)
        drafts[doc_id] = Version(
            document=doc_id,
            version=name,
            title=matter.title or (last.title if last else doc_id.replace("-", " ").title()),
            path=relative,
            text=body,
            commit="",
            first_commit="",
            sha256=sha,
            published=local_midnight(published_day, calendar.zone),
            effective=effective,
            summary=matter.summary or "Uncommitted changes in the working tree.",
            sections=parse_sections(body),
            window=window,
        )
    return drafts
