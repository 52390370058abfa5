"""From the commits of a policy file to its published versions, and the rules they keep.

Pure: takes the file's revisions (read by `generator.repository`) and the calendar,
returns versions plus the violations of the rules (docs/editors.md says them to editors).

With translations (`generator.core.translations`), each version also carries its text
in every other language that has it (`Version.translations`, `Version.in_language`), and
is published once the last language reached the branch; `Document.in_language` and
`History.in_language` give what the readers of one language see, for the same timeline,
pages and redlines as the source language.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from generator.core import urls
from generator.core.calendar import WorkingCalendar
from generator.core.dates import local_midnight, short_date
from generator.core.errors import Advisory, Findings, FrontMatterError, PolicyError, Violation
from generator.core.frontmatter import FrontMatter, split
from generator.core.marks import lost_marks, section_mark_problems
from generator.core.record import NO_SIGHTINGS, Sightings
from generator.core.revisions import FileRevision
from generator.core.sections import Section, parse_sections
from generator.core.translations import DEFAULT_LANGUAGE, Lag, section_differences, translation_path
from generator.core.window import Window, earliest_effective

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
    def complete_versions(self) -> tuple[Version, ...]:
        """The versions written in every configured language."""
        return tuple(v for v in self.versions if set(self.languages) <= set(v.languages))

    def in_language(self, language: str) -> Document:
        """The document as readers of `language` see it: the versions that language
        carries, each in it, with its title and file. Call it on the source document."""
        if language == self.language:
            return self
        versions = tuple(t for v in self.versions if (t := v.in_language(language)) is not None)
        return replace(
            self,
            path=dict(self.translation_paths).get(language, self.path),
            title=versions[-1].title if versions else self.title,
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
        return replace(self, documents=tuple(d for d in documents if d.versions))


@dataclass(frozen=True)
class DocumentHistory:
    document: Document
    violations: tuple[Violation, ...] = ()
    advisories: tuple[Advisory, ...] = ()


@dataclass
class _Draft:
    """A version being assembled from consecutive commits."""

    key: str
    matter: FrontMatter
    body: str
    first: FileRevision
    last: FileRevision
    per_commit: bool
    commits: list[FileRevision] = field(default_factory=list)
    rewrites: list[FileRevision] = field(default_factory=list)
    """Commits after publication that changed the published text (judged when the version ends)."""
    rewritten: bool = False
    """The latest commit of this version still carries a changed text."""


def _published_date(value: dt.date | dt.datetime | None, calendar: WorkingCalendar) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return (
            (value if value.tzinfo else value.replace(tzinfo=calendar.zone)).astimezone(calendar.zone).date()
        )
    return value


def _instant(value: dt.date | dt.datetime, calendar: WorkingCalendar) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=calendar.zone)).astimezone(calendar.zone)
    return local_midnight(value, calendar.zone)


def decode(revision: FileRevision) -> str:
    """A policy file's text: UTF-8, or an error naming the file, the commit and the byte."""
    try:
        return revision.data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = revision.data[: error.start].count(b"\n") + 1
        raise FrontMatterError(
            f"the file is not UTF-8 text (byte {error.start + 1}, line {line})",
            file=revision.path,
            commit=revision.short if not revision.uncommitted else None,
            line=line,
            remedy="save the file as UTF-8 (most editors: Save with Encoding → UTF-8) and commit it",
        ) from None


def default_title(doc_id: str) -> str:
    """A document's title when its front matter gives none: "privacy-policy" -> "Privacy Policy"."""
    return doc_id.replace("-", " ").title()


