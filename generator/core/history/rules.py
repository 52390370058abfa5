"""The rules a version's dates and text keep, judged as the history is assembled
(docs/editors.md says them to editors): a published text is immutable; a version is
published when it reached the branch (in every language), never earlier; it says what
changed; it takes effect no earlier than its publicity window allows
(`generator.core.window.earliest_effective`, which `policyctl publish` asks too),
counted from the day the public first saw it, and after the version before it.

Each rule adds what it finds to a `Findings`; `version_dates` returns the dates the
version is published and takes effect with.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from generator.core.calendar import WorkingCalendar
from generator.core.dates import local_midnight, short_date
from generator.core.errors import Findings
from generator.core.history.drafts import Draft, instant, published_date
from generator.core.history.model import Version
from generator.core.record import Sightings
from generator.core.revisions import FileRevision
from generator.core.window import EarliestEffective, NoticePeriod, Window, earliest_effective

Sighting = tuple[dt.date, int | None]
"""When the public first saw a version: the day, and the publication log's line (None:
this run shows it first)."""


def judge_rewrites(
    doc_id: str,
    drafts: Sequence[Draft],
    findings: Findings,
    *,
    source: Mapping[str, Draft] | None = None,
) -> None:
    """A published text is immutable. A change that is still there at the end of the
    history fails; one that was restored, or that became the next stamped version, is
    history that cannot be undone and is only reported. For a translation, `source`
    holds the source's versions by name: their `published` is the translation's."""
    for index, draft in enumerate(drafts):
        successor = drafts[index + 1].key if index + 1 < len(drafts) else None
        _judge_rewrite(doc_id, draft, successor, findings, source)


def _judge_rewrite(
    doc_id: str,
    draft: Draft,
    successor: str | None,
    findings: Findings,
    source: Mapping[str, Draft] | None,
) -> None:
    if not draft.rewrites:
        return
    first, path = draft.rewrites[0], draft.rewrites[0].path
    published = draft.matter.published
    if source is not None and draft.key in source:
        published = source[draft.key].matter.published
    when = f", published {published.isoformat()}," if published is not None else ""
    if not draft.rewritten:
        findings.advisory(
            f"commit {first.short} changed the text of version {draft.key}{when} without a new "
            "version; a later commit restored it",
            file=path,
        )
    elif successor is not None:
        findings.advisory(
            f"commit {first.short} changed the text of version {draft.key}{when} before version "
            f"{successor} was stamped; until then the site showed the change unannounced",
            file=path,
            remedy="stamp a revision (`policyctl publish`) in the same commit or pull request as its text",
        )
    else:
        findings.violation(
            "published-text-changed",
            f"commit {first.short} changes the text of version {draft.key}{when} without a new version",
            file=path,
            commit=first.short,
            remedy=f"a published text is immutable: restore it (`git checkout {draft.last.short} -- {path}`) "
            f"and commit, then publish the change as a new version "
            f'(`policyctl publish {doc_id} --version <new> --summary "..."`)',
        )


def latest_sighting(
    sightings: Sightings, doc_id: str, version: str, languages: Sequence[str], published: dt.date
) -> Sighting | None:
    """The latest day on which one of the version's languages was first seen (a window
    holds for every language's readers), or None when the record cannot say."""
    found = [s for language in languages if (s := sightings.seen((doc_id, language, version), published))]
    return max(found, key=lambda s: s[0]) if found else None


@dataclass(frozen=True)
class Dates:
    """A version's dates as the rules settle them."""

    published: dt.datetime
    """00:00 of its publication day: the declared `published`, or the day it reached the
    branch when that is later (or nothing is declared)."""
    effective: dt.datetime
    """The declared `effective`, or the earliest the window allows."""
    window: Window | None
    """The publicity window; None for a document's first version (in force on publication)."""


