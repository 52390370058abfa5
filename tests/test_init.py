"""`policyctl init [DIR]` (issue 24, item 1), run in-process: the repository it creates
(mkdocs.yml with the installed theme and plugin, the first policy with ids and
core-rights marks, .gitignore, GitHub Actions and GitLab CI files, a first commit) checks
and builds; it asks on a terminal only, refuses to overwrite, imports an existing policy
with `--from`, and turns every mistake into a message with exit status 2.

The same command from a wheel in a fresh virtual environment, with the rest of an
operator's first day, is tests/test_init_wheel.py."""

from __future__ import annotations

import io
import os
import stat
import subprocess
from pathlib import Path

import pytest
import yaml
from tests_support import EDITOR, git

from generator.commands.init_files import daily_cron
from generator.core.frontmatter import split
from generator.core.imported import import_policy, topic_of
from generator.core.sections import parse_sections
from generator.core.window import NoticePeriod
from generator.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
CORE_TOPICS = {"collection", "purposes", "sharing", "storage", "rights", "cookies"}
FILES = {"mkdocs.yml", "policy/privacy.md", ".gitignore", ".github/workflows/policy.yml", ".gitlab-ci.yml"}
FLAGS = (
    "--site-url",
    "https://legal.shop.test/",
    "--answer-url",
    "https://shop.test/policy/answer",
    "--country",
    "DE",
    "--timezone",
    "Europe/Berlin",
)


class Terminal(io.TextIOWrapper):
    """Standard input on a terminal, with the user's answers typed in advance."""

    def isatty(self) -> bool:
        return True


def typed(text: str) -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(text.encode()), encoding="utf-8")


