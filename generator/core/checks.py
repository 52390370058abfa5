"""`policyctl check`: every rule of the history, the section marks and, with a ledger,
the windows counted from the first notice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from generator.core.calendar import WorkingCalendar
from generator.core.dates import short_date
from generator.core.errors import Advisory, Violation
from generator.core.history import Document, History
from generator.core.timeline import changes_between, state_at
from generator.core.translations import lag_message
from generator.core.window import NoticePeriod, publicity_window

FirstNotices = Mapping[str, Mapping[str, dt.datetime]]
"""Per document id, per version: when the ledger recorded its first notice."""


@dataclass(frozen=True)
class CheckReport:
    violations: tuple[Violation, ...]
    advisories: tuple[Advisory, ...]
    summary_lines: tuple[str, ...]


def run_checks(
    history: History,
    as_of: dt.datetime,
    *,
    calendar: WorkingCalendar,
    periods: Callable[[str], NoticePeriod | int],
    first_notices: FirstNotices | None = None,
) -> CheckReport:
    """Every rule of the history and the section marks, and every language in step with
    the source at the tip; with `first_notices` (read from the delivery ledger), also the
    windows counted from the first notice, each of its document's notice period
    (`periods`: a document's id -> its period; a number: working days)."""
    violations = list(history.violations)
    advisories = list(history.advisories)
    for lag in history.lags:
        message, remedy = lag_message(lag)
        violations.append(Violation("translation-behind", message, file=lag.path, remedy=remedy))
    lines: list[str] = []
    for document in history.documents:
        lines.append(_summary(document, as_of))
    if first_notices is not None:
        violations += _vanished(history, first_notices, calendar)
        ledger_violations, ledger_advisories = _ledger_windows(
            history, as_of, calendar, periods, first_notices
        )
        violations += ledger_violations
        advisories += ledger_advisories
    return CheckReport(tuple(violations), tuple(advisories), tuple(lines))


def _summary(document: Document, as_of: dt.datetime) -> str:
    state = state_at(document, as_of)
    count = len(document.versions)
    text = f"{document.id}: {count} version{'s' if count != 1 else ''}"
    if state.in_force:
        text += f"; in force {state.in_force.version} since {short_date(state.in_force.effective)}"
    for version in state.pending:
        core = state.pending_changes(version).core_rights_changed
        text += f"; pending {version.version} takes effect {short_date(version.effective)}" + (
            " (changes core rights)" if core else ""
        )
        if version.window is not None and version.window.provisional_reason:
            text += f" (provisional: {version.window.provisional_reason})"
    for version in state.scheduled:
        text += f"; scheduled {version.version} for publication {short_date(version.published)}"
    for lag in document.lags:
        text += f"; {lag.version} waits for {lag.language}" if lag.held_back else f"; {lag.language} behind"
    return text


def _ledger_windows(
    history: History,
    as_of: dt.datetime,
    calendar: WorkingCalendar,
    periods: Callable[[str], NoticePeriod | int],
    first_notices: FirstNotices,
) -> tuple[list[Violation], list[Advisory]]:
    violations: list[Violation] = []
    advisories: list[Advisory] = []
    for document in history.documents:
        period = NoticePeriod.of(periods(document.id))
        state = state_at(document, as_of)
        sent_at = first_notices.get(document.id, {})
        for version in state.published:
            previous = document.previous(version)
            if previous is None or not changes_between(previous, version).core_rights_changed:
                continue
            sent = sent_at.get(version.version)
            if sent is None:
                if state.status(version) != "pending":
                    continue
                earliest = publicity_window(
                    as_of.astimezone(calendar.zone).date(), calendar, period
                ).earliest_effective
                if earliest > version.effective:
                    violations.append(
                        Violation(
                            "notice-missing",
                            f"version {version.version} changes core rights, takes effect "
                            f"{short_date(version.effective)}, and no user has been notified yet; "
                            f"a notice sent today leaves less than {period}",
                            file=version.path,
                            commit=version.short_commit,
                            remedy=f"move `effective:` to {earliest.date().isoformat()} or later, "
                            "then run `policyctl notify`",
                        )
                    )
                else:
                    advisories.append(
                        Advisory(
                            f"version {version.version} changes core rights and no user has been notified yet",
                            file=version.path,
                            remedy="run `policyctl notify`",
                        )
                    )
                continue
            sent_local = sent.astimezone(calendar.zone)
            earliest = publicity_window(sent_local.date(), calendar, period).earliest_effective
            if version.effective < earliest:
                violations.append(
                    Violation(
                        "notice-late",
                        f"version {version.version} takes effect {short_date(version.effective)}, "
                        f"but its first notice went out {sent_local.isoformat(timespec='minutes')}: "
                        f"the {period.adjective} window counted from the notice "
                        f"ends {short_date(earliest)}",
                        file=version.path,
                        commit=version.short_commit,
                        remedy=f"publish a revision with `effective: {earliest.date().isoformat()}` or later",
                    )
                )
    return violations, advisories


def _vanished(history: History, first_notices: FirstNotices, calendar: WorkingCalendar) -> list[Violation]:
    """Revisions users were told about that the history no longer holds (a force-push, a
    reset): their notices point at pages that the next build would drop."""
    problems: list[Violation] = []
    for doc_id, versions in sorted(first_notices.items()):
        document = history.document(doc_id)
        for name, sent in sorted(versions.items()):
            if document is not None and document.version(name) is not None:
                continue
            problems.append(
                Violation(
                    "notified-version-missing",
                    f"users were notified of {doc_id} version {name} on "
                    f"{sent.astimezone(calendar.zone).isoformat(sep=' ', timespec='minutes')}, "
                    "but the history of the built branch no longer holds it (a force-push or reset?)",
                    file=document.path if document is not None else None,
                    remedy="restore the commits that published it (the remote's history or `git reflog`); "
                    "its pages and the links in the notices must keep working",
                )
            )
    return problems
