"""The site's data files: versions.json, notices.json and feed.xml (Atom).

URLs are absolute when `site_url` is set, else relative to the site root (which is
where the data files live, so a reader resolves them against the file's own URL).
Instants are ISO 8601 with the operator's offset. Only what the model holds is
written: a scheduled version is in no data file.

With more than one language, each language has its own three files, of the same shape,
under its prefix (`zh/versions.json`, `zh/notices.json`, `zh/feed.xml`; the source
language's stay at the root): its titles, summaries, URLs and dates. Every notices.json
says its `language` and its direction (`dir`), and carries the words notice.js shows
(`words`, from the site's catalogues); with more than one language, also where every
language's notices are (`languages`).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import uuid
from collections.abc import Callable, Mapping
from typing import Any
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

from generator.core import tags, urls
from generator.core.dates import human_date, iso
from generator.core.notices import Notice
from generator.site.model import Entry, SiteModel
from generator.site.words import NOTICE_JS_KEYS

ATOM = "http://www.w3.org/2005/Atom"
_FEED_NAMESPACE = uuid.UUID("0f6c3c2e-9b1e-5d4a-8a57-6f1c9f0b7a21")


def notice_record(
    notice: Notice, zone: ZoneInfo, link: Callable[[str], str], answer_url: str | None = None
) -> dict[str, Any]:
    """A notice as data: one record for notices.json (read by notice.js) and the theme's
    banner and pop-up (`link` makes its URLs absolute or leaves them site-root relative).
    `objection_url` is the one way to object to it (`objection_url`)."""
    v = notice.version
    return {
        "document": notice.document,
        "version": v.version,
        "title": v.title,
        "summary": v.summary,
        "published": iso(v.published, zone),
        "effective": iso(v.effective, zone),
        "core_rights": notice.core_rights,
        "url": link(notice.url),
        "changes_url": link(notice.changes_url) if notice.changes_url else None,
        "objection_url": objection_url(notice, answer_url, link),
    }


def objection_url(notice: Notice, answer_url: str | None, link: Callable[[str], str]) -> str:
    """Where a reader who does not agree with a revision objects to it, the one way the
    banner, the pop-up, the callouts and notice.js give (before the revision takes
    effect): the operator's answer page (`answer_url`), else the policy's section on
    users' rights, which says how to exercise them (`Notice.rights_url`)."""
    return answer_url or link(notice.rights_url)