def build_document(
    doc_id: str,
    revisions: Sequence[FileRevision],
    calendar: WorkingCalendar,
    working_days: int,
    *,
    languages: Sequence[str] = (DEFAULT_LANGUAGE,),
    translations: Mapping[str, Sequence[FileRevision]] | None = None,
    sightings: Sightings = NO_SIGHTINGS,
) -> DocumentHistory:
    """The versions of one document from its file's revisions, oldest first; with
    `translations` (the revisions of `<id>.<lang>.md` by language), each version in
    every language that carries it, published once the last language arrived. With
    `sightings` (from the publication log), a window counts from the day the public
    first saw the version when that is later than its publication day."""
    findings = Findings()

    problem = urls.document_id_problem(doc_id)
    if problem is not None:
        # Its URL would be broken or another page's: the input is unusable (exit 2).
        raise PolicyError(
            problem,
            file=revisions[-1].path if revisions else doc_id,
            remedy=f"rename the file (git mv); reserved ids: {', '.join(sorted(urls.RESERVED_IDS))}",
        )

    drafts = _collect(revisions, calendar, findings)

    seen: dict[str, str] = {}
    for draft in drafts:
        slug = urls.version_slug(draft.key)
        if slug in seen and seen[slug] != draft.key:
            findings.violation(
                "version-name",
                f"versions {seen[slug]!r} and {draft.key!r} would share the address {urls.version(doc_id, draft.key)}",
                file=draft.first.path,
                commit=draft.first.short,
                remedy=f"give version {draft.key!r} another name: {urls.VERSION_NAME_RULE}",
            )
        seen.setdefault(slug, draft.key)
    for index, draft in enumerate(drafts):
        successor = drafts[index + 1].key if index + 1 < len(drafts) else None
        _judge_rewrites(doc_id, draft, successor, findings)

    source_language = languages[0]
    files = {
        language: _translated_file(doc_id, language, revs, drafts, calendar, findings)
        for language in languages[1:]
        if (revs := (translations or {}).get(language))
    }
    versions: list[Version] = []
    held: list[tuple[_Draft, list[str]]] = []
    for draft in drafts:
        owed = [f for f in files.values() if draft.first.committed_at >= f.since]
        missing = [f.language for f in owed if draft.key not in f.by_key]
        if missing and not draft.last.uncommitted:
            held.append((draft, missing))
            continue
        # The version is published when its last language reached the branch.
        arrived = max(
            [draft.first, *(f.by_key[draft.key].first for f in owed if draft.key in f.by_key)],
            key=lambda r: r.committed_at,
        )
        carried = [source_language, *(f.language for f in owed if draft.key in f.by_key)]
        version = _finish(
            doc_id,
            draft,
            versions[-1] if versions else None,
            calendar,
            working_days,
            findings,
            arrived=arrived,
            seen=functools.partial(_latest_sighting, sightings, doc_id, draft.key, carried),
        )
        version = replace(version, language=source_language, source_language=source_language)
        translated = tuple(
            _translate(
                version,
                draft,
                files[language],
                language,
                len(versions) == 0,
                calendar,
                findings,
            )
            for language in languages[1:]
            if language in files and draft.key in files[language].by_key
        )
        versions.append(replace(version, translations=translated))

    published_keys = {v.version for v in versions}
    for draft, missing in held:
        later = [
            d for d in drafts if d.first.committed_at > draft.first.committed_at and d.key in published_keys
        ]
        if later:
            findings.advisory(
                f"version {draft.key} never reached the branch in {', '.join(missing)}: it was not "
                f"published; version {later[0].key} followed",
                file=draft.last.path,
            )
    lags = _lags(doc_id, revisions[-1].path, drafts, files, languages[1:], {d.key for d, _ in held})

    if versions:
        last = versions[-1]
        findings.extend(section_mark_problems(last.text, file=last.path, commit=last.short_commit))
    if len(versions) > 1:
        findings.extend(
            lost_marks(
                versions[-2].sections,
                versions[-1].sections,
                version=versions[-1].version,
                file=versions[-1].path,
            )
        )
    title = versions[-1].title if versions else default_title(doc_id)
    path = revisions[-1].path if revisions else ""
    document = Document(
        doc_id,
        path,
        title,
        tuple(versions),
        language=source_language,
        languages=tuple(languages),
        translation_paths=tuple((language, f.path) for language, f in files.items()),
        lags=tuple(lags),
    )
    return DocumentHistory(document, findings.violations, findings.advisories)


