"""Site safety without a browser (issue 11): one site built from a hostile policy
(browser_support.hostile_repo) and read as files; the sanitizer's rule; the refusals of
`build --site-dir`; the drafts preview and symbolic links; the site_url placeholder; the
copies of Material's inline scripts and the Content-Security-Policy's hash.

What a visitor's browser does with the same site is in test_browser_safety.py.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from browser_support import HOSTILE_SUMMARY, HOSTILE_TITLE, documented_csp, hostile_policy, hostile_repo
from tests_support import BASE_POLICY, PolicyRepo, policy_file, search_index

from generator.commands import main as policyctl_main
from generator.core.dates import parse_instant
from generator.policies import read_history
from generator.settings import Settings
from generator.site.model import build_model
from generator.site.pages import render_pages
from generator.site.sanitize import clean_html, raw_html_removed
from generator.site.templates import SITE_MARKER, TEMPLATES_DIR

ROOT = Path(__file__).resolve().parents[1]
MATERIAL_SCRIPTS = Path(__import__("material").__file__).parent / "templates" / "partials" / "javascripts"
DURING_THE_WINDOW = "2026-10-08"


@dataclass
class Run:
    code: int
    out: str
    err: str


def run_policyctl(*args: str | Path) -> Run:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = policyctl_main([str(a) for a in args])
        except SystemExit as exit_:
            code = int(exit_.code or 0)
    return Run(code, out.getvalue(), err.getvalue())


@dataclass
class HostileSite:
    repo: PolicyRepo
    site: Path
    build: Run


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> HostileSite:
    folder = tmp_path_factory.mktemp("hostile")
    repo = hostile_repo(folder / "repo")
    site = folder / "site"
    result = run_policyctl("build", "--repo", repo.path, "--as-of", DURING_THE_WINDOW, "--site-dir", site)
    assert result.code == 0, result.out + result.err
    return HostileSite(repo, site, result)


def sha256_source(code: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(code.encode("utf-8")).digest()).decode() + "'"


class Elements(HTMLParser):
    """Every element of a page with its attributes; every inline script's code."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.inline_scripts: list[tuple[dict[str, str], str]] = []
        self._script: dict[str, str] | None = None
        self._code: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        attributes = {name: value or "" for name, value in attrs}
        self.elements.append((tag, attributes))
        if tag == "script":
            self._script, self._code = attributes, []

    def handle_data(self, data) -> None:
        if self._script is not None:
            self._code.append(data)

    def handle_endtag(self, tag) -> None:
        if tag == "script" and self._script is not None:
            if "src" not in self._script:
                self.inline_scripts.append((self._script, "".join(self._code)))
            self._script = None


def elements_of(page: Path) -> Elements:
    parser = Elements()
    parser.feed(page.read_text(encoding="utf-8"))
    parser.close()
    return parser


