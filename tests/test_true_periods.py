"""True periods (issue 18): a version replaced before it took effect never took effect,
and every place that states a period or a status says so, in agreement with
`policyctl applies` at every instant.

History (files without front matter, so that each commit is a version, named after its
day): 2024-03-01 (the first version, in force on publication); six commits on
17 April 2024, versions 2024-04-17 … 2024-04-17-6, which share the effective instant
27 April 2024 (the later version wins: only 2024-04-17-6 takes effect); two commits on
14 June 2024, versions 2024-06-14 and 2024-06-14-2, both effective 26 June 2024 (only
2024-06-14-2 takes effect). Sites are built with `policyctl build --as-of` and read as
a visitor reads them; `status` and `applies` are run as an operator runs them.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from tests_support import PolicyRepo, build

ATOM = "{http://www.w3.org/2005/Atom}"
APRIL = [f"2024-04-17{suffix}" for suffix in ("", "-2", "-3", "-4", "-5", "-6")]
JUNE = ["2024-06-14", "2024-06-14-2"]
VERSIONS = ["2024-03-01", *APRIL, *JUNE]
REPLACED_BY = {
    **{APRIL[i]: APRIL[i + 1] for i in range(5)},
    "2024-06-14": "2024-06-14-2",
}
"""Each version that never took effect, and the version that replaced it first."""
TOOK_EFFECT = [v for v in VERSIONS if v not in REPLACED_BY]
ZONE = dt.timezone(dt.timedelta(hours=8))


def text(number: str, language: str = "en") -> str:
    """The policy file of one commit, without front matter."""
    if language == "zh":
        return f"本政策的引言。\n\n## 一、范围 {{#scope}}\n\n文本 {number}。\n"
    return f"Intro paragraph.\n\n## I. Scope {{#scope}}\n\nText number {number}.\n"


def write_history(repo: PolicyRepo, language: str = "en") -> None:
    repo.publish("policy/privacy.md", text("zero", language), "2024-03-01T10:00:00+08:00")
    for hour in range(6):
        repo.publish(
            "policy/privacy.md", text(f"april {hour + 1}", language), f"2024-04-17T{9 + hour:02}:00:00+08:00"
        )
    for hour in range(2):
        repo.publish(
            "policy/privacy.md", text(f"june {hour + 1}", language), f"2024-06-14T{10 + hour:02}:00:00+08:00"
        )


@pytest.fixture
def same_day(policy_repo: PolicyRepo) -> PolicyRepo:
    write_history(policy_repo)
    return policy_repo


def article(page: str) -> str:
    return page[page.index("<article") : page.rindex("</article>")]


def words(fragment: str) -> str:
    """What a visitor reads: tags dropped, white space made single spaces."""
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


def read(site: Path, url: str) -> str:
    return words(article((site / url / "index.html").read_text(encoding="utf-8")))


def versions_json(site: Path) -> dict[str, dict]:
    [document] = json.loads((site / "versions.json").read_text(encoding="utf-8"))["documents"]
    return {v["version"]: v for v in document["versions"]}


def feed_summaries(site: Path) -> dict[str, str]:
    """Each feed entry's summary by the version its link leads to (its full text)."""
    root = ET.parse(site / "feed.xml").getroot()
    found = {}
    for entry in root.findall(f"{ATOM}entry"):
        version = entry.find(f"{ATOM}link[@rel='related']").get("href").rstrip("/").rsplit("/", 1)[-1]
        found[version] = entry.find(f"{ATOM}summary").text
    return found


def archive_rows(site: Path) -> dict[str, list[str]]:
    """The archive's rows: version -> the cells as read (Version, Status, …, Until, …)."""
    page = (site / "privacy/versions/index.html").read_text(encoding="utf-8")
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", page, flags=re.S)[1:]:
        cells = [
            words(re.sub(r'<span class="policy-cell-label">.*?</span>', "", c))
            for c in re.findall(r"<td>(.*?)</td>", row, flags=re.S)
        ]
        rows[cells[0]] = cells
    return rows


def status_json(policyctl, repo: PolicyRepo, as_of: str) -> dict:
    result = policyctl("status", "--repo", repo.path, "--as-of", as_of, "--json")
    assert result.code == 0, result.err
    [document] = json.loads(result.out)["documents"]
    return document


def applies(policyctl, repo: PolicyRepo, ledger: str, as_of: str, user: str = "u-silent") -> dict:
    result = policyctl(
        "applies", "--repo", repo.path, "--ledger", ledger, "--user", user, "--as-of", as_of, "--json"
    )  # fmt: skip
    assert result.code == 0, result.err
    [record] = [json.loads(line) for line in result.out.splitlines()]
    return record


def instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


