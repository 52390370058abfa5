"""The public record (issue 18): `publication-log.jsonl`, appended by every build, read
back by the next build as the witness of what the public saw.

Real git histories in temporary folders, built with `policyctl build --as-of` at several
instants into one site folder, as a persistent web root is. What is asserted is what an
operator or a reader sees: the log's lines, versions.json, the source files beside the
version pages, the exit codes and the words of the refusals.

CN calendar, 7 working days, Asia/Shanghai. Dates used: a revision published Monday
2 November 2026 takes effect 12 November (Nov 3, 4, 5, 6, 9, 10, 11); one published
30 September takes effect 16 October (the Golden Week holidays Oct 1-7, with make-up
working days Oct 10), but counted from 12 October only on 22 October.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from test_translations import EN_V2, PRIVACY_ZH, ZH_V2, two_languages
from tests_support import (
    BASE_POLICY,
    CORE_RIGHTS_REVISION,
    EDITOR,
    INSERTED_SECTION_REVISION,
    PolicyRepo,
    build,
    policy_file,
)

PRIVACY = "policy/privacy.md"
LOG = "publication-log.jsonl"
ZEROS = "0" * 64

V1_1 = policy_file(CORE_RIGHTS_REVISION, version="1.1", published="2026-11-02", summary="Phone numbers.")
V2_0_SEPT = policy_file(
    INSERTED_SECTION_REVISION,
    version="2.0",
    published="2026-09-30",
    effective="2026-10-16",
    summary="We share your address with the carrier.",
)


# ---------------------------------------------------------------- helpers


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def raw_lines(site: Path) -> list[str]:
    """The log's lines as published, without their line breaks."""
    return (site / LOG).read_text(encoding="utf-8").splitlines()


def log_of(site: Path) -> list[dict]:
    return [json.loads(line) for line in raw_lines(site)]


def versions_json(site: Path, language: str | None = None) -> dict:
    path = site / (f"{language}/versions.json" if language else "versions.json")
    return json.loads(path.read_text(encoding="utf-8"))


def stated(site: Path, version: str, language: str | None = None) -> dict:
    """One version's entry in versions.json."""
    [doc] = versions_json(site, language)["documents"]
    return next(v for v in doc["versions"] if v["version"] == version)