def versions_data(model: SiteModel, pdfs: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Every published version; `pdfs` is the sha256 of each version's PDF by the
    version's URL (`pdf: true`), listed with the PDF's address."""
    zone, site = model.settings.zone, model.settings.site_url
    pdfs = pdfs or {}
    documents = []
    for doc in model.documents:
        versions: list[dict[str, Any]] = []
        for entry in doc.entries:
            v = entry.version
            versions.append(
                {
                    "version": v.version,
                    # The language of the text at `url`: the source language's for a
                    # version this language has no text of.
                    "language": v.language,
                    "title": v.title,
                    "published": iso(v.published, zone),
                    "effective": iso(v.effective, zone),
                    "until": iso(entry.until, zone),
                    "status": entry.status,
                    # never-in-force: the later version that took effect in its place.
                    "replaced_by": entry.replaced_by.version if entry.replaced_by else None,
                    "commit": v.commit,
                    "sha256": v.sha256,
                    "url": urls.absolute(entry.url, site),
                    "changes_url": urls.absolute(entry.changes_url, site) if entry.changes_url else None,
                    "summary": v.summary,
                    "core_rights_changed": entry.changes.core_rights_changed,
                    "changes": entry.changes.as_dict(),
                }
            )
            if entry.url in pdfs:
                versions[-1]["pdf"] = {
                    "url": urls.absolute(
                        urls.version_pdf(doc.id, v.version, language=v.translation_language), site
                    ),
                    "sha256": pdfs[entry.url],
                }
        current = doc.in_force
        documents.append(
            {
                "id": doc.id,
                "title": doc.title,
                "url": urls.absolute(doc.url, site),
                "in_force": current.version.version if current else None,
                "versions": versions,
            }
        )
    return {"generated": iso(model.as_of, zone), "documents": documents}


def notices_data(model: SiteModel, languages: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The open notices, with the language and direction of this file's words and the
    words notice.js shows (`words`), each notice's effective date written in them
    (`effective_text`). `languages` (language -> its notices.json, site-root relative),
    given when the site has more than one, says where every language's notices are."""
    zone, site = model.settings.zone, model.settings.site_url
    absolute = functools.partial(urls.absolute, site_url=site)
    notices = []
    for notice in model.notices:
        record = notice_record(notice, zone, absolute, model.settings.answer_url)
        record["effective_text"] = human_date(notice.version.effective, zone, language=model.language_code)
        notices.append(record)
    t = model.words
    data: dict[str, Any] = {
        "generated": iso(model.as_of, zone),
        "updates_url": urls.absolute(model.url(urls.UPDATES), site),
        "notices": notices,
        "language": model.language_code,
        "dir": tags.direction(model.language_code),
        "words": {key: t[key] for key in NOTICE_JS_KEYS},
    }
    if languages:
        data["languages"] = {code: urls.absolute(path, site) for code, path in languages.items()}
    return data


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def entry_id(document: str, version: str, language: str | None = None) -> str:
    """A permanent Atom id for a version (in a translation's language: of that text),
    independent of where the site is hosted."""
    key = f"{document}\n{version}" + (f"\n{language}" if language else "")
    return uuid.uuid5(_FEED_NAMESPACE, key).urn


def atom_feed(model: SiteModel) -> str:
    zone, site = model.settings.zone, model.settings.site_url
    ET.register_namespace("", ATOM)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    t, language = model.words, model.language
    name = model.settings.site_name_in(model.language_code) or t["site_name"]
    feed = ET.Element(f"{{{ATOM}}}feed", {"xml:lang": language} if language else {})
    sub(
        feed,
        "id",
        uuid.uuid5(_FEED_NAMESPACE, f"feed\n{site or name}" + (f"\n{language}" if language else "")).urn,
    )
    sub(feed, "title", t.text("feed_title", name=name))
    sub(
        feed,
        "link",
        rel="self",
        href=urls.absolute(model.url(urls.FEED_XML), site),
        type="application/atom+xml",
    )
    sub(feed, "link", rel="alternate", href=urls.absolute(model.url(urls.UPDATES), site), type="text/html")
    updates = [(doc, entry) for doc, entry in model.updates if not entry.draft]
    newest = max((_updated(entry) for _, entry in updates), default=model.as_of)
    sub(feed, "updated", iso(newest, zone))
    author = sub(feed, "author")
    sub(author, "name", name)
    for doc, entry in updates:
        v = entry.version
        item = sub(feed, "entry")
        sub(item, "id", entry_id(doc.id, v.version, v.translation_language))
        sub(item, "title", t.text("version_title", title=v.title, version=v.version))
        sub(item, "published", iso(v.published, zone))
        sub(item, "updated", iso(_updated(entry), zone))
        target = entry.changes_url or entry.url
        sub(item, "link", rel="alternate", href=urls.absolute(target, site), type="text/html")
        sub(item, "link", rel="related", href=urls.absolute(entry.url, site), type="text/html")
        text = v.summary or (t["feed_first"] if entry.previous is None else t["feed_revised"])
        if entry.replaced_by is not None:
            # Replaced before it took effect: no date it took effect on.
            text += t.text("feed_never", version=entry.replaced_by.version)
        else:
            # Read by people in a feed reader: the date as the pages write it.
            text += t.text("feed_effective", date=human_date(v.effective, zone, language=model.language_code))
        if entry.changes.core_rights_changed:
            text += t["feed_core"]
        sub(item, "summary", text)
        for section_change in entry.changes.sections:
            if section_change.core_rights:
                sub(item, "category", term="core-rights", label=t["feed_core_label"])
                break
    ET.indent(feed)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode") + "\n"


def _updated(entry: Entry) -> dt.datetime:
    """When a feed entry last changed: its publication, or the publication of the version
    that replaced it before it took effect (its text then says so)."""
    published = entry.version.published
    return max(published, entry.replaced_by.published) if entry.replaced_by else published


def data_files(
    model: SiteModel, *, pdfs: Mapping[str, str] | None = None, languages: Mapping[str, str] | None = None
) -> dict[str, str]:
    """File name (under the model's language prefix: `SiteModel.url`) -> content."""
    return {
        urls.VERSIONS_JSON: dumps(versions_data(model, pdfs)),
        urls.NOTICES_JSON: dumps(notices_data(model, languages)),
        urls.FEED_XML: atom_feed(model),
    }
