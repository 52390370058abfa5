"""Smaller promises of the site: the window's edges, several documents, human dates."""

from __future__ import annotations

import datetime as dt
import json
import re
from zoneinfo import ZoneInfo

from tests_support import INSERTED_SECTION_REVISION as V2
from tests_support import build, policy_file

from generator.core.dates import human_date, iso


def test_human_dates_in_the_operators_zone():
    shanghai = ZoneInfo("Asia/Shanghai")
    assert human_date(dt.datetime(2026, 10, 16, tzinfo=shanghai), shanghai) == "16 October 2026"
    # 20:00 UTC on the 15th is already the 16th in Shanghai.
    assert human_date(dt.datetime(2026, 10, 15, 16, 0, tzinfo=dt.UTC), shanghai) == "16 October 2026"
    assert human_date(dt.datetime(2026, 10, 16, 9, 30, tzinfo=shanghai), shanghai) == "16 October 2026, 09:30"
    assert human_date(dt.date(2027, 1, 1)) == "1 January 2027"
    assert iso(dt.datetime(2026, 10, 15, 16, 0, tzinfo=dt.UTC), shanghai) == "2026-10-16T00:00:00+08:00"


def test_the_site_flips_at_local_midnight(history, policyctl, tmp_path):
    before, after = tmp_path / "before", tmp_path / "after"
    build(policyctl, history, "2026-10-15T23:59", before)
    build(policyctl, history, "2026-10-16T00:00", after)
    assert len(json.loads((before / "notices.json").read_text())["notices"]) == 1
    assert json.loads((after / "notices.json").read_text())["notices"] == []
    assert "policy-banner" in (before / "index.html").read_text()
    assert "policy-banner" not in (after / "index.html").read_text()


def test_several_documents_and_revisions(policy_repo, policyctl, tmp_path):
    policy_repo.write("policy/privacy.md", policy_file(published="2026-09-01"))
    policy_repo.write(
        "policy/terms.md",
        policy_file("## Use {#use}\n\nBe nice.\n", title="Terms of Use", published="2026-09-01"),
    )
    policy_repo.commit("2026-09-01T10:00:00+08:00")
    policy_repo.write(
        "policy/privacy.md", policy_file(V2, version="2.0", published="2026-09-30", summary="Phones.")
    )
    policy_repo.write(
        "policy/terms.md",
        policy_file(
            "## Use {#use}\n\nBe kind.\n",
            title="Terms of Use",
            version="1.1",
            published="2026-09-30",
            effective="2026-11-02",
            summary="Kinder.",
        ),
    )
    policy_repo.commit("2026-09-30T10:00:00+08:00")
    site = tmp_path / "site"
    build(policyctl, policy_repo, "2026-10-09", site)
    notices = json.loads((site / "notices.json").read_text())["notices"]
    assert [(n["document"], n["version"], n["core_rights"]) for n in notices] == [
        ("privacy", "2.0", True),
        ("terms", "1.1", False),
    ]
    home = (site / "index.html").read_text()
    assert 'data-policy-notices="privacy@2.0 terms@1.1"' in home
    assert "2 November 2026" in home and "16 October 2026" in home
    versions = json.loads((site / "versions.json").read_text())
    assert [d["id"] for d in versions["documents"]] == ["privacy", "terms"]
    assert (site / "terms/changes/1.0-to-1.1/index.html").is_file()


def test_in_force_to_each_pending_revision(policy_repo, policyctl, tmp_path):
    """Two revisions pending at once: a redline from the version in force to each."""
    policy_repo.publish("policy/privacy.md", policy_file(published="2026-09-01"), "2026-09-01T10:00:00+08:00")
    policy_repo.publish(
        "policy/privacy.md",
        policy_file(V2, version="2.0", published="2026-09-30", summary="Two."),
        "2026-09-30T10:00:00+08:00",
    )
    v3 = V2.replace("privacy@example.com", "dpo@example.com")
    policy_repo.publish(
        "policy/privacy.md",
        policy_file(v3, version="3.0", published="2026-10-09", summary="Three."),
        "2026-10-09T10:00:00+08:00",
    )
    site = tmp_path / "site"
    build(policyctl, policy_repo, "2026-10-12", site)
    for pair in ("1.0-to-2.0", "2.0-to-3.0", "1.0-to-3.0"):
        assert (site / f"privacy/changes/{pair}/index.html").is_file(), pair
    notices = json.loads((site / "notices.json").read_text())["notices"]
    assert [n["changes_url"] for n in notices] == [
        "privacy/changes/1.0-to-2.0/",
        "privacy/changes/1.0-to-3.0/",
    ]


def test_an_existing_mkdocs_yml_cannot_break_the_permanent_urls(history, policyctl, tmp_path):
    history.write(
        "mkdocs.yml",
        "site_name: X\nuse_directory_urls: false\ntheme:\n  name: material\nplugins:\n  - policy\n",
    )
    site = tmp_path / "site"
    build(policyctl, history, "2026-10-08", site)
    assert (site / "privacy/versions/1.0/index.html").is_file()
    assert 'href="privacy/changes/1.0-to-2.0/"' in (site / "index.html").read_text()


def test_titles_headings_sidebar_callout_and_links_read_as_a_visitor_expects(history, policyctl, tmp_path):
    """The words of issue 13: nothing said twice, the version where a reader looks for it."""
    site = tmp_path / "site"
    build(policyctl, history, "2026-10-08", site)
    home = (site / "index.html").read_text()
    version = (site / "privacy/versions/1.0/index.html").read_text()
    document = (site / "privacy/index.html").read_text()
    updates = (site / "updates/index.html").read_text()

    # The home page's tab title names the site once.
    assert "<title>Policies</title>" in home
    # A version page says its version in its heading and its tab title.
    assert "<title>Privacy Policy, version 1.0 - Policies</title>" in version
    assert re.search(r"<h1[^>]*>Privacy Policy, version 1\.0", version)
    # The sidebar lists the document once, not under a section of its own name.
    sidebar = home[home.index('<nav class="md-nav md-nav--primary"') :]
    sidebar = sidebar[: sidebar.index("</nav>")]
    labels = re.findall(r'<span class="md-ellipsis">\s*(.*?)\s*</span>', sidebar, re.S)
    assert labels == ["Home", "Privacy Policy", "Privacy Policy: all versions", "Updates"]
    # The callout says its date in its title, and something else in its first line.
    callout = document[document.index('class="admonition warning policy-callout"') :]
    callout = callout[: callout.index("</div>")]
    assert callout.count("takes effect on 16 October 2026") == 1
    assert "Version 2.0 was published on 30 September 2026." in callout
    # The data files are for developers: linked from the updates page, not the home page.
    assert "notices.json" not in home and "versions.json" not in home
    assert 'href="../notices.json"' in updates and 'href="../versions.json"' in updates
