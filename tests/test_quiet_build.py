"""A quiet build (issue 19): MkDocs' warnings about links in the policy texts (links to
the shop's own pages that are no page of this site) are one summary line, after the
project's own warnings, instead of one line per link and page. Zensical's own reports
of such links are summed up alike (generator/site/engines.py `zensical_links`); the
builds here follow POLICYCTL_TEST_ENGINE."""

from __future__ import annotations

from tests_support import PolicyRepo, engine_options, policy_file

from generator.site.engines import zensical_links

BODY = """\
See our [abuse page](../abuse/index.md), the [terms](terms.md) and the [help centre](https://help.shop.example/).

<script>alert("x")</script>

## Contact

Write to privacy@example.com{n}.
"""


def test_unresolvable_links_in_policy_texts_are_one_line_after_the_projects_own_warnings(
    policy_repo: PolicyRepo, policyctl, tmp_path
):
    for n in range(1, 6):
        policy_repo.publish(
            "policy/privacy.md",
            policy_file(BODY.format(n=n), version=f"{n}.0", published=f"2026-0{n}-01", summary=f"Edit {n}."),
            f"2026-0{n}-01T10:00:00+08:00",
        )

    result = policyctl(
        "build",
        "--repo",
        policy_repo.path,
        "--as-of",
        "2026-06-01",
        "--site-dir",
        tmp_path / "site",
        *engine_options(()),
    )

    assert result.code == 0, result.out + result.err
    lines = result.err.splitlines()
    assert not [line for line in lines if "contains a link" in line]
    summaries = [i for i, line in enumerate(lines) if "lead to no page of this site" in line]
    assert len(summaries) == 1
    summary = lines[summaries[0]]
    # Two links on each of the five version pages and on the policy page.
    assert "12 links in the policy texts (6 pages)" in summary
    assert "'../abuse/index.md' on privacy/index.md; 'terms.md' on privacy/index.md; " in summary
    assert summary.count(" on privacy/") == 3  # three examples, not all twelve
    assert "write links to the shop's pages as absolute https:// addresses" in summary
    # The project's own warning (the raw HTML the site leaves out) comes first.
    own = [i for i, line in enumerate(lines) if "<script>" in line or "raw HTML" in line]
    assert own and max(own) < summaries[0]


def test_a_site_whose_policy_links_resolve_prints_no_link_summary(
    policy_repo: PolicyRepo, policyctl, tmp_path
):
    policy_repo.publish(
        "policy/privacy.md",
        policy_file(
            "See the [help centre](https://help.shop.example/).\n\n## Contact\n\nMail us.\n",
            published="2026-01-01",
        ),
        "2026-01-01T10:00:00+08:00",
    )
    result = policyctl(
        "build",
        "--repo",
        policy_repo.path,
        "--as-of",
        "2026-02-01",
        "--site-dir",
        tmp_path / "site",
        *engine_options(()),
    )
    assert result.code == 0, result.out + result.err
    assert "lead to no page" not in result.err


def test_zensicals_report_of_links_to_no_page_is_read_with_each_link(tmp_path):
    """Zensical's report (as it prints it, colours included) names page, line and column;
    the link is read from the staged page (so that a default run checks it too)."""
    (tmp_path / "privacy").mkdir()
    (tmp_path / "privacy" / "index.md").write_text(
        "# Home\n\nSee [terms](terms.md) and [abuse](../abuse/index.md).\n", encoding="utf-8"
    )
    report = "".join(
        f"\x1b[33mWarning:\x1b[0m page does not exist\n"
        f"   \x1b[38;5;246m╭\x1b[0m\x1b[38;5;246m─\x1b[0m\x1b[38;5;246m[\x1b[0m privacy/index.md:3:{column} "
        f"\x1b[38;5;246m]\x1b[0m\n   │\n"
        for column in (13, 35)
    )
    assert zensical_links(report + "2 issues found\n", tmp_path) == [
        ("privacy/index.md", "terms.md"),
        ("privacy/index.md", "../abuse/index.md"),
    ]
