"""A daily build that changes nothing costs nothing (issue 24, item 5): when the history,
settings, templates, package and the state at the instant are those of the build in
`--site-dir`, `build` says so and leaves the site as it was; it still flips when a
window ends, still keeps the public record (the day's line of an unchanged site), and
builds anew whenever an input changed.

History (`history` fixture): 1.0 in force; 2.0 pending, in force from 16 October 2026;
3.0 scheduled for 20 November. Builds run in-process, as `policyctl build` does.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests_support import policy_file


def build(policyctl, repo, site: Path, as_of: str, *flags: str):
    result = policyctl("build", "--repo", repo.path, "--site-dir", site, "--as-of", as_of, *flags)
    assert result.code == 0, result.out + result.err
    return result


def files(site: Path) -> dict[str, tuple[int, bytes]]:
    """Every file of the site with its time of change and content."""
    return {
        p.relative_to(site).as_posix(): (p.stat().st_mtime_ns, p.read_bytes())
        for p in site.rglob("*")
        if p.is_file()
    }


def test_a_rebuild_the_same_day_leaves_every_file_as_it_was(history, policyctl, tmp_path):
    site = tmp_path / "site"
    build(policyctl, history, site, "2026-10-08T09:00")
    before = files(site)
    again = build(policyctl, history, site, "2026-10-08T18:00")
    assert again.out.startswith(f"Unchanged: {site} is the site as of 2026-10-08T18:00+08:00")
    assert "nothing rebuilt" in again.out
    assert "Rebuild the site at 2026-10-16T00:00:00+08:00 (the next state change)." in again.out
    assert files(site) == before
    assert policyctl("verify", site).code == 0


def test_the_next_day_keeps_the_record_with_the_days_line_and_names_the_new_head(
    history, policyctl, tmp_path
):
    site = tmp_path / "site"
    build(policyctl, history, site, "2026-10-08T09:00")
    log_before = (site / "publication-log.jsonl").read_text(encoding="utf-8").splitlines()
    next_day = build(policyctl, history, site, "2026-10-09T09:00")
    assert next_day.out.startswith("Unchanged:")
    log = (site / "publication-log.jsonl").read_text(encoding="utf-8").splitlines()
    assert log[: len(log_before)] == log_before and len(log) == len(log_before) + 1
    line = json.loads(log[-1])
    assert line["kind"] == "checkpoint" and "shown" not in line and line["seen"].startswith("2026-10-09")
    head = json.loads((site / "versions.json").read_text(encoding="utf-8"))["log_head"]
    assert f"chain head {head}" in next_day.out
    assert head in (site / "updates" / "index.html").read_text(encoding="utf-8")
    verified = policyctl("verify", site)
    assert verified.code == 0, verified.out + verified.err


def test_the_site_still_flips_when_the_window_ends(history, policyctl, tmp_path):
    site = tmp_path / "site"
    build(policyctl, history, site, "2026-10-15T23:00")
    flipped = build(policyctl, history, site, "2026-10-16T00:05")
    assert flipped.out.startswith("Built ")
    versions = json.loads((site / "versions.json").read_text(encoding="utf-8"))["documents"][0]
    assert versions["in_force"] == "2.0"


def test_any_changed_input_builds_anew(history, policyctl, tmp_path):
    site = tmp_path / "site"
    build(policyctl, history, site, "2026-10-20T09:00")
    # A commit.
    history.publish(
        "policy/terms.md", policy_file(version="1.0", published="2026-10-21"), "2026-10-21T10:00:00+08:00"
    )
    assert build(policyctl, history, site, "2026-10-21T12:00").out.startswith("Built ")
    # The operator's catalogues, even uncommitted.
    catalogue = history.path / "locale" / "zh" / "LC_MESSAGES" / "site.po"
    catalogue.parent.mkdir(parents=True)
    catalogue.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n', encoding="utf-8"
    )
    assert build(policyctl, history, site, "2026-10-21T12:30").out.startswith("Built ")
    # The settings.
    history.write("mkdocs.yml", "site_name: Another name\nplugins:\n  - policy\n")
    assert build(policyctl, history, site, "2026-10-21T13:00").out.startswith("Built ")
    assert build(policyctl, history, site, "2026-10-21T14:00").out.startswith("Unchanged:")
    # The site changed since (its log is not the one the stamp names).
    log = site / "publication-log.jsonl"
    log.write_text(log.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    rebuilt = policyctl("build", "--repo", history.path, "--site-dir", site, "--as-of", "2026-10-21T15:00")
    assert not rebuilt.out.startswith("Unchanged:")
