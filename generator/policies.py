"""The policies of a repository: every document's history, read once per run."""

from __future__ import annotations

from pathlib import Path

from generator.core.errors import RepositoryError
from generator.core.history import History, build_document, document_id
from generator.repository import document_paths, file_history, open_repository
from generator.settings import Settings


def read_history(repo_path: Path, settings: Settings) -> History:
    """Read every `policy/*.md` from git, following renames. Raises PolicyError (exit 2)
    for unusable input; rule violations are returned for `check` to report."""
    repo = open_repository(repo_path)
    calendar = settings.calendar
    paths = document_paths(repo, settings.policy_dir)
    if not paths:
        raise RepositoryError(
            f"no policy documents: {settings.policy_dir}/*.md is empty at HEAD",
            file=str(repo_path / settings.policy_dir),
            remedy=f"commit at least one Markdown file under {settings.policy_dir}/",
        )
    documents, violations, advisories = [], [], []
    try:
        for path in paths:
            result = build_document(
                document_id(path), file_history(repo, path), calendar, settings.working_days
            )
            documents.append(result.document)
            violations += result.violations
            advisories += result.advisories
    finally:
        repo.close()
    return History(tuple(documents), tuple(violations), tuple(advisories))
