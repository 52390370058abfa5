"""Where notify's files live: the templates it renders, ``site_templates/`` beside the
packages (in the repository, and once installed), one folder per kind (``email/``,
``answers/``); and the repository's private folder, where what it writes by default goes."""

from __future__ import annotations

from pathlib import Path

SITE_TEMPLATES = Path(__file__).resolve().parents[2] / "site_templates"

PRIVATE_FOLDER = ".policy"
"""The repository's folder of what holds users' addresses, kept out of git: the default
ledger (``ledger.sqlite3``), outbox (``outbox/``) and, for a database ledger, the outcome
journals (``outcomes/``). The generator names the same folder for its cache
(`generator.settings.PRIVATE_FOLDER`; notify stands alone)."""


def private_folder(repo: Path) -> Path:
    """The private folder of ``repo``: where notify keeps what it writes unless told otherwise."""
    return repo / PRIVATE_FOLDER
