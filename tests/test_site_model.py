"""What the site holds at an instant, without git, MkDocs or a browser: the timeline of a
document, the site model, versions.json, notices.json and the Atom feed, from histories
made of file revisions in memory.

The privacy policy of these tests: 1.0 published 1 September 2026; 2.0 published 30
September (changes the core-rights "Collection" section and inserts "Sharing"; in CN the
window is Oct 8, 9, 10 (a make-up Saturday), 12, 13, 14, 15: in force from 16 October);
3.0 committed on 30 September but published on 20 November (window Nov 23-27, 30, Dec 1:
in force from 2 December).
"""

from __future__ import annotations

import datetime as dt
import json
from xml.etree import ElementTree as ET

import pytest
from tests_support import (
    BASE_POLICY,
    INSERTED_SECTION_REVISION,
    SCHEDULED_REVISION,
    SCHEDULED_SUMMARY,
    policy_file,
)

from generator.core import urls
from generator.core.dates import parse_instant
from generator.core.history import History, build_document
from generator.core.notices import open_notices
from generator.core.revisions import FileRevision
from generator.core.timeline import IN_FORCE, PENDING, SCHEDULED, SUPERSEDED, state_at
from generator.settings import Settings
from generator.site.feeds import atom_feed, notices_data, versions_data
from generator.site.model import build_model

SETTINGS = Settings()  # the operator's: CN calendar, Asia/Shanghai, 7 working days
SITE_URL = "https://shop.example/legal/"
ATOM = "{http://www.w3.org/2005/Atom}"
PRIVACY = "policy/privacy.md"

V1 = policy_file(published="2026-09-01")
V2 = policy_file(
    INSERTED_SECTION_REVISION, version="2.0", published="2026-09-30", summary="We now collect phone numbers."
)
V3 = policy_file(SCHEDULED_REVISION, version="3.0", published="2026-11-20", summary=SCHEDULED_SUMMARY)


def at(when: str) -> dt.datetime:
    """An instant in the operator's time zone, as `--as-of` reads it."""
    return parse_instant(when, SETTINGS.zone)


def history(*commits: tuple[str, str], doc_id: str = "privacy", rules_kept: bool = True) -> History:
    """One document whose file was committed with these texts at these instants; unless
    told otherwise, a history that keeps every rule `check` enforces."""
    revisions = [
        FileRevision(f"{n:040x}", at(when), f"policy/{doc_id}.md", text.encode("utf-8"))
        for n, (when, text) in enumerate(commits, start=1)
    ]
    result = build_document(doc_id, revisions, SETTINGS.calendar, SETTINGS.working_days)
    if rules_kept:
        assert result.violations == (), result.violations
    return History((result.document,), result.violations)


PRIVACY_HISTORY = history(
    ("2026-09-01T10:00", V1),
    ("2026-09-30T09:00", V2),
    ("2026-09-30T12:00", V3),
)


def site_data(history: History, as_of: str, *, site_url: str | None = None) -> tuple[dict, dict, str]:
    """versions.json, notices.json and feed.xml as the build writes them at `as_of`."""
    settings = Settings(site_url=site_url, site_name="Shop legal")
    model = build_model(history, settings, at(as_of))
    return versions_data(model), notices_data(model), atom_feed(model)


# ---------------------------------------------------------------- the timeline


def test_the_previous_version_applies_until_the_revision_takes_effect_at_local_midnight():
    [document] = PRIVACY_HISTORY.documents
    before = state_at(document, at("2026-10-15T23:59"))
    assert before.in_force.version == "1.0"
    assert [v.version for v in before.pending] == ["2.0"]
    assert before.next_change == at("2026-10-16")

    after = state_at(document, at("2026-10-16T00:00"))
    assert after.in_force.version == "2.0"
    assert after.pending == ()
    assert after.status(document.version("1.0")) == SUPERSEDED
    assert after.until(document.version("1.0")) == at("2026-10-16")


def test_a_revision_published_on_30_september_is_pending_from_that_midnight_not_from_its_commit():
    [document] = PRIVACY_HISTORY.documents
    assert state_at(document, at("2026-09-29T23:59")).pending == ()
    on_the_day = state_at(document, at("2026-09-30T00:00"))
    assert on_the_day.status(document.version("2.0")) == PENDING
    assert on_the_day.in_force.version == "1.0"


