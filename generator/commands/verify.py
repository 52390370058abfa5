"""`policyctl verify URL|DIR`: check a published site's public record from its public files.

For anyone (a user, an archive, a regulator): no repository, no ledger. It reads the
site's `publication-log.jsonl`, its `versions.json` (every language's) and the source file
and PDF beside each version's page, and checks:

- the chain: every line's `prev` is the sha256 of the line before, `seq` counts up, and
  the head is the one versions.json names;
- every listed version's source file against its `sha256`, its PDF against `pdf_sha256`;
- every effective instant against the window counted from the later of the publication
  day and the day the log first saw the version, with the calendar and period the site
  states in versions.json (versions inherited when the log began cannot be vouched for:
  the report says so);
- that the effective instant the site states now is the one the log recorded;
- that every version on the site is in the log.

Exit 0 when all hold, 1 naming each failure, 2 when the source is unreachable or is not
a site with a public record.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import sys
from dataclasses import dataclass, field
from typing import Any

from generator.commands.context import Context
from generator.core import urls
from generator.core.errors import EXIT_FAILED, EXIT_OK, PolicyError, SettingsError
from generator.core.record import (
    Record,
    VersionKey,
    VersionLine,
    chain_violations,
    parse_record,
    window_failures,
)
from generator.core.window import NoticePeriod
from generator.records import LOG_HEAD, PublicSite, read_json
from generator.settings import DEFAULT_WORKING_DAYS, Settings, period_setting, validated
from generator.site.record import CALENDAR, LANGUAGES


def add_parser(subcommands: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subcommands.add_parser(
        "verify",
        help="check a published site's public record (publication log, texts, PDFs, windows) from its public files",
    )
    parser.add_argument(
        "source", metavar="URL|DIR", help="the site's https:// address or a folder holding a copy of it"
    )
    parser.add_argument("--json", action="store_true", help="machine-readable report")
    parser.set_defaults(needs_repository=False)
    return parser


@dataclass
class Report:
    source: str
    lines: int = 0
    head: str = ""
    versions: int = 0
    inherited: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "ok": not self.failures,
            "lines": self.lines,
            "head": self.head,
            "versions": self.versions,
            "inherited": self.inherited,
            "failures": self.failures,
        }


def run(args: argparse.Namespace, ctx: Context | None) -> int:
    source: str = args.source
    if source.endswith(urls.PUBLICATION_LOG):
        source = source[: -len(urls.PUBLICATION_LOG)] or "."
    site = PublicSite.at(source)
    try:
        report = verify(site, args.source)
    finally:
        site.close()
    if args.json:
        json.dump(report.as_dict(), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        _print(report)
    return EXIT_FAILED if report.failures else EXIT_OK


def _print(report: Report) -> None:
    print(f"Public record of {report.source}: {report.lines} lines, chain head {report.head}")
    print(f"  {report.versions} version(s) in the log", end="")
    if report.inherited:
        print(
            f"; {len(report.inherited)} inherited when the log began, whose windows the record cannot vouch "
            f"for (it is only as early as its first build): {', '.join(report.inherited)}"
        )
    else:
        print()
    if not report.failures:
        print("All checks hold: the chain, every text and PDF, every window, every version on the site.")
        return
    for failure in report.failures:
        print(f"FAILED: {failure}")
    count = len(report.failures)
    print(f"\n{count} failure{'s' if count != 1 else ''}.")


def _stated_settings(versions: Any, where: str) -> Settings:
    """The calendar and period the site states in versions.json."""
    stated = versions.get(CALENDAR) if isinstance(versions, dict) else None
    languages = versions.get(LANGUAGES) if isinstance(versions, dict) else None
    if not isinstance(stated, dict) or not isinstance(languages, list) or not languages:
        raise PolicyError(
            f"{where} does not state the site's calendar and languages",
            remedy="this site was built before the public record existed, or not by policyctl: build it again",
        )
    try:
        window, documents = _stated_periods(stated)
        return validated(
            Settings(
                country=str(stated["country"]),
                subdivision=stated.get("subdivision"),
                timezone=str(stated["timezone"]),
                working_days=window.working_days or DEFAULT_WORKING_DAYS,
                window=window,
                documents=documents,
                extra_holidays=frozenset(dt.date.fromisoformat(d) for d in stated.get("extra_holidays", [])),
                extra_working_days=frozenset(
                    dt.date.fromisoformat(d) for d in stated.get("extra_working_days", [])
                ),
                known_years=frozenset(int(y) for y in stated.get("known_years", [])),
                languages=tuple(str(code) for code in languages),
            )
        )
    except (KeyError, TypeError, ValueError) as error:
        raise PolicyError(
            f"{where}: the calendar it states cannot be read ({error})", remedy="build the site again"
        ) from None
    except SettingsError as error:
        raise PolicyError(f"{where}: the calendar it states cannot be used: {error.message}") from None


def _stated_periods(stated: dict[str, Any]) -> tuple[NoticePeriod, tuple[tuple[str, NoticePeriod], ...]]:
    """The default notice period and each document's, as versions.json states them; a site
    built before periods per document states only `working_days`, for every document."""
    if "window" not in stated:
        return NoticePeriod(working_days=int(stated["working_days"])), ()
    window = period_setting(stated["window"], "window")
    documents = stated.get("documents") or {}
    if not isinstance(documents, dict):
        raise TypeError(f"documents is {documents!r}")
    return window, tuple(
        sorted(
            (
                str(doc_id),
                period_setting(
                    entry.get("window") if isinstance(entry, dict) else entry, f"documents.{doc_id}.window"
                ),
            )
            for doc_id, entry in documents.items()
        )
    )


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def verify(site: PublicSite, shown_as: str) -> Report:
    report = Report(shown_as)
    record, versions = _read_log(site)
    settings = _stated_settings(versions, site.where(urls.VERSIONS_JSON))
    report.lines, report.head = len(record.lines), record.head
    report.failures += [v.message for v in chain_violations(record, where=site.where(urls.PUBLICATION_LOG))]
    stated_head = versions.get(LOG_HEAD)
    if stated_head != record.head:
        report.failures.append(
            f"versions.json names the chain head {stated_head}, but the log's last line hashes to {record.head}: "
            "the log is not the one the site published (lines dropped, added or altered)"
        )
    on_site = _versions_on_site(site, versions, settings, report.failures)
    logged = record.version_lines
    report.versions = len(logged)
    for key, line in logged.items():
        if line.inherited:
            report.inherited.append(f"{key[0]} {key[2]} ({key[1]})")
        report.failures += _logged_version_failures(site, key, line, settings.languages[0], on_site.get(key))
    for key in sorted(set(on_site) - set(logged)):
        document, language, name = key
        report.failures.append(
            f"{document} version {name} ({language}) is on the site but not in the publication log"
        )
    first_versions = _first_versions(versions)
    report.failures += window_failures(record, settings.calendar, settings.period_of, first_versions)
    return report


def _read_log(site: PublicSite) -> tuple[Record, dict[str, Any]]:
    """The site's publication log, read, and its versions.json; PolicyError when either is
    missing or unreadable."""
    log = site.read(urls.PUBLICATION_LOG)
    if log is None:
        raise PolicyError(
            f"{site.where(urls.PUBLICATION_LOG)}: no publication log",
            remedy="pass the address (or folder) of a site built by policyctl, whose root holds publication-log.jsonl",
        )
    versions = read_json(site, urls.VERSIONS_JSON)
    if not isinstance(versions, dict):
        raise PolicyError(f"{site.where(urls.VERSIONS_JSON)}: missing or not a site's versions.json")
    try:
        text = log.decode("utf-8")
    except UnicodeDecodeError:
        raise PolicyError(f"{site.where(urls.PUBLICATION_LOG)} is not UTF-8 text") from None
    return parse_record(text), versions


def _logged_version_failures(
    site: PublicSite, key: VersionKey, line: VersionLine, source_language: str, stated: Any
) -> list[str]:
    """What does not hold of one logged version: its source file and PDF against the
    hashes logged, and the effective date the site states against the logged one."""
    document, language, name = key
    prefix = None if language == source_language else language
    what = f"{document} version {name} ({language})"
    source = urls.version_source(document, name, language=prefix)
    failures = _file_failures(site, source, line.sha256, what, line.seq, "source file", "text")
    if line.pdf_sha256:
        pdf = urls.version_pdf(document, name, language=prefix)
        failures += _file_failures(site, pdf, line.pdf_sha256, what, line.seq, "PDF", "PDF")
    if isinstance(stated, dict) and stated.get("effective") is not None:
        try:
            effective = dt.datetime.fromisoformat(str(stated["effective"]))
        except ValueError:
            effective = None
        if effective != line.effective:
            failures.append(
                f"{what}: the site says it takes effect {stated['effective']}, "
                f"but the log (line {line.seq}) recorded {line.effective.isoformat()}"
            )
    return failures


def _file_failures(
    site: PublicSite, path: str, logged: str, what: str, seq: int, label: str, kind: str
) -> list[str]:
    """A published file missing, or with another sha256 than the log's line `seq` recorded."""
    data = site.read(path)
    if data is None:
        return [f"{what}: its {label} {path} is missing"]
    if _sha(data) != logged:
        return [
            f"{what}: {path} has sha256 {_sha(data)}, but the log (line {seq}) recorded {logged}: "
            f"the published {kind} was changed"
        ]
    return []


