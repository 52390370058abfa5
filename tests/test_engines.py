"""The same site from either engine (issue 21): `policyctl build --engine mkdocs` and
`--engine zensical` stage the same projects and finish the same way, so a visitor finds
the same pages, words, banner, pop-up, redlines, language switcher and data files.

History: the two-language fixture of `test_languages_site` (1.0 and 2.0 in English and
Chinese; 2.0 is in its publicity window on 8 October 2026), built once with each engine.
Both sites pass `policyctl verify` (`build_site`). Differences that cannot be closed are
listed in docs/site.md ("Engines"); what this test compares holds on both.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from browser_support import build_site, hostile_repo, search_results, serving
from playwright.sync_api import expect
from test_accessibility import axe_findings
from test_languages_site import EN_REARRANGED, MKDOCS_YML, ZH_REARRANGED
from test_translations import EN_V1, PRIVACY, PRIVACY_ZH, ZH_V1
from tests_support import PolicyRepo

from benchmarks.histories import make_history
from generator.site.record import HEAD_PLACEHOLDER

AS_OF = "2026-10-08"
ENGINES = ("mkdocs", "zensical")
# The files each engine writes of its own (theme assets, search index, sitemaps, 404s).
ENGINE_FILES = re.compile(
    r"^((zh/)?(assets|search)/|(zh/)?sitemap\.xml(\.gz)?$|(zh/)?search\.json$|(zh/)?404\.html$)"
)


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("engines")
    repo = PolicyRepo.create(root / "repo")
    repo.write("mkdocs.yml", MKDOCS_YML + "site_url: https://shop.example/\n")
    repo.write(PRIVACY, EN_V1)
    repo.write(PRIVACY_ZH, ZH_V1)
    repo.commit("2026-09-01T10:00:00+08:00", "Privacy policy 1.0 in English and Chinese")
    repo.write(PRIVACY, EN_REARRANGED)
    repo.write(PRIVACY_ZH, ZH_REARRANGED)
    repo.commit("2026-09-30T10:00:00+08:00", "Privacy policy 2.0 in English and Chinese")
    return {engine: build_site(repo.path, AS_OF, root / engine, "--engine", engine) for engine in ENGINES}


def public_files(site: Path) -> set[str]:
    """The site's files but those each engine writes of its own."""
    files = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}
    return {f for f in files if not ENGINE_FILES.match(f)}


def facts(site: Path, url: str) -> dict[str, object]:
    """What a visitor reads on the page at `url`, engine-neutral: the tab's title, the
    language, the content's headings and words, the banner's words, the redline marks, the
    pop-up, the hreflang links and the language switcher's (each engine lays out the same
    elements; entities and `./` prefixes aside)."""
    text = (site / url / "index.html").read_text(encoding="utf-8")

    def words(fragment: str) -> str:
        fragment = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", fragment, flags=re.S)
        fragment = re.sub(r'<a class="headerlink"[^>]*>.*?</a>', " ", fragment, flags=re.S)
        plain = re.sub(r"<[^>]+>", " ", fragment)
        plain = plain.replace("&para;", "").replace("¶", "")
        return " ".join(html.unescape(plain).split())

    article = re.search(r'<article class="md-content__inner md-typeset">(.*?)</article>', text, re.S)
    assert article, f"{url}: no article"
    body = article.group(1)
    banner = re.search(r'<div class="policy-banner__notices">(.*?)</div>', text, re.S)
    links = dict(
        (lang, href)
        for href, lang in re.findall(r'<link rel="alternate " href="([^"]*)" hreflang="([^"]*)">', text)
    )
    return {
        "title": words(re.search(r"<title>(.*?)</title>", text, re.S).group(1)),  # type: ignore[union-attr]
        "lang": re.search(r'<html lang="([^"]*)"', text).group(1),  # type: ignore[union-attr]
        "headings": [words(h) for h in re.findall(r"<h[12][^>]*>(.*?)</h[12]>", body, re.S)],
        "content": words(body),
        "banner": words(banner.group(1)) if banner else None,
        "ins": len(re.findall(r"<ins\b", body)),
        "del": len(re.findall(r"<del\b", body)),
        "dialog": 'class="policy-dialog"' in text,
        "hreflang": {k: html.unescape(v) for k, v in links.items()},
        "switcher": sorted(
            html.unescape(h)
            for h in re.findall(r'<a href="([^"]*)" hreflang="[^"]*" class="md-select__link"', text)
        ),
    }