def version_dates(
    doc_id: str,
    draft: Draft,
    previous: Version | None,
    calendar: WorkingCalendar,
    period: NoticePeriod,
    findings: Findings,
    *,
    arrived: FileRevision | None = None,
    seen: Callable[[dt.date], Sighting | None] | None = None,
) -> Dates:
    """The dates of the version `draft` assembles, judged by the rules.
    `previous`: the version before it (None: the document's first version).
    `arrived`: the revision that brought the version's last language to the branch
    (its own first commit when there are no translations): it is published from then.
    `seen`: given the publication day, when the public first saw the version, from the
    publication log."""
    first = previous is None
    published_day = _publication_day(doc_id, draft, first, arrived or draft.first, calendar, period, findings)
    if not first and not draft.per_commit and not draft.matter.summary:
        findings.violation(
            "summary-missing",
            f"version {draft.key} has no `summary` of what changed",
            file=draft.last.path,
            commit=draft.last.short,
            remedy="add a plain-language `summary:` to the front matter; "
            "readers and the change notice show it",
        )
    sighting = seen(published_day) if seen is not None and not first else None
    late_sighting = sighting if sighting is not None and sighting[0] > published_day else None
    window_from = published_day
    if late_sighting is not None and draft.per_commit:
        # Versioned per commit: effective "when the window allows", counted from the day
        # the public first saw it.
        window_from = late_sighting[0]
    after = previous.effective if previous is not None else None
    earliest = earliest_effective(window_from, calendar, period, first=first, after=after)
    if earliest.window is not None and earliest.window.unscheduled_years:
        _provisional(draft, earliest.window, calendar, findings)
    effective = _effective(draft, earliest, calendar, period, findings)
    if late_sighting is not None and not draft.per_commit and earliest.window is not None:
        _judge_unseen(draft, effective, published_day, late_sighting, calendar, period, findings)
    if previous is not None:
        _judge_order(draft, effective, earliest, previous, findings)
    return Dates(local_midnight(published_day, calendar.zone), effective, earliest.window)


def _publication_day(
    doc_id: str,
    draft: Draft,
    first: bool,
    arrived: FileRevision,
    calendar: WorkingCalendar,
    period: NoticePeriod,
    findings: Findings,
) -> dt.date:
    """The day the version is published: its declared `published`, unless it reached the
    branch (in its last language, `arrived`) later; a version without `published`, or
    published per commit, from the day it arrived."""
    # Front matter is read from the version's last commit: name that commit.
    matter, file, commit = draft.matter, draft.last.path, draft.last.short
    introduced = arrived.committed_at.astimezone(calendar.zone).date()
    if draft.per_commit:
        return introduced
    declared = published_date(matter.published, calendar)
    if declared is None:
        findings.violation(
            "published-missing",
            f"version {draft.key} has no `published` date",
            file=file,
            commit=commit,
            remedy=f"add `published: {introduced.isoformat()}` "
            f"(or run `policyctl publish {doc_id} --version {draft.key}`)",
        )
    elif declared < introduced and arrived.path != draft.first.path:
        dates = f"`published: {introduced.isoformat()}`"
        if not first:
            lawful = earliest_effective(introduced, calendar, period).lawful
            dates += f" and `effective: {lawful.date().isoformat()}` (or later)"
        findings.violation(
            "translation-late",
            f"version {draft.key} says published {declared.isoformat()}, but it reached the "
            f"branch in every language only on {introduced.isoformat()}, when this translation arrived",
            file=arrived.path,
            commit=arrived.short,
            remedy=f"the {period.adjective} window counts from the day the last language "
            f"reaches the branch: set {dates} in {file}, and merge translations in the same "
            "pull request as the source",
        )
    elif declared < introduced:
        # Published is when it reached the built branch, never earlier: the window
        # counts from there whatever the front matter says.
        findings.violation(
            "backdated",
            f"version {draft.key} says published {declared.isoformat()}, but it reached "
            f"the branch only on {introduced.isoformat()} (commit {draft.first.short})",
            file=file,
            commit=draft.first.short,
            remedy=f"set `published: {introduced.isoformat()}` (or later) in a new commit; "
            "the publicity window counts from the day a revision reaches the branch",
        )
    else:
        return declared
    return introduced


