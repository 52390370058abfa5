"""A document's translations (`policy/<id>.<lang>.md`, `generator.core.translations`):
each translation's file read into versions by the name of the source version they
carry; the rules a translation keeps (it names a version the source has, with the
source's section ids, core-rights marks and dates, and a summary of its own); each
version in each language; and the languages that lag behind the source at the tip.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from generator.core.calendar import WorkingCalendar
from generator.core.dates import short_date
from generator.core.errors import Findings
from generator.core.history.drafts import Draft, collect, instant, published_date, written
from generator.core.history.model import Version
from generator.core.history.rules import judge_rewrites
from generator.core.marks import section_mark_problems
from generator.core.revisions import FileRevision
from generator.core.sections import parse_sections
from generator.core.translations import Lag, section_differences, translation_path


@dataclass
class TranslatedFile:
    """A translation's file: its versions by the name of the source version they carry."""

    language: str
    path: str
    since: dt.datetime
    """When the file first reached the branch: the language's duty starts there."""
    by_key: dict[str, Draft]
    tip: Draft | None


def translated_file(
    doc_id: str,
    language: str,
    revisions: Sequence[FileRevision],
    source_drafts: Sequence[Draft],
    calendar: WorkingCalendar,
    findings: Findings,
) -> TranslatedFile:
    """The `language` translation's file from its revisions; `source_drafts`: the
    source's versions, oldest first."""
    source = {d.key: d for d in source_drafts if not d.per_commit}
    uncommitted = source_drafts[-1].key if source_drafts and source_drafts[-1].last.uncommitted else None
    drafts = collect(revisions, calendar, findings, source=source, source_draft=uncommitted)
    judge_rewrites(doc_id, drafts, findings, source=source)
    path = revisions[-1].path
    committed = [d for d in drafts if not d.last.uncommitted]
    tip = committed[-1] if committed else None
    source_tip = next((d for d in reversed(source_drafts) if not d.last.uncommitted), None)
    _judge_version_fields(doc_id, language, path, tip, source_tip, findings)
    _judge_unknown_versions(language, drafts, tip, source, source_drafts, findings)
    if tip is not None and tip.key in source:
        _judge_sections(language, tip, source[tip.key], findings)
    by_key = {d.key: d for d in drafts if not d.per_commit and d.key in source}
    return TranslatedFile(language, path, revisions[0].committed_at, by_key, tip)


def _judge_version_fields(
    doc_id: str,
    language: str,
    path: str,
    tip: Draft | None,
    source_tip: Draft | None,
    findings: Findings,
) -> None:
    """A translation names the version of the source it translates: both need `version`."""
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


def _judge_unknown_versions(
    language: str,
    drafts: Sequence[Draft],
    tip: Draft | None,
    source: Mapping[str, Draft],
    source_drafts: Sequence[Draft],
    findings: Findings,
) -> None:
    """A translation's version the source never had: a violation at the tip, else only
    reported (it was never published)."""
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


def _judge_sections(language: str, tip: Draft, source: Draft, findings: Findings) -> None:
    """The translation at the tip has the source's section ids and core-rights marks."""
    text = tip.body
    findings.extend(section_mark_problems(text, file=tip.last.path, commit=tip.last.short))
    differences = section_differences(parse_sections(source.body), parse_sections(text))
    if differences:
        findings.violation(
            "translation-sections",
            f"version {tip.key} in {language} does not have the source's sections and marks "
            f"({source.last.path}): " + "; ".join(differences),
            file=tip.last.path,
            commit=tip.last.short,
            remedy="give each translated heading the same `{#id}` and `.core-rights` mark as the "
            "source's heading (a Chinese heading's own slug is another id)",
        )


def translate(
    version: Version,
    source: Draft,
    file: TranslatedFile,
    language: str,
    first: bool,
    calendar: WorkingCalendar,
    findings: Findings,
) -> Version:
    """`version` in `language`: the translation's own words and title; the source's dates
    (`source`: the source's draft of it; `first`: the document's first version)."""
    draft = file.by_key[version.version]
    matter, path, commit = draft.matter, draft.last.path, draft.last.short
    declared = published_date(matter.published, calendar)
    if declared is not None and declared != published_date(source.matter.published, calendar):
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
        or instant(matter.effective, calendar) != instant(source.matter.effective, calendar)
    ):
        findings.violation(
            "translation-effective",
            f"version {version.version} says effective {short_date(instant(matter.effective, calendar))} "
            f"here, but the source {source.last.path} says "
            f"{short_date(instant(source.matter.effective, calendar)) if source.matter.effective else 'none'}",
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
    return replace(
        version,
        **written(draft),
        title=matter.title or version.title,
        language=language,
        translations=(),
        original=version,
    )


def _day_text(value: dt.date | dt.datetime | None, calendar: WorkingCalendar) -> str:
    day = published_date(value, calendar)
    return day.isoformat() if day is not None else "nothing"


def lags(
    doc_id: str,
    source_path: str,
    drafts: Sequence[Draft],
    files: Mapping[str, TranslatedFile],
    translated: Sequence[str],
    held: set[str],
) -> list[Lag]:
    """The languages whose file does not carry the source's latest committed version."""
    tip = next((d for d in reversed(drafts) if not d.last.uncommitted), None)
    if tip is None:
        return []
    source_keys = {d.key for d in drafts}
    found: list[Lag] = []
    for language in translated:
        file = files.get(language)
        carried = file.tip if file is not None else None
        if file is not None and (carried is None or carried.per_commit or carried.key not in source_keys):
            continue  # a translation with no version, or one the source lacks: a violation says so
        if carried is not None and carried.key == tip.key:
            continue
        found.append(
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
    return found
