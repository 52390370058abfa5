"""Which version is in force, pending or scheduled at an instant. Pure."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from generator.core.changes import ChangeSummary, compare
from generator.core.history import Document, Version

Status = Literal["in-force", "pending", "superseded", "scheduled", "draft"]
"""Where a version stands at an instant; the one vocabulary of pages, data files and
commands ("draft": an uncommitted text, in an editor's preview only)."""
IN_FORCE: Status = "in-force"
PENDING: Status = "pending"
SUPERSEDED: Status = "superseded"
SCHEDULED: Status = "scheduled"
DRAFT: Status = "draft"


@dataclass(frozen=True)
class DocumentState:
    """A document as visitors see it at `as_of`."""

    document: Document
    as_of: dt.datetime
    in_force: Version | None
    pending: tuple[Version, ...]
    """Published, not yet effective: the publicity window is open."""
    scheduled: tuple[Version, ...]
    """Published after `as_of` (and drafts): invisible on the public site."""

    @property
    def published(self) -> tuple[Version, ...]:
        """Every version visitors may see at `as_of`, oldest first."""
        return tuple(v for v in self.document.versions if v.published <= self.as_of and not v.draft)

    def status(self, version: Version) -> Status:
        if version.draft:
            return DRAFT
        if version.published > self.as_of:
            return SCHEDULED
        if version.effective > self.as_of:
            return PENDING
        return IN_FORCE if version == self.in_force else SUPERSEDED

    def until(self, version: Version, *, drafts: bool = False) -> dt.datetime | None:
        """In force until: when the next version (published by `as_of`, or any with
        `drafts`) replaces this one; may lie in the future."""
        later = self.document.versions if drafts else self.published
        return min((v.effective for v in later if v.effective > version.effective), default=None)

    @property
    def next_change(self) -> dt.datetime | None:
        """The next instant the public site changes: a publication or a taking effect."""
        moments = [v.effective for v in self.pending]
        moments += [m for v in self.scheduled for m in (v.published, v.effective)]
        return min((m for m in moments if m > self.as_of), default=None)

    def previous(self, version: Version) -> Version | None:
        return self.document.previous(version)

    def changes(self, version: Version) -> ChangeSummary:
        """What `version` changed against the version before it."""
        before = self.previous(version)
        return changes_between(before, version) if before else ChangeSummary()

    def pending_changes(self, version: Version) -> ChangeSummary:
        """What a pending version changes against the version in force (what users agreed to)."""
        base = self.in_force or self.previous(version)
        return changes_between(base, version) if base else ChangeSummary()


def state_at(document: Document, as_of: dt.datetime) -> DocumentState:
    # A draft (an uncommitted text in an editor's preview) is never published.
    visible = [v for v in document.versions if v.published <= as_of and not v.draft]
    # On a tie (two per-commit versions of one day) the later version is in force.
    in_force = max(
        (v for v in visible if v.effective <= as_of),
        key=lambda v: (v.effective, document.versions.index(v)),
        default=None,
    )
    return DocumentState(
        document=document,
        as_of=as_of,
        in_force=in_force,
        pending=tuple(v for v in visible if v.effective > as_of),
        scheduled=tuple(v for v in document.versions if v not in visible),
    )


def changes_between(old: Version, new: Version) -> ChangeSummary:
    key = (old.sha256, new.sha256)
    summary = _SUMMARIES.get(key)
    if summary is None:
        summary = _SUMMARIES[key] = compare(old.sections, new.sections)
    return summary


# Summaries by the files' content hashes: the same pair is compared once per process.
_SUMMARIES: dict[tuple[str, str], ChangeSummary] = {}
