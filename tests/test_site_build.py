"""The published site, built with `policyctl build` over real git histories."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

from tests_support import (
    INSERTED_SECTION_REVISION,
    SCHEDULED_REVISION,
    SCHEDULED_SUMMARY,
    build,
    policy_file,
    search_index,
)

ATOM = "{http://www.w3.org/2005/Atom}"

# The `history` fixture (conftest.py): 1.0 published 2026-09-01; 2.0 published
# 2026-09-30 inserts a section before "Contact" (III -> IV: renumbering, not a change)
# and changes the core-rights "Collection" section; in CN its window is Oct 8, 9, 10
# (make-up Saturday), 12, 13, 14, 15 -> effective 2026-10-16. 3.0 is scheduled for
# 2026-11-20.
V2 = INSERTED_SECTION_REVISION
V3 = SCHEDULED_REVISION
SECRET = SCHEDULED_SUMMARY


def html_files(site: Path) -> dict[str, str]:
    return {str(p.relative_to(site)): p.read_text(encoding="utf-8") for p in site.rglob("*.html")}


def article(page: str) -> str:
    return page[page.index("<article") : page.rindex("</article>")]


def text_of(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))


# ---------------------------------------------------------------- during the window


def test_pages_during_the_window(history, policyctl, tmp_path):
    site = tmp_path / "site"
    result = build(policyctl, history, "2026-10-08", site)
    assert "Rebuild the site at 2026-10-16T00:00:00+08:00" in result.out
    # our own templates (pages, e-mails, the answer page) are rendered, never published
    assert sorted(str(p.relative_to(site)) for p in site.rglob("*.j2")) == []
    assert not any((site / folder).exists() for folder in ("email", "pages", "answers"))

    for url in (
        "",
        "privacy/",
        "privacy/versions/",
        "privacy/versions/1.0/",
        "privacy/versions/2.0/",
        "privacy/changes/1.0-to-2.0/",
        "updates/",
    ):
        assert (site / url / "index.html").is_file(), url
    for name in ("versions.json", "notices.json", "feed.xml", "notice.js", "sitemap.xml"):
        assert (site / name).is_file(), name

    home = (site / "index.html").read_text()
    body = text_of(article(home))
    assert "Version 1.0, in force since 1 September 2026" in body
    assert "Revision 2.0 takes effect on 16 October 2026" in body
    assert 'href="privacy/changes/1.0-to-2.0/"' in home

    document = text_of(article((site / "privacy/index.html").read_text()))
    assert "A revised version takes effect on 16 October 2026" in document
    assert "Published 1 September 2026" in document and "Version 1.0" in document
    assert "We collect your name and email address." in document  # the text in force

    pending = text_of(article((site / "privacy/versions/2.0/index.html").read_text()))
    assert "This revised version takes effect on 16 October 2026" in pending

    archive = article((site / "privacy/versions/index.html").read_text())
    assert archive.index(">2.0<") < archive.index(">1.0<")  # newest first
    assert "core rights" in archive and 'href="../changes/1.0-to-2.0/"' in archive

    updates = text_of(article((site / "updates/index.html").read_text()))
    assert updates.index("version 2.0") < updates.index("version 1.0")
    assert "We now collect phone numbers." in updates


def test_notices_during_the_window(history, policyctl, tmp_path):
    site = tmp_path / "site"
    build(policyctl, history, "2026-10-08", site)
    for name, page in html_files(site).items():
        if name in ("404.html",):
            continue
        assert 'class="policy-banner"' in page, name
        assert "changes on <strong>16 October 2026</strong>" in page, name
        assert "policy-footer-link" in page, name
    home = (site / "index.html").read_text()
    assert '<dialog class="policy-dialog"' in home
    assert 'data-policy-notices="privacy@2.0"' in home
    assert "autofocus" in home and 'method="dialog"' in home
    assert "<dialog" not in (site / "privacy/index.html").read_text()  # home page only

    notices = json.loads((site / "notices.json").read_text())
    assert notices["generated"] == "2026-10-08T00:00:00+08:00"
    [notice] = notices["notices"]
    assert set(notice) == {
        "document",
        "version",
        "title",
        "summary",
        "published",
        "effective",
        "core_rights",
        "url",
        "changes_url",
        "objection_url",
        "effective_text",
    }
    assert notice["document"] == "privacy" and notice["version"] == "2.0"
    assert notice["effective"] == "2026-10-16T00:00:00+08:00"
    assert notice["published"] == "2026-09-30T00:00:00+08:00"
    assert notice["core_rights"] is True
    assert notice["url"] == "privacy/versions/2.0/"
    assert notice["changes_url"] == "privacy/changes/1.0-to-2.0/"
    # The one way to object (no answer page, and the policy has no rights section: its
    # page), and its deadline as the site's language writes it, for notice.js.
    assert notice["objection_url"] == "privacy/"
    assert notice["effective_text"] == "16 October 2026"
    assert (notices["language"], notices["dir"]) == ("en", "ltr")
    assert notices["words"]["banner_lead"] == "Policy update:"
    assert "languages" not in notices  # one language


def test_banner_dismissal_holds_across_pages_and_not_across_revisions(history, policyctl, tmp_path):
    """A dismissal is remembered per revision ("document@version", assets/policy.js): every
    page's banner names the same revisions, and another revision has another name."""

    def revisions(site: Path, name: str) -> str:
        page = (site / name).read_text()
        match = re.search(r'<div class="policy-banner" data-policy-notices="([^"]*)"', page)
        assert match, f"{name} has no banner"
        return match.group(1)

    site = tmp_path / "site"
    build(policyctl, history, "2026-10-08", site)
    for name in ("index.html", "privacy/versions/1.0/index.html", "privacy/changes/1.0-to-2.0/index.html"):
        assert revisions(site, name) == "privacy@2.0", name

    history.publish(
        "policy/privacy.md",
        policy_file(V3, version="3.0", published="2026-11-20", summary="New contact address."),
        "2026-11-20T09:00:00+08:00",
    )
    later = tmp_path / "later"
    build(policyctl, history, "2026-11-23", later)
    assert revisions(later, "index.html") == "privacy@3.0"