def test_a_version_committed_early_stays_scheduled_until_its_publication_day():
    [document] = PRIVACY_HISTORY.documents
    v3 = document.version("3.0")
    eve = state_at(document, at("2026-11-19T23:59"))
    assert eve.status(v3) == SCHEDULED
    assert v3 not in eve.published
    assert eve.next_change == at("2026-11-20")  # the day it appears

    published = state_at(document, at("2026-11-20"))
    assert published.status(v3) == PENDING
    assert v3.effective == at("2026-12-02")
    assert published.in_force.version == "2.0"


def test_an_open_window_is_one_notice_compared_with_the_version_in_force():
    [document] = PRIVACY_HISTORY.documents
    [notice] = open_notices(state_at(document, at("2026-10-08")))
    assert notice.key == "privacy@2.0"
    assert notice.base.version == "1.0"
    assert notice.core_rights
    assert notice.changes.added == ("sharing",) and notice.changes.changed == ("collection",)
    assert open_notices(state_at(document, at("2026-10-16"))) == ()


def test_two_open_windows_are_each_compared_with_the_version_in_force():
    later = V3.replace("published: 2026-11-20", "published: 2026-10-09")
    two_pending = history(
        ("2026-09-01T10:00", V1),
        ("2026-09-30T09:00", V2),
        ("2026-10-09T10:00", later),
    )
    _, notices, _ = site_data(two_pending, "2026-10-12")
    assert [(n["version"], n["changes_url"]) for n in notices["notices"]] == [
        ("2.0", "privacy/changes/1.0-to-2.0/"),
        ("3.0", "privacy/changes/1.0-to-3.0/"),
    ]


def test_a_revision_outside_the_core_rights_sections_is_announced_without_the_core_rights_flag():
    contact_only = policy_file(
        BASE_POLICY.replace("privacy@example.com", "dpo@example.com"),
        version="1.1",
        published="2026-09-30",
        summary="A new contact address.",
    )
    plain = history(("2026-09-01T10:00", V1), ("2026-09-30T09:00", contact_only))
    versions, notices, feed = site_data(plain, "2026-10-08")
    [notice] = notices["notices"]
    assert notice["version"] == "1.1" and notice["core_rights"] is False
    assert versions["documents"][0]["versions"][1]["changes"]["changed"] == ["contact"]
    assert "core-rights" not in feed


# ---------------------------------------------------------------- the data files


def test_versions_json_during_the_window_shows_1_0_in_force_and_2_0_pending():
    versions, _, _ = site_data(PRIVACY_HISTORY, "2026-10-08")
    [document] = versions["documents"]
    assert document["in_force"] == "1.0"
    v1, v2 = document["versions"]
    assert (v1["status"], v1["until"]) == (IN_FORCE, "2026-10-16T00:00:00+08:00")
    assert (v2["status"], v2["until"]) == (PENDING, None)
    assert (v2["published"], v2["effective"]) == ("2026-09-30T00:00:00+08:00", "2026-10-16T00:00:00+08:00")
    assert v2["changes_url"] == "privacy/changes/1.0-to-2.0/"
    assert v2["core_rights_changed"] is True and v1["core_rights_changed"] is False


def test_a_scheduled_version_is_in_no_data_file():
    for as_of in ("2026-10-08", "2026-10-20", "2026-11-19T23:59"):
        versions, notices, feed = site_data(PRIVACY_HISTORY, as_of, site_url=SITE_URL)
        for name, content in (
            ("versions.json", json.dumps(versions)),
            ("notices.json", json.dumps(notices)),
            ("feed.xml", feed),
        ):
            assert SCHEDULED_SUMMARY not in content, (as_of, name)
            assert "3.0" not in content, (as_of, name)
        assert [v["version"] for v in versions["documents"][0]["versions"]] == ["1.0", "2.0"]
    model = build_model(PRIVACY_HISTORY, SETTINGS, at("2026-10-20"))
    assert [r.url for r in model.redlines] == ["privacy/changes/1.0-to-2.0/"]