def _lags(
    doc_id: str,
    source_path: str,
    drafts: Sequence[_Draft],
    files: Mapping[str, _TranslatedFile],
    translated: Sequence[str],
    held: set[str],
) -> list[Lag]:
    """The languages whose file does not carry the source's latest committed version."""
    tip = next((d for d in reversed(drafts) if not d.last.uncommitted), None)
    if tip is None:
        return []
    source_keys = {d.key for d in drafts}
    lags: list[Lag] = []
    for language in translated:
        file = files.get(language)
        carried = file.tip if file is not None else None
        if file is not None and (carried is None or carried.per_commit or carried.key not in source_keys):
            continue  # a translation with no version, or one the source lacks: a violation says so
        if carried is not None and carried.key == tip.key:
            continue
        lags.append(
            Lag(
                document=doc_id,
                language=language,
                path=file.path if file is not None else translation_path(source_path, language),
                version=tip.key,
                carried=carried.key if carried is not None else None,
                source_path=source_path,
                held_back=tip.key in held,
            )
        )
    return lags


def _collect(
    revisions: Sequence[FileRevision],
    calendar: WorkingCalendar,
    findings: Findings,
    *,
    source: Mapping[str, _Draft] | None = None,
    source_draft: str | None = None,
) -> list[_Draft]:
    """A file's revisions as versions being assembled, oldest first. For a translation,
    `source` holds the source's versions by name (their `published` says when the text
    became immutable) and `source_draft` names the source's uncommitted version, which an
    uncommitted translation is the translation of (without one it is not previewed)."""
    drafts: list[_Draft] = []
    per_day: dict[dt.date, int] = {}
    for position, revision in enumerate(revisions):
        try:
            text = decode(revision)
            matter, body = split(text, file=revision.path, commit=revision.short)
        except FrontMatterError as error:
            if position == len(revisions) - 1:
                raise
            findings.advisory(
                f"commit {revision.short} has malformed front matter ({error.message}); "
                "it is skipped because a later commit replaced it",
                file=revision.path,
            )
            continue
        previous = drafts[-1] if drafts else None
        if revision.uncommitted:
            if previous is not None and previous.body == body:
                continue
            if source is not None:
                if source_draft is None:
                    continue
                matter = replace(matter, version=source_draft)
            else:
                matter = _as_draft(matter, previous, drafts, revision, calendar)
        if matter.version is not None:
            name_problem = urls.version_name_problem(matter.version)
            if (
                source is None
                and name_problem is not None
                and (previous is None or previous.key != matter.version)
            ):
                findings.violation(
                    "version-name",
                    name_problem,
                    file=revision.path,
                    commit=revision.short,
                    remedy=f'write e.g. `version: "{urls.version_slug(matter.version)}"`',
                )
            if previous is not None and not previous.per_commit and previous.key == matter.version:
                published = previous.matter.published
                if source is not None:
                    published = source[matter.version].matter.published if matter.version in source else None
                _continue_version(previous, revision, matter, body, calendar, published)
                continue
            if any(d.key == matter.version for d in drafts):
                findings.violation(
                    "version-reused",
                    f"version {matter.version!r} was already used by an earlier version",
                    file=revision.path,
                    commit=revision.short,
                    remedy="give this revision a new version number",
                )
                continue
            drafts.append(_Draft(matter.version, matter, body, revision, revision, False, [revision]))
            continue
        # No `version` field: every commit that changes the text is a version.
        if previous is not None and previous.body == body and previous.per_commit:
            previous.last, previous.matter = revision, matter
            previous.commits.append(revision)
            continue
        day = revision.committed_at.astimezone(calendar.zone).date()
        per_day[day] = per_day.get(day, 0) + 1
        key = day.isoformat() if per_day[day] == 1 else f"{day.isoformat()}-{per_day[day]}"
        drafts.append(_Draft(key, matter, body, revision, revision, True, [revision]))
    return drafts


@dataclass
class _TranslatedFile:
    """A translation's file: its versions by the name of the source version they carry."""

    language: str
    path: str
    since: dt.datetime
    """When the file first reached the branch: the language's duty starts there."""
    by_key: dict[str, _Draft]
    tip: _Draft | None


