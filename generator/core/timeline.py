"""Which version is in force, pending or scheduled at an instant. Pure."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from generator.core.changes import ChangeSummary, compare
from generator.core.history import Document, Version, one_language

Status = Literal["in-force", "pending", "superseded", "never-in-force", "scheduled", "draft"]
"""Where a version stands at an instant; the one vocabulary of pages, data files and
commands ("draft": an uncommitted text, in an editor's preview only)."""
IN_FORCE: Status = "in-force"
PENDING: Status = "pending"
SUPERSEDED: Status = "superseded"
NEVER_IN_FORCE: Status = "never-in-force"
"""Replaced before it took effect: a later version takes effect no later than it (two
per-commit versions of one day share an effective instant; the later one wins). It has
no period in force at all (see `DocumentState.replaced_by`)."""
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
        return tuple(v for v in self.document.versions if _visible(v, self.as_of))

    @functools.cached_property
    def _replacements(self) -> dict[bool, tuple[Version | None, ...]]:
        """By `drafts`: what replaced each version of the document before it took effect
        (see `replaced_by`), in the document's order."""
        versions = self.document.versions
        return {
            False: _replacements(versions, lambda v: _visible(v, self.as_of)),
            True: _replacements(versions, lambda v: True),
        }

    @functools.cached_property
    def _positions(self) -> dict[int, int]:
        return {id(v): i for i, v in enumerate(self.document.versions)}

    def _position(self, version: Version) -> int:
        """Where `version` stands in the document's order (by identity, else by value)."""
        position = self._positions.get(id(version))
        if position is None or self.document.versions[position] is not version:
            return self.document.versions.index(version)
        return position

    def replaced_by(self, version: Version, *, drafts: bool = False) -> Version | None:
        """The version that replaced `version` before it took effect, or None.

        `version` never takes effect when a later version, published by `as_of` (with
        `drafts`, any later version), takes effect no later than it: from its effective
        instant on, that later version is in force instead (the one rule of `state_at`
        and of `policyctl applies`). The first such version is named."""
        return self._replacements[drafts][self._position(version)]

    def status(self, version: Version, *, drafts: bool = False) -> Status:
        """Where `version` stands at `as_of`; with `drafts`, a version replaced by a draft
        or scheduled version (in an editor's preview) is said never to take effect too."""
        if version.draft:
            return DRAFT
        if version.published > self.as_of:
            return SCHEDULED
        if self.replaced_by(version, drafts=drafts) is not None:
            return NEVER_IN_FORCE
        if version.effective > self.as_of:
            return PENDING
        return IN_FORCE if version == self.in_force else SUPERSEDED

    def until(self, version: Version, *, drafts: bool = False) -> dt.datetime | None:
        """In force until: when the next version that takes effect (published by `as_of`,
        or any with `drafts`) replaces this one; may lie in the future. None for a version
        that never takes effect (`replaced_by`): it has no period in force."""
        if self.replaced_by(version, drafts=drafts) is not None:
            return None
        later = self.document.versions[self._position(version) + 1 :]
        # Every later version takes effect after this one; the first to do so replaces it
        # (a later version tied with that one replaces it at the same instant).
        return min((v.effective for v in later if drafts or _visible(v, self.as_of)), default=None)

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


def _visible(version: Version, as_of: dt.datetime) -> bool:
    # A draft (an uncommitted text in an editor's preview) is never published.
    return version.published <= as_of and not version.draft


def state_at(document: Document, as_of: dt.datetime) -> DocumentState:
    visible = [v for v in document.versions if _visible(v, as_of)]
    # In force: the latest version (in the history's order) that has taken effect. On a
    # tie (two per-commit versions of one day) the later one is in force; the earlier
    # one never takes effect (`DocumentState.replaced_by`), so it is not pending either.
    in_force = next((v for v in reversed(visible) if v.effective <= as_of), None)
    replaced = _replacements(visible, lambda v: True)
    pending = [v for v, by in zip(visible, replaced, strict=True) if v.effective > as_of and by is None]
    return DocumentState(
        document=document,
        as_of=as_of,
        in_force=in_force,
        pending=tuple(pending),
        scheduled=tuple(v for v in document.versions if v not in visible),
    )


def _replacements(
    versions: Sequence[Version], counts: Callable[[Version], bool]
) -> tuple[Version | None, ...]:
    """For each of `versions` (oldest first): the first later version that `counts` and
    takes effect no later than it (it replaces it before it takes effect), else None.
    Linear when such versions are neighbours (ties of one day's commits)."""
    result: list[Version | None] = [None] * len(versions)
    earliest: dt.datetime | None = None  # the earliest effective instant of the later ones
    for index in range(len(versions) - 1, -1, -1):
        version = versions[index]
        if earliest is not None and earliest <= version.effective:
            result[index] = next(
                v for v in versions[index + 1 :] if counts(v) and v.effective <= version.effective
            )
        if counts(version):
            earliest = version.effective if earliest is None else min(earliest, version.effective)
    return tuple(result)


def changes_between(old: Version, new: Version) -> ChangeSummary:
    """What `new` changes against `old`, compared in one language (`one_language`): a
    translation compared in the source language names the sections by its own titles."""
    compared_old, compared_new = one_language(old, new)
    key = (compared_old.sha256, compared_new.sha256)
    summary = _SUMMARIES.get(key)
    if summary is None:
        summary = _SUMMARIES[key] = compare(compared_old.sections, compared_new.sections)
    return summary if compared_new is new else summary.titled_by(new.sections)


# Summaries by the files' content hashes: the same pair is compared once per process.
_SUMMARIES: dict[tuple[str, str], ChangeSummary] = {}
