"""The public record on the site: judge the history against the previous record, then
append this build's lines to `publication-log.jsonl`.

Before a build (`judge`): the previous record (`generator.records.Witness`) must verify
(its chain, and the head that its site's versions.json names), and no version it lists
may have another text now. Its sightings (`Record.sightings`) go into the history, so a
window counts from the day the public first saw a version.

After the engine rendered the pages (`publish_record`): each shown version's source
file goes beside its page (`urls.version_source`), the log gets this build's lines
(`generator.core.record.extend`), and versions.json (each language's) and the updates
page name the chain head.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from generator.core import urls
from generator.core.dates import iso
from generator.core.errors import PolicyError, Violation
from generator.core.history import History, Version
from generator.core.record import (
    NO_SIGHTINGS,
    Record,
    Shown,
    Sightings,
    chain_violations,
    extend,
    head_violation,
    text_violations,
)
from generator.records import LOG_HEAD, Witness
from generator.settings import Settings
from generator.site.engines import SEARCH_INDEXES
from generator.site.model import SiteModel

HEAD_PLACEHOLDER = "policy-log-head-0a9f3c"
"""Written where a page names the chain head, which is known only after the pages are
rendered (the log's lines hash the PDFs printed from them); replaced by `stamp_head`."""
CALENDAR = "calendar"
"""The key of versions.json that states the calendar and window the site counts with."""
LANGUAGES = "languages"
"""The key of versions.json that lists the site's languages, the source language first."""


def sightings(witness: Witness, settings: Settings, as_of: dt.datetime) -> Sightings:
    """When the public first saw each version, by the record; without one, nothing is
    known and windows count from publication."""
    if not witness.found:
        return NO_SIGHTINGS
    return witness.record.sightings(settings.zone, as_of.astimezone(settings.zone).date())


def require_forward(witness: Witness, as_of: dt.datetime) -> None:
    """A record only grows forward in time: a build may not enter lines seen before its last."""
    last = witness.record.last_seen
    if last is not None and as_of < last:
        raise PolicyError(
            f"the publication log {witness.where} already has lines seen at {iso(last)}, after this "
            f"build's instant {iso(as_of)}; a record is only appended to, in time order",
            remedy="build an earlier state into a folder of its own (an empty --site-dir), or drop --as-of",
        )


def judge(witness: Witness, history: History) -> list[Violation]:
    """What the previous record refuses: a broken chain, a log shorter or other than its
    site published, a published text that the history now holds otherwise."""
    if not witness.found:
        return []
    problems = chain_violations(witness.record, where=witness.where)
    head = head_violation(witness.record, witness.stated_head, where=witness.where)
    if head is not None:
        problems.append(head)
    versions = [
        ((document.id, t.language, t.version), t.sha256, t.path, t.short_commit)
        for document in history.documents
        for version in document.versions
        if not version.draft
        for t in (version, *version.translations)
    ]
    return problems + text_violations(witness.record, versions, where=witness.where)


def _published(models: Iterable[SiteModel]) -> Iterator[tuple[str | None, str, Version]]:
    """(the language prefix, the document, the version) of every version the site shows."""
    for model in models:
        for doc in model.documents:
            for entry in doc.entries:
                # A version this language has no text of is the source language's.
                if not entry.draft and not doc.untranslated(entry):
                    yield model.language, doc.id, entry.version


def _shown(site: Path, models: Sequence[SiteModel]) -> list[Shown]:
    shown = []
    for prefix, doc_id, v in _published(models):
        pdf = site / urls.version_pdf(doc_id, v.version, language=prefix)
        shown.append(
            Shown(
                document=doc_id,
                language=v.language,
                version=v.version,
                sha256=v.sha256,
                published=v.published,
                effective=v.effective,
                pdf_sha256=hashlib.sha256(pdf.read_bytes()).hexdigest() if pdf.is_file() else None,
            )
        )
    return shown


def write_sources(site: Path, models: Iterable[SiteModel]) -> None:
    """Each shown version's policy file, byte for byte, beside its page."""
    for prefix, doc_id, v in _published(models):
        target = site / urls.version_source(doc_id, v.version, language=prefix)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(v.source)


def calendar_statement(settings: Settings, documents: Iterable[str] = ()) -> dict[str, Any]:
    """The calendar and notice periods the site counts with, for `verify`: the default
    period (`window`; `working_days` too when it is working days, as older sites said
    it) and the period of each of `documents` (document ids)."""
    default = settings.default_period
    return {
        "country": settings.country,
        "subdivision": settings.subdivision,
        "timezone": settings.timezone,
        **({"working_days": default.working_days} if default.working_days is not None else {}),
        "window": default.as_dict(),
        "documents": {
            doc_id: {"window": settings.period_of(doc_id).as_dict()} for doc_id in sorted(documents)
        },
        "extra_holidays": sorted(d.isoformat() for d in settings.extra_holidays),
        "extra_working_days": sorted(d.isoformat() for d in settings.extra_working_days),
        "known_years": sorted(settings.known_years),
    }


def stamp_head(site: Path, models: Sequence[SiteModel], head: str) -> None:
    """Name the chain head in each language's versions.json (with the calendar) and where
    the pages hold the placeholder (the updates pages and the search index)."""
    for model in models:
        path = site / model.url(urls.VERSIONS_JSON)
        if path.is_file():
            data = json.loads(path.read_text(encoding="utf-8"))
            data[LOG_HEAD] = head
            data["log_url"] = urls.absolute(urls.PUBLICATION_LOG, model.settings.site_url)
            documents = [doc for doc in data.get("documents", []) if isinstance(doc, dict)]
            for doc in documents:
                # Each document states the notice period its windows are counted with.
                doc["notice_period"] = model.settings.period_of(str(doc.get("id"))).as_dict()
            data[CALENDAR] = calendar_statement(model.settings, [str(doc.get("id")) for doc in documents])
            data[LANGUAGES] = list(model.settings.languages)
            path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for model in models:
        indexes = [site / model.url(name) for name in SEARCH_INDEXES]
        for path in (site / model.url(urls.UPDATES) / "index.html", *indexes):
            text = path.read_text(encoding="utf-8") if path.is_file() else ""
            if HEAD_PLACEHOLDER in text:
                path.write_text(text.replace(HEAD_PLACEHOLDER, head), encoding="utf-8")


def publish_record(
    site: Path, models: Sequence[SiteModel], witness: Witness, as_of: dt.datetime
) -> tuple[Record, list[str]]:
    """After the engine ran: the sources beside their pages, this build's lines appended
    to the log, the head named. Returns the new record and a warning for each PDF that
    is not the one the previous record logged (`pdf_drift`)."""
    settings = models[0].settings
    write_sources(site, models)
    shown = _shown(site, models)
    record = extend(witness.record, shown, as_of, settings.zone)
    (site / urls.PUBLICATION_LOG).write_bytes(record.text.encode("utf-8"))
    stamp_head(site, models, record.head)
    return record, pdf_drift(witness.record, shown)


def pdf_drift(previous: Record, shown: Sequence[Shown]) -> list[str]:
    """Versions whose PDF on the new site is not the one the record logged (the previous
    PDF was lost and Chromium printed other bytes): `verify` will say so; the build warns."""
    logged = previous.version_lines
    return [
        f"{item.document} version {item.version} ({item.language}): its PDF now has sha256 "
        f"{item.pdf_sha256}, but the public record logged {line.pdf_sha256} (line {line.seq}); "
        "restore the published PDF from a copy of the site and build again"
        for item in shown
        if (line := logged.get(item.key)) is not None
        and line.pdf_sha256 is not None
        and item.pdf_sha256 is not None
        and item.pdf_sha256 != line.pdf_sha256
    ]
