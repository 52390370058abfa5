"""Redline pages are staged from a disk cache when they would say the same (issue 19:
a rebuild with nothing new must not render hundreds of redline pages again). What a
reader sees never comes from a stale entry: a status that changed restages the page,
and a build with an empty cache writes the same site."""

from __future__ import annotations

from pathlib import Path

from tests_support import BASE_POLICY, CORE_RIGHTS_REVISION, PolicyRepo, build, policy_file


def files(site: Path) -> dict[str, bytes]:
    skip = {"publication-log.jsonl"}
    return {
        str(p.relative_to(site)): p.read_bytes()
        for p in sorted(site.rglob("*"))
        if p.is_file() and p.name not in skip and p.suffix != ".gz"
    }


def test_a_rebuild_from_the_cache_is_the_site_an_empty_cache_builds(
    policy_repo: PolicyRepo, policyctl, tmp_path
):
    policy_repo.publish("policy/privacy.md", policy_file(published="2026-09-01"), "2026-09-01T10:00:00+08:00")
    policy_repo.publish(
        "policy/privacy.md",
        policy_file(CORE_RIGHTS_REVISION, version="2.0", published="2026-09-30", summary="Phone numbers."),
        "2026-09-30T10:00:00+08:00",
    )
    cache = policy_repo.path / ".policy" / "cache" / "redline-pages"

    build(policyctl, policy_repo, "2026-10-05", tmp_path / "pending")
    assert any(cache.rglob("*.html"))  # the redline pages went into the cache
    page = (tmp_path / "pending" / "privacy" / "changes" / "1.0-to-2.0" / "index.html").read_text()
    assert "Pending" in page

    # 2.0 takes effect: the page states another status, so it is staged again.
    build(policyctl, policy_repo, "2026-10-20", tmp_path / "in-force")
    page = (tmp_path / "in-force" / "privacy" / "changes" / "1.0-to-2.0" / "index.html").read_text()
    assert "In force" in page and "Pending" not in page

    # The same instant again, from the cache; then with the cache emptied: one site.
    build(policyctl, policy_repo, "2026-10-20", tmp_path / "cached")
    for entry in cache.rglob("*.html"):
        entry.unlink()
    build(policyctl, policy_repo, "2026-10-20", tmp_path / "fresh")
    assert files(tmp_path / "cached") == files(tmp_path / "fresh") == files(tmp_path / "in-force")
    assert (
        BASE_POLICY.splitlines()[0]
        in (tmp_path / "fresh" / "privacy" / "versions" / "1.0" / "index.html").read_text()
    )
