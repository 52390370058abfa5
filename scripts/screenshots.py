"""Regenerate docs/screenshots/{home,version,redline}.png (1280x900) and
{mobile-version,mobile-archive}.png (390x844, a phone) in headless Chromium.

The history is realistic and made afresh in a temporary git repository: the operator's
policy (policy/privacy.md as committed in this repository) as version 1.0, then a
version 2.0 that changes the core-rights "User's Rights" section and inserts a section
on automated decision-making (renumbering the later ones). The site is built during
2.0's publicity window, so the banner, the pop-up and the callout show.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--as-of 2026-12-03]

With `--redlines`, docs/screenshots/redline-renamed{,-mobile}.png and
compare-in-force{,-mobile}.png instead: a history written as real policies are (no ids,
reference links, emphasis in a heading), whose 2.0 rewords a heading (one renamed
section) and 3.0 is in force; the comparison of 1.0 with it, at 1280 and 390 px.

    .venv/bin/python scripts/screenshots.py --redlines

With `--zh`, docs/screenshots/zh-version.png instead: the Chinese policy (/zh/privacy/)
of a two-language site (`languages: [en, zh]`, the English and Chinese texts of
tests/test_translations.py, built in 2.0's window) at 1280 px with the language switcher
open; `--review DIR` also writes the same page at 390 px, the switcher open there, and
the English page at both widths into DIR, to look at.

    .venv/bin/python scripts/screenshots.py --zh [--review /tmp/zh-shots]

Chromium needs a font with Chinese characters (Debian: `apt-get install fonts-wqy-zenhei`),
else they show as boxes.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The packages from this checkout, then tests/ for tests_support (the root first, so
# that tests/notify/ is never taken for the notify package).
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from browser_support import build_site, launch_chromium, new_visitor, serving  # noqa: E402
from tests_support import git  # noqa: E402

V2_PUBLISHED = "2026-12-01"  # a Tuesday: in CN, 2.0 takes effect on 11 December 2026
V2_SUMMARY = (
    "Requests to exercise your rights are answered within 15 working days instead of 15 to 30; "
    "a new section explains automated decision-making and profiling."
)
PROFILING = """\
## VI. Automated Decision-Making and Profiling {#profiling .core-rights}

We use automated means to detect fraudulent orders and to recommend products. We do not make decisions that produce legal effects concerning you, or similarly significantly affect you, solely by automated processing.

You can ask for a person to review any automated decision about your order, express your point of view and contest the decision, through the contact information at the end of this Policy.

