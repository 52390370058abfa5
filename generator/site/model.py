"""What the public site shows at an instant: a pure function of the history and `as_of`.

Every page, data file and feed is rendered from this one model, so that "never early,
never leaked" holds by construction: a scheduled version (published after `as_of`) is
not in the model unless an editor previews drafts (`policyctl serve --drafts`).

URLs are the permanent ones of docs/site.md ("Addresses (permanent)"), relative to the
site root and ending in "/" (MkDocs' directory URLs).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass

from generator.core import urls
from generator.core.changes import ChangeSummary
from generator.core.errors import PolicyError
from generator.core.history import Document, History, Version, redline_url
from generator.core.notices import Notice, compared_with, open_notices
from generator.core.timeline import (
    DRAFT,
    IN_FORCE,
    NEVER_IN_FORCE,
    SCHEDULED,
    DocumentState,
    Status,
    changes_between,
    state_at,
)
from generator.settings import Settings
from generator.site.catalogues import Catalogues
from generator.site.words import Words, words

# ---------------------------------------------------------------- the model


@dataclass(frozen=True)
class Entry:
    """One visible version of a document and what it changed against its predecessor."""

    version: Version
    status: Status
    """in-force, pending, superseded, never-in-force, or (drafts preview only) scheduled / draft."""
    until: dt.datetime | None
    """When it stops being in force; None while nothing replaces it, and for a version
    that never took effect (it has no period in force)."""
    previous: Version | None
    changes: ChangeSummary
    replaced_by: Version | None = None
    """The later version that replaced it before it took effect (status never-in-force)."""
    since_url: str | None = None
    """The redline from it to the version in force ("What changed since this version"),
    for an earlier version the site compares with the version in force
    (`generator.core.notices.compared_with`); None for the version in force itself, later
    ones, one that never took effect, and drafts."""
    pending_urls: tuple[tuple[Version, str], ...] = ()
    """During a publicity window: (pending revision, the redline from it to that revision)
    for each pending revision later than it."""

    @property
    def url(self) -> str:
        v = self.version
        return urls.version(v.document, v.version, language=v.translation_language)

    @property
    def changes_url(self) -> str | None:
        """The redline from the previous version (in the source language when either has
        no text in this one: `redline_url`), None for the first version."""
        if self.previous is None:
            return None
        return redline_url(self.previous, self.version)

    @property
    def draft(self) -> bool:
        return self.status in (SCHEDULED, DRAFT)

    @property
    def never_in_force(self) -> bool:
        return self.status == NEVER_IN_FORCE

    @property
    def replaced_by_url(self) -> str | None:
        """The page of the version that replaced it before it took effect."""
        if self.replaced_by is None:
            return None
        by = self.replaced_by
        return urls.version(by.document, by.version, language=by.translation_language)


@dataclass(frozen=True)
class Redline:
    """A redline page: from `old` to `new` of one document."""

    document: Document
    old: Version
    new: Version
    changes: ChangeSummary
    url: str


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
        """The title of the version shown, when it is in the document's language."""
        current = self.current
        if current is None or self.untranslated(current):
            return self.document.title
        return current.version.title

    def untranslated(self, entry: Entry) -> bool:
        """Whether `entry`'s version is read in the source language here: this language
        has no text of it (a version from before its file existed). Its pages and
        redlines are the source language's; this site links them."""
        return self.document.untranslated(entry.version)

    @property
    def language(self) -> str | None:
        """A translation's language, None for the source language (what URLs take)."""
        return self.document.translation_language

    @property
    def url(self) -> str:
        return urls.document(self.id, language=self.language)

    @property
    def archive_url(self) -> str:
        return urls.archive(self.id, language=self.language)

    @functools.cached_property
    def in_force(self) -> Entry | None:
        return next((e for e in self.entries if e.status == IN_FORCE), None)

    @property
    def current(self) -> Entry | None:
        """What /<doc>/ shows: the version in force (in a drafts preview, else the first draft)."""
        return self.in_force or next(iter(self.entries), None)

    @functools.cached_property
    def _entries_by_version(self) -> dict[tuple[str, str], Entry]:
        return {(e.version.version, e.version.language): e for e in self.entries}

    def entry(self, version: Version) -> Entry | None:
        # By name and language, not by comparing whole versions (their texts): a redline
        # page asks for two entries, and a long history has hundreds of redlines.
        found = self._entries_by_version.get((version.version, version.language))
        return found if found is not None and found.version == version else None