def site_files(site: Path) -> dict[str, bytes]:
    return {str(p.relative_to(site)): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def blob(repo: PolicyRepo, rev: str, path: str = PRIVACY) -> bytes:
    """A policy file's bytes as a commit holds them."""
    return subprocess.run(
        ["git", "show", f"{rev}:{path}"], cwd=repo.path, check=True, capture_output=True
    ).stdout


def short(repo: PolicyRepo, rev: str) -> str:
    return repo.git("rev-parse", rev).strip()[:7]


def attempt(policyctl, repo: PolicyRepo, as_of: str, site: Path, *extra: str | Path):
    """`policyctl build` that may fail: what the user saw."""
    return policyctl("build", "--repo", repo.path, "--as-of", as_of, "--site-dir", site, *extra)


def check(policyctl, repo: PolicyRepo, as_of: str, record: str | Path):
    return policyctl("check", "--repo", repo.path, "--as-of", as_of, "--record", record)


def shown_sha(table: dict) -> str:
    """A checkpoint's `shown_sha256`: the sha256 of its table as compact JSON, keys sorted."""
    return sha(json.dumps(table, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode())


def verify(policyctl, source: str | Path, *extra: str):
    return policyctl("verify", source, *extra)


def rewrite_history(repo: PolicyRepo, tree_filter: str) -> None:
    """`git filter-branch` over main, as someone rewriting published history would
    (it keeps the committer dates)."""
    env = {**os.environ, **EDITOR, "FILTER_BRANCH_SQUELCH_WARNING": "1"}
    subprocess.run(
        ["git", "filter-branch", "-f", "--tree-filter", tree_filter, "main"],
        cwd=repo.path,
        env=env,
        check=True,
        capture_output=True,
    )


def published_site(repo: PolicyRepo, policyctl, site: Path) -> Path:
    """1.0 (published 1 September) when the log starts on 19 October; 1.1 published and
    first shown on 2 November (pending until 12 November); a checkpoint on 3 November.
    The log: 1.0 inherited, checkpoint, 1.1, checkpoint, checkpoint (5 lines)."""
    repo.publish(PRIVACY, policy_file(published="2026-09-01"), "2026-09-01T10:00:00+08:00", "1.0")
    build(policyctl, repo, "2026-10-19T10:00", site)
    repo.publish(PRIVACY, V1_1, "2026-11-02T09:00:00+08:00", "1.1")
    build(policyctl, repo, "2026-11-02T12:00", site)
    build(policyctl, repo, "2026-11-03T10:00", site)
    assert len(raw_lines(site)) == 5
    return site


# ---------------------------------------------------------------- 1. the log as builds append to it


def test_each_build_appends_what_the_site_showed_and_the_chain_verifies(policy_repo, policyctl, tmp_path):
    site = tmp_path / "site"
    first = policy_repo.publish(
        PRIVACY, policy_file(published="2026-09-01"), "2026-09-01T10:00:00+08:00", "1.0"
    )

    started = build(policyctl, policy_repo, "2026-10-19T10:00", site)
    assert (
        "Public record started: publication-log.jsonl with 2 line(s), the versions in the history "
        "entered as inherited" in started.out
    )
    v1_sha = sha(blob(policy_repo, first))
    assert log_of(site) == [
        {
            "seq": 1,
            "kind": "version",
            "seen": "2026-10-19T10:00:00+08:00",
            "prev": ZEROS,
            "document": "privacy",
            "language": "en",
            "version": "1.0",
            "sha256": v1_sha,
            "published": "2026-09-01T00:00:00+08:00",
            "effective": "2026-09-01T00:00:00+08:00",
            "inherited": True,
        },
        {
            "seq": 2,
            "kind": "checkpoint",
            "seen": "2026-10-19T10:00:00+08:00",
            "prev": sha(raw_lines(site)[0].encode()),
            "shown": {"privacy": {"en": ["1.0"]}},
            "shown_sha256": shown_sha({"privacy": {"en": ["1.0"]}}),
        },
    ]
    before = (site / LOG).read_bytes()

    # 1.1 appears on its publication day: a version line (pending), then a checkpoint
    second = policy_repo.publish(PRIVACY, V1_1, "2026-11-02T09:00:00+08:00", "1.1")
    appended = build(policyctl, policy_repo, "2026-11-02T12:00", site)
    assert f"Public record: 2 line(s) appended to {site / LOG}" in appended.out
    assert "pending: privacy 1.1 takes effect 2026-11-12T00:00:00+08:00" in appended.out
    log = log_of(site)
    assert (site / LOG).read_bytes().startswith(before)  # only ever appended to
    assert log[2] == {
        "seq": 3,
        "kind": "version",
        "seen": "2026-11-02T12:00:00+08:00",
        "prev": sha(raw_lines(site)[1].encode()),
        "document": "privacy",
        "language": "en",
        "version": "1.1",
        "sha256": sha(blob(policy_repo, second)),
        "published": "2026-11-02T00:00:00+08:00",
        "effective": "2026-11-12T00:00:00+08:00",
    }
    assert log[3]["kind"] == "checkpoint" and log[3]["shown"] == {"privacy": {"en": ["1.0", "1.1"]}}
    before = (site / LOG).read_bytes()

    # the same day, nothing changed: no line (the site is kept as it is: see
    # test_unchanged_build.py)
    same_day = build(policyctl, policy_repo, "2026-11-02T18:00", site)
    assert same_day.out.startswith("Unchanged:")
    assert (site / LOG).read_bytes() == before

    # the next day: one checkpoint; the site shows what it showed, so the line names it
    # by the hash of the table it listed the day before
    next_day = build(policyctl, policy_repo, "2026-11-03T10:00", site)
    assert "Public record: the day's line appended" in next_day.out
    lines, log = raw_lines(site), log_of(site)
    assert (site / LOG).read_bytes().startswith(before)
    assert log[3]["shown_sha256"] == shown_sha({"privacy": {"en": ["1.0", "1.1"]}})
    assert log[4] == {
        "seq": 5,
        "kind": "checkpoint",
        "seen": "2026-11-03T10:00:00+08:00",
        "prev": sha(lines[3].encode()),
        "shown_sha256": shown_sha({"privacy": {"en": ["1.0", "1.1"]}}),
    }

    # the chain: seq counts up, each prev is the sha256 of the line before
    assert [entry["seq"] for entry in log] == [1, 2, 3, 4, 5]
    assert [entry["prev"] for entry in log] == [ZEROS, *(sha(line.encode()) for line in lines[:-1])]
    head = sha(lines[-1].encode())
    assert f"chain head {head}." in next_day.out
    data = versions_json(site)
    assert data["log_head"] == head
    assert data["log_url"] == LOG
    assert data["languages"] == ["en"]
    assert data["calendar"]["country"] == "CN"
    assert data["calendar"]["timezone"] == "Asia/Shanghai"
    assert data["calendar"]["working_days"] == 7
    # the updates page names the head once, and links the log
    updates = (site / "updates/index.html").read_text(encoding="utf-8")
    assert updates.count(head) == 1
    assert f'<code class="policy-log-head">{head}</code>' in updates
    assert '<a href="../publication-log.jsonl">publication-log.jsonl</a>' in updates
    assert not [name for name, data in site_files(site).items() if b"policy-log-head-0a9f3c" in data]

    # the source file beside each version page is the committed file, as logged
    for commit, entry in ((first, log[0]), (second, log[2])):
        source = (site / f"privacy/versions/{entry['version']}/privacy.md").read_bytes()
        assert source == blob(policy_repo, commit)
        assert sha(source) == entry["sha256"] == stated(site, entry["version"])["sha256"]

    result = verify(policyctl, site)
    assert result.code == 0, result.out + result.err
    assert f"Public record of {site}: 5 lines, chain head {head}" in result.out
    assert "privacy 1.0 (en)" in result.out and "inherited when the log began" in result.out
    assert "All checks hold" in result.out

    report = verify(policyctl, site, "--json")
    assert report.code == 0
    assert json.loads(report.out) == {
        "source": str(site),
        "ok": True,
        "lines": 5,
        "head": head,
        "versions": 2,
        "inherited": ["privacy 1.0 (en)"],
        "failures": [],
    }


def test_a_day_is_the_operators_day_not_utc(policy_repo, policyctl, tmp_path):
    """Builds at 23:30 and at 00:30 the next morning in Shanghai (both 2 November in UTC):
    two days, two checkpoints."""
    site = tmp_path / "site"
    policy_repo.publish(PRIVACY, policy_file(published="2026-09-01"), "2026-09-01T10:00:00+08:00")
    build(policyctl, policy_repo, "2026-11-02T23:30", site)
    build(policyctl, policy_repo, "2026-11-03T00:30", site)
    assert [(e["kind"], e["seen"]) for e in log_of(site)] == [
        ("version", "2026-11-02T23:30:00+08:00"),
        ("checkpoint", "2026-11-02T23:30:00+08:00"),
        ("checkpoint", "2026-11-03T00:30:00+08:00"),
    ]


# ---------------------------------------------------------------- 2. a rewritten history


def test_a_rewritten_published_text_is_refused_and_the_site_left_as_it_was(policy_repo, policyctl, tmp_path):
    site = tmp_path / "site"
    policy_repo.publish(PRIVACY, policy_file(published="2026-09-01"), "2026-09-01T10:00:00+08:00", "1.0")
    build(policyctl, policy_repo, "2026-10-19T10:00", site)
    policy_repo.publish(
        PRIVACY,
        policy_file(CORE_RIGHTS_REVISION, version="1.1", published="2026-10-20", summary="Phone numbers."),
        "2026-10-20T09:00:00+08:00",
        "1.1",
    )
    build(policyctl, policy_repo, "2026-10-20T12:00", site)
    v2 = policy_file(INSERTED_SECTION_REVISION, version="2.0", published="2026-11-02", summary="Sharing.")
    policy_repo.publish(PRIVACY, v2, "2026-11-02T09:00:00+08:00", "2.0")
    build(policyctl, policy_repo, "2026-11-02T12:00", site)
    published = site_files(site)
    old_sha = stated(site, "1.1")["sha256"]
    assert log_of(site)[2]["version"] == "1.1" and log_of(site)[2]["sha256"] == old_sha

    # Someone rewrites 1.1's text in the history (2.0's text is left as it was).
    rewrite_history(
        policy_repo, "sed -i 's/Order data: address, phone/Order data: address, mobile/' " + PRIVACY
    )
    rewritten = "HEAD~1"
    assert b"address, mobile number" in blob(policy_repo, rewritten)
    assert blob(policy_repo, "HEAD") == v2.encode()  # 2.0 untouched
    new_sha = sha(blob(policy_repo, rewritten))

    result = attempt(policyctl, policy_repo, "2026-11-03T12:00", site)

    assert result.code == 1, result.out + result.err
    assert (
        f"error: {PRIVACY} (commit {short(policy_repo, rewritten)}): privacy version 1.1 (en) was "
        f"published with sha256 {old_sha} (publication log {site / LOG}, line 3, seen "
        f"2026-10-20T12:00:00+08:00), but the history now holds it with sha256 {new_sha}: its published "
        "text was rewritten"
    ) in result.out
    assert "never edit a published version" in result.out
    assert "The site was not built" in result.out
    assert site_files(site) == published  # its log and pages are the old ones

    checked = check(policyctl, policy_repo, "2026-11-03T12:00", site)
    assert checked.code == 1
    assert f"privacy version 1.1 (en) was published with sha256 {old_sha}" in checked.out
    assert f"now holds it with sha256 {new_sha}" in checked.out

    # The site itself is still intact: anyone can verify it.
    assert verify(policyctl, site).code == 0


# ---------------------------------------------------------------- 3. a version seen late


def site_before_the_revision(repo: PolicyRepo, policyctl, site: Path) -> str:
    """1.0 shown on 29 September (the log starts); 2.0 committed on 30 September,
    published that day, taking effect 16 October. Returns 2.0's commit."""
    repo.publish(PRIVACY, policy_file(published="2026-09-01"), "2026-09-01T10:00:00+08:00", "1.0")
    build(policyctl, repo, "2026-09-29T10:00", site)
    return repo.publish(PRIVACY, V2_0_SEPT, "2026-09-30T09:00:00+08:00", "2.0")


def test_a_version_first_seen_after_its_publication_day_counts_its_window_from_then(
    policy_repo, policyctl, tmp_path
):
    site = tmp_path / "site"
    commit = site_before_the_revision(policy_repo, policyctl, site)
    shown = site_files(site)

    # no build until 12 October: the public sees 2.0 first then
    result = attempt(policyctl, policy_repo, "2026-10-12T10:00", site)

    assert result.code == 1, result.out + result.err
    assert (
        f"error: {PRIVACY} (commit {commit[:7]}): version 2.0 is not in the publication log: the public "
        "site shows it first now, on 2026-10-12, though it says published 2026-09-30; its 7-working-day "
        "window counts from the day the public saw it, and it takes effect 2026-10-16, before the "
        "earliest lawful 2026-10-22"
    ) in result.out
    assert "set `effective: 2026-10-22` or later (counted from 2026-10-12" in result.out
    assert site_files(site) == shown

    checked = check(policyctl, policy_repo, "2026-10-12T10:00", site)
    assert checked.code == 1
    assert "the public site shows it first now, on 2026-10-12" in checked.out
    assert "before the earliest lawful 2026-10-22" in checked.out


def test_a_version_built_on_its_publication_day_keeps_its_window(policy_repo, policyctl, tmp_path):
    site = tmp_path / "site"
    site_before_the_revision(policy_repo, policyctl, site)

    build(policyctl, policy_repo, "2026-09-30T18:00", site)
    assert check(policyctl, policy_repo, "2026-10-12T10:00", site).code == 0
    build(policyctl, policy_repo, "2026-10-12T10:00", site)
    build(policyctl, policy_repo, "2026-10-16T10:00", site)

    versions = [e for e in log_of(site) if e["kind"] == "version"]
    assert [(e["version"], e["seen"], e["effective"]) for e in versions] == [
        ("1.0", "2026-09-29T10:00:00+08:00", "2026-09-01T00:00:00+08:00"),
        ("2.0", "2026-09-30T18:00:00+08:00", "2026-10-16T00:00:00+08:00"),
    ]
    assert stated(site, "2.0")["status"] == "in-force"
    result = verify(policyctl, site)
    assert result.code == 0, result.out
    assert "All checks hold" in result.out


def test_a_per_commit_version_seen_late_takes_effect_when_the_window_from_that_day_allows(
    policy_repo, policyctl, tmp_path
):
    """No front matter: a version per commit, in force "when the window allows". Committed
    on Wednesday 4 November, first built on Friday 6 November: in force on 18 November
    (Nov 9-13, 16, 17), not 14 November (counted from the commit: Nov 5, 6, 9-13)."""
    site = tmp_path / "site"
    policy_repo.publish(PRIVACY, BASE_POLICY, "2026-11-02T10:00:00+08:00")
    build(policyctl, policy_repo, "2026-11-02T12:00", site)
    on_time = tmp_path / "on-time"
    shutil.copytree(site, on_time)
    policy_repo.publish(PRIVACY, CORE_RIGHTS_REVISION, "2026-11-04T10:00:00+08:00")

    assert check(policyctl, policy_repo, "2026-11-06T12:00", site).code == 0
    late = build(policyctl, policy_repo, "2026-11-06T12:00", site)

    assert "pending: privacy 2026-11-04 takes effect 2026-11-18T00:00:00+08:00" in late.out
    entry = stated(site, "2026-11-04")
    assert (entry["published"], entry["effective"]) == (
        "2026-11-04T00:00:00+08:00",
        "2026-11-18T00:00:00+08:00",
    )
    line = log_of(site)[2]
    assert (line["version"], line["seen"], line["effective"]) == (
        "2026-11-04",
        "2026-11-06T12:00:00+08:00",
        "2026-11-18T00:00:00+08:00",
    )
    assert verify(policyctl, site).code == 0

    # built on the day it was committed, the same version takes effect four days earlier
    build(policyctl, policy_repo, "2026-11-04T12:00", on_time)
    assert stated(on_time, "2026-11-04")["effective"] == "2026-11-14T00:00:00+08:00"
    assert verify(policyctl, on_time).code == 0


def test_a_version_withdrawn_and_shown_again_counts_its_window_from_its_return(
    policy_repo, policyctl, tmp_path
):
    site = tmp_path / "site"
    commit = site_before_the_revision(policy_repo, policyctl, site)
    build(policyctl, policy_repo, "2026-09-30T18:00", site)  # 2.0 shown on its publication day
    policy_repo.git("reset", "-q", "--hard", "HEAD~1")
    # The site shows 1.0 only: built, with a warning that 2.0's permanent address vanished
    # (and `verify` would say its published source is missing).
    withdrawn = attempt(policyctl, policy_repo, "2026-10-01T10:00", site)
    assert withdrawn.code == 0, withdrawn.out + withdrawn.err
    assert "privacy version 2.0 was published at privacy/versions/2.0/" in withdrawn.err
    assert log_of(site)[-1]["shown"] == {"privacy": {"en": ["1.0"]}}
    policy_repo.git("reset", "-q", "--hard", commit)  # 2.0 back, unchanged

    result = attempt(policyctl, policy_repo, "2026-10-12T10:00", site)

    # The public saw 2.0 again only from 12 October: verify counts its window from then
    # (ends 22 October), so a build that publishes it with 16 October must be refused.
    assert result.code == 1, result.out + result.err + verify(policyctl, site).out
    assert "2026-10-22" in result.out


# ---------------------------------------------------------------- 4. a log that lost or changed lines


def test_a_truncated_log_is_refused_by_build_and_verify(policy_repo, policyctl, tmp_path):
    site = published_site(policy_repo, policyctl, tmp_path / "site")
    head = versions_json(site)["log_head"]
    lines = raw_lines(site)
    (site / LOG).write_text("".join(line + "\n" for line in lines[:-2]), encoding="utf-8")
    left = site_files(site)
    short_head = sha(lines[2].encode())

    result = attempt(policyctl, policy_repo, "2026-11-04T10:00", site)

    assert result.code == 1, result.out + result.err
    assert (
        f"the publication log {site / LOG} is not the one its site published: the site's versions.json "
        f"names head {head[:16]}…, which no line of the log (3 lines, head {short_head[:16]}…) hashes to: "
        "lines were dropped or altered"
    ) in result.out
    assert "restore the published log" in result.out
    assert site_files(site) == left
    assert check(policyctl, policy_repo, "2026-11-04T10:00", site).code == 1

    verified = verify(policyctl, site)
    assert verified.code == 1
    assert (
        f"FAILED: versions.json names the chain head {head}, but the log's last line hashes to {short_head}"
    ) in verified.out


def test_a_log_with_lines_added_after_its_head_is_refused(policy_repo, policyctl, tmp_path):
    site = published_site(policy_repo, policyctl, tmp_path / "site")
    lines = raw_lines(site)
    forged = json.dumps(
        {
            "seq": 6,
            "kind": "checkpoint",
            "seen": "2026-11-04T10:00:00+08:00",
            "prev": sha(lines[-1].encode()),
            "shown": {"privacy": {"en": ["1.0"]}},
        },
        separators=(",", ":"),
    )
    with (site / LOG).open("a", encoding="utf-8") as log:
        log.write(forged + "\n")

    result = attempt(policyctl, policy_repo, "2026-11-05T10:00", site)

    assert result.code == 1
    assert "the site's versions.json names line 5 as its head, but the log goes on to line 6" in result.out
    assert verify(policyctl, site).code == 1


@pytest.mark.parametrize(
    ("old", "new"),
    [('"version":"1.1"', '"version":"1.2"'), ('"sha256":"', '"sha256":"0')],
    ids=["version-renamed", "hash-changed"],
)
def test_an_altered_line_breaks_the_chain_at_the_next_line(policy_repo, policyctl, tmp_path, old, new):
    site = published_site(policy_repo, policyctl, tmp_path / "site")
    lines = raw_lines(site)
    altered = lines[2].replace(old, new, 1)
    if new.endswith("0"):  # keep it a sha256: one hex digit in, the last one out
        logged = json.loads(lines[2])["sha256"]
        altered = lines[2].replace(logged, "0" + logged[:-1])
    assert altered != lines[2]
    (site / LOG).write_text(
        "".join(line + "\n" for line in [*lines[:2], altered, *lines[3:]]), encoding="utf-8"
    )

    result = attempt(policyctl, policy_repo, "2026-11-04T10:00", site)

    assert result.code == 1, result.out + result.err
    assert (
        f"the publication log {site / LOG} does not verify at line 4: its prev is "
        f"{sha(lines[2].encode())[:16]}…, but the line before it hashes to {sha(altered.encode())[:16]}…: "
        "a line before it was changed, dropped or inserted"
    ) in result.out
    assert "The site was not built" in result.out

    verified = verify(policyctl, site)
    assert verified.code == 1
    assert "does not verify at line 4: its prev is" in verified.out
    if "1.2" in new:
        assert (
            "privacy version 1.2 (en): its source file privacy/versions/1.2/privacy.md is missing"
            in verified.out
        )
        assert "privacy version 1.1 (en) is on the site but not in the publication log" in verified.out
    else:
        logged = json.loads(altered)["sha256"]
        assert (
            f"privacy/versions/1.1/privacy.md has sha256 {stated(site, '1.1')['sha256']}, but the log "
            f"(line 3) recorded {logged}: the published text was changed"
        ) in verified.out


def test_a_log_cut_short_is_refused(policy_repo, policyctl, tmp_path):
    site = published_site(policy_repo, policyctl, tmp_path / "site")
    (site / LOG).write_bytes((site / LOG).read_bytes().rstrip(b"\n"))

    result = attempt(policyctl, policy_repo, "2026-11-04T10:00", site)

    assert result.code == 1
    assert "does not verify at line 5: the last line is cut short (no line break after it)" in result.out
    assert verify(policyctl, site).code == 1


def test_an_emptied_log_is_refused_like_a_truncated_one(policy_repo, policyctl, tmp_path):
    site = tmp_path / "site"
    site_before_the_revision(policy_repo, policyctl, site)
    head = versions_json(site)["log_head"]
    (site / LOG).write_text("", encoding="utf-8")
    assert verify(policyctl, site).code == 1

    checked = check(policyctl, policy_repo, "2026-10-12T10:00", site)
    result = attempt(policyctl, policy_repo, "2026-10-12T10:00", site)

    assert (checked.code, result.code) == (1, 1), checked.out + result.out
    assert head[:16] in result.out


def test_a_deleted_log_is_refused_when_the_site_names_its_head(policy_repo, policyctl, tmp_path):
    """Deleting the log does not start a new record: the site's versions.json still names
    the head of the one it published, so build (its default record: the log in the site
    folder) refuses, and nothing is rebuilt."""
    site = tmp_path / "site"
    site_before_the_revision(policy_repo, policyctl, site)
    head = versions_json(site)["log_head"]
    (site / LOG).unlink()

    result = policyctl("build", "--repo", policy_repo.path, "--as-of", "2026-10-12T10:00", "--site-dir", site)

    assert result.code == 1, result.out + result.err
    assert head[:16] in result.out and "lines were dropped" in result.out
    assert "Public record started" not in result.out
    assert not (site / LOG).exists()


# ---------------------------------------------------------------- 7. several per-commit versions a day


def test_every_per_commit_version_of_a_day_is_logged(policy_repo, policyctl, tmp_path):
    site = tmp_path / "site"
    policy_repo.publish(PRIVACY, BASE_POLICY, "2026-11-02T10:00:00+08:00")
    build(policyctl, policy_repo, "2026-11-02T12:00", site)
    texts = [
        INSERTED_SECTION_REVISION,
        INSERTED_SECTION_REVISION.replace("carrier", "courier"),
        INSERTED_SECTION_REVISION.replace("carrier", "postal service"),
        INSERTED_SECTION_REVISION.replace("carrier", "shipping partner"),
    ]
    commits = [policy_repo.publish(PRIVACY, texts[0], "2026-11-09T10:00:00+08:00")]
    build(policyctl, policy_repo, "2026-11-09T10:30", site)
    commits.append(policy_repo.publish(PRIVACY, texts[1], "2026-11-09T11:00:00+08:00"))
    build(policyctl, policy_repo, "2026-11-09T11:30", site)
    commits.append(policy_repo.publish(PRIVACY, texts[2], "2026-11-09T12:00:00+08:00"))
    commits.append(policy_repo.publish(PRIVACY, texts[3], "2026-11-09T12:30:00+08:00"))
    build(policyctl, policy_repo, "2026-11-09T13:00", site)

    versions = [e for e in log_of(site) if e["kind"] == "version"]
    assert [(e["version"], e["seen"]) for e in versions] == [
        ("2026-11-02", "2026-11-02T12:00:00+08:00"),
        ("2026-11-09", "2026-11-09T10:30:00+08:00"),
        ("2026-11-09-2", "2026-11-09T11:30:00+08:00"),
        ("2026-11-09-3", "2026-11-09T13:00:00+08:00"),
        ("2026-11-09-4", "2026-11-09T13:00:00+08:00"),
    ]
    for entry, commit in zip(versions[1:], commits, strict=True):
        source = (site / f"privacy/versions/{entry['version']}/privacy.md").read_bytes()
        assert source == blob(policy_repo, commit)
        assert entry["sha256"] == sha(source)
    checkpoints = [e for e in log_of(site) if e["kind"] == "checkpoint"]
    assert checkpoints[-1]["shown"]["privacy"]["en"] == [e["version"] for e in versions]
    result = verify(policyctl, site)
    assert result.code == 0, result.out
    assert "5 version(s) in the log" in result.out


# ---------------------------------------------------------------- 8. a record only grows forward


def test_a_build_earlier_than_the_records_last_line_is_refused_with_the_remedy(
    policy_repo, policyctl, tmp_path
):
    site = published_site(policy_repo, policyctl, tmp_path / "site")
    shown = site_files(site)

    result = attempt(policyctl, policy_repo, "2026-11-02T12:00", site)

    assert result.code == 2
    assert (
        f"the publication log {site / LOG} already has lines seen at 2026-11-03T10:00:00+08:00, after this "
        "build's instant 2026-11-02T12:00:00+08:00; a record is only appended to, in time order"
    ) in result.err
    assert "build an earlier state into a folder of its own (an empty --site-dir)" in result.err
    assert site_files(site) == shown

    earlier = build(policyctl, policy_repo, "2026-11-02T12:00", tmp_path / "then")
    assert "Public record started" in earlier.out


# ---------------------------------------------------------------- 9. two languages


def test_each_language_has_its_version_lines_and_its_source_files(policy_repo, policyctl, tmp_path):
    site = tmp_path / "site"
    two_languages(policy_repo)
    build(policyctl, policy_repo, "2026-09-29T10:00", site)
    policy_repo.write(PRIVACY, EN_V2)
    policy_repo.write(PRIVACY_ZH, ZH_V2)
    second = policy_repo.commit("2026-09-30T09:00:00+08:00", "2.0 in English and Chinese")
    build(policyctl, policy_repo, "2026-09-30T18:00", site)

    log = log_of(site)
    assert [(e["kind"], e.get("language"), e.get("version"), e.get("inherited", False)) for e in log] == [
        ("version", "en", "1.0", True),
        ("version", "zh", "1.0", True),
        ("checkpoint", None, None, False),
        ("version", "en", "2.0", False),
        ("version", "zh", "2.0", False),
        ("checkpoint", None, None, False),
    ]
    assert log[-1]["shown"] == {"privacy": {"en": ["1.0", "2.0"], "zh": ["1.0", "2.0"]}}
    zh = (site / "zh/privacy/versions/2.0/privacy.md").read_bytes()
    assert zh == blob(policy_repo, second, PRIVACY_ZH)
    assert sha(zh) == log[4]["sha256"] == stated(site, "2.0", "zh")["sha256"]
    en = (site / "privacy/versions/2.0/privacy.md").read_bytes()
    assert sha(en) == log[3]["sha256"] != log[4]["sha256"]
    head = sha(raw_lines(site)[-1].encode())
    assert versions_json(site)["log_head"] == versions_json(site, "zh")["log_head"] == head
    assert versions_json(site)["languages"] == ["en", "zh"]
    assert (site / "zh/updates/index.html").read_text(encoding="utf-8").count(head) == 1

    result = verify(policyctl, site)
    assert result.code == 0, result.out
    assert "privacy 1.0 (en), privacy 1.0 (zh)" in result.out


def test_a_rewritten_translation_is_refused_naming_its_language(policy_repo, policyctl, tmp_path):
    site = tmp_path / "site"
    two_languages(policy_repo)
    build(policyctl, policy_repo, "2026-09-29T10:00", site)
    policy_repo.write(PRIVACY, EN_V2)
    policy_repo.write(PRIVACY_ZH, ZH_V2)
    policy_repo.commit("2026-09-30T09:00:00+08:00", "2.0 in English and Chinese")
    build(policyctl, policy_repo, "2026-09-30T18:00", site)
    shown = site_files(site)
    old_sha = stated(site, "1.0", "zh")["sha256"]

    # only 1.0's Chinese text says this; the English files are left as they were
    rewrite_history(policy_repo, f"sed -i 's/姓名和电子邮件地址/姓名和邮寄地址/' {PRIVACY_ZH}")
    first = "HEAD~1"
    assert "姓名和邮寄地址".encode() in blob(policy_repo, first, PRIVACY_ZH)
    assert sha(blob(policy_repo, first)) == stated(site, "1.0")["sha256"]
    new_sha = sha(blob(policy_repo, first, PRIVACY_ZH))

    result = attempt(policyctl, policy_repo, "2026-10-01T10:00", site)

    assert result.code == 1, result.out + result.err
    assert (
        f"error: {PRIVACY_ZH} (commit {short(policy_repo, first)}): privacy version 1.0 (zh) was published "
        f"with sha256 {old_sha} (publication log {site / LOG}, line 2, seen 2026-09-29T10:00:00+08:00), "
        f"but the history now holds it with sha256 {new_sha}: its published text was rewritten"
    ) in result.out
    assert "(en) was published" not in result.out
    assert site_files(site) == shown
    checked = check(policyctl, policy_repo, "2026-10-01T10:00", site)
    assert checked.code == 1 and "privacy version 1.0 (zh) was published" in checked.out


def test_the_log_names_instants_in_the_operators_zone(policy_repo, policyctl, tmp_path):
    """--as-of in UTC is logged in the site's zone (the same instant)."""
    site = tmp_path / "site"
    policy_repo.publish(PRIVACY, policy_file(published="2026-09-01"), "2026-09-01T10:00:00+08:00")
    build(policyctl, policy_repo, "2026-11-02T20:00:00+00:00", site)
    [line, _] = log_of(site)
    seen = dt.datetime.fromisoformat(line["seen"])
    assert line["seen"] == "2026-11-03T04:00:00+08:00"
    assert seen == dt.datetime(2026, 11, 2, 20, tzinfo=dt.UTC)