# ---------------------------------------------------------------- what a visitor reads


def test_each_version_replaced_on_its_day_says_it_never_took_effect_and_who_replaced_it(
    same_day, policyctl, tmp_path
):
    site = tmp_path / "site"
    build(policyctl, same_day, "2024-05-01", site)

    for version in APRIL[:5]:
        by = REPLACED_BY[version]
        page = read(site, f"privacy/versions/{version}")
        assert "Never took effect" in page, version
        assert f"Replaced by version {by} before it was to take effect on 27 April 2024." in page, version
        # no in-force period: no "applied from … until …", no "In force until"
        assert "It applied from" not in page and "In force until" not in page, version
        assert "Status Never took effect" in page and "Was to take effect 27 April 2024" in page, version
        assert "The version in force is version 2024-04-17-6 (since 27 April 2024)." in page
        html = (site / f"privacy/versions/{version}/index.html").read_text(encoding="utf-8")
        assert f'<a href="../{by}/">version {by}</a>' in html, version
        assert (site / f"privacy/versions/{by}/index.html").is_file()

    # The first version applied until the one that took effect in its place.
    first = read(site, "privacy/versions/2024-03-01")
    assert "It applied from 1 March 2024 until 27 April 2024." in first
    assert "Status In force" in read(site, "privacy/versions/2024-04-17-6")
    assert "Never took effect" not in read(site, "privacy/versions/2024-04-17-6")

    rows = archive_rows(site)
    for version in APRIL[:5]:
        assert rows[version][1] == "Never took effect" and rows[version][4] == "—", rows[version]
    assert rows["2024-04-17-6"][1] == "In force" and rows["2024-04-17-6"][4] == "—"
    assert rows["2024-03-01"][1] == "Superseded" and rows["2024-03-01"][4] == "27 April 2024"

    data = versions_json(site)
    assert list(data) == ["2024-03-01", *APRIL]  # June's versions are not published yet
    for version in APRIL[:5]:
        assert (data[version]["status"], data[version]["until"], data[version]["replaced_by"]) == (
            "never-in-force",
            None,
            REPLACED_BY[version],
        )
    assert (data["2024-04-17-6"]["status"], data["2024-04-17-6"]["replaced_by"]) == ("in-force", None)
    assert data["2024-03-01"]["until"] == "2024-04-27T00:00:00+08:00"

    feed = feed_summaries(site)
    for version in APRIL[:5]:
        assert f"Never took effect: replaced by version {REPLACED_BY[version]}." in feed[version]
        assert "Effective" not in feed[version] and "27 April" not in feed[version]
    assert "Effective 27 April 2024." in feed["2024-04-17-6"]
    # Versions without front matter have no summary: only the first says it is the first.
    assert feed["2024-03-01"].startswith("First published version.")
    for version in APRIL:
        assert "First published version" not in feed[version]
        assert feed[version].startswith("A revised text (it has no summary of what changed).")

    updates = read(site, "updates")
    assert "Published 17 April 2024 · never took effect: replaced by version 2024-04-17-2" in updates
    assert "Published 17 April 2024 · effective 27 April 2024 · in force" in updates

    redline = read(site, "privacy/changes/2024-04-17-to-2024-04-17-2")
    assert "version 2024-04-17 , which never took effect" in redline
    assert "Status of version 2024-04-17-2 Never took effect" in redline


def test_during_the_window_only_the_version_that_will_take_effect_is_announced(same_day, policyctl, tmp_path):
    site = tmp_path / "site"
    build(policyctl, same_day, "2024-04-20", site)

    notices = json.loads((site / "notices.json").read_text(encoding="utf-8"))["notices"]
    assert [n["version"] for n in notices] == ["2024-04-17-6"]
    home = read(site, "")
    assert "Revision 2024-04-17-6 takes effect on 27 April 2024" in home
    assert all(f"Revision {v} " not in home for v in APRIL[:5])
    document = read(site, "privacy")
    assert "Version 2024-04-17-6 was published on 17 April 2024." in document
    assert all(f"Version {v} was published" not in document for v in APRIL[:5])

    # Replaced while its date still lies ahead: no pending callout, it will never apply.
    replaced = read(site, "privacy/versions/2024-04-17-3")
    assert "This revised version takes effect" not in replaced
    assert "Replaced by version 2024-04-17-4 before it was to take effect on 27 April 2024." in replaced
    assert "The version in force is version 2024-03-01 (since 1 March 2024)." in replaced
    pending = read(site, "privacy/versions/2024-04-17-6")
    assert "This revised version takes effect on 27 April 2024" in pending

    data = versions_json(site)
    assert [data[v]["status"] for v in ["2024-03-01", *APRIL]] == ["in-force"] + ["never-in-force"] * 5 + [
        "pending"
    ]
    assert data["2024-03-01"]["until"] == "2024-04-27T00:00:00+08:00"

    status = status_json(policyctl, same_day, "2024-04-20")
    assert status["in_force"]["version"] == "2024-03-01"
    assert [p["version"] for p in status["pending"]] == ["2024-04-17-6"]
    assert {r["version"]: r["replaced_by"] for r in status["never_in_force"]} == {
        v: REPLACED_BY[v] for v in APRIL[:5]
    }
    assert status["next_change"] == "2024-04-27T00:00:00+08:00"

    table = policyctl("status", "--repo", same_day.path, "--as-of", "2024-04-20")
    assert table.code == 0, table.err
    lines = table.out.splitlines()
    assert "  pending:       2024-04-17-6 from 2024-04-27" in lines
    assert "  replaced:      2024-04-17 by 2024-04-17-2 before 2024-04-27, never in force" in lines
    assert "  next change:   2024-04-27 00:00 +08:00 (2024-04-17-6 takes effect)" in lines


