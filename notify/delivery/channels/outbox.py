"""The embedded default channel: each message as an .eml file in an outbox folder (and,
with ``--sms outbox``, each text as a .txt file: :mod:`notify.delivery.channels.sms.channel`).

File names are derived from the stable Message-ID, and files are written
atomically (temporary file, then rename), so a rerun after a crash rewrites the
same file rather than adding a second message. A message holds an address and a
personal link: its folder and file are their owner's alone (0700, 0600).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

from notify.common.errors import ConfigurationError, NotifyError
from notify.common.resources import PRIVATE_FILE_MODE, private_dir
from notify.delivery.channels.base import SENT, Attempt
from notify.delivery.channels.message import Composer
from notify.delivery.ledger.ledger import Claimed


def _safe(part: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in part).strip(".") or "_"


def revision_folder(root: Path, document: str, version: str) -> Path:
    """Where the outbox keeps one revision's messages: ``<root>/<document>/<version>``."""
    return root / _safe(document) / _safe(version)


def file_name(message_id: str, suffix: str) -> str:
    """The file of one message: named after its stable Message-ID, so a rerun rewrites it."""
    return hashlib.sha256(message_id.encode()).hexdigest()[:32] + suffix


def create(directory: Path, flag: str) -> None:
    """Make the outbox folder, its owner's alone (NotifyError naming ``flag`` otherwise)."""
    try:
        private_dir(directory)
    except OSError as exc:
        raise NotifyError(f"cannot create the outbox {directory}: {exc}; give a writable {flag} DIR") from exc


def write(path: Path, data: bytes, flag: str) -> Attempt:
    """Write one message atomically (a temporary file, then a rename), its owner's alone
    (0600); a failure to write is the same for every message (a full disk, a folder made
    read-only): ConfigurationError, the run halts with the rows pending."""
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
        with open(fd, "wb") as fh:
            os.fchmod(fd, PRIVATE_FILE_MODE)  # whatever the umask, or a stale file's mode
            fh.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise ConfigurationError(
            flag, f"cannot write to the outbox {path.parent}: {exc.strerror or exc}"
        ) from exc
    return Attempt(SENT, f"written to {path.name}")


class OutboxChannel:
    name = "email"

    def __init__(self, directory: Path, composer: Composer) -> None:
        r = composer.revision
        self.root = directory
        self.directory = revision_folder(directory, r.document, r.version)
        self.composer = composer
        self.description = f"outbox {self.directory}"

    async def preflight(self) -> None:
        create(self.directory, "--outbox")

    def session(self) -> OutboxSession:
        return OutboxSession(self)

    def path_for(self, message_id: str) -> Path:
        return self.directory / file_name(message_id, ".eml")


class OutboxSession:
    def __init__(self, channel: OutboxChannel) -> None:
        self.channel = channel

    async def deliver(self, item: Claimed, timeout: float) -> Attempt:
        data = self.channel.composer.build(
            item.email, item.name, item.locale, item.message_id, item.recipient_id
        )
        return write(self.channel.path_for(item.message_id), data, "--outbox")

    async def close(self) -> None:
        return None
