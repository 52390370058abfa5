"""A notice: the open publicity window of a revision, and what it tells users.

One projection shared by everything that announces a revision: the site's banner,
pop-up and callouts, `notices.json`, the feed, `notice.js` and the messages to
registered users (`policyctl notify`). Its links come from `generator.core.urls`.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.core import urls
from generator.core.changes import ChangeSummary
from generator.core.history import Version, redline_url
from generator.core.sections import Section
from generator.core.timeline import NEVER_IN_FORCE, PENDING, DocumentState

RIGHTS_SECTION_IDS = ("rights", "user-rights", "users-rights", "your-rights")
"""Section ids of the section on users' rights (how to object, withdraw consent)."""


@dataclass(frozen=True)
class Notice:
    """A revision announced to users, compared with the version they agreed to."""

    version: Version
    base: Version | None
    """What users agreed to: the version in force (for a late notice, the one before)."""
    changes: ChangeSummary
    """What the revision changes against `base`."""
    in_force: Version | None
    """The version in force when the notice is given (its page is the document page)."""
    late: bool = False
    """Given after the revision took effect (`policyctl notify --late`)."""

    @property
    def document(self) -> str:
        return self.version.document

    @property
    def key(self) -> str:
        """Identifies the revision for once-per-revision dismissal and delivery."""
        return f"{self.document}@{self.version.version}"

    @property
    def core_rights(self) -> bool:
        return self.changes.core_rights_changed

    @property
    def language(self) -> str | None:
        """The notice's language when it is a translation's (its URLs are under it), else None."""
        return self.version.translation_language

    @property
    def url(self) -> str:
        """The full text of the revision."""
        return urls.version(self.document, self.version.version, language=self.language)

    @property
    def changes_url(self) -> str | None:
        """The redline from what users agreed to; None for a first version."""
        if self.base is None:
            return None
        return redline_url(self.base, self.version)

    @property
    def rights_url(self) -> str:
        """Where users read how to object or withdraw consent: the rights section of the
        version that applies now, on the document page (else of the revision, on its page)."""
        document = urls.document(self.document, language=self.language)
        for version, page in ((self.in_force, document), (self.version, self.url)):
            section = rights_section(version.sections) if version is not None else None
            if section is not None:
                return urls.with_anchor(page, urls.section_anchor(section.id))
        return document


def rights_section(sections: tuple[Section, ...]) -> Section | None:
    """The section on users' rights: by its id, else the first whose id names rights."""
    by_id = {s.id: s for s in sections}
    for section_id in RIGHTS_SECTION_IDS:
        if section_id in by_id:
            return by_id[section_id]
    return next((s for s in sections if "rights" in s.id.split("-")), None)


def notice_of(state: DocumentState, version: Version, *, late: bool = False) -> Notice:
    """The notice of `version` at the state's instant. A pending revision is compared with
    the version in force; a late one with the version before it."""
    previous = state.previous(version)
    base = previous if late else (state.in_force or previous)
    changes = state.changes(version) if late else state.pending_changes(version)
    return Notice(version, base, changes, state.in_force, late)


def open_notices(state: DocumentState) -> tuple[Notice, ...]:
    """Every revision whose publicity window is open at the state's instant."""
    return tuple(notice_of(state, v) for v in state.pending if state.status(v) == PENDING)


def compared_with(state: DocumentState, target: Version) -> tuple[Version, ...]:
    """The earlier versions that the site compares with `target` on a redline page of
    their own (`/<doc>/changes/<old>-to-<target>/`), oldest first; one rule for the site's
    pages and the notices that link them.

    A user who accepted a version years ago, or who objected to a revision and kept the
    version before it, reads in one page what changed since the version that governs them.
    So `target` is compared with every earlier published version when it is the version
    in force or a pending revision (its publicity window is open), and with none otherwise
    (a superseded version has only the redline from its neighbour). A version that never
    took effect (`NEVER_IN_FORCE`: replaced before its effective date) is left out: it
    never governed anyone (`notify.answers.rule` skips it too), and its page links the version
    that replaced it. Drafts and scheduled versions are never published, so never here."""
    if target != state.in_force and target not in state.pending:
        return ()
    earlier = []
    for version in state.published:
        if version == target:
            break
        if state.status(version) != NEVER_IN_FORCE:
            earlier.append(version)
    return tuple(earlier)
