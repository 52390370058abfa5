"""Builds in one process see nothing of each other (issue 20, item 5): MkDocs keeps one
`policy` plugin instance for the whole process, and policyctl hands its options to that
instance for one build only; each build has its own redline renderer."""

from __future__ import annotations

import json

from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config
from tests_support import build, policy_file

from generator.site.redlines import redline_markdown

MKDOCS_YML = (
    "site_name: Shop legal\ndocs_dir: policy\ntheme:\n  name: material\n"
    "plugins:\n  - search\n  - policy:\n      country: CN\n"
)


def test_a_plain_mkdocs_build_after_policyctl_build_takes_its_own_options(
    history, policyctl, tmp_path, monkeypatch
):
    history.write("mkdocs.yml", MKDOCS_YML)
    history.commit("2026-10-01T10:00:00+08:00", "mkdocs.yml")
    build(policyctl, history, "2026-10-20", tmp_path / "policyctl")  # 2.0 in force
    assert json.loads((tmp_path / "policyctl" / "notices.json").read_text())["notices"] == []

    monkeypatch.setenv("POLICYCTL_AS_OF", "2026-10-08")  # 2.0 pending
    config = load_config(config_file=str(history.path / "mkdocs.yml"), site_dir=str(tmp_path / "plain"))
    config.plugins.on_startup(command="build", dirty=False)
    try:
        mkdocs_build(config)
    finally:
        config.plugins.on_shutdown()

    plain = tmp_path / "plain"
    [notice] = json.loads((plain / "notices.json").read_text())["notices"]
    assert notice["version"] == "2.0"
    # Not driven by policyctl: the plugin keeps the public record itself.
    assert (plain / "publication-log.jsonl").is_file()


def test_a_site_s_markdown_extensions_stay_with_its_build(policy_repo, policyctl, tmp_path):
    policy_repo.write(
        "mkdocs.yml",
        "site_name: Legal\nmarkdown_extensions:\n  - def_list\nplugins:\n  - policy:\n      country: CN\n",
    )
    old = "## Terms {#terms}\n\nOrder\n:   A purchase you make.\n"
    new = old.replace("make", "confirm")
    policy_repo.publish(
        "policy/privacy.md", policy_file(old, published="2026-09-01"), "2026-09-01T10:00:00+08:00", "1.0"
    )
    policy_repo.publish(
        "policy/privacy.md",
        policy_file(new, version="2.0", published="2026-09-30", summary="Clearer."),
        "2026-09-30T09:00:00+08:00",
        "2.0",
    )
    build(policyctl, policy_repo, "2026-10-08", tmp_path / "site")
    page = (tmp_path / "site" / "privacy/changes/1.0-to-2.0/index.html").read_text(encoding="utf-8")
    assert "<dl>" in page

    # The next redline of the process renders with its own (default) extensions.
    assert "<dl>" not in redline_markdown(old, new).html
