"""A policy file as one commit left it: what the history rules read, without git."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class FileRevision:
    """A policy file as one commit left it."""

    commit: str
    committed_at: dt.datetime
    path: str
    data: bytes

    @property
    def short(self) -> str:
        return self.commit[:7]