def _translated_file(
    doc_id: str,
    language: str,
    revisions: Sequence[FileRevision],
    source_drafts: Sequence[_Draft],
    calendar: WorkingCalendar,
    findings: Findings,
) -> _TranslatedFile:
    source = {d.key: d for d in source_drafts if not d.per_commit}
    uncommitted = source_drafts[-1].key if source_drafts and source_drafts[-1].last.uncommitted else None
    drafts = _collect(revisions, calendar, findings, source=source, source_draft=uncommitted)
    for index, draft in enumerate(drafts):
        successor = drafts[index + 1].key if index + 1 < len(drafts) else None
        _judge_rewrites(doc_id, draft, successor, findings, source=source)
    path = revisions[-1].path
    committed = [d for d in drafts if not d.last.uncommitted]
    tip = committed[-1] if committed else None
    source_tip = next((d for d in reversed(source_drafts) if not d.last.uncommitted), None)
    if tip is not None and tip.per_commit:
        findings.violation(
            "translation-version-missing",
            f"the {language} translation has no `version`: it must name the version of the source it translates",
            file=path,
            commit=tip.last.short,
            remedy=f'write `version: "{source_tip.key}"` in its front matter (the version of the source it translates)'
            if source_tip is not None and not source_tip.per_commit
            else "stamp the source with `policyctl publish` and write the same `version` in the translation",
        )
    elif source_tip is not None and source_tip.per_commit:
        findings.violation(
            "source-version-missing",
            f"the source text has no `version`, so its {language} translation {path} cannot name the version it translates",
            file=source_tip.last.path,
            commit=source_tip.last.short,
            remedy=f'stamp it: `policyctl publish {doc_id} --version 1.0 --summary "..."`, and write the same '
            f"`version` in {path}",
        )
    for draft in drafts:
        if draft.per_commit or draft.key in source:
            continue
        known = ", ".join(source) or "none"
        if draft is tip:
            findings.violation(
                "translation-unknown-version",
                f"the {language} translation carries version {draft.key}, which the source "
                f"{source_drafts[-1].last.path if source_drafts else ''} does not have (its versions: {known})",
                file=draft.last.path,
                commit=draft.first.short,
                remedy="write the `version` of the source text this translates",
            )
        else:
            findings.advisory(
                f"commit {draft.first.short} gave the {language} translation version {draft.key}, "
                "which the source never had; it was never published",
                file=draft.last.path,
            )
    if tip is not None and tip.key in source:
        text = tip.body
        findings.extend(section_mark_problems(text, file=tip.last.path, commit=tip.last.short))
        differences = section_differences(parse_sections(source[tip.key].body), parse_sections(text))
        if differences:
            findings.violation(
                "translation-sections",
                f"version {tip.key} in {language} does not have the source's sections and marks "
                f"({source[tip.key].last.path}): " + "; ".join(differences),
                file=tip.last.path,
                commit=tip.last.short,
                remedy="give each translated heading the same `{#id}` and `.core-rights` mark as the "
                "source's heading (a Chinese heading's own slug is another id)",
            )
    by_key = {d.key: d for d in drafts if not d.per_commit and d.key in source}
    return _TranslatedFile(language, path, revisions[0].committed_at, by_key, tip)


