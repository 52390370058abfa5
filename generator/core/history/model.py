"""What a policy's history is made of: its versions (`Version`), each document with its
versions (`Document`), and all documents of a repository (`History`).

Frozen data, built by `generator.core.history.assembly.build_document`. With
translations (`generator.core.translations`), each version also carries its text in
every other language that has it (`Version.translations`, `Version.in_language`);
`Document.in_language` and `History.in_language` give what the readers of one language
see, for the same timeline, pages and redlines as the source language.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

from generator.core import urls
from generator.core.errors import Advisory, Violation
from generator.core.sections import Section
from generator.core.translations import DEFAULT_LANGUAGE, Lag
from generator.core.window import Window

DRAFT_SUFFIX = "-draft"
"""Names an uncommitted text that no new version was stamped on ("1.0-draft")."""


@dataclass(frozen=True)
class Version:
    """One published version of a policy document."""

    document: str
    version: str
    title: str
    path: str
    """The file's path at the version's last commit (renames are followed)."""
    text: str
    """The Markdown body, without front matter."""
    commit: str
    """The last commit carrying this version: its text is the file at this commit."""
    first_commit: str
    """The commit that introduced the version."""
    sha256: str
    """sha256 of the file's bytes at `commit`."""
    published: dt.datetime
    effective: dt.datetime
    summary: str | None
    sections: tuple[Section, ...]
    window: Window | None
    """The publicity window; None for a document's first version (in force on publication)."""
    effective_declared: bool = False
    per_commit: bool = False
    """Named after its commit date because the file has no `version` field."""
    draft: bool = False
    """Built from an uncommitted file: shown only in an editor's preview."""
    language: str = DEFAULT_LANGUAGE
    """The language of this text: the source language, or a translation's."""
    source_language: str = DEFAULT_LANGUAGE
    translations: tuple[Version, ...] = ()
    """This version in each other language that carries it, in the order of `languages`:
    its own title, summary, text, sections, file and commits; the same version name,
    publication, effective instant and window. Empty on a translation itself."""
    source: bytes = field(default=b"", repr=False, compare=False)
    """The policy file's bytes at `commit` (what `sha256` hashes): published beside the
    version's page (`urls.version_source`) so that anyone can check the public record."""
    original: Version | None = field(default=None, repr=False, compare=False)
    """On a translation: the source language's text of the same version (what a redline
    compares when the version before it has no text in this language); None on the source."""

    @property
    def short_commit(self) -> str:
        return self.commit[:7]

    @property
    def translation_language(self) -> str | None:
        """A translation's language, None for the source text: what the URL functions take."""
        return None if self.language == self.source_language else self.language

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages this version is written in, the source language first."""
        return (self.language, *(t.language for t in self.translations))

    def in_language(self, language: str) -> Version | None:
        """This version in `language`, or None when that language does not carry it."""
        if language == self.language:
            return self
        return next((t for t in self.translations if t.language == language), None)

    def read_in(self, language: str) -> Version:
        """What the readers of `language` read of this version: its text in `language`,
        else the source language's (a version from before that language's file existed)."""
        return self.in_language(language) or self


def one_language(old: Version, new: Version) -> tuple[Version, Version]:
    """`old` and `new` in one language, for comparing their texts: as they are when they
    are, else both in the source language (a translation's first version against the
    version before it, which has no text in that language)."""
    if old.language == new.language:
        return old, new
    return old.original or old, new.original or new


def redline_url(old: Version, new: Version) -> str:
    """The redline page from `old` to `new`: in their language when both are in one
    (`/zh/<doc>/changes/...`), else the source language's (both texts exist there)."""
    old, new = one_language(old, new)
    return urls.changes(new.document, old.version, new.version, language=new.translation_language)


@dataclass(frozen=True)
class Document:
    """A policy document (`policy/<id>.md`) and its versions, oldest first."""

    id: str
    path: str
    title: str
    versions: tuple[Version, ...]
    """The published versions (and, in a preview, drafts). With translations: each one
    that every language carries, and those from before a language's file existed."""
    language: str = DEFAULT_LANGUAGE
    languages: tuple[str, ...] = (DEFAULT_LANGUAGE,)
    """The configured languages, the source language first."""
    translation_paths: tuple[tuple[str, str], ...] = ()
    """(language, file) of each translation at the tip."""
    lags: tuple[Lag, ...] = ()
    """Languages that do not carry the source's latest version at the tip (`check` fails)."""

    def version(self, name: str) -> Version | None:
        return next((v for v in self.versions if v.version == name), None)

    def previous(self, version: Version) -> Version | None:
        index = self.versions.index(version)
        return self.versions[index - 1] if index > 0 else None

    @property
    def source_language(self) -> str:
        return self.languages[0]

    @property
    def translation_language(self) -> str | None:
        """A translation's language, None for the source text: what the URL functions take."""
        return None if self.language == self.source_language else self.language

    @property
    def translated(self) -> bool:
        """Whether any version is in the document's language (always, on the source)."""
        return any(v.language == self.language for v in self.versions)

    def untranslated(self, version: Version) -> bool:
        """Whether `version`, one of this document's, is read in the source language
        because this document's language has no text of it."""
        return version.language != self.language

    @property
    def complete_versions(self) -> tuple[Version, ...]:
        """The versions written in every configured language."""
        return tuple(v for v in self.versions if set(self.languages) <= set(v.languages))

    def in_language(self, language: str) -> Document:
        """The document as readers of `language` see it: the same versions and timeline,
        each in `language` when it carries it, else in the source language (versions from
        before the language's file existed: `Version.read_in`), with the title of its
        latest translated version and its file. Call it on the source document."""
        if language == self.language:
            return self
        versions = tuple(v.read_in(language) for v in self.versions)
        translated = [v for v in versions if v.language == language]
        return replace(
            self,
            path=dict(self.translation_paths).get(language, self.path),
            title=translated[-1].title if translated else self.title,
            versions=versions,
            language=language,
            translation_paths=(),
            lags=(),
        )


@dataclass(frozen=True)
class History:
    """All policy documents of a repository, with the rule violations found on the way."""

    documents: tuple[Document, ...]
    violations: tuple[Violation, ...] = ()
    advisories: tuple[Advisory, ...] = ()
    languages: tuple[str, ...] = (DEFAULT_LANGUAGE,)
    """The configured languages, the source language first."""

    def document(self, doc_id: str) -> Document | None:
        return next((d for d in self.documents if d.id == doc_id), None)

    @property
    def lags(self) -> tuple[Lag, ...]:
        return tuple(lag for d in self.documents for lag in d.lags)

    def in_language(self, language: str) -> History:
        """The documents as readers of `language` see them (see `Document.in_language`);
        a document with no version in that language is left out."""
        if language == self.languages[0]:
            return self
        documents = tuple(d.in_language(language) for d in self.documents)
        return replace(self, documents=tuple(d for d in documents if d.translated))


@dataclass(frozen=True)
class DocumentHistory:
    """One document as `build_document` assembled it, with what its rules found."""

    document: Document
    violations: tuple[Violation, ...] = ()
    advisories: tuple[Advisory, ...] = ()


def default_title(doc_id: str) -> str:
    """A document's title when its front matter gives none: "privacy-policy" -> "Privacy Policy"."""
    return doc_id.replace("-", " ").title()