def test_until_skips_a_tie_the_later_version_of_the_day_is_in_force(same_day, policyctl, tmp_path):
    """A (2024-04-17-6, effective 27 April), B and C (2024-06-14 and 2024-06-14-2, both
    effective 26 June, C later): A is in force until 26 June, C from 26 June, B never."""
    site = tmp_path / "site"
    build(policyctl, same_day, "2024-07-01", site)
    data = versions_json(site)
    assert list(data) == VERSIONS
    assert (data["2024-04-17-6"]["status"], data["2024-04-17-6"]["until"]) == (
        "superseded",
        "2024-06-26T00:00:00+08:00",
    )
    assert (data["2024-06-14"]["status"], data["2024-06-14"]["until"], data["2024-06-14"]["replaced_by"]) == (
        "never-in-force",
        None,
        "2024-06-14-2",
    )
    assert (data["2024-06-14-2"]["status"], data["2024-06-14-2"]["until"]) == ("in-force", None)
    assert "It applied from 27 April 2024 until 26 June 2024." in read(site, "privacy/versions/2024-04-17-6")
    assert "Replaced by version 2024-06-14-2 before it was to take effect on 26 June 2024." in read(
        site, "privacy/versions/2024-06-14"
    )
    status = status_json(policyctl, same_day, "2024-07-01")
    assert status["in_force"]["version"] == "2024-06-14-2"
    assert status["in_force"]["effective"] == "2024-06-26T00:00:00+08:00"

    # Before publication, the operator already sees which one will never take effect.
    early = policyctl("status", "--repo", same_day.path, "--as-of", "2024-06-01")
    assert early.code == 0, early.err
    assert "  scheduled:     2024-06-14 published 2024-06-14, never in force (replaced by 2024-06-14-2)" in (
        early.out.splitlines()
    )


# ---------------------------------------------------------------- agreement with `applies`


def test_every_stated_period_agrees_with_applies_at_every_sampled_instant(same_day, policyctl, tmp_path):
    ledger = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    samples = [
        "2024-03-01T12:00",
        "2024-04-17T12:00",
        "2024-04-26T23:59",
        "2024-04-27T00:00",
        "2024-05-01",
        "2024-06-14T12:00",
        "2024-06-25T23:59",
        "2024-06-26T00:00",
        "2024-07-01",
    ]
    for build_at in ("2024-04-20", "2024-05-01", "2024-06-20", "2024-07-01"):
        site = tmp_path / f"site-{build_at}"
        build(policyctl, same_day, build_at, site)
        data = versions_json(site)
        # The site names one version in force at its own instant, and applies agrees.
        [in_force] = [v for v, d in data.items() if d["status"] == "in-force"]
        assert applies(policyctl, same_day, ledger, build_at)["version"] == in_force, build_at
        assert "never-in-force" not in {data[v]["status"] for v in TOOK_EFFECT if v in data}

        for at in samples:
            moment = dt.datetime.fromisoformat(at).replace(tzinfo=ZONE)
            if moment > dt.datetime.fromisoformat(build_at).replace(tzinfo=ZONE):
                continue  # a site built earlier does not know the versions of later days
            # The periods the site states: [effective, until), none for a version that
            # never took effect. Exactly one holds the instant: the one applies names.
            stated = [
                v
                for v, d in data.items()
                if d["status"] != "never-in-force"
                and instant(d["effective"]) <= moment
                and (d["until"] is None or moment < instant(d["until"]))
            ]
            governing = applies(policyctl, same_day, ledger, at)
            assert stated == [governing["version"]], (build_at, at, stated, governing)
            # and since when: the version's effective instant, as the site states it
            assert governing["since"] == data[governing["version"]]["effective"], (build_at, at)

    # Every version that never took effect governs nobody at any sampled instant.
    named = {applies(policyctl, same_day, ledger, at)["version"] for at in samples}
    assert named == set(TOOK_EFFECT)