def _first_versions(versions: dict[str, Any]) -> dict[str, str]:
    """document -> its first version (which takes effect on publication, no window)."""
    found: dict[str, str] = {}
    documents = versions.get("documents")
    for doc in documents if isinstance(documents, list) else []:
        entries = doc.get("versions") if isinstance(doc, dict) else None
        if isinstance(entries, list) and entries and isinstance(entries[0], dict):
            name, doc_id = entries[0].get("version"), doc.get("id")
            if isinstance(name, str) and isinstance(doc_id, str):
                found[doc_id] = name
    return found


def _versions_on_site(
    site: PublicSite, root: dict[str, Any], settings: Settings, failures: list[str]
) -> dict[tuple[str, str, str], dict[str, Any]]:
    """Every version each language's versions.json lists (drafts are never on a site);
    what cannot be read as a document's version goes into `failures`."""
    found: dict[tuple[str, str, str], dict[str, Any]] = {}
    for language in settings.languages:
        path = urls.in_language(urls.VERSIONS_JSON, None if language == settings.languages[0] else language)
        data: Any = root if language == settings.languages[0] else read_json(site, path)
        if data is None:
            continue
        documents = data.get("documents") if isinstance(data, dict) else None
        if not isinstance(documents, list):
            failures.append(f"{path} lists no documents: the versions on the site cannot be checked")
            continue
        for doc in documents:
            entries = doc.get("versions") if isinstance(doc, dict) else None
            doc_id = doc.get("id") if isinstance(doc, dict) else None
            if not isinstance(entries, list) or not isinstance(doc_id, str):
                failures.append(f"{path} lists a document that is not one (no id or no versions)")
                continue
            for entry in entries:
                if not isinstance(entry, dict) or not isinstance(entry.get("version"), str):
                    failures.append(f"{path} lists an entry of {doc_id} that is not a version")
                    continue
                # A version a language has no text of is listed in the source language's.
                text_language = entry.get("language", language)
                if text_language not in settings.languages:
                    failures.append(
                        f"{path} lists {doc_id} {entry['version']} in {text_language!r}, not a site language"
                    )
                    continue
                found[(doc_id, text_language, entry["version"])] = entry
    return found