def _translate(
    version: Version,
    source: _Draft,
    file: _TranslatedFile,
    language: str,
    first: bool,
    calendar: WorkingCalendar,
    findings: Findings,
) -> Version:
    """`version` in `language`: the translation's own words and title; the source's dates."""
    draft = file.by_key[version.version]
    matter, path, commit = draft.matter, draft.last.path, draft.last.short
    declared = _published_date(matter.published, calendar)
    if declared is not None and declared != _published_date(source.matter.published, calendar):
        findings.violation(
            "translation-published",
            f"version {version.version} says published {declared.isoformat()} here, but the source "
            f"{source.last.path} says {_day_text(source.matter.published, calendar)}",
            file=path,
            commit=commit,
            remedy="remove `published:` from the translation (it comes from the source), "
            "or write the source's date",
        )
    if matter.effective is not None and (
        source.matter.effective is None
        or _instant(matter.effective, calendar) != _instant(source.matter.effective, calendar)
    ):
        findings.violation(
            "translation-effective",
            f"version {version.version} says effective {short_date(_instant(matter.effective, calendar))} "
            f"here, but the source {source.last.path} says "
            f"{short_date(_instant(source.matter.effective, calendar)) if source.matter.effective else 'none'}",
            file=path,
            commit=commit,
            remedy="remove `effective:` from the translation (it comes from the source), "
            "or write the source's date",
        )
    if not first and not matter.summary:
        findings.violation(
            "summary-missing",
            f"version {version.version} has no `summary` of what changed in {language}",
            file=path,
            commit=commit,
            remedy=f"add a plain-language `summary:` in {language}; its readers and their notices show it",
        )
    if not matter.title and draft is file.tip:
        findings.advisory(
            f"version {version.version} has no `title` in {language}: its pages show the source's title",
            file=path,
            remedy=f"add `title:` in {language} to the front matter",
        )
    text = draft.body
    return replace(
        version,
        title=matter.title or version.title,
        path=path,
        text=text,
        commit=draft.last.commit,
        first_commit=draft.first.commit,
        sha256=hashlib.sha256(draft.last.data).hexdigest(),
        source=draft.last.data,
        summary=matter.summary,
        sections=parse_sections(text),
        draft=draft.last.uncommitted,
        language=language,
        translations=(),
    )


def _day_text(value: dt.date | dt.datetime | None, calendar: WorkingCalendar) -> str:
    day = _published_date(value, calendar)
    return day.isoformat() if day is not None else "nothing"


def _as_draft(
    matter: FrontMatter,
    previous: _Draft | None,
    drafts: list[_Draft],
    revision: FileRevision,
    calendar: WorkingCalendar,
) -> FrontMatter:
    """An uncommitted text is previewed as the next version, published at the instant
    of the preview (or later, as stamped): the same rules then say when it may take
    effect. Without a new version name it is named after the last one."""
    if matter.version is None and (previous is None or previous.per_commit):
        return matter
    name = matter.version
    if name is None or any(d.key == name for d in drafts):
        name = f"{previous.key}{DRAFT_SUFFIX}" if previous is not None else DRAFT_SUFFIX.lstrip("-")
    today = revision.committed_at.astimezone(calendar.zone).date()
    declared = _published_date(matter.published, calendar)
    published = max(declared, today) if declared is not None else today
    return replace(matter, version=name, published=published)


def _continue_version(
    draft: _Draft,
    revision: FileRevision,
    matter: FrontMatter,
    body: str,
    calendar: WorkingCalendar,
    published_as: dt.date | dt.datetime | None,
) -> None:
    """`published_as`: the version's `published` (for a translation, the source's)."""
    published = _published_date(published_as, calendar)
    committed = revision.committed_at.astimezone(calendar.zone).date()
    if body != draft.body and published is not None and committed > published:
        # The version keeps the text it was published with; the change is judged when
        # the version ends (restored, superseded by a stamped version, or still there).
        draft.rewrites.append(revision)
        draft.rewritten = True
        return
    draft.rewritten = False
    draft.last, draft.matter, draft.body = revision, matter, body
    draft.commits.append(revision)