def test_an_objection_to_the_winner_of_a_tie_keeps_the_version_in_force_before_it(
    same_day, policyctl, tmp_path
):
    """A user who objects to 2024-06-14-2 keeps the version in force just before it took
    effect, 2024-04-17-6: not 2024-06-14, which never took effect."""
    ledger = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    recorded = policyctl(
        "answers", "record", "--repo", same_day.path, "--ledger", ledger, "--document", "privacy",
        "--version", "2024-06-14-2", "--user", "u-object", "--answer", "object",
        "--at", "2024-06-20T10:00", "--as-of", "2024-06-20T12:00",
    )  # fmt: skip
    assert recorded.code == 0, recorded.err
    record = applies(policyctl, same_day, ledger, "2024-07-01", user="u-object")
    assert record["version"] == "2024-04-17-6"
    assert record["since"] == "2024-04-27T00:00:00+08:00"
    assert record["because"]["version"] == "2024-06-14-2"

    everyone = policyctl(
        "applies", "--repo", same_day.path, "--ledger", ledger, "--all", "--json", "--as-of", "2024-07-01"
    )
    assert everyone.code == 0, everyone.err
    assert [json.loads(line)["version"] for line in everyone.out.splitlines()] == ["2024-04-17-6"]
    csv = policyctl(
        "applies", "--repo", same_day.path, "--ledger", ledger, "--all", "--csv", "--as-of", "2024-07-01"
    )
    assert csv.code == 0, csv.err
    assert '"privacy","u-object","2024-04-17-6"' in csv.out


# ---------------------------------------------------------------- Chinese


def test_chinese_pages_say_it_never_took_effect(policy_repo, policyctl, tmp_path):
    policy_repo.write(
        "mkdocs.yml",
        "site_name: Shop\ntheme:\n  name: material\nplugins:\n  - search\n  - policy:\n      languages: [zh]\n",
    )
    write_history(policy_repo, "zh")
    site = tmp_path / "site"
    build(policyctl, policy_repo, "2024-05-01", site)

    page = read(site, "privacy/versions/2024-04-17-5")
    assert "此版本未生效" in page
    assert "未生效：在原定于2024年4月27日生效之前，已被 版本 2024-04-17-6 取代。" in page
    assert "原定生效日期 2024年4月27日" in page and "有效期至" not in page
    assert "此版本自" not in page  # no "applied from … until …"
    rows = archive_rows(site)
    assert rows["2024-04-17-5"][1] == "未生效" and rows["2024-04-17-5"][4] == "—"
    assert rows["2024-03-01"][4] == "2024年4月27日"
    feed = feed_summaries(site)
    assert "未生效：在生效前已被版本 2024-04-17-6 取代。" in feed["2024-04-17-5"]
    assert "生效。" not in feed["2024-04-17-5"].replace("未生效", "")
    assert "2024年4月17日发布 · 未生效：在生效前已被版本 2024-04-17-2 取代" in read(site, "updates")
    assert versions_json(site)["2024-04-17-5"]["status"] == "never-in-force"


# ---------------------------------------------------------------- a history with front matter


def test_a_history_with_front_matter_has_no_version_that_never_took_effect(history, policyctl, tmp_path):
    """The `history` fixture: 1.0, 2.0 (effective 16 October 2026), 3.0 (published
    20 November, effective 2 December 2026); built after all three took effect."""
    site = tmp_path / "site"
    build(policyctl, history, "2026-12-10", site)
    data = versions_json(site)
    assert [(v, d["status"], d["until"], d["replaced_by"]) for v, d in data.items()] == [
        ("1.0", "superseded", "2026-10-16T00:00:00+08:00", None),
        ("2.0", "superseded", "2026-12-02T00:00:00+08:00", None),
        ("3.0", "in-force", None, None),
    ]
    assert "It applied from 16 October 2026 until 2 December 2026." in read(site, "privacy/versions/2.0")
    for url in (
        "privacy/versions/1.0",
        "privacy/versions/2.0",
        "privacy/versions/3.0",
        "privacy/versions",
        "updates",
    ):
        assert "ever took effect" not in read(site, url), url
    assert not any("Never took effect" in s for s in feed_summaries(site).values())
    status = status_json(policyctl, history, "2026-10-08")
    assert status["never_in_force"] == []
    assert [p["version"] for p in status["pending"]] == ["2.0"]
    assert [s["replaced_by"] for s in status["scheduled"]] == [None]
