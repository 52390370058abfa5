"""Rules on the section marks an editor writes: heading ids and the core-rights class."""

from __future__ import annotations

import difflib
from collections import Counter

from generator.core.changes import pair_sections
from generator.core.errors import Advisory, Violation
from generator.core.sections import CORE_RIGHTS_CLASS, Section, headings


def section_mark_problems(text: str, *, file: str, commit: str) -> list[Violation]:
    """Marks an editor could get wrong: a duplicated id, a misspelled core-rights class."""
    problems: list[Violation] = []
    marks = headings(text)
    explicit = [h.explicit_id for h in marks if h.explicit_id]
    for section_id, count in Counter(explicit).items():
        if count > 1:
            problems.append(
                Violation(
                    "duplicate-section-id",
                    f"section id {section_id!r} is used by {count} headings",
                    file=file,
                    commit=commit,
                    remedy="give each heading its own `{#id}`",
                )
            )
    for heading in marks:
        for cls in sorted(heading.classes):
            if (
                cls != CORE_RIGHTS_CLASS
                and difflib.SequenceMatcher(None, cls, CORE_RIGHTS_CLASS).ratio() > 0.75
            ):
                problems.append(
                    Violation(
                        "misspelled-mark",
                        f"heading class `.{cls}` looks like a misspelling of `.{CORE_RIGHTS_CLASS}`",
                        file=file,
                        commit=commit,
                        remedy=f"write `.{CORE_RIGHTS_CLASS}` exactly, or the section's changes "
                        "will not trigger user notifications",
                    )
                )
    return problems


def lost_marks(
    before_sections: tuple[Section, ...], after_sections: tuple[Section, ...], *, version: str, file: str
) -> list[Advisory]:
    """A revision that drops the core-rights mark from a section it keeps (paired by id,
    or by content when a reworded heading changed the id: `pair_sections`)."""
    pairs = pair_sections(before_sections, after_sections)
    lost = sorted(
        after.id
        for after in after_sections
        if not after.core_rights and (p := pairs.get(after.id)) and p.core_rights
    )
    if not lost:
        return []
    return [
        Advisory(
            f"version {version} drops the core-rights mark from {', '.join(lost)}",
            file=file,
            remedy="keep `.core-rights` on those headings unless the legal team decided otherwise",
        )
    ]