def _judge_rewrites(
    doc_id: str,
    draft: _Draft,
    successor: str | None,
    findings: Findings,
    *,
    source: Mapping[str, _Draft] | None = None,
) -> None:
    """A published text is immutable. A change that is still there at the end of the
    history fails; one that was restored, or that became the next stamped version, is
    history that cannot be undone and is only reported. For a translation, `source`
    holds the source's versions by name: their `published` is the translation's."""
    if not draft.rewrites:
        return
    first, path = draft.rewrites[0], draft.rewrites[0].path
    published = draft.matter.published
    if source is not None and draft.key in source:
        published = source[draft.key].matter.published
    when = f", published {published.isoformat()}," if published is not None else ""
    if not draft.rewritten:
        findings.advisory(
            f"commit {first.short} changed the text of version {draft.key}{when} without a new "
            "version; a later commit restored it",
            file=path,
        )
    elif successor is not None:
        findings.advisory(
            f"commit {first.short} changed the text of version {draft.key}{when} before version "
            f"{successor} was stamped; until then the site showed the change unannounced",
            file=path,
            remedy="stamp a revision (`policyctl publish`) in the same commit or pull request as its text",
        )
    else:
        findings.violation(
            "published-text-changed",
            f"commit {first.short} changes the text of version {draft.key}{when} without a new version",
            file=path,
            commit=first.short,
            remedy=f"a published text is immutable: restore it (`git checkout {draft.last.short} -- {path}`) "
            f"and commit, then publish the change as a new version "
            f'(`policyctl publish {doc_id} --version <new> --summary "..."`)',
        )


def _latest_sighting(
    sightings: Sightings, doc_id: str, version: str, languages: Sequence[str], published: dt.date
) -> tuple[dt.date, int | None] | None:
    """The latest day on which one of the version's languages was first seen (a window
    holds for every language's readers), or None when the record cannot say."""
    found = [s for language in languages if (s := sightings.seen((doc_id, language, version), published))]
    return max(found, key=lambda s: s[0]) if found else None