PAGES = [
    "",
    "privacy/",
    "privacy/versions/",
    "privacy/versions/1.0/",
    "privacy/versions/2.0/",
    "privacy/changes/1.0-to-2.0/",
    "updates/",
    "zh/",
    "zh/privacy/",
    "zh/privacy/versions/1.0/",
    "zh/privacy/changes/1.0-to-2.0/",
    "zh/updates/",
]


def test_both_engines_publish_the_same_pages_and_data_files(sites):
    mkdocs, zensical = (public_files(sites[e]) for e in ENGINES)
    assert mkdocs == zensical, (sorted(mkdocs - zensical), sorted(zensical - mkdocs))
    assert "zh/privacy/changes/1.0-to-2.0/index.html" in mkdocs and "publication-log.jsonl" in mkdocs
    for name in ("versions.json", "notices.json", "zh/notices.json", "feed.xml", "zh/feed.xml", "notice.js"):
        a, b = ((sites[e] / name).read_text(encoding="utf-8") for e in ENGINES)
        if name.endswith(".json"):
            a_data, b_data = json.loads(a), json.loads(b)
            # The chain head differs: each build logs the instant its own site was made.
            for data in (a_data, b_data):
                data.pop("log_head", None)
            assert a_data == b_data, name
        else:
            assert a == b, name


@pytest.mark.parametrize("url", PAGES)
def test_each_page_says_the_same_under_either_engine(sites, url):
    mkdocs, zensical = (facts(sites[e], url) for e in ENGINES)
    assert mkdocs == zensical
    # And it says something: the page is not empty on either.
    assert mkdocs["headings"] and mkdocs["content"]


def test_the_banner_pop_up_redline_and_switcher_are_there_under_zensical(sites):
    home = facts(sites["zensical"], "")
    assert home["dialog"] and home["banner"] and "16 October 2026" in str(home["banner"])
    redline = facts(sites["zensical"], "privacy/changes/1.0-to-2.0/")
    assert redline["ins"] and redline["del"]
    zh = facts(sites["zensical"], "zh/privacy/")
    assert zh["lang"] == "zh" and "隐私政策" in str(zh["title"])
    assert zh["hreflang"] == {"en": "https://shop.example/privacy/", "zh": "https://shop.example/zh/privacy/"}
    assert zh["switcher"] == ["https://shop.example/privacy/", "https://shop.example/zh/privacy/"]


def test_no_mark_or_placeholder_of_the_build_is_left_in_any_file(sites):
    for engine in ENGINES:
        for path in sites[engine].rglob("*"):
            if path.suffix in (".html", ".json", ".xml"):
                text = path.read_text(encoding="utf-8")
                assert "policy-content:" not in text, f"{path}: content marks left"
                assert HEAD_PLACEHOLDER not in text, f"{path}: the chain head was not stamped"
                assert "policy-raw:" not in text, f"{path}: a deferred block was not put back"


@pytest.mark.parametrize("url", ["", "privacy/", "privacy/changes/1.0-to-2.0/", "zh/privacy/"])
def test_zensical_pages_have_no_serious_axe_finding(sites, browser, url):
    with serving(sites["zensical"]) as server:
        context = browser.new_context()
        page = context.new_page()
        try:
            page.goto(f"{server.url}/{url}")
            assert axe_findings(page) == []
        finally:
            context.close()


