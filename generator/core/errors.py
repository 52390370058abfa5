"""One error tree: a user mistake becomes a message, never a traceback."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
"""Exit status of every command: success; the thing checked is wrong (violations, failed
deliveries); bad usage or unusable input (a `PolicyError`)."""


class PolicyError(Exception):
    """The input cannot be used (exit status 2): names the file, the commit and the remedy."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        commit: str | None = None,
        line: int | None = None,
        remedy: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.commit = commit
        self.line = line
        self.remedy = remedy

    def __str__(self) -> str:
        return format_problem(self.message, self.file, self.commit, self.line, self.remedy)


class SettingsError(PolicyError):
    """The settings (mkdocs.yml or flags) are invalid."""


class RepositoryError(PolicyError):
    """The repository cannot be read: not git, shallow, no policy documents."""


class EmptyRepositoryError(RepositoryError):
    """Nothing is committed yet: no commit, or no policy document (publish can still stamp
    the first version)."""


class FrontMatterError(PolicyError):
    """A policy file's YAML front matter is malformed."""


class LanguageError(PolicyError):
    """A policy file's name claims a language that cannot be used: one not in
    `languages`, a second file for one language, a translation without its source."""


@dataclass(frozen=True)
class Violation:
    """A broken rule of the policy history (exit status 1 from `policyctl check`)."""

    rule: str
    message: str
    file: str | None = None
    commit: str | None = None
    remedy: str | None = None

    def __str__(self) -> str:
        return format_problem(self.message, self.file, self.commit, None, self.remedy)


@dataclass(frozen=True)
class Advisory:
    """Something an editor should know that does not fail the check."""

    message: str
    file: str | None = None
    remedy: str | None = None

    def __str__(self) -> str:
        return format_problem(self.message, self.file, None, None, self.remedy)


class Findings:
    """The violations and advisories a check finds, in the order it finds them: its
    functions add to one collector instead of passing two mutable lists around."""

    def __init__(self) -> None:
        self._violations: list[Violation] = []
        self._advisories: list[Advisory] = []

    def violation(
        self,
        rule: str,
        message: str,
        *,
        file: str | None = None,
        commit: str | None = None,
        remedy: str | None = None,
    ) -> None:
        self._violations.append(Violation(rule, message, file=file, commit=commit, remedy=remedy))

    def advisory(self, message: str, *, file: str | None = None, remedy: str | None = None) -> None:
        self._advisories.append(Advisory(message, file=file, remedy=remedy))

    def extend(self, problems: Iterable[Violation | Advisory]) -> None:
        """Add what another check found (each to its kind), in its order."""
        for problem in problems:
            if isinstance(problem, Violation):
                self._violations.append(problem)
            else:
                self._advisories.append(problem)

    @property
    def violations(self) -> tuple[Violation, ...]:
        """The violations found so far (a snapshot: later findings do not change it)."""
        return tuple(self._violations)

    @property
    def advisories(self) -> tuple[Advisory, ...]:
        """The advisories found so far (a snapshot: later findings do not change it)."""
        return tuple(self._advisories)


def format_problem(
    message: str,
    file: str | None,
    commit: str | None,
    line: int | None,
    remedy: str | None,
) -> str:
    where = ""
    if file:
        where = file + (f":{line}" if line else "")
    if commit:
        where = f"{where} (commit {commit})" if where else f"commit {commit}"
    text = f"{where}: {message}" if where else message
    if remedy:
        text += f"\n  -> {remedy}"
    return text