def test_versions_json_and_feed(history, policyctl, tmp_path):
    site = tmp_path / "site"
    build(policyctl, history, "2026-10-08", site)
    data = json.loads((site / "versions.json").read_text())
    [document] = data["documents"]
    v1, v2 = document["versions"]
    assert v1["status"] == "in-force" and v2["status"] == "pending"
    assert v1["until"] == "2026-10-16T00:00:00+08:00" and v2["until"] is None
    assert v2["changes"] == {
        "added": ["sharing"],
        "removed": [],
        "changed": ["collection"],
        "moved": [],
        "renamed": [],
    }
    assert v2["core_rights_changed"] is True and v1["core_rights_changed"] is False
    assert re.fullmatch(r"[0-9a-f]{40}", v2["commit"]) and re.fullmatch(r"[0-9a-f]{64}", v2["sha256"])
    committed = history.git("show", f"{v2['commit']}:policy/privacy.md").encode()
    import hashlib

    assert hashlib.sha256(committed).hexdigest() == v2["sha256"]
    assert v2["url"] == "privacy/versions/2.0/"
    for key in (
        "version",
        "published",
        "effective",
        "until",
        "status",
        "commit",
        "sha256",
        "url",
        "summary",
        "core_rights_changed",
        "changes",
    ):
        assert key in v1

    feed = ET.parse(site / "feed.xml").getroot()
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated", "author"):
        assert feed.find(f"{ATOM}{required}") is not None
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 2
    for entry in entries:
        for required in ("id", "title", "updated", "summary"):
            assert entry.find(f"{ATOM}{required}") is not None
        assert entry.find(f"{ATOM}id").text.startswith("urn:uuid:")
    links = [e.find(f"{ATOM}link[@rel='alternate']").get("href") for e in entries]
    assert "privacy/changes/1.0-to-2.0/" in links


# ---------------------------------------------------------------- after the window


def test_after_the_window(history, policyctl, tmp_path):
    site = tmp_path / "site"
    build(policyctl, history, "2026-10-20", site)
    for name, page in html_files(site).items():
        assert "policy-banner" not in page, name
        assert "<dialog" not in page, name
        assert "policy-footer-link" not in page, name
    assert json.loads((site / "notices.json").read_text())["notices"] == []

    document = text_of(article((site / "privacy/index.html").read_text()))
    assert "Version 2.0" in document and "phone number" in document
    assert "A revised version" not in document

    old = article((site / "privacy/versions/1.0/index.html").read_text())
    assert "This version has been superseded" in old
    assert "until 16 October 2026" in text_of(old)
    assert 'href="../../">version 2.0</a>' in old  # links the current version

    statuses = [
        v["status"] for v in json.loads((site / "versions.json").read_text())["documents"][0]["versions"]
    ]
    assert statuses == ["superseded", "in-force"]


