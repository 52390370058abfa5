"""A policy file's revisions read into versions being assembled (`Draft`): which commits
carry which version, its text and its front matter, before the rules judge its dates
(`generator.core.history.rules`) and `assembly` makes it a `Version`.

A revision with a `version` field continues that version or starts the next one; a file
without one has a version per commit that changes its text, named after the commit's
day. An uncommitted file (an editor's preview) is read as the next version.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TypedDict

from generator.core import urls
from generator.core.calendar import WorkingCalendar
from generator.core.dates import local_midnight
from generator.core.errors import Findings, FrontMatterError
from generator.core.frontmatter import FrontMatter, split
from generator.core.history.model import DRAFT_SUFFIX
from generator.core.revisions import FileRevision
from generator.core.sections import Section, parse_sections


@dataclass
class Draft:
    """A version being assembled from consecutive commits."""

    key: str
    matter: FrontMatter
    body: str
    first: FileRevision
    last: FileRevision
    per_commit: bool
    commits: list[FileRevision] = field(default_factory=list)
    rewrites: list[FileRevision] = field(default_factory=list)
    """Commits after publication that changed the published text (judged when the version ends)."""
    rewritten: bool = False
    """The latest commit of this version still carries a changed text."""


class Written(TypedDict):
    """The fields of a `Version` that its draft's file gives, in any language (`written`)."""

    path: str
    text: str
    sections: tuple[Section, ...]
    summary: str | None
    commit: str
    first_commit: str
    sha256: str
    source: bytes
    draft: bool


def written(draft: Draft) -> Written:
    """What a version takes from `draft`'s file: its path, text, sections and summary at
    the version's last commit, the commits that introduced and last carried it, the
    file's bytes there and their sha256, and whether it is uncommitted."""
    text = draft.body
    return Written(
        path=draft.last.path,
        text=text,
        sections=parse_sections(text),
        summary=draft.matter.summary,
        commit=draft.last.commit,
        first_commit=draft.first.commit,
        sha256=hashlib.sha256(draft.last.data).hexdigest(),
        source=draft.last.data,
        draft=draft.last.uncommitted,
    )


def published_date(value: dt.date | dt.datetime | None, calendar: WorkingCalendar) -> dt.date | None:
    """A front matter's `published` as a day in the calendar's zone (a datetime without
    a zone is read in it)."""
    if isinstance(value, dt.datetime):
        return (
            (value if value.tzinfo else value.replace(tzinfo=calendar.zone)).astimezone(calendar.zone).date()
        )
    return value


def instant(value: dt.date | dt.datetime, calendar: WorkingCalendar) -> dt.datetime:
    """A front matter's `effective` as an instant in the calendar's zone: a day is its
    00:00, a datetime without a zone is read in it."""
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=calendar.zone)).astimezone(calendar.zone)
    return local_midnight(value, calendar.zone)


def decode(revision: FileRevision) -> str:
    """A policy file's text: UTF-8, or an error naming the file, the commit and the byte."""
    try:
        return revision.data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = revision.data[: error.start].count(b"\n") + 1
        raise FrontMatterError(
            f"the file is not UTF-8 text (byte {error.start + 1}, line {line})",
            file=revision.path,
            commit=revision.short if not revision.uncommitted else None,
            line=line,
            remedy="save the file as UTF-8 (most editors: Save with Encoding → UTF-8) and commit it",
        ) from None


def collect(
    revisions: Sequence[FileRevision],
    calendar: WorkingCalendar,
    findings: Findings,
    *,
    source: Mapping[str, Draft] | None = None,
    source_draft: str | None = None,
) -> list[Draft]:
    """A file's revisions as versions being assembled, oldest first. For a translation,
    `source` holds the source's versions by name (their `published` says when the text
    became immutable) and `source_draft` names the source's uncommitted version, which an
    uncommitted translation is the translation of (without one, the uncommitted translation
    is previewed as the translation of the version it names: `_preview_translation`)."""
    drafts: list[Draft] = []
    per_day: dict[dt.date, int] = {}
    for position, revision in enumerate(revisions):
        read = _read(revision, findings, last=position == len(revisions) - 1)
        if read is None:
            continue
        matter, body = read
        previous = drafts[-1] if drafts else None
        if revision.uncommitted:
            if previous is not None and previous.body == body:
                continue
            if source is not None:
                if source_draft is None:
                    _preview_translation(drafts, matter, body, revision, source)
                    continue
                matter = replace(matter, version=source_draft)
            else:
                matter = _as_draft(matter, previous, drafts, revision, calendar)
        if matter.version is not None:
            _add_versioned(drafts, matter.version, revision, matter, body, calendar, findings, source)
        else:
            _add_per_commit(drafts, revision, matter, body, calendar, per_day)
    return drafts