"""
ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV"]


def committed_policy() -> str:
    return subprocess.run(
        ["git", "show", "HEAD:policy/privacy.md"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout


def revision_2_0(v1: str) -> str:
    """The operator's policy, revised: new front matter, a changed core-rights section,
    an inserted one; the sections after it renumbered as an editor would."""
    front, body = re.match(r"(?s)^---\n(.*?)\n---\n(.*)$", v1).groups()
    front = re.sub(r"(?m)^version: .*$", 'version: "2.0"', front)
    front = re.sub(r"(?m)^published: .*$", f"published: {V2_PUBLISHED}", front)
    front = re.sub(r"(?m)^summary: .*$", f"summary: {V2_SUMMARY}", front)

    def renumber(match: re.Match[str]) -> str:
        number = ROMAN.index(match.group(1))
        return f"## {ROMAN[number + 1] if number >= 5 else match.group(1)}. "

    body = re.sub(r"(?m)^## ([IVX]+)\. ", renumber, body)
    body = body.replace("## VII. User's Rights", PROFILING + "## VII. User's Rights")
    replaced = (
        body.replace(
            "We will provide you with convenient channels to exercise your rights and process your "
            "reasonable requests free of charge:",
            "We will provide you with convenient channels, online and by email, to exercise your rights, "
            "and answer your reasonable requests free of charge within 15 working days:",
        )
        .replace(
            "process your request within 15-30 working days after receiving it",
            "process your request within 15 working days after receiving it",
        )
        .replace(
            "and also have the right to object to our automated decision-making (including user profiling)",
            "and also have the right to object to our automated decision-making (including user profiling) "
            "and to obtain human review of it (see Section VI)",
        )
    )
    if replaced == body or PROFILING not in replaced:
        raise SystemExit("policy/privacy.md no longer has the passages this script revises; update it")
    return f"---\n{front}\n---\n{replaced}"


def make_history(repo: Path) -> None:
    v1 = committed_policy()
    published = re.search(r"(?m)^published: (\S+)$", v1).group(1)
    (repo / "policy").mkdir(parents=True)
    # The operator's settings too: site name, CN calendar, theme.
    (repo / "mkdocs.yml").write_text(
        (ROOT / "mkdocs.yml")
        .read_text(encoding="utf-8")
        .replace("custom_dir: site_templates", f"custom_dir: {ROOT / 'site_templates'}"),
        encoding="utf-8",
    )
    git(repo, "init", "-q", "-b", "main")
    for text, when, message in (
        (v1, f"{published}T09:00:00+08:00", "Privacy Policy 1.0"),
        (revision_2_0(v1), f"{V2_PUBLISHED}T09:00:00+08:00", "Privacy Policy 2.0"),
    ):
        (repo / "policy/privacy.md").write_text(text, encoding="utf-8")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", message, date=when)


def screenshots(site_url: str, out: Path) -> list[Path]:
    from playwright.sync_api import expect, sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    shots = []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            context = new_visitor(browser)
            page = context.new_page()

            page.goto(site_url)
            dialog = page.get_by_role("dialog", name="A policy is changing")
            expect(dialog).to_be_visible()
            expect(dialog.get_by_role("button", name="Close")).to_be_focused()
            shots.append(out / "home.png")
            page.screenshot(path=shots[-1], animations="disabled")

            page.goto(site_url + "privacy/")
            expect(page.locator(".md-banner")).to_be_visible()
            expect(page.locator(".policy-callout")).to_be_visible()
            shots.append(out / "version.png")
            page.screenshot(path=shots[-1], animations="disabled")

            # The inserted section, then the changed one: both kinds of marks in view.
            page.goto(site_url + "privacy/changes/1.0-to-2.0/#change-profiling")
            expect(page.locator(".policy-redline [data-section=rights] del").first).to_be_in_viewport()
            shots.append(out / "redline.png")
            page.screenshot(path=shots[-1], animations="disabled")

            # A phone: the policy in force with the banner and callout, and the archive,
            # whose rows become labelled facts (nothing scrolls sideways).
            page.set_viewport_size({"width": 390, "height": 844})
            page.goto(site_url + "privacy/")
            expect(page.locator(".policy-callout")).to_be_visible()
            shots.append(out / "mobile-version.png")
            page.screenshot(path=shots[-1], animations="disabled")
            page.goto(site_url + "privacy/versions/")
            expect(page.locator("table.policy-archive")).to_be_visible()
            shots.append(out / "mobile-archive.png")
            page.screenshot(path=shots[-1], animations="disabled")
            context.close()
        finally:
            browser.close()
    return shots


def make_two_language_history(repo: Path) -> None:
    from test_translations import EN_V1, EN_V2, PRIVACY, PRIVACY_ZH, ZH_V1, ZH_V2

    (repo / "policy").mkdir(parents=True)
    (repo / "mkdocs.yml").write_text(
        "site_name: Legal policies\ntheme:\n  name: material\n  font: false\n  features:\n"
        "    - announce.dismiss\n    - navigation.footer\nplugins:\n  - search\n  - policy:\n"
        "      languages: [en, zh]\n",
        encoding="utf-8",
    )
    git(repo, "init", "-q", "-b", "main")
    for en, zh, when in ((EN_V1, ZH_V1, "2026-09-01"), (EN_V2, ZH_V2, "2026-09-30")):
        (repo / PRIVACY).write_text(en, encoding="utf-8")
        (repo / PRIVACY_ZH).write_text(zh, encoding="utf-8")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", f"Privacy Policy, {when}", date=f"{when}T09:00:00+08:00")


def zh_screenshots(site_url: str, out: Path, review: Path | None) -> list[Path]:
    from playwright.sync_api import expect, sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    shots = []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            context = new_visitor(browser)
            page = context.new_page()
            views = [(1280, 900, "zh/privacy/", True, out / "zh-version.png")]
            if review is not None:
                review.mkdir(parents=True, exist_ok=True)
                views += [
                    (390, 844, "zh/privacy/", True, review / "zh-mobile-switcher.png"),
                    (390, 844, "zh/privacy/", False, review / "zh-mobile.png"),
                    (1280, 900, "privacy/", True, review / "en-switcher.png"),
                    (1280, 900, "zh/", False, review / "zh-home.png"),
                ]
            for width, height, url, switcher, path in views:
                page.set_viewport_size({"width": width, "height": height})
                page.goto(site_url + url)
                expect(page.locator(".md-banner")).to_be_visible()
                if switcher:
                    page.locator(".md-header__option .md-select").hover()
                    expect(page.locator(".md-select__link", has_text="English")).to_be_visible()
                shots.append(path)
                page.screenshot(path=path, animations="disabled")
            context.close()
        finally:
            browser.close()
    return shots


REAL_V1 = """\
This policy explains how the shop handles your personal information. Questions go to
[our support team][support].

[support]: https://help.shop.example/support
[cookies]: https://shop.example/cookies

## 1. Information we collect {.core-rights}

We collect your name, your *email address* and your delivery address when you order, and
the pages you visit when you browse.

