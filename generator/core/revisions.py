"""A policy file as one commit left it: what the history rules read, without git."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class FileRevision:
    """A policy file as one commit left it (or, for an editor's preview, as the working
    tree holds it now: `uncommitted`)."""

    commit: str
    committed_at: dt.datetime
    """The commit date; for an uncommitted file, the instant of the preview."""
    path: str
    data: bytes
    uncommitted: bool = False

    @property
    def short(self) -> str:
        return self.commit[:7]


UNCOMMITTED = "working-tree"
"""The `commit` of an uncommitted file's revision."""