def _preview_translation(
    drafts: list[Draft], matter: FrontMatter, body: str, revision: FileRevision, source: Mapping[str, Draft]
) -> None:
    """An uncommitted translation while the source has no uncommitted text: previewed as
    the translation of the source version it names (a translation being written for a
    committed revision, or an edit of one already translated), when the source has that
    version. An edit keeps the day its version first reached the branch in that language
    (`first`); the committed version stays the file's tip for the rules."""
    name = matter.version
    if name is None or name not in source:
        return
    committed = next((d for d in reversed(drafts) if d.key == name and not d.per_commit), None)
    first = committed.first if committed is not None else revision
    history = [*committed.commits, revision] if committed is not None else [revision]
    drafts.append(Draft(name, matter, body, first, revision, False, history))


def _read(revision: FileRevision, findings: Findings, *, last: bool) -> tuple[FrontMatter, str] | None:
    """A revision's front matter and body. Malformed front matter is skipped (None) with
    an advisory when a later commit replaced it, and raised in the `last` revision."""
    try:
        text = decode(revision)
        return split(text, file=revision.path, commit=revision.short)
    except FrontMatterError as error:
        if last:
            raise
        findings.advisory(
            f"commit {revision.short} has malformed front matter ({error.message}); "
            "it is skipped because a later commit replaced it",
            file=revision.path,
        )
        return None


def _add_versioned(
    drafts: list[Draft],
    name: str,
    revision: FileRevision,
    matter: FrontMatter,
    body: str,
    calendar: WorkingCalendar,
    findings: Findings,
    source: Mapping[str, Draft] | None,
) -> None:
    """A revision whose front matter names its version `name`: it continues the last
    version of that name, or starts a new one (a name used before is refused)."""
    previous = drafts[-1] if drafts else None
    name_problem = urls.version_name_problem(name)
    if source is None and name_problem is not None and (previous is None or previous.key != name):
        findings.violation(
            "version-name",
            name_problem,
            file=revision.path,
            commit=revision.short,
            remedy=f'write e.g. `version: "{urls.version_slug(name)}"`',
        )
    if previous is not None and not previous.per_commit and previous.key == name:
        published = previous.matter.published
        if source is not None:
            published = source[name].matter.published if name in source else None
        _continue_version(previous, revision, matter, body, calendar, published)
        return
    if any(d.key == name for d in drafts):
        findings.violation(
            "version-reused",
            f"version {name!r} was already used by an earlier version",
            file=revision.path,
            commit=revision.short,
            remedy="give this revision a new version number",
        )
        return
    drafts.append(Draft(name, matter, body, revision, revision, False, [revision]))


def _add_per_commit(
    drafts: list[Draft],
    revision: FileRevision,
    matter: FrontMatter,
    body: str,
    calendar: WorkingCalendar,
    per_day: dict[dt.date, int],
) -> None:
    """No `version` field: every commit that changes the text is a version, named after
    its day ("2026-10-01", then "2026-10-01-2"; `per_day` counts them)."""
    previous = drafts[-1] if drafts else None
    if previous is not None and previous.body == body and previous.per_commit:
        previous.last, previous.matter = revision, matter
        previous.commits.append(revision)
        return
    day = revision.committed_at.astimezone(calendar.zone).date()
    per_day[day] = per_day.get(day, 0) + 1
    key = day.isoformat() if per_day[day] == 1 else f"{day.isoformat()}-{per_day[day]}"
    drafts.append(Draft(key, matter, body, revision, revision, True, [revision]))


def _as_draft(
    matter: FrontMatter,
    previous: Draft | None,
    drafts: list[Draft],
    revision: FileRevision,
    calendar: WorkingCalendar,
) -> FrontMatter:
    """An uncommitted text is previewed as the next version, published at the instant
    of the preview (or later, as stamped): the same rules then say when it may take
    effect. Without a new version name it is named after the last one."""
    if matter.version is None and (previous is None or previous.per_commit):
        return matter
    name = matter.version
    if name is None or any(d.key == name for d in drafts):
        name = f"{previous.key}{DRAFT_SUFFIX}" if previous is not None else DRAFT_SUFFIX.lstrip("-")
    today = revision.committed_at.astimezone(calendar.zone).date()
    declared = published_date(matter.published, calendar)
    published = max(declared, today) if declared is not None else today
    return replace(matter, version=name, published=published)


def _continue_version(
    draft: Draft,
    revision: FileRevision,
    matter: FrontMatter,
    body: str,
    calendar: WorkingCalendar,
    published_as: dt.date | dt.datetime | None,
) -> None:
    """`published_as`: the version's `published` (for a translation, the source's)."""
    published = published_date(published_as, calendar)
    committed = revision.committed_at.astimezone(calendar.zone).date()
    if body != draft.body and published is not None and committed > published:
        # The version keeps the text it was published with; the change is judged when
        # the version ends (restored, superseded by a stamped version, or still there).
        draft.rewrites.append(revision)
        draft.rewritten = True
        return
    draft.rewritten = False
    draft.last, draft.matter, draft.body = revision, matter, body
    draft.commits.append(revision)
