"""Where notify's files live: the templates it renders, ``site_templates/`` beside the
packages (in the repository, and once installed), one folder per kind (``email/``,
``answers/``); and the repository's private folder, where what it writes by default goes."""

from __future__ import annotations

import os
import stat
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


PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
"""What holds users' addresses and personal links (the ledger, its journal, the outbox,
the evidence export) is its owner's alone, whatever the umask."""


def private_dir(path: Path, *, narrow: bool = True) -> None:
    """``path`` as a folder only its owner may enter: every missing folder on the way is
    made with ``PRIVATE_DIR_MODE``, whatever the umask; with ``narrow``, ``path`` itself,
    when it is there already and open to others, is narrowed to it (when it is ours)."""
    missing = []
    folder = path
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, PRIVATE_DIR_MODE)
        except FileExistsError:  # another worker made it in the meantime
            continue
        os.chmod(folder, PRIVATE_DIR_MODE)  # the umask may have taken more away
    if narrow:
        _narrow(path, PRIVATE_DIR_MODE)


def private_file(path: Path) -> None:
    """``path`` as a file only its owner may read: created empty with
    ``PRIVATE_FILE_MODE`` when missing (whatever the umask), narrowed to it when it is
    open to others (when it is ours and a plain file, not ``/dev/stdout``)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    except FileExistsError:
        if path.is_file():
            _narrow(path, PRIVATE_FILE_MODE)
        return
    try:
        os.fchmod(fd, PRIVATE_FILE_MODE)  # the umask may have taken more away
    finally:
        os.close(fd)


def _narrow(path: Path, mode: int) -> None:
    try:
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            os.chmod(path, mode)
    except PermissionError:
        pass  # not ours: its owner decides


def default_url(repo: Path) -> str:
    """The ledger of ``repo`` unless ``--ledger`` names another: SQLite, in its private folder."""
    return f"sqlite:///{default_path(repo).resolve()}"


def default_path(repo: Path) -> Path:
    """The file of :func:`default_url`."""
    return private_folder(repo) / "ledger.sqlite3"