def _provisional(draft: Draft, window: Window, calendar: WorkingCalendar, findings: Findings) -> None:
    """The window reaches a year whose official holiday schedule is not known yet."""
    years = ", ".join(str(y) for y in window.unscheduled_years)
    findings.advisory(
        f"the window of version {draft.key} reaches {years}, for which the "
        f"{calendar.region} calendar has no official holiday schedule yet; "
        f"the earliest effective date {window.earliest_effective.date().isoformat()} "
        "may move when the schedule is announced",
        file=draft.last.path,
        remedy="once the schedule is announced, upgrade the holidays package, or enter its "
        "holidays and make-up days as `extra_holidays` / `extra_working_days` and list the "
        "year in `known_years`; then rerun check",
    )


def _effective(
    draft: Draft,
    earliest: EarliestEffective,
    calendar: WorkingCalendar,
    period: NoticePeriod,
    findings: Findings,
) -> dt.datetime:
    """The version's effective instant: the declared `effective` (a violation when the
    window does not allow it), or the earliest the window allows."""
    if draft.matter.effective is None:
        return earliest.lawful
    declared = instant(draft.matter.effective, calendar)
    if declared < earliest.lawful:
        what = (
            f"before the end of its {period.adjective} publicity window"
            if earliest.window
            else "before its publication"
        )
        findings.violation(
            "window-too-short",
            f"version {draft.key} takes effect {short_date(declared)}, {what}; "
            f"the earliest allowed is {short_date(earliest.lawful)}",
            file=draft.last.path,
            commit=draft.last.short,
            remedy=f"set `effective: {earliest.lawful.date().isoformat()}` or later, "
            "or remove `effective` to use the earliest allowed date",
        )
    return declared


def _judge_unseen(
    draft: Draft,
    effective: dt.datetime,
    published_day: dt.date,
    sighting: Sighting,
    calendar: WorkingCalendar,
    period: NoticePeriod,
    findings: Findings,
) -> None:
    """A stamped version the public first saw after its publication day: its window
    counts from that day (`sighting`), and its `effective` must allow for it."""
    day, line = sighting
    lawful = earliest_effective(day, calendar, period).lawful
    if effective >= lawful:
        return
    when = (
        f"was first shown on the public site on {day.isoformat()} (publication log, line {line})"
        if line is not None
        else f"is not in the publication log: the public site shows it first now, on {day.isoformat()}"
    )
    findings.violation(
        "window-unseen",
        f"version {draft.key} {when}, though it says published {published_day.isoformat()}; "
        f"its {period.adjective} window counts from the day the public saw it, and it "
        f"takes effect {short_date(effective)}, before the earliest lawful {short_date(lawful)}",
        file=draft.last.path,
        commit=draft.last.short,
        remedy=f"set `effective: {lawful.date().isoformat()}` or later (counted from "
        f"{day.isoformat()}; a day later if the fix is built a day later); build the site on "
        "the day a revision is merged, its publication day",
    )


def _judge_order(
    draft: Draft,
    effective: dt.datetime,
    earliest: EarliestEffective,
    previous: Version,
    findings: Findings,
) -> None:
    """A document's effective dates strictly increase. Per-commit versions of one day
    share an effective instant: the later one wins."""
    tie = draft.per_commit and effective == previous.effective
    if earliest.in_order(effective) or tie:
        return
    findings.violation(
        "effective-order",
        f"version {draft.key} takes effect {short_date(effective)}, not after "
        f"version {previous.version} ({short_date(previous.effective)})",
        file=draft.last.path,
        commit=draft.first.short,
        remedy=f"set `effective:` of version {draft.key} later than {short_date(previous.effective)}",
    )