def test_notices_json_links_the_revision_and_its_redline_under_the_site_url():
    _, notices, _ = site_data(PRIVACY_HISTORY, "2026-10-08", site_url=SITE_URL)
    assert notices["generated"] == "2026-10-08T00:00:00+08:00"
    assert notices["updates_url"] == SITE_URL + "updates/"
    [notice] = notices["notices"]
    assert notice["url"] == SITE_URL + "privacy/versions/2.0/"
    assert notice["changes_url"] == SITE_URL + "privacy/changes/1.0-to-2.0/"
    assert notice["summary"] == "We now collect phone numbers."


@pytest.mark.parametrize("name", ["2026 Q4", "2026/Q4", "2026 Q4/b", "2026-autumn_rc.1"])
def test_a_version_named_with_a_space_or_slash_is_linked_at_the_address_of_its_page(name):
    revised = V2.replace('version: "2.0"', f'version: "{name}"')
    # Whether `check` lets such a name through is the history rules' business; wherever
    # it appears, the links lead to the one address its page is written at.
    named = history(("2026-09-01T10:00", V1), ("2026-09-30T09:00", revised), rules_kept=False)
    model = build_model(named, SETTINGS, at("2026-10-08"))
    page = urls.version("privacy", name)
    redline = urls.changes("privacy", "1.0", name)
    assert "/" not in page.removeprefix("privacy/versions/").rstrip("/") and " " not in page
    # The pages the site writes for the version ...
    [view] = model.documents
    assert [e.url for e in view.entries] == ["privacy/versions/1.0/", page]
    assert [r.url for r in model.redlines] == [redline]
    # ... are where every data file points.
    versions, notices, feed = site_data(named, "2026-10-08")
    [notice] = notices["notices"]
    assert notice["version"] == name
    assert (notice["url"], notice["changes_url"]) == (page, redline)
    assert versions["documents"][0]["versions"][1]["url"] == page
    entry = ET.fromstring(feed).find(f"{ATOM}entry")
    assert entry.find(f"{ATOM}link[@rel='alternate']").get("href") == redline
    assert entry.find(f"{ATOM}link[@rel='related']").get("href") == page


# ---------------------------------------------------------------- the feed


def test_the_feed_lists_the_published_revisions_newest_first():
    _, _, feed = site_data(PRIVACY_HISTORY, "2026-11-23", site_url=SITE_URL)
    root = ET.fromstring(feed)
    entries = root.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == [
        "Privacy Policy, version 3.0",
        "Privacy Policy, version 2.0",
        "Privacy Policy, version 1.0",
    ]
    assert [e.findtext(f"{ATOM}published") for e in entries] == [
        "2026-11-20T00:00:00+08:00",
        "2026-09-30T00:00:00+08:00",
        "2026-09-01T00:00:00+08:00",
    ]
    assert root.findtext(f"{ATOM}updated") == "2026-11-20T00:00:00+08:00"
    # A revision links its redline; the first version, its text.
    assert [e.find(f"{ATOM}link[@rel='alternate']").get("href") for e in entries] == [
        SITE_URL + "privacy/changes/2.0-to-3.0/",
        SITE_URL + "privacy/changes/1.0-to-2.0/",
        SITE_URL + "privacy/versions/1.0/",
    ]
    newest = entries[0].findtext(f"{ATOM}summary")
    assert newest.startswith(SCHEDULED_SUMMARY) and "Effective 2 December 2026." in newest
    core = [e.find(f"{ATOM}category[@term='core-rights']") is not None for e in entries]
    assert core == [False, True, False]  # 3.0 changes only the contact address


def test_a_feed_entry_keeps_its_id_when_the_site_moves():
    _, _, here = site_data(PRIVACY_HISTORY, "2026-10-08", site_url=SITE_URL)
    _, _, there = site_data(PRIVACY_HISTORY, "2026-10-20", site_url="https://legal.shop.example/")

    def ids(feed: str) -> dict[str, str]:
        entries = ET.fromstring(feed).findall(f"{ATOM}entry")
        return {e.findtext(f"{ATOM}title"): e.findtext(f"{ATOM}id") for e in entries}

    assert ids(here) == ids(there)
    assert all(value.startswith("urn:uuid:") for value in ids(here).values())