def _finish(
    doc_id: str,
    draft: _Draft,
    previous: Version | None,
    calendar: WorkingCalendar,
    working_days: int,
    findings: Findings,
    *,
    arrived: FileRevision | None = None,
    seen: Callable[[dt.date], tuple[dt.date, int | None] | None] | None = None,
) -> Version:
    """`previous`: the version before it (None: the document's first version).
    `arrived`: the revision that brought the version's last language to the branch
    (its own first commit when there are no translations): it is published from then.
    `seen`: given the publication day, when the public first saw the version (the day,
    and the publication log's line; None for this run), from the publication log."""
    # Front matter is read from the version's last commit: name that commit.
    matter, file, commit = draft.matter, draft.last.path, draft.last.short
    first = previous is None
    arrived = arrived or draft.first
    introduced = arrived.committed_at.astimezone(calendar.zone).date()
    published_day = introduced
    if not draft.per_commit:
        declared = _published_date(matter.published, calendar)
        if declared is None:
            findings.violation(
                "published-missing",
                f"version {draft.key} has no `published` date",
                file=file,
                commit=commit,
                remedy=f"add `published: {introduced.isoformat()}` "
                f"(or run `policyctl publish {doc_id} --version {draft.key}`)",
            )
        elif declared < introduced and arrived.path != draft.first.path:
            dates = f"`published: {introduced.isoformat()}`"
            if not first:
                lawful = earliest_effective(introduced, calendar, working_days).lawful
                dates += f" and `effective: {lawful.date().isoformat()}` (or later)"
            findings.violation(
                "translation-late",
                f"version {draft.key} says published {declared.isoformat()}, but it reached the "
                f"branch in every language only on {introduced.isoformat()}, when this translation arrived",
                file=arrived.path,
                commit=arrived.short,
                remedy=f"the {working_days}-working-day window counts from the day the last language "
                f"reaches the branch: set {dates} in {file}, and merge translations in the same "
                "pull request as the source",
            )
        elif declared < introduced:
            # Published is when it reached the built branch, never earlier: the window
            # counts from there whatever the front matter says.
            findings.violation(
                "backdated",
                f"version {draft.key} says published {declared.isoformat()}, but it reached "
                f"the branch only on {introduced.isoformat()} (commit {draft.first.short})",
                file=file,
                commit=draft.first.short,
                remedy=f"set `published: {introduced.isoformat()}` (or later) in a new commit; "
                "the publicity window counts from the day a revision reaches the branch",
            )
        else:
            published_day = declared
    if not first and not draft.per_commit and not matter.summary:
        findings.violation(
            "summary-missing",
            f"version {draft.key} has no `summary` of what changed",
            file=file,
            commit=commit,
            remedy="add a plain-language `summary:` to the front matter; "
            "readers and the change notice show it",
        )
    published = local_midnight(published_day, calendar.zone)
    sighting = seen(published_day) if seen is not None and not first else None
    late_sighting = sighting if sighting is not None and sighting[0] > published_day else None
    window_from = published_day
    if late_sighting is not None and draft.per_commit:
        # Versioned per commit: effective "when the window allows", counted from the day
        # the public first saw it.
        window_from = late_sighting[0]
    earliest = earliest_effective(
        window_from,
        calendar,
        working_days,
        first=first,
        after=previous.effective if previous is not None else None,
    )
    window = earliest.window
    if window is not None and window.unscheduled_years:
        years = ", ".join(str(y) for y in window.unscheduled_years)
        findings.advisory(
            f"the window of version {draft.key} reaches {years}, for which the "
            f"{calendar.region} calendar has no official holiday schedule yet; "
            f"the earliest effective date {window.earliest_effective.date().isoformat()} "
            "may move when the schedule is announced",
            file=file,
            remedy="once the schedule is announced, upgrade the holidays package, or enter its "
            "holidays and make-up days as `extra_holidays` / `extra_working_days` and list the "
            "year in `known_years`; then rerun check",
        )
    effective = earliest.lawful
    if matter.effective is not None:
        declared = _instant(matter.effective, calendar)
        if declared < earliest.lawful:
            what = (
                f"before the end of its {working_days}-working-day publicity window"
                if window
                else "before its publication"
            )
            findings.violation(
                "window-too-short",
                f"version {draft.key} takes effect {short_date(declared)}, {what}; "
                f"the earliest allowed is {short_date(earliest.lawful)}",
                file=file,
                commit=commit,
                remedy=f"set `effective: {earliest.lawful.date().isoformat()}` or later, "
                "or remove `effective` to use the earliest allowed date",
            )
        effective = declared
    if late_sighting is not None and not draft.per_commit and window is not None:
        lawful = earliest_effective(late_sighting[0], calendar, working_days).lawful
        if effective < lawful:
            day, line = late_sighting
            when = (
                f"was first shown on the public site on {day.isoformat()} (publication log, line {line})"
                if line is not None
                else f"is not in the publication log: the public site shows it first now, on {day.isoformat()}"
            )
            findings.violation(
                "window-unseen",
                f"version {draft.key} {when}, though it says published {published_day.isoformat()}; "
                f"its {working_days}-working-day window counts from the day the public saw it, and it "
                f"takes effect {short_date(effective)}, before the earliest lawful {short_date(lawful)}",
                file=file,
                commit=commit,
                remedy=f"set `effective: {lawful.date().isoformat()}` or later (counted from "
                f"{day.isoformat()}; a day later if the fix is built a day later); build the site on "
                "the day a revision is merged, its publication day",
            )
    # Per-commit versions of one day share an effective instant: the later one wins.
    tie = draft.per_commit and previous is not None and effective == previous.effective
    if previous is not None and not earliest.in_order(effective) and not tie:
        findings.violation(
            "effective-order",
            f"version {draft.key} takes effect {short_date(effective)}, not after "
            f"version {previous.version} ({short_date(previous.effective)})",
            file=file,
            commit=draft.first.short,
            remedy=f"set `effective:` of version {draft.key} later than {short_date(previous.effective)}",
        )
    text = draft.body
    return Version(
        document=doc_id,
        version=draft.key,
        title=matter.title or default_title(doc_id),
        path=file,
        text=text,
        commit=draft.last.commit,
        first_commit=draft.first.commit,
        sha256=hashlib.sha256(draft.last.data).hexdigest(),
        source=draft.last.data,
        published=published,
        effective=effective,
        summary=matter.summary,
        sections=parse_sections(text),
        window=window,
        effective_declared=matter.effective is not None,
        per_commit=draft.per_commit,
        draft=draft.last.uncommitted,
    )