@pytest.mark.parametrize(("url", "words"), [("privacy/", "address"), ("zh/privacy/", "信息")])
def test_zensical_search_dialog_with_results_has_no_serious_axe_finding(sites, browser, url, words):
    """Zensical draws its search dialog in a shadow root that the site's stylesheets do not
    reach: assets/search-dialog.js gives it search-dialog.css (the path and the words found
    at 4.5:1) and names each result by what it shows."""
    with serving(sites["zensical"]) as server:
        context = browser.new_context()
        page = context.new_page()
        try:
            page.goto(f"{server.url}/{url}")
            results = search_results(page, words, engine="zensical")
            expect(results.first).to_be_visible()
            # The result is named by its title, path and words, not by its title alone.
            name = results.first.evaluate("e => e.textContent")
            assert results.first.get_attribute("aria-labelledby") is None, name
            assert axe_findings(page) == []
        finally:
            context.close()


def _all_pages(site: Path) -> list[str]:
    """Every page of the site by its address ("" for the home page), the engine's own 404 aside."""
    return sorted(
        p.parent.relative_to(site).as_posix().removeprefix(".") + ("/" if p.parent != site else "")
        for p in site.rglob("index.html")
        if not ENGINE_FILES.match(p.relative_to(site).as_posix())
    )


@pytest.mark.parametrize("history", ["hostile", "operator"])
def test_real_style_histories_build_the_same_with_either_engine(history, tmp_path):
    """The hostile history of the safety tests (scripts in the title, the summary, a
    heading and the text) and twelve versions of the operator's own policy in two
    languages (sections inserted, renumbered and reworded): both engines publish the same
    files and pages that read the same, and both pass `policyctl verify`."""
    if history == "hostile":
        repo, as_of = hostile_repo(tmp_path / "repo").path, "2026-10-08"
    else:
        repo, as_of = make_history(tmp_path / "repo", 12, languages=("en", "zh")), "2030-01-01"
    built = {e: build_site(repo, as_of, tmp_path / e, "--engine", e) for e in ENGINES}
    assert public_files(built["mkdocs"]) == public_files(built["zensical"])
    pages = _all_pages(built["mkdocs"])
    assert len(pages) >= 7 and "privacy/changes/1.0-to-2.0/" in pages
    for url in pages:
        if "/changes/" in url and not (built["mkdocs"] / url / "index.html").read_text().count("<article"):
            continue  # a retired comparison's page: written by us, the same file under both
        assert facts(built["mkdocs"], url) == facts(built["zensical"], url), url
    for page in built["zensical"].rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        # As text (escaped) the payloads are fine; as markup they would run.
        assert _runnable(text) == [], page


class _Runnable(HTMLParser):
    """Event-handler attributes and inline scripts that call `alert` (the payloads'),
    as a browser would parse the page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [f"<{tag} {name}>" for name, _ in attrs if name.startswith("on")]
        self._script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._script = False

    def handle_data(self, data: str) -> None:
        if self._script and "alert(" in data:
            self.found.append(f"<script>{data[:60]}")


def _runnable(text: str) -> list[str]:
    parser = _Runnable()
    parser.feed(text)
    return parser.found


def test_an_engine_that_is_not_installed_is_named_with_what_to_do(policy_repo, tmp_path):
    """Exit 2 before anything is built, with the remedy; the site folder is not touched."""
    policy_repo.publish("policy/privacy.md", EN_V1, "2026-09-01T10:00:00+08:00")
    site = tmp_path / "site"
    code = (
        "import sys; sys.modules['zensical'] = None\n"  # as if it were not installed
        "from generator.commands import main\n"
        f"sys.exit(main(['build', '--repo', {str(policy_repo.path)!r}, '--site-dir', {str(site)!r},"
        " '--as-of', '2026-10-01', '--engine', 'zensical']))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "the zensical engine is not installed" in result.stderr
    assert "pip install zensical" in result.stderr and "--engine mkdocs" in result.stderr
    assert not site.exists()