@pytest.fixture(autouse=True)
def no_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Not a terminal (CI, a script) unless a test says otherwise; git as the editor."""
    monkeypatch.setattr("sys.stdin", typed(""))
    for name, value in EDITOR.items():
        monkeypatch.setenv(name, value)


def files_in(folder: Path) -> set[str]:
    return {
        p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() and ".git" not in p.parts
    }


def test_init_creates_a_repository_that_checks_and_builds(tmp_path: Path, policyctl) -> None:
    shop = tmp_path / "shop"
    result = policyctl("init", shop, *FLAGS, "--site-name", "Example Shop", "--working-days", "10")
    assert result.code == 0, result.err
    assert files_in(shop) == FILES
    assert "First commit" in result.out and "policyctl check" in result.out
    assert git(shop, "log", "--format=%s").splitlines() == ["Policy repository (policyctl init)"]
    assert git(shop, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
    assert git(shop, "status", "--porcelain") == ""

    # The settings, read as every command reads them; the theme is the installed one.
    settings = load_settings(shop)
    assert (settings.site_name, settings.site_url) == ("Example Shop", "https://legal.shop.test/")
    assert settings.answer_url == "https://shop.test/policy/answer"
    assert (settings.country, settings.timezone) == ("DE", "Europe/Berlin")
    assert settings.default_period == NoticePeriod(working_days=10)
    config = yaml.safe_load((shop / "mkdocs.yml").read_text(encoding="utf-8"))
    assert config["theme"]["name"] == "material" and "custom_dir" not in config["theme"]
    for name in FILES:
        assert str(ROOT) not in (shop / name).read_text(encoding="utf-8"), name

    # The first policy: a version 1.0 with an id on every heading and the core-rights marks.
    matter, body = split((shop / "policy/privacy.md").read_text(encoding="utf-8"), file="privacy.md")
    assert (matter.title, matter.version) == ("Privacy Policy", "1.0")
    sections = [s for s in parse_sections(body) if s.heading]
    assert all(s.explicit_id for s in sections)
    assert {s.id for s in sections if s.core_rights} == CORE_TOPICS
    assert "at least 10 working days" in " ".join(body.split()) and "https://legal.shop.test/" in body

    assert policyctl("check", "--repo", shop).code == 0
    built = policyctl("build", "--repo", shop, "--site-dir", shop / "site")
    assert built.code == 0, built.err
    assert (shop / "site/privacy/index.html").is_file() and (shop / "site/publication-log.jsonl").is_file()
    # site/ and .policy/ are ignored: the tree stays clean after a build.
    assert git(shop, "status", "--porcelain") == ""


def test_ci_files_check_requests_and_build_daily_with_the_record(tmp_path: Path, policyctl) -> None:
    shop = tmp_path / "shop"
    assert (
        policyctl("init", shop, *FLAGS, "--package", "policy-publisher @ https://pkg.test/pp.whl").code == 0
    )

    github = yaml.safe_load((shop / ".github/workflows/policy.yml").read_text(encoding="utf-8"))
    triggers = github.get("on", github.get(True))  # YAML 1.1 reads `on` as true
    assert set(triggers) >= {"pull_request", "push", "schedule", "workflow_dispatch"}
    assert triggers["schedule"] == [{"cron": "5 23 * * *"}]
    assert github["env"] == {
        "POLICY_PUBLISHER": "policy-publisher @ https://pkg.test/pp.whl",
        "SITE_URL": "https://legal.shop.test/",
    }
    check, build = github["jobs"]["check"], github["jobs"]["build"]
    assert check["if"] == "github.event_name == 'pull_request'"
    assert [s.get("run") for s in check["steps"] if "run" in s][1:] == ["policyctl check", "policyctl status"]
    for job in (check, build):
        assert job["steps"][0]["with"] == {"fetch-depth": 0}
    assert build["if"] == "github.event_name != 'pull_request'"
    assert [s.get("uses") for s in build["steps"]][-2:] == [
        "actions/upload-pages-artifact@v3",
        "actions/deploy-pages@v4",
    ]

    gitlab = yaml.safe_load((shop / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    assert gitlab["variables"]["GIT_DEPTH"] == "0"
    assert gitlab["check"]["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    assert gitlab["check"]["script"] == ["policyctl check", "policyctl status"]
    assert {'$CI_PIPELINE_SOURCE == "schedule"'} <= {rule["if"] for rule in gitlab["pages"]["rules"]}
    assert gitlab["pages"]["artifacts"] == {"paths": ["public"]}

    # The build scripts, run with a stand-in policyctl that logs its arguments: the
    # deployed site's log is the record, except on the first deployment.
    github_script = next(s["run"] for s in build["steps"] if "policyctl build" in s.get("run", ""))
    gitlab_script = gitlab["pages"]["script"][0]
    log = "https://legal.shop.test/publication-log.jsonl"
    for shell, script, site in (("bash", github_script, "site"), ("sh", gitlab_script, "public")):
        assert run_logged(tmp_path, shell, script, FIRST_DEPLOYMENT="false") == [
            f"check --record {log}",
            f"build --site-dir {site} --record {log}",
        ]
        assert run_logged(tmp_path, shell, script, FIRST_DEPLOYMENT="true") == [
            "check",
            f"build --site-dir {site}",
        ]


def run_logged(tmp_path: Path, shell: str, script: str, **env: str) -> list[str]:
    """`script` run by `shell` (GitHub's `bash -e`, GitLab's `sh -e`) with SITE_URL set and
    a `policyctl` that writes its arguments to a log; the lines logged."""
    bin_dir, calls = tmp_path / "bin", tmp_path / "calls.log"
    bin_dir.mkdir(exist_ok=True)
    fake = bin_dir / "policyctl"
    fake.write_text(f'#!/bin/sh\necho "$*" >> "{calls}"\n', encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    calls.unlink(missing_ok=True)
    variables = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "SITE_URL": "https://legal.shop.test/", **env}
    subprocess.run([shell, "-e", "-c", script], check=True, env=variables, cwd=tmp_path)
    return calls.read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize(
    ("timezone", "cron"),
    [
        ("Asia/Shanghai", "5 16 * * *"),  # UTC+8 all year
        ("Europe/Berlin", "5 23 * * *"),  # 00:05 in winter, 01:05 in summer
        ("America/New_York", "5 5 * * *"),
        ("Asia/Kolkata", "35 18 * * *"),  # UTC+5:30
        ("Australia/Sydney", "5 14 * * *"),  # UTC+10 in July, +11 in January
    ],
)
def test_the_daily_build_runs_after_midnight_in_the_operators_zone(timezone: str, cron: str) -> None:
    assert daily_cron(timezone, 2026)[0] == cron


def test_init_refuses_to_overwrite_and_names_the_files(tmp_path: Path, policyctl) -> None:
    shop = tmp_path / "shop"
    (shop / "policy").mkdir(parents=True)
    (shop / "mkdocs.yml").write_text("site_name: Mine\n", encoding="utf-8")
    (shop / "policy/privacy.md").write_text("My policy\n", encoding="utf-8")
    result = policyctl("init", shop, *FLAGS)
    assert result.code == 2
    assert "mkdocs.yml, policy/privacy.md" in result.err and "overwrites nothing" in result.err
    assert files_in(shop) == {"mkdocs.yml", "policy/privacy.md"} and not (shop / ".git").exists()
    assert (shop / "mkdocs.yml").read_text(encoding="utf-8") == "site_name: Mine\n"


def test_without_a_terminal_the_required_values_are_flags(tmp_path: Path, policyctl) -> None:
    result = policyctl("init", tmp_path / "shop", "--country", "DE")
    assert result.code == 2
    assert "--site-url and --answer-url are needed" in result.err
    assert not (tmp_path / "shop").exists()


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (("--timezone", "Mars/Olympus_Mons"), "unknown time zone 'Mars/Olympus_Mons'"),
        (("--country", "XX"), "no calendar for country 'XX'"),
        (("--working-days", "0"), "working_days must be at least 1"),
        (("--working-days", "seven"), "working days must be a number"),
        (("--site-url", "ftp://legal.shop.test/"), "the site URL must be an absolute http(s) URL"),
        (("--answer-url", "/policy/answer"), "answer page's URL must be an absolute http(s) URL"),
        (("--language", "english"), "languages:"),
        (("--document", "../terms"), "cannot be a document id"),
        (("--country", "US"), "--timezone is needed: US has more than one time zone"),
    ],
)
def test_bad_values_are_refused_with_a_message(
    tmp_path: Path, policyctl, flags: tuple[str, str], message: str
) -> None:
    given = dict(zip(FLAGS[::2], FLAGS[1::2], strict=True))
    given.update({flags[0]: flags[1]})
    if flags == ("--country", "US"):
        del given["--timezone"]
    result = policyctl("init", tmp_path / "shop", *[x for pair in given.items() for x in pair])
    assert result.code == 2, result.out
    assert message in result.err and "Traceback" not in result.err
    assert not (tmp_path / "shop").exists()


def test_on_a_terminal_it_asks_for_what_no_flag_gives(
    tmp_path: Path, policyctl, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = [
        "",  # the site's name: the default
        "legal.shop.test",  # not a URL: asked again
        "https://legal.shop.test",
        "https://shop.test/policy/answer",
        "",  # language: en
        "de",
        "",  # the time zone: Germany's
        "10",
    ]
    monkeypatch.setattr(
        "sys.stdin", Terminal(io.BytesIO(("\n".join(answers) + "\n").encode()), encoding="utf-8")
    )
    result = policyctl("init", tmp_path / "shop", "--site-name", "Flagged Shop")
    assert result.code == 0, result.err
    assert "The site's name" not in result.out  # given as a flag: not asked
    assert "Where the site will be deployed (site_url): " in result.out
    assert "the site URL must be an absolute http(s) URL" in result.out
    assert "The time zone [Europe/Berlin]: " in result.out
    settings = load_settings(tmp_path / "shop")
    assert (settings.site_name, settings.site_url) == ("Flagged Shop", "https://legal.shop.test/")
    assert (settings.country, settings.timezone) == ("DE", "Europe/Berlin")
    assert settings.default_period == NoticePeriod(working_days=10)


def test_in_an_existing_repository_committing_is_left_to_the_user(tmp_path: Path, policyctl) -> None:
    shop = tmp_path / "shop"
    shop.mkdir()
    git(shop, "init", "-q", "-b", "main")
    (shop / "README.md").write_text("Our policies\n", encoding="utf-8")
    git(shop, "add", "README.md")
    git(shop, "commit", "-q", "-m", "Start")
    result = policyctl("init", shop, *FLAGS)
    assert result.code == 0, result.err
    assert "nothing is committed" in result.out and "git add mkdocs.yml policy/privacy.md" in result.out
    assert git(shop, "log", "--format=%s").splitlines() == ["Start"]
    untracked = {line[3:] for line in git(shop, "status", "--porcelain", "-uall").splitlines()}
    assert untracked == FILES
    git(shop, "add", "-A")
    git(shop, "commit", "-q", "-m", "Policies")
    assert policyctl("check", "--repo", shop).code == 0


def test_a_new_folder_inside_a_repository_is_not_a_repository_of_its_own(tmp_path: Path, policyctl) -> None:
    app = tmp_path / "app"
    app.mkdir()
    git(app, "init", "-q", "-b", "main")
    result = policyctl("init", app / "legal" / "policies", *FLAGS)
    assert result.code == 0, result.err
    assert f"is in the git repository {app}: nothing is committed" in result.out
    assert files_in(app / "legal/policies") == FILES and not (app / "legal/policies/.git").exists()


IMPORTED = """\
# Privacy Notice of Example Shop