def test_renumbering_is_no_change_and_core_rights_are_marked(history, policyctl, tmp_path):
    site = tmp_path / "site"
    build(policyctl, history, "2026-10-20", site)
    page = article((site / "privacy/changes/1.0-to-2.0/index.html").read_text())
    lists = page[page.index('<div class="policy-changes">') : page.index('id="redline"')]
    assert 'data-section="sharing"' in lists and 'data-section="collection"' in lists
    assert 'data-section="contact"' not in lists  # III -> IV only
    assert "Added (1)" in lists and "Changed (1)" in lists
    assert lists.count("core rights") == 2
    assert "This revision changes your core rights" in page
    assert "<ins" in page and "<del" in page
    assert "We now collect phone numbers." in page


# ---------------------------------------------------------------- never early, never leaked


def test_a_scheduled_version_is_nowhere(history, policyctl, tmp_path):
    site = tmp_path / "site"
    build(policyctl, history, "2026-10-20", site)
    for path in site.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".json", ".xml", ".js", ".txt"):
            text = path.read_text(encoding="utf-8", errors="replace")
            assert SECRET not in text, path
            assert "dpo-scheduled" not in text, path
            assert "versions/3.0" not in text and "2.0-to-3.0" not in text, path
    assert not (site / "privacy/versions/3.0").exists()
    index = search_index(site)
    assert not any("3.0" in doc["location"] for doc in index["docs"])


def test_version_and_redline_pages_stay_out_of_search_and_sidebar(history, policyctl, tmp_path):
    site = tmp_path / "site"
    build(policyctl, history, "2026-10-08", site)
    index = search_index(site)
    locations = {doc["location"].split("#")[0] for doc in index["docs"]}
    assert {"", "privacy/", "updates/"} <= locations
    assert not any("/versions/" in loc and loc != "privacy/versions/" for loc in locations)
    assert not any("/changes/" in loc for loc in locations)
    home = (site / "index.html").read_text()
    sidebar = home[
        home.index('<nav class="md-nav md-nav--primary"') : home.index(
            "</nav>", home.index('<nav class="md-nav md-nav--primary"')
        )
    ]
    assert "privacy/versions/" in sidebar  # the archive is listed
    assert "versions/1.0/" not in sidebar and "changes/" not in sidebar


# ---------------------------------------------------------------- refusing and failing


def test_violations_refuse_the_build_and_keep_the_old_site(policy_repo, policyctl, tmp_path):
    policy_repo.publish("policy/privacy.md", policy_file(published="2026-09-01"), "2026-09-01T10:00:00+08:00")
    site = tmp_path / "site"
    build(policyctl, policy_repo, "2026-09-02", site)
    before = (site / "index.html").read_text()
    policy_repo.publish(
        "policy/privacy.md",
        policy_file(V2, version="2.0", published="2026-09-30", effective="2026-10-05", summary="Too soon."),
        "2026-09-30T09:00:00+08:00",
    )
    result = policyctl("build", "--repo", policy_repo.path, "--as-of", "2026-10-01", "--site-dir", site)
    assert result.code == 1
    assert "error:" in result.out and "2026-10-16" in result.out
    assert (site / "index.html").read_text() == before
    assert not list(tmp_path.glob(".site.*"))  # no leftovers beside the site


def test_a_failed_mkdocs_build_keeps_the_old_site(history, policyctl, tmp_path):
    site = tmp_path / "site"
    build(policyctl, history, "2026-10-08", site)
    before = (site / "notices.json").read_text()
    history.write(
        "mkdocs.yml",
        "site_name: Broken\ntheme:\n  name: material\n  custom_dir: no-such-dir\nplugins:\n  - policy\n",
    )
    result = policyctl("build", "--repo", history.path, "--as-of", "2026-10-20", "--site-dir", site)
    assert result.code == 1
    assert "not changed" in result.err
    assert (site / "notices.json").read_text() == before
    assert not list(tmp_path.glob(".site.*"))


