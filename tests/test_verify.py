"""`policyctl verify URL|DIR` (issue 18): anyone checks a published site's public record
from its public files alone, and `--record` reads the previous record from a folder or
a URL. Sites built from real git histories in temporary folders, then tampered with as
someone editing the deployed files would; served over loopback HTTP for the URL forms.

Exit codes: 0 all checks hold, 1 each failure named, 2 unreachable or not a site with
a record.
"""

from __future__ import annotations

import json
from pathlib import Path

from browser_support import serving
from test_public_record import (
    LOG,
    attempt,
    check,
    log_of,
    published_site,
    raw_lines,
    sha,
    shown_sha,
    stated,
    verify,
    versions_json,
)
from test_translations import two_languages
from tests_support import PolicyRepo, build, free_port, policy_file

# published_site: 1.0 inherited (line 1), 1.1 published 2 November (line 3, effective
# 12 November), checkpoints on lines 2, 4 and 5.


def failures(policyctl, source: str | Path) -> list[str]:
    result = verify(policyctl, source, "--json")
    assert result.code == 1, result.out + result.err
    report = json.loads(result.out)
    assert report["ok"] is False
    return report["failures"]


def write_log(site: Path, lines: list[str]) -> None:
    (site / LOG).write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def write_versions(site: Path, data: dict) -> None:
    (site / "versions.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


# ---------------------------------------------------------------- 5. a tampered site


def test_a_changed_source_file_is_named_with_both_hashes(policy_repo, policyctl, tmp_path):
    site = published_site(policy_repo, policyctl, tmp_path / "site")
    source = site / "privacy/versions/1.1/privacy.md"
    logged = stated(site, "1.1")["sha256"]
    source.write_bytes(source.read_bytes().replace(b"phone number", b"mobile number"))

    result = verify(policyctl, site)

    assert result.code == 1
    assert (
        f"FAILED: privacy version 1.1 (en): privacy/versions/1.1/privacy.md has sha256 "
        f"{sha(source.read_bytes())}, but the log (line 3) recorded {logged}: the published text was changed"
    ) in result.out
    assert "\n1 failure.\n" in result.out


def test_a_missing_source_file_is_named(policy_repo, policyctl, tmp_path):
    site = published_site(policy_repo, policyctl, tmp_path / "site")
    (site / "privacy/versions/1.0/privacy.md").unlink()

    assert failures(policyctl, site) == [
        "privacy version 1.0 (en): its source file privacy/versions/1.0/privacy.md is missing"
    ]


def test_an_effective_date_moved_on_the_site_is_named_with_the_logged_one(policy_repo, policyctl, tmp_path):
    site = published_site(policy_repo, policyctl, tmp_path / "site")
    data = versions_json(site)
    [doc] = data["documents"]
    doc["versions"][1]["effective"] = "2026-11-10T00:00:00+08:00"
    write_versions(site, data)

    assert failures(policyctl, site) == [
        "privacy version 1.1 (en): the site says it takes effect 2026-11-10T00:00:00+08:00, but the log "
        "(line 3) recorded 2026-11-12T00:00:00+08:00"
    ]


def test_a_version_line_deleted_with_the_chain_fixed_up_leaves_a_version_the_log_lacks(
    policy_repo, policyctl, tmp_path
):
    site = published_site(policy_repo, policyctl, tmp_path / "site")
    published_head = versions_json(site)["log_head"]
    entries = [json.loads(line) for line in raw_lines(site)]
    assert entries[2]["kind"] == "version" and entries[2]["version"] == "1.1"
    # drop 1.1's line and recompute seq and prev, so that the chain itself verifies
    kept, lines = [e for i, e in enumerate(entries) if i != 2], []
    for number, entry in enumerate(kept, start=1):
        entry["seq"] = number
        entry["prev"] = sha(lines[-1].encode()) if lines else "0" * 64
        lines.append(json.dumps(entry, ensure_ascii=False, separators=(",", ":")))
    write_log(site, lines)
    forged_head = sha(lines[-1].encode())

    assert failures(policyctl, site) == [
        f"versions.json names the chain head {published_head}, but the log's last line hashes to {forged_head}: "
        "the log is not the one the site published (lines dropped, added or altered)",
        "privacy version 1.1 (en) is on the site but not in the publication log",
    ]

    # versions.json fixed up too: the site still shows a version the log lacks
    data = versions_json(site)
    data["log_head"] = forged_head
    write_versions(site, data)
    result = verify(policyctl, site)
    assert result.code == 1
    assert "FAILED: privacy version 1.1 (en) is on the site but not in the publication log" in result.out
    assert "\n1 failure.\n" in result.out


def test_a_daily_checkpoint_whose_hash_is_not_the_table_before_it_is_named(policy_repo, policyctl, tmp_path):
    """An unchanged site's daily checkpoint names what it shows by the hash of the table
    listed before it: a line rewritten to claim another table (its chain and the site's
    head fixed up) is named by its line number."""
    site = published_site(policy_repo, policyctl, tmp_path / "site")
    entries = [json.loads(line) for line in raw_lines(site)]
    assert entries[4]["kind"] == "checkpoint" and "shown" not in entries[4]
    entries[4]["shown_sha256"] = shown_sha({"privacy": {"en": ["1.0"]}})
    lines = [json.dumps(e, ensure_ascii=False, separators=(",", ":")) for e in entries[:4]]
    entries[4]["prev"] = sha(lines[-1].encode())
    lines.append(json.dumps(entries[4], ensure_ascii=False, separators=(",", ":")))
    write_log(site, lines)
    data = versions_json(site)
    data["log_head"] = sha(lines[-1].encode())
    write_versions(site, data)

    assert failures(policyctl, site) == [
        "the publication log "
        f"{site / LOG} does not verify at line 5: it says the site showed the same as at the checkpoint "
        "before it, but its shown_sha256 is not that checkpoint's"
    ]


def test_a_line_naming_a_path_outside_the_site_is_not_a_log_line(policy_repo, policyctl, tmp_path):
    """Names in the log become the paths verify reads: a version line whose document
    would lead out of the site (or carries control characters) is refused as a line,
    and nothing outside the folder is read."""
    site = published_site(policy_repo, policyctl, tmp_path / "site")
    secret = tmp_path / "secret"
    (secret / "versions" / "1.0").mkdir(parents=True)
    (secret / "versions" / "1.0" / "secret.md").write_text("not public\n")
    entries = [json.loads(line) for line in raw_lines(site)]
    entries[2]["document"] = "../secret"
    entries[0]["document"] = "privacy\x1b[2J"
    lines: list[str] = []
    for entry in entries:
        entry["prev"] = sha(lines[-1].encode()) if lines else "0" * 64
        lines.append(json.dumps(entry, ensure_ascii=False, separators=(",", ":")))
    write_log(site, lines)
    data = versions_json(site)
    data["log_head"] = sha(lines[-1].encode())
    write_versions(site, data)

    result = verify(policyctl, site)

    assert result.code == 1
    assert (
        "does not verify at line 3: not a line of a publication log (document id '../secret' cannot be a URL"
        in result.out
    )
    assert (
        "does not verify at line 1: not a line of a publication log (document id 'privacy\\x1b[2J'"
        in result.out
    )
    assert "\x1b" not in result.out  # shown escaped, never sent to the terminal
    assert "secret.md" not in result.out


def test_a_line_that_is_not_json_is_named(policy_repo, policyctl, tmp_path):
    site = published_site(policy_repo, policyctl, tmp_path / "site")
    lines = raw_lines(site)
    write_log(site, [*lines[:3], "this is not a log line", *lines[4:]])

    result = verify(policyctl, site)

    assert result.code == 1
    assert (
        f"FAILED: the publication log {site / LOG} does not verify at line 4: not a line of a publication log"
    ) in result.out
    assert "does not verify at line 5: its prev is" in result.out  # the line after it no longer chains
    assert attempt(policyctl, policy_repo, "2026-11-04T10:00", site).code == 1


# ---------------------------------------------------------------- 6. sources that cannot be read


def test_a_record_url_where_nothing_listens_stops_the_build_before_anything_is_built(
    policy_repo, policyctl, tmp_path
):
    policy_repo.publish("policy/privacy.md", policy_file(published="2026-09-01"), "2026-09-01T10:00:00+08:00")
    url = f"http://127.0.0.1:{free_port()}/publication-log.jsonl"
    site = tmp_path / "site"

    result = attempt(policyctl, policy_repo, "2026-10-19T10:00", site, "--record", url)

    assert result.code == 2
    assert f"error: cannot fetch {url}: ConnectError" in result.err
    assert "check the address and the network, or pass a copy of the site folder" in result.err
    assert not site.exists()
    assert check(policyctl, policy_repo, "2026-10-19T10:00", url).code == 2


def test_verify_of_an_address_where_nothing_listens_is_unreachable(policyctl):
    root = f"http://127.0.0.1:{free_port()}/"

    result = verify(policyctl, root)

    assert result.code == 2
    assert f"cannot fetch {root}publication-log.jsonl" in result.err


def test_verify_of_a_folder_without_a_log_is_not_a_site_with_a_record(policyctl, tmp_path):
    folder = tmp_path / "copy"
    folder.mkdir()
    (folder / "index.html").write_text("<p>hello</p>\n", encoding="utf-8")

    result = verify(policyctl, folder)

    assert result.code == 2
    assert f"{folder / LOG}: no publication log" in result.err


def test_plain_http_is_refused_unless_on_loopback(policy_repo, policyctl, tmp_path):
    policy_repo.publish("policy/privacy.md", policy_file(published="2026-09-01"), "2026-09-01T10:00:00+08:00")
    site = tmp_path / "site"

    built = attempt(
        policyctl,
        policy_repo,
        "2026-10-19T10:00",
        site,
        "--record",
        "http://example.com/publication-log.jsonl",
    )
    verified = verify(policyctl, "http://example.com/")

    for result in (built, verified):
        assert result.code == 2
        assert "error: http://example.com/: a public record is fetched over https only" in result.err
        assert "use the https:// address of the published site" in result.err
    assert not site.exists()


def test_a_record_folder_without_a_log_or_a_missing_path_is_unusable(policy_repo, policyctl, tmp_path):
    policy_repo.publish("policy/privacy.md", policy_file(published="2026-09-01"), "2026-09-01T10:00:00+08:00")
    empty = tmp_path / "empty"
    empty.mkdir()

    no_log = attempt(policyctl, policy_repo, "2026-10-19T10:00", tmp_path / "site", "--record", empty)
    missing = attempt(
        policyctl, policy_repo, "2026-10-19T10:00", tmp_path / "site", "--record", tmp_path / "gone"
    )

    assert no_log.code == 2 and f"{empty / LOG}: no publication log there" in no_log.err
    assert missing.code == 2 and f"{tmp_path / 'gone'}: no such folder or file" in missing.err
    assert not (tmp_path / "site").exists()


# ---------------------------------------------------------------- 6. a served site


def test_a_served_site_verifies_and_is_the_record_a_fresh_build_appends_to(policy_repo, policyctl, tmp_path):
    deployed = published_site(policy_repo, policyctl, tmp_path / "deployed")
    served_log = (deployed / LOG).read_bytes()
    fresh = tmp_path / "fresh"

    with serving(deployed) as server:
        verified = verify(policyctl, server.url)
        verified_log = verify(policyctl, server.url + LOG)
        checked = check(policyctl, policy_repo, "2026-11-04T10:00", server.url)
        built = build(policyctl, policy_repo, "2026-11-04T10:00", fresh, "--record", server.url + LOG)

    assert verified.code == 0, verified.out + verified.err
    assert f"Public record of {server.url}: 5 lines, chain head {versions_json(deployed)['log_head']}" in (
        verified.out
    )
    assert "All checks hold" in verified.out
    assert verified_log.code == 0
    assert checked.code == 0, checked.out
    assert f"Public record: 1 line(s) appended to {server.url}{LOG}" in built.out
    assert (fresh / LOG).read_bytes().startswith(served_log)
    kinds = [e["kind"] for e in log_of(fresh)]
    assert kinds == ["version", "checkpoint", "version", "checkpoint", "checkpoint", "checkpoint"]
    assert log_of(fresh)[-1]["seen"] == "2026-11-04T10:00:00+08:00"
    assert verify(policyctl, fresh).code == 0


def test_a_served_log_shorter_than_its_sites_head_is_refused(policy_repo, policyctl, tmp_path):
    deployed = published_site(policy_repo, policyctl, tmp_path / "deployed")
    head = versions_json(deployed)["log_head"]
    write_log(deployed, raw_lines(deployed)[:-1])
    fresh = tmp_path / "fresh"

    with serving(deployed) as server:
        built = attempt(policyctl, policy_repo, "2026-11-04T10:00", fresh, "--record", server.url + LOG)
        verified = verify(policyctl, server.url)

    assert built.code == 1, built.out + built.err
    assert f"the publication log {server.url}{LOG} is not the one its site published" in built.out
    assert f"names head {head[:16]}…" in built.out
    assert not fresh.exists()
    assert verified.code == 1
    assert f"versions.json names the chain head {head}" in verified.out


def test_verify_reads_every_languages_versions_json(policy_repo: PolicyRepo, policyctl, tmp_path):
    """A Chinese version's effective date moved in zh/versions.json only."""
    site = tmp_path / "site"
    two_languages(policy_repo)
    build(policyctl, policy_repo, "2026-09-29T10:00", site)
    assert verify(policyctl, site).code == 0
    path = site / "zh/versions.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["documents"][0]["versions"][0]["effective"] = "2026-09-02T00:00:00+08:00"
    path.write_text(json.dumps(data), encoding="utf-8")

    assert failures(policyctl, site) == [
        "privacy version 1.0 (zh): the site says it takes effect 2026-09-02T00:00:00+08:00, but the log "
        "(line 2) recorded 2026-09-01T00:00:00+08:00"
    ]


def test_a_versions_json_whose_entries_are_not_versions_fails_instead_of_passing(
    policy_repo, policyctl, tmp_path
):
    """A site whose versions.json lists what cannot be read cannot show that every version
    on it is in the log: each such entry is a failure, never a pass or a traceback."""
    site = published_site(policy_repo, policyctl, tmp_path / "site")
    data = versions_json(site)
    data["documents"] = [{"id": "privacy", "versions": ["1.0", 3]}, {"versions": []}]
    write_versions(site, data)

    assert failures(policyctl, site) == [
        "versions.json lists an entry of privacy that is not a version",
        "versions.json lists an entry of privacy that is not a version",
        "versions.json lists a document that is not one (no id or no versions)",
    ]