@dataclass(frozen=True)
class SiteModel:
    as_of: dt.datetime
    settings: Settings
    documents: tuple[DocumentView, ...]
    drafts: bool = False
    language: str | None = None
    """The language of this site's pages when it is a translation's (its pages live under
    `/<language>/`); None for the source language, at the site's root."""
    catalogues: Catalogues | None = None
    """Where the site's own words come from (`generator.site.catalogues`: the operator's
    catalogues over ours); None: ours alone."""

    @property
    def words(self) -> Words:
        """The site's own words in the language of these pages."""
        return words(self.language_code, self.settings.source_language, self.catalogues)

    @property
    def language_code(self) -> str:
        """The language of the pages: a translation's, else the source language."""
        return self.language or self.settings.source_language

    def url(self, url: str) -> str:
        """A page of this language's site (`urls.home`, ...), under its prefix."""
        return urls.in_language(url, self.language)

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
    """A document's id is its URL: it may not take the address of another page (the
    history rules report it too; this guards a preview that shows a broken history)."""
    for document in documents:
        problem = urls.document_id_problem(document.id)
        if problem is not None:
            raise PolicyError(problem, file=document.path, remedy="rename the file (git mv)")


def build_model(
    history: History,
    settings: Settings,
    as_of: dt.datetime,
    *,
    drafts: bool = False,
    language: str | None = None,
    catalogues: Catalogues | None = None,
) -> SiteModel:
    """The site at `as_of`. With `drafts` (an editor's preview), scheduled versions and
    the drafts of uncommitted texts are shown too, marked as drafts. With `language` (a
    translation's), the site of that language's readers: the versions it carries, in it."""
    check_document_ids(history.documents)
    if language is not None and language != settings.source_language:
        history = history.in_language(language)
    else:
        language = None
    views = [_document_view(document, as_of, drafts) for document in history.documents]
    return SiteModel(as_of, settings, tuple(v for v in views if v.entries), drafts, language, catalogues)


def build_models(
    history: History,
    settings: Settings,
    as_of: dt.datetime,
    *,
    drafts: bool = False,
    catalogues: Catalogues | None = None,
) -> tuple[SiteModel, ...]:
    """The site of every configured language, the source language's first, its words
    from `catalogues` (default: ours alone)."""
    return tuple(
        build_model(history, settings, as_of, drafts=drafts, language=code, catalogues=catalogues)
        for code in settings.languages
    )


def _document_view(document: Document, as_of: dt.datetime, drafts: bool) -> DocumentView:
    state = state_at(document, as_of)
    visible = document.versions if drafts else state.published
    notices = open_notices(state)
    compared = _compared(document, state, notices)
    since: dict[str, str] = {}
    pending: dict[str, list[tuple[Version, str]]] = {}
    for old, new, url in compared:
        if new == state.in_force:
            since[old.version] = url
        else:
            pending.setdefault(old.version, []).append((new, url))
    entries: list[Entry] = []
    previous: Version | None = None
    for version in visible:
        changes = changes_between(previous, version) if previous else ChangeSummary()
        until = state.until(version, drafts=drafts)
        status = state.status(version, drafts=drafts)
        replaced_by = state.replaced_by(version, drafts=drafts) if status == NEVER_IN_FORCE else None
        # Compared only as the public site compares it (never a draft or a scheduled version).
        public = status not in (SCHEDULED, DRAFT)
        entries.append(
            Entry(
                version,
                status,
                until,
                previous,
                changes,
                replaced_by,
                since_url=since.get(version.version) if public else None,
                pending_urls=tuple(pending.get(version.version, ())) if public else (),
            )
        )
        previous = version

    # This language's redline pages: between two of its own texts (the others link the
    # source language's pages).
    redlines: dict[str, Redline] = {}

    def add(old: Version, new: Version, changes: ChangeSummary, url: str) -> None:
        if url not in redlines and not (document.untranslated(old) or document.untranslated(new)):
            redlines[url] = Redline(document, old, new, changes, url)

    for entry in entries:
        if entry.previous is not None and entry.changes_url:
            add(entry.previous, entry.version, entry.changes, entry.changes_url)
    for notice in notices:
        if notice.base is not None and notice.changes_url:
            add(notice.base, notice.version, notice.changes, notice.changes_url)
    for old, new, url in compared:
        add(old, new, changes_between(old, new), url)
    return DocumentView(document, state, tuple(entries), notices, tuple(redlines.values()))


def _compared(
    document: Document, state: DocumentState, notices: tuple[Notice, ...]
) -> list[tuple[Version, Version, str]]:
    """(old, new, URL) of each redline that compares an earlier version with the version
    in force or with a pending revision (`compared_with`): "What changed since this
    version" for anyone still on an old one, and the pages the notices link to a user
    governed by an old one (`policyctl notify`). Each pair once; the neighbours' and the
    notices' redlines among them are the same pages (`_document_view` keeps one)."""
    targets = ([state.in_force] if state.in_force is not None else []) + [n.version for n in notices]
    return [
        (old, target, redline_url(old, target)) for target in targets for old in compared_with(state, target)
    ]
