"""From the commits of a policy file to its published versions, and the rules they keep.

Pure: takes the file's revisions (read by `generator.repository`) and the calendar,
returns versions plus the violations of the rules (docs/editors.md says them to editors).
`build_document` reads the revisions into versions being assembled (`drafts`), has the
translations read (`translated`) and the rules judged (`rules`), and publishes each
version once the last language reached the branch.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import replace

from generator.core import urls
from generator.core.calendar import WorkingCalendar
from generator.core.errors import Findings, PolicyError
from generator.core.history.drafts import Draft, collect, written
from generator.core.history.model import Document, DocumentHistory, Version, default_title
from generator.core.history.rules import Dates, judge_rewrites, latest_sighting, version_dates
from generator.core.history.translated import TranslatedFile, lags, translate, translated_file
from generator.core.marks import lost_marks, section_mark_problems
from generator.core.record import NO_SIGHTINGS, Sightings
from generator.core.revisions import FileRevision
from generator.core.translations import DEFAULT_LANGUAGE
from generator.core.window import NoticePeriod


def build_document(
    doc_id: str,
    revisions: Sequence[FileRevision],
    calendar: WorkingCalendar,
    period: NoticePeriod | int,
    *,
    languages: Sequence[str] = (DEFAULT_LANGUAGE,),
    translations: Mapping[str, Sequence[FileRevision]] | None = None,
    sightings: Sightings = NO_SIGHTINGS,
) -> DocumentHistory:
    """The versions of one document from its file's revisions, oldest first; with
    `translations` (the revisions of `<id>.<lang>.md` by language), each version in
    every language that carries it, published once the last language arrived. With
    `sightings` (from the publication log), a window counts from the day the public
    first saw the version when that is later than its publication day. `period`: the
    document's notice period (a number: working days)."""
    findings = Findings()
    period = NoticePeriod.of(period)
    problem = urls.document_id_problem(doc_id)
    if problem is not None:
        # Its URL would be broken or another page's: the input is unusable (exit 2).
        raise PolicyError(
            problem,
            file=revisions[-1].path if revisions else doc_id,
            remedy=f"rename the file (git mv); reserved ids: {', '.join(sorted(urls.RESERVED_IDS))}",
        )
    drafts = collect(revisions, calendar, findings)
    _judge_addresses(doc_id, drafts, findings)
    judge_rewrites(doc_id, drafts, findings)
    files = {
        language: translated_file(doc_id, language, revs, drafts, calendar, findings)
        for language in languages[1:]
        if (revs := (translations or {}).get(language))
    }
    versions, held = _publish(doc_id, drafts, files, languages, calendar, period, sightings, findings)
    _report_held(drafts, versions, held, findings)
    lagging = lags(doc_id, revisions[-1].path, drafts, files, languages[1:], {d.key for d, _ in held})
    _judge_marks(versions, findings)
    document = Document(
        doc_id,
        revisions[-1].path if revisions else "",
        versions[-1].title if versions else default_title(doc_id),
        tuple(versions),
        language=languages[0],
        languages=tuple(languages),
        translation_paths=tuple((language, f.path) for language, f in files.items()),
        lags=tuple(lagging),
    )
    return DocumentHistory(document, findings.violations, findings.advisories)


def _judge_addresses(doc_id: str, drafts: Sequence[Draft], findings: Findings) -> None:
    """Two version names that would share one address (`urls.version_slug`)."""
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


def _publish(
    doc_id: str,
    drafts: Sequence[Draft],
    files: Mapping[str, TranslatedFile],
    languages: Sequence[str],
    calendar: WorkingCalendar,
    period: NoticePeriod,
    sightings: Sightings,
    findings: Findings,
) -> tuple[list[Version], list[tuple[Draft, list[str]]]]:
    """The published versions, oldest first, each in every language that carries it;
    and the versions held back, with the languages owed that never carried them (a
    language owes the versions committed once its file reached the branch)."""
    source_language = languages[0]
    versions: list[Version] = []
    held: list[tuple[Draft, list[str]]] = []
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
        dates = version_dates(
            doc_id,
            draft,
            versions[-1] if versions else None,
            calendar,
            period,
            findings,
            arrived=arrived,
            seen=functools.partial(latest_sighting, sightings, doc_id, draft.key, carried),
        )
        version = _finish(doc_id, draft, dates)
        # Published only thanks to a translation of the working tree (a preview): a draft.
        previewed = any(f.by_key[draft.key].first.uncommitted for f in owed if draft.key in f.by_key)
        version = replace(
            version,
            language=source_language,
            source_language=source_language,
            draft=version.draft or previewed,
        )
        translated = tuple(
            translate(version, draft, files[language], language, len(versions) == 0, calendar, findings)
            for language in languages[1:]
            if language in files and draft.key in files[language].by_key
        )
        versions.append(replace(version, translations=translated))
    return versions, held


def _report_held(
    drafts: Sequence[Draft],
    versions: Sequence[Version],
    held: Sequence[tuple[Draft, list[str]]],
    findings: Findings,
) -> None:
    """A version held back for a language that never carried it, once a later one was
    published: it never will be."""
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


def _judge_marks(versions: Sequence[Version], findings: Findings) -> None:
    """The latest version's core-rights marks, and the marks it lost."""
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


def _finish(doc_id: str, draft: Draft, dates: Dates) -> Version:
    """The version `draft` assembles, with the dates the rules settled (`rules.version_dates`)."""
    matter = draft.matter
    return Version(
        document=doc_id,
        version=draft.key,
        title=matter.title or default_title(doc_id),
        published=dates.published,
        effective=dates.effective,
        window=dates.window,
        effective_declared=matter.effective is not None,
        per_commit=draft.per_commit,
        **written(draft),
    )
