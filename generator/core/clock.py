"""Clock sanity: commit dates that cannot be true.

The publicity window counts from the day a policy text reached the built branch, and
that day is read from the committer date of the commit that brought it. A date is only
a claim of the committer's clock: this module refuses the claims that cannot be true.

- A commit dated before one of its parents (a merge too): it was made after them, so
  its date is wrong, and a version it brings would look published earlier than it was.
- A commit dated after this machine's clock: the committer's clock was wrong.

Pure: takes the dates read by `generator.repository` and the instant of the run read by
the adapter (`generator.policies`), returns violations.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from generator.core.errors import Violation

CLOCK_TOLERANCE = dt.timedelta(minutes=5)
"""How far two clocks may disagree before a date counts as wrong (machines a few
seconds or minutes apart: a server that merged, an editor's laptop)."""


@dataclass(frozen=True)
class CommitDates:
    """A commit of the built branch's first-parent chain, its committer date, and its
    parents with theirs (the first parent first: the branch's previous tip)."""

    commit: str
    committed_at: dt.datetime
    parents: tuple[tuple[str, dt.datetime], ...]
    touches_policy: bool
    """Changes the policy folder against its first parent (what reached the branch)."""

    @property
    def short(self) -> str:
        return self.commit[:7]


def _when(moment: dt.datetime) -> str:
    return moment.isoformat(sep=" ", timespec="seconds")


def future_dated(
    commits: Iterable[CommitDates], now: dt.datetime, *, tolerance: dt.timedelta = CLOCK_TOLERANCE
) -> list[Violation]:
    """The policy commits dated after `now` (this machine's clock) by more than `tolerance`."""
    violations: list[Violation] = []
    for commit in commits:
        if not commit.touches_policy or commit.committed_at <= now + tolerance:
            continue
        violations.append(
            Violation(
                "clock-skew",
                f"the commit is dated {_when(commit.committed_at)}, after this machine's "
                f"time ({_when(now.astimezone(commit.committed_at.tzinfo))}): the committer's clock was "
                "wrong, so the date cannot say when its policy text reached the branch",
                commit=commit.short,
                remedy="re-commit it with a correct date: with the clock set right and GIT_COMMITTER_DATE "
                "unset, `git commit --amend --no-edit --date=now` (the branch's tip, a merge too) or "
                f"`git rebase --force-rebase --rebase-merges {commit.short}~1` (an older commit); the "
                "publicity window counts from the date of the commit that brought a version to the branch. "
                "If this machine's clock is the wrong one, set it right and run again",
            )
        )
    return violations


def dated_before_parents(
    commits: Iterable[CommitDates],
    zone: ZoneInfo,
    *,
    now: dt.datetime | None = None,
    tolerance: dt.timedelta = CLOCK_TOLERANCE,
) -> list[Violation]:
    """The policy commits dated before one of their parents. Clocks `tolerance` apart
    are forgiven while the two dates fall on the same day in `zone` (the day is what the
    window counts from). A parent dated after `now` is left out: its own date is the
    wrong one (`future_dated` says so when it is a policy commit)."""
    violations: list[Violation] = []
    for commit in commits:
        if not commit.touches_policy:
            continue
        later = [
            (position, sha, when)
            for position, (sha, when) in enumerate(commit.parents)
            if _before(commit.committed_at, when, zone, tolerance)
            and (now is None or when <= now + tolerance)
        ]
        if not later:
            continue
        merge = len(commit.parents) > 1
        names = [
            f"{_parent_name(position, merge)} {sha[:7]} (dated {_when(when)})"
            for position, sha, when in later
        ]
        what = "merge commit" if merge else "commit"
        violations.append(
            Violation(
                "dated-before-parent",
                f"the {what} is dated {_when(commit.committed_at)}, before {_joined(names)}: "
                "a commit is made after its parents, so its date is wrong and a version it brings "
                "would count as published before it reached the branch",
                commit=commit.short,
                remedy=f"re-create commit {commit.short} with a correct date: with GIT_COMMITTER_DATE unset, "
                "`git commit --amend --no-edit --date=now` when it is the branch's tip (a merge too), or "
                f"`git rebase --force-rebase --rebase-merges {commit.short}~1` for an older one (rebased "
                "commits are dated now); the date of a commit on the branch is the day its policy text "
                "reached the branch, and the publicity window counts from it",
            )
        )
    return violations


def _before(child: dt.datetime, parent: dt.datetime, zone: ZoneInfo, tolerance: dt.timedelta) -> bool:
    if child >= parent:
        return False
    return parent - child > tolerance or child.astimezone(zone).date() < parent.astimezone(zone).date()


def _parent_name(position: int, merge: bool) -> str:
    if not merge:
        return "its parent"
    return "its first parent" if position == 0 else "the merged commit"


def _joined(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