def test_a_reserved_document_id_is_unusable_input(policy_repo, policyctl, tmp_path):
    policy_repo.publish("policy/updates.md", policy_file(published="2026-09-01"), "2026-09-01T10:00:00+08:00")
    result = policyctl(
        "build", "--repo", policy_repo.path, "--as-of", "2026-09-02", "--site-dir", tmp_path / "s"
    )
    assert result.code == 2
    assert "reserved" in result.err


def test_refuses_to_replace_a_folder_that_is_not_a_site(history, policyctl, tmp_path):
    target = tmp_path / "important"
    target.mkdir()
    (target / "notes.txt").write_text("keep me")
    result = policyctl("build", "--repo", history.path, "--as-of", "2026-10-08", "--site-dir", target)
    assert result.code == 2
    assert "refusing to replace a folder that does not look like a built site" in result.err
    assert "pass another --site-dir" in result.err
    assert (target / "notes.txt").read_text() == "keep me"
    assert sorted(p.name for p in target.iterdir()) == ["notes.txt"]


# ---------------------------------------------------------------- configurations


def test_documents_without_front_matter_are_versioned_per_commit(policy_repo, policyctl, tmp_path):
    # (A summary is still required by `check` for later versions.)
    matter = "---\nsummary: Kinder wording.\n---\n"
    policy_repo.publish("policy/terms.md", "# Terms\n\nBe nice.\n", "2026-03-02T10:00:00+08:00")
    policy_repo.publish("policy/terms.md", matter + "# Terms\n\nBe very nice.\n", "2026-04-01T10:00:00+08:00")
    site = tmp_path / "site"
    build(policyctl, policy_repo, "2026-05-01", site)
    assert (site / "terms/versions/2026-03-02/index.html").is_file()
    assert (site / "terms/changes/2026-03-02-to-2026-04-01/index.html").is_file()
    page = (site / "terms/index.html").read_text()
    assert page.count("<h1") == 1  # the document's own heading is the title


def test_the_repository_mkdocs_yml_and_plain_mkdocs_build(history, tmp_path):
    history.write(
        "mkdocs.yml",
        "site_name: Shop legal\nsite_url: https://shop.example.com/legal/\ndocs_dir: policy\n"
        "theme:\n  name: material\nplugins:\n  - search\n  - policy:\n      country: CN\n"
        "      timezone: Asia/Shanghai\n      working_days: 7\n",
    )
    history.commit("2026-10-01T10:00:00+08:00", "mkdocs.yml")
    env = {"POLICYCTL_AS_OF": "2026-10-08", "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin"}
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-q", "-d", str(tmp_path / "plain")],
        cwd=history.path,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    plain = tmp_path / "plain"
    notices = json.loads((plain / "notices.json").read_text())
    assert (
        notices["notices"][0]["changes_url"] == "https://shop.example.com/legal/privacy/changes/1.0-to-2.0/"
    )
    assert "Shop legal" in (plain / "index.html").read_text()
    assert "policy-banner" in (plain / "index.html").read_text()  # theme overrides added by the plugin
    assert not (plain / "email").exists()
    feed = ET.parse(plain / "feed.xml").getroot()
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == "https://shop.example.com/legal/feed.xml"
    assert not (history.path / "policy" / "index.md").exists()  # nothing written into the docs
    sitemap = (plain / "sitemap.xml").read_text()
    assert (
        "https://shop.example.com/legal/privacy/versions/1.0/" in sitemap
    )  # public, just not in the sidebar
    assert "3.0" not in sitemap


def test_calendar_flags_reach_the_site(history, policyctl, tmp_path):
    """--working-days 3: 2.0's window is Oct 8, 9, 10, so 2.0 is in force from 11 October;
    with the default 7 it would still be pending on the 13th."""
    site = tmp_path / "site"
    build(policyctl, history, "2026-10-13", site, "--working-days", "3")
    versions = json.loads((site / "versions.json").read_text())["documents"][0]["versions"]
    assert [v["status"] for v in versions] == ["superseded", "in-force"]
    assert versions[1]["effective"] == "2026-10-11T00:00:00+08:00"
    assert json.loads((site / "notices.json").read_text())["notices"] == []


def test_the_build_is_reproducible(history, policyctl, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    build(policyctl, history, "2026-10-08T09:30", a)
    build(policyctl, history, "2026-10-08T09:30", b)
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files_a == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    for rel in files_a:
        if rel.suffix != ".gz":
            assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel
