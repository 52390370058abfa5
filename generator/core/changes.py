"""What a revision changed, section by section, and whether core rights are touched."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from generator.core.sections import Section
from generator.core.sequences import longest_increasing

ChangeKind = Literal["added", "removed", "changed", "moved"]


@dataclass(frozen=True)
class SectionChange:
    """One section that a revision added, removed, changed or moved."""

    id: str
    title: str
    kind: ChangeKind
    core_rights: bool


@dataclass(frozen=True)
class ChangeSummary:
    """The sections a revision touched. Renumbering and spacing alone are no change."""

    sections: tuple[SectionChange, ...] = ()

    def ids(self, kind: ChangeKind) -> tuple[str, ...]:
        return tuple(c.id for c in self.sections if c.kind == kind)

    @property
    def added(self) -> tuple[str, ...]:
        return self.ids("added")

    @property
    def removed(self) -> tuple[str, ...]:
        return self.ids("removed")

    @property
    def changed(self) -> tuple[str, ...]:
        return self.ids("changed")

    @property
    def moved(self) -> tuple[str, ...]:
        return self.ids("moved")

    @property
    def core_rights_changed(self) -> bool:
        return any(c.core_rights for c in self.sections)

    @property
    def core_rights_sections(self) -> tuple[SectionChange, ...]:
        return tuple(c for c in self.sections if c.core_rights)

    @property
    def is_empty(self) -> bool:
        return not self.sections

    def as_dict(self) -> dict[str, list[str]]:
        return {
            "added": list(self.added),
            "removed": list(self.removed),
            "changed": list(self.changed),
            "moved": list(self.moved),
        }


def _in_order(a: Sequence[str], b: Sequence[str]) -> set[str]:
    """Ids that keep their relative order (both sequences hold the same ids once each)."""
    position = {item: index for index, item in enumerate(b)}
    return {a[i] for i, _ in longest_increasing([(i, position[item]) for i, item in enumerate(a)])}


def compare(old: Sequence[Section], new: Sequence[Section]) -> ChangeSummary:
    """Classify the sections of `new` against `old` by stable id."""
    old_by_id = {s.id: s for s in old}
    new_by_id = {s.id: s for s in new}
    common_old = [s.id for s in old if s.id in new_by_id]
    common_new = [s.id for s in new if s.id in old_by_id]
    in_order = _in_order(common_old, common_new)

    changes: list[SectionChange] = []
    for section in new:
        before = old_by_id.get(section.id)
        core = section.core_rights or bool(before and before.core_rights)
        if before is None:
            changes.append(SectionChange(section.id, section.title, "added", core))
            continue
        if before.fingerprint != section.fingerprint:
            changes.append(SectionChange(section.id, section.title, "changed", core))
        if section.id not in in_order or before.parent != section.parent:
            changes.append(SectionChange(section.id, section.title, "moved", core))
    for section in old:
        if section.id not in new_by_id:
            changes.append(SectionChange(section.id, section.title, "removed", section.core_rights))
    return ChangeSummary(tuple(changes))