def pages_of(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


# --------------------------------------------------------------- the hostile site as files


def test_every_page_kind_of_the_hostile_site_is_built(hostile):
    for path in (
        "index.html",
        "privacy/index.html",
        "privacy/versions/index.html",
        "privacy/versions/1.0/index.html",
        "privacy/versions/2.0/index.html",
        "privacy/changes/1.0-to-2.0/index.html",
        "updates/index.html",
        "404.html",
    ):
        assert (hostile.site / path).is_file(), path


def test_no_page_has_a_script_handler_or_javascript_url_from_a_policy_file(hostile):
    """Every script of every page is a file of the site, the one hashed inline script of
    the theme, or Material's JSON configuration; no element has an event handler; no link
    or image a `javascript:` URL."""
    allowed_inline = documented_csp()
    for page in pages_of(hostile.site):
        parsed = elements_of(page)
        name = page.relative_to(hostile.site)
        for tag, attributes in parsed.elements:
            handlers = [a for a in attributes if a.startswith("on")]
            assert not handlers, f"{name}: <{tag}> has {handlers}"
            for url_attribute in ("href", "src", "action", "formaction", "srcdoc", "data"):
                value = attributes.get(url_attribute, "").strip().lower()
                assert not value.startswith(("javascript:", "data:text/html")), (
                    f"{name}: <{tag} {url_attribute}>"
                )
            assert tag not in ("iframe", "object", "embed", "style"), (
                f"{name}: <{tag}>"
            )  # Material draws icons in <svg>
            if tag == "script" and "src" in attributes:
                assert "assets/" in attributes["src"], f"{name}: script {attributes['src']}"
        for attributes, code in parsed.inline_scripts:
            if attributes.get("type") == "application/json":
                assert "<" not in code, f"{name}: markup in the JSON block"
                continue
            assert sha256_source(code) in allowed_inline, f"{name}: inline script not in the CSP: {code[:80]}"
            assert "alert(" not in code


def test_the_titles_and_summary_read_back_exactly_from_the_data_files_and_the_feed(hostile):
    notices = json.loads((hostile.site / "notices.json").read_text(encoding="utf-8"))
    [notice] = notices["notices"]
    assert notice["title"] == HOSTILE_TITLE
    assert notice["summary"] == HOSTILE_SUMMARY
    versions = json.loads((hostile.site / "versions.json").read_text(encoding="utf-8"))
    assert versions["documents"][0]["title"] == HOSTILE_TITLE

    # `]]>` and `</script>` in an Atom feed: escaped, and read back as written.
    feed = ET.parse(hostile.site / "feed.xml").getroot()
    atom = "{http://www.w3.org/2005/Atom}"
    entry = feed.find(f"{atom}entry")
    assert entry.find(f"{atom}title").text == f"{HOSTILE_TITLE}, version 2.0"
    assert entry.find(f"{atom}summary").text.startswith(HOSTILE_SUMMARY)


def test_the_search_index_holds_titles_as_escaped_text(hostile):
    """Material's search shows a result's title as HTML: the index must hold it escaped."""
    index = search_index(hostile.site)
    for doc in index["docs"]:
        for field in ("title", "text"):
            assert "<script" not in doc[field] and "<img" not in doc[field], (doc["location"], field)
    titles = [doc["title"] for doc in index["docs"] if doc["location"] == "privacy/"]
    assert titles and "&lt;script&gt;alert(" in titles[0]


def test_build_warns_about_the_raw_html_it_left_out_naming_file_and_version(hostile):
    err = hostile.build.err
    for version in ("1.0", "2.0"):
        line = next(
            (x for x in err.splitlines() if f"policy/privacy.md: version {version}: raw HTML left out" in x),
            None,
        )
        assert line is not None, err
        for what in ("<iframe>", "<script>", "<style>", "<svg>", "onerror= on <img>", "onclick= on <p>"):
            assert what in line, (what, line)
        assert "javascript:alert('body-link')" in line
    assert 'see "Raw HTML in policies" in docs/site.md' in err


def test_check_warns_about_raw_html_and_does_not_fail(hostile):
    result = run_policyctl("check", "--repo", hostile.repo.path, "--as-of", DURING_THE_WINDOW)
    assert result.code == 0, result.out + result.err
    assert (
        "warning: policy/privacy.md: version 1.0: raw HTML left out of the site: <iframe>, <script> (2)"
        in (result.err)
    )
    assert "warning: policy/privacy.md: version 2.0: raw HTML left out of the site:" in result.err
    assert "ontoggle= on <details>" in result.err


# --------------------------------------------------------------------------- the rule


LEGAL_MARKUP = """\
## II. Collection {#collection .core-rights}

We collect <abbr title="Personal Information">PI</abbr> under Art. 6<sup>1</sup> and CO<sub>2</sub>
figures; <ins>this</ins> replaces <del>that</del>. See [the regulator](https://example.org/pi)
or [write to us](mailto:privacy@example.com).

| Data | Kept for |
|:-----|---------:|
| Name | 3 years  |

<details><summary>Details</summary>

Plain text.

</details>
"""


def test_what_legal_texts_use_survives_the_sanitizer():
    assert raw_html_removed(LEGAL_MARKUP) == ()
    assert raw_html_removed(BASE_POLICY) == ()
    html = clean_html(
        '<h2 class="core-rights" id="collection">II.<a class="headerlink" href="#collection" title="Permanent link">'
        '¶</a></h2><p><abbr title="Personal Information">PI</abbr><sup>1</sup><sub>2</sub><ins>a</ins><del>b</del>'
        '<a href="https://example.org/pi">x</a><a href="mailto:a@example.com">y</a></p>'
        '<table><thead><tr><th align="left">Data</th></tr></thead><tbody><tr><td align="right">1</td></tr></tbody>'
        '</table><details class="policy-section" data-section="scope" data-status="unchanged" open>'
        "<summary>s</summary></details>"
    )
    for kept in (
        '<h2 class="core-rights" id="collection">',
        'href="#collection" title="Permanent link"',
        '<abbr title="Personal Information">',
        "<sup>1</sup><sub>2</sub><ins>a</ins><del>b</del>",
        'href="https://example.org/pi"',
        'href="mailto:a@example.com"',
        '<th align="left">',
        '<td align="right">',
        'data-section="scope"',
        "<details",
    ):
        assert kept in html, kept


def test_the_sanitizer_names_what_it_takes_away():
    text = (
        "Intro <script>alert(1)</script> and <img src=x onerror=alert(2)> "
        '<a href="javascript:alert(3)">x</a> <span style="color:red" onclick="alert(4)">red</span>\n\n'
        "## Odd {#__config}\n\n<iframe src=https://example.org></iframe>\n"
    )
    lost = raw_html_removed(text)
    assert "<script>" in lost and "<iframe>" in lost
    assert "onerror= on <img>" in lost
    assert 'href="javascript:alert(3)" on <a>' in lost
    assert "style= on <span>" in lost and "onclick= on <span>" in lost
    assert 'id="__config" on <h2>' in lost


# ----------------------------------------------------------------------- version names


@pytest.mark.parametrize("version", ['2.0"><script>alert(1)</script>', "2.0 onmouseover=alert(1)", "2.0]]>"])
def test_a_version_name_with_markup_is_refused_by_check_and_build(policy_repo, tmp_path, version):
    policy_repo.publish("policy/privacy.md", policy_file(published="2026-09-01"), "2026-09-01T10:00:00+08:00")
    matter = hostile_policy(version, BASE_POLICY, published="2026-09-30", summary="Hostile version name.")
    policy_repo.publish("policy/privacy.md", matter, "2026-09-30T09:00:00+08:00")

    check = run_policyctl("check", "--repo", policy_repo.path, "--as-of", DURING_THE_WINDOW)
    assert check.code == 1, check.out + check.err
    assert "cannot be part of a URL" in check.out

    site = tmp_path / "site"
    result = run_policyctl(
        "build", "--repo", policy_repo.path, "--as-of", DURING_THE_WINDOW, "--site-dir", site
    )
    assert result.code == 1
    assert "cannot be part of a URL" in result.out and "The site was not built" in result.out
    assert not site.exists()


# --------------------------------------------------------------------- --site-dir


@pytest.fixture
def small_repo(policy_repo: PolicyRepo) -> PolicyRepo:
    policy_repo.publish("policy/privacy.md", policy_file(published="2026-09-01"), "2026-09-01T10:00:00+08:00")
    return policy_repo


def test_build_refuses_a_web_root_it_did_not_build(small_repo, tmp_path):
    web_root = tmp_path / "www"
    (web_root / "app").mkdir(parents=True)
    (web_root / "app" / "main.js").write_text("shop()")
    (web_root / "orders-export.csv").write_text("order,email\n1,ann@example.com\n")
    (web_root / "index.html").write_text("<h1>Shop</h1>")  # a web root has one too

    result = run_policyctl(
        "build", "--repo", small_repo.path, "--as-of", "2026-09-02", "--site-dir", web_root
    )
    assert result.code == 2
    assert str(web_root) in result.err
    assert "refusing to replace a folder that does not look like a built site" in result.err
    assert f"no {SITE_MARKER} file" in result.err
    assert "app/" in result.err and "orders-export.csv" in result.err
    assert "everything in it would be lost" in result.err
    assert "pass another --site-dir" in result.err
    assert sorted(p.name for p in web_root.iterdir()) == ["app", "index.html", "orders-export.csv"]
    assert (web_root / "orders-export.csv").read_text().startswith("order,email")
    assert not list(tmp_path.glob(".www*"))  # nothing left beside it


def test_build_writes_its_marker_and_replaces_only_a_folder_carrying_it_or_an_empty_one(small_repo, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    run = run_policyctl("build", "--repo", small_repo.path, "--as-of", "2026-09-02", "--site-dir", empty)
    assert run.code == 0, run.err
    assert "policy-publisher" in (empty / SITE_MARKER).read_text()

    (empty / "stale.txt").write_text("left by hand")  # the marker says: the build owns it all
    again = run_policyctl("build", "--repo", small_repo.path, "--as-of", "2026-09-03", "--site-dir", empty)
    assert again.code == 0, again.err
    assert (empty / SITE_MARKER).is_file() and (empty / "index.html").is_file()
    assert not (empty / "stale.txt").exists()

    # A site built before the marker existed (our data files at its root, no marker) is
    # still ours: a web root rebuilt daily is not refused after an upgrade.
    (empty / SITE_MARKER).unlink()
    legacy = run_policyctl("build", "--repo", small_repo.path, "--as-of", "2026-09-03", "--site-dir", empty)
    assert legacy.code == 0, legacy.err
    assert (empty / SITE_MARKER).is_file()

    # A folder that merely has an index.html (someone else's web root) is refused.
    other = tmp_path / "webroot"
    other.mkdir()
    (other / "index.html").write_text("<h1>Shop</h1>")
    (other / "orders-export.csv").write_text("id,email\n1,ann@example.com\n")
    refused = run_policyctl("build", "--repo", small_repo.path, "--as-of", "2026-09-03", "--site-dir", other)
    assert refused.code == 2
    assert "delete it and build again" in refused.err
    assert (other / "orders-export.csv").is_file()


# ------------------------------------------------------------------------ site_url


def test_build_warns_while_site_url_is_the_example_com_placeholder(small_repo, tmp_path):
    config = "site_name: Legal\nsite_url: {url}\ntheme:\n  name: material\nplugins:\n  - search\n  - policy\n"
    small_repo.write("mkdocs.yml", config.format(url="https://example.com/legal/"))
    placeholder = run_policyctl(
        "build", "--repo", small_repo.path, "--as-of", "2026-09-02", "--site-dir", tmp_path / "a"
    )
    assert placeholder.code == 0, placeholder.err
    assert "warning: site_url is https://example.com/legal/, a placeholder" in placeholder.err
    assert "set site_url in mkdocs.yml" in placeholder.err

    small_repo.write("mkdocs.yml", config.format(url="https://shop.test/legal/"))
    real = run_policyctl(
        "build", "--repo", small_repo.path, "--as-of", "2026-09-02", "--site-dir", tmp_path / "b"
    )
    assert real.code == 0, real.err
    assert "site_url" not in real.err


# -------------------------------------------------------------- drafts and symbolic links


def test_the_drafts_preview_reads_no_symbolic_link_under_policy(policy_repo, tmp_path):
    """`serve --drafts` shows uncommitted policy files: only regular files under policy/,
    never what a symbolic link points at (here, a file outside the repository)."""
    policy_repo.publish("policy/privacy.md", policy_file(published="2026-09-01"), "2026-09-01T10:00:00+08:00")
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.md"
    secret.write_text(
        policy_file("Zebra secret outside the repository.\n", title="Outside", published="2026-09-01")
    )
    (policy_repo.path / "policy" / "leak.md").symlink_to(secret)
    (policy_repo.path / "policy" / "privacy.md").unlink()
    (policy_repo.path / "policy" / "privacy.md").symlink_to(secret)  # in place of a committed file
    policy_repo.write(
        "policy/terms.md", policy_file("Uncommitted terms.\n", title="Terms", published="2026-09-02")
    )

    settings = Settings()
    as_of = parse_instant("2026-09-03", settings.zone)
    history = read_history(policy_repo.path, settings, drafts_at=as_of)  # what `serve --drafts` reads
    pages = render_pages(build_model(history, settings, as_of, drafts=True))
    text = "\n".join(page.markdown for page in pages)
    assert "Uncommitted terms." in text  # the preview does show drafts
    assert "Zebra secret" not in text and "Outside" not in text
    assert "leak" not in {d.id for d in history.documents}
    privacy = next(d for d in history.documents if d.id == "privacy")
    assert all("Zebra" not in v.text for v in privacy.versions)


# ------------------------------------------------- Material's inline scripts and the CSP


@pytest.mark.parametrize(
    ("partial", "index", "asset", "replacements"),
    [
        (
            "base.html",
            0,
            "base.js",
            {
                '"{{ config.extra.scope | d(base_url) }}"': 'document.currentScript.getAttribute("data-md-scope")'
            },
        ),
        ("palette.html", 0, "palette.js", {}),
        ("content.html", 0, "tabs.js", {}),
        ("content.html", 1, "content.js", {}),
        (
            "outdated.html",
            0,
            "outdated.js",
            {'"{{ base_url }}"': 'document.currentScript.getAttribute("data-md-base")'},
        ),
        ("consent.html", 0, "consent.js", {}),
    ],
)
def test_the_copies_of_materials_inline_scripts_match_the_installed_material(
    partial, index, asset, replacements
):
    """assets/material-inline/ holds Material's inline scripts as files (for the CSP): a
    Material release that changes one fails here, rather than on a visitor's page."""
    code = re.findall(
        r"<script>(.*?)</script>", (MATERIAL_SCRIPTS / partial).read_text(encoding="utf-8"), re.S
    )[index]
    for old, new in replacements.items():
        assert old in code
        code = code.replace(old, new)
    assert code in (TEMPLATES_DIR / "assets" / "material-inline" / asset).read_text(encoding="utf-8")
    # And the override of the partial loads the file instead.
    override = (TEMPLATES_DIR / "partials" / "javascripts" / partial).read_text(encoding="utf-8")
    assert f"assets/material-inline/{asset}" in override and "<script>" not in override


def test_the_documented_csp_allows_the_one_inline_script_by_its_hash():
    announce = (TEMPLATES_DIR / "partials" / "javascripts" / "announce.html").read_text(encoding="utf-8")
    [code] = re.findall(r"<script>(.*?)</script>", announce, re.S)
    csp = documented_csp("mkdocs")
    assert sha256_source(code) in csp
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    # Every snippet of docs/site.md carries the same policy.
    docs = (ROOT / "docs" / "site.md").read_text(encoding="utf-8")
    assert docs.count(csp) == 4, "the CSP in docs/site.md: the header, _headers, nginx and Caddy"
    # Zensical's: the same, with its search dialog's style element allowed by its hash
    # (test_browser_safety checks that hash in Chromium, run with Zensical).
    zensical = documented_csp("zensical")
    [style_hash] = re.findall(r"style-src 'self' ('sha256-[^']+')", zensical)
    assert zensical == csp.replace("style-src 'self';", f"style-src 'self' {style_hash};")
