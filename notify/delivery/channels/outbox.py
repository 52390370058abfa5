"""The embedded default channel: each message as an .eml file in an outbox folder.

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


class OutboxChannel:
    name = "email"

    def __init__(self, directory: Path, composer: Composer) -> None:
        r = composer.revision
        self.root = directory
        self.directory = directory / _safe(r.document) / _safe(r.version)
        self.composer = composer
        self.description = f"outbox {self.directory}"

    async def preflight(self) -> None:
        try:
            private_dir(self.directory)
        except OSError as exc:
            raise NotifyError(
                f"cannot create the outbox {self.directory}: {exc}; give a writable --outbox DIR"
            ) from exc

    def session(self) -> OutboxSession:
        return OutboxSession(self)

    def path_for(self, message_id: str) -> Path:
        return self.directory / (hashlib.sha256(message_id.encode()).hexdigest()[:32] + ".eml")


class OutboxSession:
    def __init__(self, channel: OutboxChannel) -> None:
        self.channel = channel

    async def deliver(self, item: Claimed, timeout: float) -> Attempt:
        data = self.channel.composer.build(
            item.email, item.name, item.locale, item.message_id, item.recipient_id
        )
        path = self.channel.path_for(item.message_id)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
            with open(fd, "wb") as fh:
                os.fchmod(fd, PRIVATE_FILE_MODE)  # whatever the umask, or a stale file's mode
                fh.write(data)
            os.replace(tmp, path)
        except OSError as exc:
            # The same for every message (a full disk, a folder made read-only): the run
            # halts with the rows pending, it does not fail users.
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise ConfigurationError(
                "--outbox", f"cannot write to the outbox {self.channel.directory}: {exc.strerror or exc}"
            ) from exc
        return Attempt(SENT, f"written to {path.name}")

    async def close(self) -> None:
        return None