## 2. Our legal basis for processing {.core-rights}

We process your personal information to perform our contract with you, to comply with
the law, and, where you consented, to send you offers. You may withdraw your consent at
any time.

## 3. *Cookies* {.core-rights}

We use [cookies on our site][cookies] to remember your basket and, with your consent,
to measure visits.

## 4. How long we keep it {.core-rights}

Orders are kept for 5 years; browsing data for 13 months.

## 5. Your rights {.core-rights}

You may ask to see, correct or delete your information, and object to its use for offers.

## 6. Children

We do not knowingly collect information from children under 14.

## 7. Contact

Write to privacy@shop.example.
"""
REAL_V2 = (
    REAL_V1.replace("Our legal basis for processing", "Our legal bases for processing")
    .replace("where you consented, to send you offers", "where you consented, to send you offers and surveys")
    .replace("[cookies]: https://shop.example/cookies", "[cookies]: https://shop.example/legal/cookies")
)
REAL_V3 = REAL_V2.replace("Orders are kept for 5 years", "Orders are kept for 7 years").replace(
    "You may ask to see, correct or delete your information",
    "You may ask to see, correct, delete or receive a copy of your information",
)


def make_real_history(repo: Path) -> None:
    """A history written as real policies are: no ids, reference links, emphasis in a
    heading; 2.0 rewords a heading and moves a link's address, 3.0 changes two sections."""
    sys.path.insert(0, str(ROOT / "tests"))
    from tests_support import policy_file

    (repo / "policy").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    for version, text, day, summary in (
        ("1.0", REAL_V1, "2026-09-01", None),
        ("2.0", REAL_V2, "2026-09-30", "We may also send you surveys; the cookies page moved."),
        ("3.0", REAL_V3, "2026-11-02", "Orders are kept for 7 years; you may receive a copy of your data."),
    ):
        (repo / "policy/privacy.md").write_text(
            policy_file(text, version=version, published=day, summary=summary), encoding="utf-8"
        )
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", f"Privacy Policy {version}", date=f"{day}T09:00:00+08:00")


def redline_screenshots(site_url: str, out: Path) -> list[Path]:
    """A renamed section (1.0 to 2.0) and a comparison with the version in force (1.0 to
    3.0), each at 1280 and 390 px."""
    from playwright.sync_api import expect, sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    shots = []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            context = new_visitor(browser)
            page = context.new_page()
            for width, height, suffix in ((1280, 900, ""), (390, 844, "-mobile")):
                page.set_viewport_size({"width": width, "height": height})
                page.goto(site_url + "privacy/changes/1.0-to-2.0/#change-our-legal-bases-for-processing")
                renamed = page.locator(".policy-redline [data-section=our-legal-bases-for-processing]")
                expect(renamed.locator(".redline-note").first).to_be_in_viewport()
                shots.append(out / f"redline-renamed{suffix}.png")
                page.screenshot(path=shots[-1], animations="disabled")
                page.goto(site_url + "privacy/changes/1.0-to-3.0/")
                expect(page.locator(".policy-summaries")).to_be_visible()
                shots.append(out / f"compare-in-force{suffix}.png")
                page.screenshot(path=shots[-1], animations="disabled")
            context.close()
        finally:
            browser.close()
    return shots


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--as-of", default="2026-12-03", help="an instant inside 2.0's window")
    parser.add_argument("--zh", action="store_true", help="the Chinese page of a two-language site")
    parser.add_argument("--review", type=Path, help="with --zh: more views, to look at, into this folder")
    parser.add_argument(
        "--redlines", action="store_true", help="a renamed section and a comparison with the version in force"
    )
    args = parser.parse_args(argv)
    if args.redlines:
        with tempfile.TemporaryDirectory(prefix="policy-screenshots-redlines-") as work:
            repo, site = Path(work) / "repo", Path(work) / "site"
            make_real_history(repo)
            build_site(repo, "2026-11-20", site)
            with serving(site) as server:
                for path in redline_screenshots(server.url, args.out.resolve()):
                    print(path)
        return 0
    if args.zh:
        with tempfile.TemporaryDirectory(prefix="policy-screenshots-zh-") as work:
            repo, site = Path(work) / "repo", Path(work) / "site"
            make_two_language_history(repo)
            build_site(repo, "2026-10-08", site)
            with serving(site) as server:
                for path in zh_screenshots(server.url, args.out.resolve(), args.review):
                    print(path)
        return 0
    with tempfile.TemporaryDirectory(prefix="policy-screenshots-") as work:
        repo, site = Path(work) / "repo", Path(work) / "site"
        make_history(repo)
        build_site(repo, args.as_of, site)
        with serving(site) as server:
            for path in screenshots(server.url, args.out.resolve()):
                print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
