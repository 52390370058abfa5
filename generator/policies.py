"""The policies of a repository: every document's history, read once per run.

The adapter between git (`generator.repository`) and the pure history rules
(`generator.core.history`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

from generator.core.clock import dated_before_parents, future_dated
from generator.core.errors import Advisory, EmptyRepositoryError, Violation
from generator.core.history import Document, History, build_document
from generator.core.record import NO_SIGHTINGS, Sightings
from generator.core.revisions import UNCOMMITTED, FileRevision
from generator.core.translations import group_files
from generator.repository import first_parent_dates, open_repository, policy_histories, working_files
from generator.settings import Settings


def _lags_on_disk(document: Document, repo_path: Path) -> Document:
    """`document` with each missing translation that is a file of the working tree (an
    editor who has not committed it yet) marked so (`Lag.uncommitted`)."""
    if not any(lag.carried is None for lag in document.lags):
        return document
    lags = tuple(
        replace(lag, uncommitted=True) if lag.carried is None and _regular_file(repo_path / lag.path) else lag
        for lag in document.lags
    )
    return replace(document, lags=lags)


def _regular_file(path: Path) -> bool:
    return not path.is_symlink() and path.is_file()


def _unknown_documents(settings: Settings, known: set[str]) -> list[Advisory]:
    """A document named under `documents` in the settings that is no document of the
    policy folder (a typo, or a document not written yet): its period applies to nothing."""
    return [
        Advisory(
            f"the settings give document {doc_id!r} its own notice period ({period}), but there is no "
            f"document {doc_id!r} under {settings.policy_dir}/ (documents: {', '.join(sorted(known))})",
            file="mkdocs.yml",
            remedy=f"name a document of {settings.policy_dir}/ under `documents:` (its file name without .md), "
            "or remove the entry",
        )
        for doc_id, period in settings.documents
        if doc_id not in known
    ]


def read_history(
    repo_path: Path,
    settings: Settings,
    *,
    drafts_at: dt.datetime | None = None,
    sightings: Sightings = NO_SIGHTINGS,
) -> History:
    """Read every `policy/*.md` from git, following renames. Raises PolicyError (exit 2)
    for unusable input; rule violations are returned for `check` to report.

    With several `languages`, `policy/<id>.<lang>.md` is the `<lang>` translation of
    `policy/<id>.md`: each version comes with its texts in the languages that carry it.

    With `drafts_at` (an editor's preview), the policy files of the working tree that
    differ from their last commit are read too, as uncommitted revisions at that instant:
    they go through the same rules as committed ones and come out as draft versions.

    With `sightings` (from the publication log, `generator.records`), a version's window
    counts from the day the public first saw it when that is later than its publication.
    """
    repo = open_repository(repo_path)
    calendar = settings.calendar
    try:
        histories = policy_histories(repo, settings.policy_dir)
        dates = first_parent_dates(repo, settings.policy_dir)
        if drafts_at is not None:
            for working in working_files(repo, settings.policy_dir):
                revisions = histories.setdefault(working.path, [])
                if revisions and revisions[-1].data == working.data:
                    continue
                revisions.append(FileRevision(UNCOMMITTED, drafts_at, working.path, working.data, True))
    finally:
        repo.close()
    if not histories:
        raise EmptyRepositoryError(
            f"no policy documents: {settings.policy_dir}/*.md is empty at HEAD",
            file=str(repo_path / settings.policy_dir),
            remedy=f"commit at least one Markdown file under {settings.policy_dir}/",
        )
    documents: list[Document] = []
    violations: list[Violation] = []
    grouped = group_files(histories, settings.languages)
    advisories = _unknown_documents(settings, set(grouped))
    for doc_id, files in sorted(grouped.items()):
        result = build_document(
            doc_id,
            histories[files.source],
            calendar,
            settings.period_of(doc_id),
            languages=settings.languages,
            translations={language: histories[path] for language, path in files.translations},
            sightings=sightings,
        )
        documents.append(_lags_on_disk(result.document, repo_path))
        violations += result.violations
        advisories += result.advisories
    # Clock sanity: dates that cannot be true, against this machine's clock (not --as-of).
    # A future-dated commit is clock skew: not also "reached the branch only on <its date>".
    now = dt.datetime.now(calendar.zone)
    skewed = future_dated(dates, now)
    wrong = {v.commit for v in skewed}
    violations = [
        *skewed,
        *dated_before_parents(dates, calendar.zone, now=now),
        *(v for v in violations if not (v.rule in ("backdated", "translation-late") and v.commit in wrong)),
    ]
    return History(tuple(documents), tuple(violations), tuple(advisories), settings.languages)