We respect your privacy.

# 1. Information We Collect

Your e-mail address.

## Cookies We Set

One cookie, for the basket.

# 2. How We Use Your Information

To deliver your orders.

# 3. Disclosure to Third Parties

Carriers.

# 4. Your Rights

Write to us.

# 5. Contact Us

privacy@shop.test
"""


def test_init_from_an_existing_policy_adds_ids_and_proposes_marks(tmp_path: Path, policyctl) -> None:
    source = tmp_path / "old-privacy.md"
    source.write_text(IMPORTED, encoding="utf-8")
    shop = tmp_path / "shop"
    result = policyctl("init", shop, *FLAGS, "--from", source)
    assert result.code == 0, result.err
    matter, body = split((shop / "policy/privacy.md").read_text(encoding="utf-8"), file="privacy.md")
    assert matter.title == "Privacy Notice of Example Shop" and matter.version == "1.0"
    assert "## 1. Information We Collect {#information-we-collect .core-rights}" in body
    assert "### Cookies We Set {#cookies-we-set}" in body  # inside a marked section: inherits
    assert "## 5. Contact Us {#contact-us}" in body
    marked = {s.id for s in parse_sections(body) if s.core_rights and s.level == 2}
    assert marked == {
        "information-we-collect",
        "how-we-use-your-information",
        "disclosure-to-third-parties",
        "your-rights",
    }
    # The editor is shown each proposed mark, with its topic, and what is left unmarked.
    assert "Marked .core-rights in policy/privacy.md: review them" in result.out
    assert (
        "## 3. Disclosure to Third Parties {#disclosure-to-third-parties .core-rights}   (sharing)"
        in result.out
    )
    assert "Not marked" in result.out and "## 5. Contact Us {#contact-us}" in result.out
    assert policyctl("check", "--repo", shop).code == 0


def test_a_plain_text_policy_gets_headings_from_its_numbered_and_capital_lines() -> None:
    plain = (
        "PRIVACY POLICY\n\nWe care about your data.\n\n1. WHAT WE COLLECT\n\nYour e-mail address.\n\n"
        "1.1 Cookies\n\nOne cookie.\n\n2. Retention\n\nTwo years.\n\nCONTACT\n\nprivacy@shop.test\n"
    )
    imported = import_policy(plain, file="policy.txt")
    assert imported.title == "PRIVACY POLICY"
    assert imported.recognised == ("1. WHAT WE COLLECT", "1.1 Cookies", "2. Retention", "CONTACT")
    assert "## 1. WHAT WE COLLECT {#what-we-collect .core-rights}" in imported.body
    assert "### 1.1 Cookies {#cookies}" in imported.body
    assert [m.topic for m in imported.marked] == ["collection", "storage"]
    assert imported.unmarked == ("## CONTACT {#contact}",)
    assert "We care about your data." in imported.body


def test_an_imported_policy_keeps_its_own_ids_and_marks() -> None:
    text = (
        "---\ntitle: Terms\nversion: '7'\n---\n\nIntro.\n\nSharing\n-------\n\nWith carriers.\n\n"
        "## Your choices {#choices .core-rights}\n\nOpt out.\n\n```\n## not a heading\n```\n"
    )
    imported = import_policy(text, file="terms.md")
    assert imported.title == "Terms"
    assert "## Sharing {#sharing .core-rights}" in imported.body  # an underlined heading
    assert "## Your choices {#choices .core-rights}" in imported.body
    assert "## not a heading\n" in imported.body
    assert [(m.topic) for m in imported.marked] == ["sharing", "rights"]


@pytest.mark.parametrize(
    ("heading", "topic"),
    [
        ("II. Collection and Acquisition of Personal Information", "collection"),
        ("How we use cookies", "cookies"),
        ("3. Purposes of Processing", "purposes"),
        ("Who we share your data with", "sharing"),
        ("Data retention", "storage"),
        ("International transfers", "storage"),
        ("Your rights and choices", "rights"),
        ("第五条 个人信息的共享", "sharing"),
        ("Contact us", None),
        ("Changes to this policy", None),
        ("Copyright", None),
    ],
)
def test_core_rights_topics_of_headings(heading: str, topic: str | None) -> None:
    assert topic_of(heading) == topic


def test_an_unreadable_source_is_a_message(tmp_path: Path, policyctl) -> None:
    result = policyctl("init", tmp_path / "shop", *FLAGS, "--from", tmp_path / "missing.md")
    assert result.code == 2
    assert "cannot read the policy to import" in result.err and "missing.md" in result.err
    assert not (tmp_path / "shop").exists()


def test_docs_ci_shows_the_gitlab_file_init_writes(tmp_path: Path, policyctl) -> None:
    flags = dict(zip(FLAGS[::2], FLAGS[1::2], strict=True)) | {"--site-url": "https://legal.shop.example/"}
    args = [x for pair in flags.items() for x in pair]
    assert policyctl("init", tmp_path / "shop", *args, "--package", "policy-publisher==0.1.0").code == 0
    docs = (ROOT / "docs/ci.md").read_text(encoding="utf-8")
    shown = docs.split("## GitLab CI", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    written = (tmp_path / "shop/.gitlab-ci.yml").read_text(encoding="utf-8")
    assert yaml.safe_load(shown) == yaml.safe_load(written)
