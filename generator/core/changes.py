"""What a revision changed, section by section, and whether core rights are touched.

Sections are paired first by their stable id (an explicit `{#id}`, else the slug of the
title: `generator.core.sections`), then, among those left over, by their words: a section
whose heading was reworded ("Our legal basis for processing" -> "Our legal bases for
processing") has a new slug, but it is the same section, changed, not one removed and
another added. Only what a reader sees counts: a section made only of lines nobody sees
(a preamble of link definitions) is no section here, and a section is changed when what
it shows is (`Section.fingerprint`: its words and the definitions it uses from elsewhere
in its document). The redline (`generator.core.diff`) classifies with this same function,
so the pages, the feed, the notices and the core-rights checks all say the same.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from generator.core.sections import Section, plain_words
from generator.core.sequences import longest_increasing

ChangeKind = Literal["added", "removed", "changed", "moved"]

PAIR_SIMILARITY = 0.6
"""Two sections that ids do not pair are one section when at least this share of the
words of their headings and bodies together is common to both (the Dice coefficient of
the two bags of words: 2 |A ∩ B| / (|A| + |B|)). Unrelated sections of one policy share
their function words ("we", "your", "the") and rarely reach 0.4; a reworded heading over
the same body is above 0.9."""
_PAIR_BUDGET = 10_000
"""Beyond this many unpaired old x new sections, content pairing is not attempted (a
rewrite, not a revision: the sections stay added and removed)."""


@dataclass(frozen=True)
class SectionChange:
    """One section that a revision added, removed, changed or moved."""

    id: str
    title: str
    """The section's title as plain text (no Markdown): the new one, the old one for a
    removed section."""
    kind: ChangeKind
    core_rights: bool
    renamed_from: str | None = None
    """For a section whose title changed: its old title (plain text); None otherwise."""


@dataclass(frozen=True)
class ChangeSummary:
    """The sections a revision touched. Renumbering and spacing alone are no change."""

    sections: tuple[SectionChange, ...] = ()

    def ids(self, kind: ChangeKind) -> tuple[str, ...]:
        return tuple(c.id for c in self.sections if c.kind == kind)

    def titled_by(self, sections: Sequence[Section]) -> ChangeSummary:
        """The same changes, each section named by its title in `sections` (a
        translation's: the same ids) where it has one there."""
        titles = {s.id: s.plain_title for s in sections}
        return ChangeSummary(tuple(replace(c, title=titles.get(c.id, c.title)) for c in self.sections))

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
    def renamed(self) -> tuple[SectionChange, ...]:
        """The changed sections whose title changed (`renamed_from` set)."""
        return tuple(c for c in self.sections if c.kind == "changed" and c.renamed_from is not None)

    @property
    def core_rights_changed(self) -> bool:
        return any(c.core_rights for c in self.sections)

    @property
    def core_rights_sections(self) -> tuple[SectionChange, ...]:
        return tuple(c for c in self.sections if c.core_rights)

    @property
    def is_empty(self) -> bool:
        return not self.sections

    def as_dict(self) -> dict[str, Any]:
        """The data files' form: the ids by kind, and each renamed section's old title."""
        return {
            "added": list(self.added),
            "removed": list(self.removed),
            "changed": list(self.changed),
            "moved": list(self.moved),
            "renamed": [{"id": c.id, "from": c.renamed_from, "to": c.title} for c in self.renamed],
        }


def _in_order(a: Sequence[str], b: Sequence[str]) -> set[str]:
    """Ids that keep their relative order (both sequences hold the same ids once each)."""
    position = {item: index for index, item in enumerate(b)}
    return {a[i] for i, _ in longest_increasing([(i, position[item]) for i, item in enumerate(a)])}


def _words(section: Section) -> Counter[str]:
    return Counter(plain_words(section.title + "\n" + section.body))


def similarity(a: Section, b: Section) -> float:
    """How alike two sections read: the Dice coefficient of the bags of words of their
    titles and bodies (0: no word in common, 1: the same words)."""
    return _dice(_words(a), _words(b))


def _dice(a: Counter[str], b: Counter[str]) -> float:
    total = a.total() + b.total()
    return 2 * (a & b).total() / total if total else 1.0


def pair_sections(old: Sequence[Section], new: Sequence[Section]) -> dict[str, Section]:
    """The old section each new section continues, by new id: the one with the same id,
    else (for sections ids leave unpaired) the most similar one at `PAIR_SIMILARITY` or
    above, best pairs first. Two sections that both carry an explicit `{#id}` are paired
    by id only: their author named them apart. Sections nobody sees are left out."""
    old = [s for s in old if s.visible]
    new = [s for s in new if s.visible]
    old_by_id = {s.id: s for s in old}
    pairs = {s.id: old_by_id[s.id] for s in new if s.id in old_by_id}
    new_ids = {s.id for s in new}
    lone_old = [s for s in old if s.id not in new_ids]
    lone_new = [s for s in new if s.id not in pairs]
    if not lone_old or not lone_new or len(lone_old) * len(lone_new) > _PAIR_BUDGET:
        return pairs
    old_words = [_words(s) for s in lone_old]
    new_words = [_words(s) for s in lone_new]
    candidates: list[tuple[float, int, int]] = []
    for j, after in enumerate(lone_new):
        for i, before in enumerate(lone_old):
            if before.explicit_id and after.explicit_id:
                continue
            score = _dice(old_words[i], new_words[j])
            if score >= PAIR_SIMILARITY:
                candidates.append((-score, j, i))
    taken_old: set[int] = set()
    taken_new: set[int] = set()
    for _, j, i in sorted(candidates):
        if i in taken_old or j in taken_new:
            continue
        taken_old.add(i)
        taken_new.add(j)
        pairs[lone_new[j].id] = lone_old[i]
    return pairs


def compare(
    old: Sequence[Section], new: Sequence[Section], pairs: Mapping[str, Section] | None = None
) -> ChangeSummary:
    """Classify the sections of `new` against `old`: paired by id, else by their words
    (`pair_sections`; pass its result as `pairs` when it is at hand)."""
    old = [s for s in old if s.visible]
    new = [s for s in new if s.visible]
    if pairs is None:
        pairs = pair_sections(old, new)
    new_of = {before.id: after_id for after_id, before in pairs.items()}
    common_old = [new_of[s.id] for s in old if s.id in new_of]
    common_new = [s.id for s in new if s.id in pairs]
    in_order = _in_order(common_old, common_new)

    changes: list[SectionChange] = []
    for section in new:
        before = pairs.get(section.id)
        title = section.plain_title
        if before is None:
            changes.append(SectionChange(section.id, title, "added", section.core_rights))
            continue
        core = section.core_rights or before.core_rights
        renamed = before.plain_title if is_renamed(before, section) else None
        if before.fingerprint != section.fingerprint:
            changes.append(SectionChange(section.id, title, "changed", core, renamed))
        parent = new_of.get(before.parent, before.parent) if before.parent is not None else None
        if section.id not in in_order or parent != section.parent:
            changes.append(SectionChange(section.id, title, "moved", core, renamed))
    for section in old:
        if section.id not in new_of:
            changes.append(SectionChange(section.id, section.plain_title, "removed", section.core_rights))
    return ChangeSummary(tuple(changes))


def is_renamed(before: Section, after: Section) -> bool:
    """Whether a section's title reads differently in `after` (numbering and spacing
    aside, Markdown aside)."""
    return " ".join(before.plain_title.split()) != " ".join(after.plain_title.split())
