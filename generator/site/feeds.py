"""The site's data files: versions.json, notices.json and feed.xml (Atom).

URLs are absolute when `site_url` is set, else relative to the site root (which is
where the data files live, so a reader resolves them against the file's own URL).
Instants are ISO 8601 with the operator's offset. Only what the model holds is
written: a scheduled version is in no data file.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from typing import Any
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

from generator.core import urls
from generator.core.dates import human_date, iso
from generator.core.notices import Notice
from generator.site.model import SiteModel

ATOM = "http://www.w3.org/2005/Atom"
_FEED_NAMESPACE = uuid.UUID("0f6c3c2e-9b1e-5d4a-8a57-6f1c9f0b7a21")


def notice_record(notice: Notice, zone: ZoneInfo, link: Callable[[str], str]) -> dict[str, Any]:
    """A notice as data: one record for notices.json (read by notice.js) and the theme's
    banner and pop-up (`link` makes its URLs absolute or leaves them site-root relative)."""
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
    }


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
                    "title": v.title,
                    "published": iso(v.published, zone),
                    "effective": iso(v.effective, zone),
                    "until": iso(entry.until, zone),
                    "status": entry.status,
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
                    "url": urls.absolute(urls.version_pdf(doc.id, v.version), site),
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


def notices_data(model: SiteModel) -> dict[str, Any]:
    zone, site = model.settings.zone, model.settings.site_url
    notices = [notice_record(n, zone, lambda url: urls.absolute(url, site)) for n in model.notices]
    return {
        "generated": iso(model.as_of, zone),
        "updates_url": urls.absolute(urls.UPDATES, site),
        "notices": notices,
    }


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def entry_id(document: str, version: str) -> str:
    """A permanent Atom id for a version, independent of where the site is hosted."""
    return uuid.uuid5(_FEED_NAMESPACE, f"{document}\n{version}").urn


def atom_feed(model: SiteModel) -> str:
    zone, site = model.settings.zone, model.settings.site_url
    ET.register_namespace("", ATOM)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    name = model.settings.site_name or "Policies"
    feed = ET.Element(f"{{{ATOM}}}feed")
    sub(feed, "id", uuid.uuid5(_FEED_NAMESPACE, f"feed\n{site or name}").urn)
    sub(feed, "title", f"{name}: policy updates")
    sub(feed, "link", rel="self", href=urls.absolute(urls.FEED_XML, site), type="application/atom+xml")
    sub(feed, "link", rel="alternate", href=urls.absolute(urls.UPDATES, site), type="text/html")
    updates = [(doc, entry) for doc, entry in model.updates if not entry.draft]
    newest = max((entry.version.published for _, entry in updates), default=model.as_of)
    sub(feed, "updated", iso(newest, zone))
    author = sub(feed, "author")
    sub(author, "name", name)
    for doc, entry in updates:
        v = entry.version
        item = sub(feed, "entry")
        sub(item, "id", entry_id(doc.id, v.version))
        sub(item, "title", f"{v.title}, version {v.version}")
        sub(item, "published", iso(v.published, zone))
        sub(item, "updated", iso(v.published, zone))
        target = entry.changes_url or entry.url
        sub(item, "link", rel="alternate", href=urls.absolute(target, site), type="text/html")
        sub(item, "link", rel="related", href=urls.absolute(entry.url, site), type="text/html")
        text = v.summary or "First published version."
        # Read by people in a feed reader: the date as the pages write it.
        text += f" Effective {human_date(v.effective, zone)}."
        if entry.changes.core_rights_changed:
            text += " Changes core-rights sections."
        sub(item, "summary", text)
        for section_change in entry.changes.sections:
            if section_change.core_rights:
                sub(item, "category", term="core-rights", label="Changes core rights")
                break
    ET.indent(feed)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode") + "\n"


def data_files(model: SiteModel, *, pdfs: Mapping[str, str] | None = None) -> dict[str, str]:
    """Site-root file name -> content."""
    return {
        urls.VERSIONS_JSON: dumps(versions_data(model, pdfs)),
        urls.NOTICES_JSON: dumps(notices_data(model)),
        urls.FEED_XML: atom_feed(model),
    }
