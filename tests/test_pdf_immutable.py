"""A version's PDF never changes bytes (issue 18: the publication log records its sha256).

The Privacy Policy of test_print.py: 2.0 published 30 September 2026, in force from
16 October, superseded on 2 December by 3.0 (published 20 November). Its PDF is built
while it is pending (1 October), once in force, on the day 3.0 is published (20 November: the banner announces 3.0;
a build must see each version on its publication day) and once superseded (5 December): in one site folder, rebuilt in place as `policyctl build` does every day,
the PDF is the previous build's, byte for byte; in three fresh folders it is printed
three times, from a copy of the page that holds only what is fixed at publication
(`generator.site.pdf.print_copy`), and Chromium prints that copy to the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from browser_support import build_site
from test_print import SITE_URL, make_repo, pdf_pages

from generator.core.errors import PolicyError
from generator.site.pdf import _reuse, print_copy
from generator.site.printer import Printed, Printer

PENDING, IN_FORCE, SUPERSEDED = "2026-10-01", "2026-11-20T12:00:00+08:00", "2026-12-05"
INSTANTS = (PENDING, IN_FORCE, SUPERSEDED)
PDF_2 = Path("privacy/versions/2.0/privacy-2.0.pdf")
PERMANENT_2 = f"{SITE_URL}privacy/versions/2.0/"


class Counted:
    """Writes down each page the build's Chromium prints (generator.site.printer.Printer)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.pages: list[str] = []
        print_page = Printer.print_page

        def counted(printer: Printer, path: str, html: str) -> Printed:
            self.pages.append(path)
            return print_page(printer, path, html)

        monkeypatch.setattr(Printer, "print_page", counted)

    def printed(self) -> list[str]:
        """The versions printed since the last call (their folders' names)."""
        pages, self.pages = self.pages, []
        return sorted(re.sub(r".*/versions/([^/]+)/$", r"\1", page) for page in pages)


def listed_sha256(site: Path, version: str) -> str:
    versions = json.loads((site / "versions.json").read_text())["documents"][0]["versions"]
    return next(v["pdf"]["sha256"] for v in versions if v["version"] == version)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_repo(tmp_path_factory.mktemp("immutable") / "repo").path


def test_a_version_pdf_keeps_its_bytes_from_pending_to_in_force_to_superseded(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    chromium = Counted(monkeypatch)
    site = tmp_path / "site"

    build_site(repo, PENDING, site)
    assert chromium.printed() == ["1.0", "2.0"]
    first = (site / PDF_2).read_bytes()
    assert listed_sha256(site, "2.0") == hashlib.sha256(first).hexdigest()

    build_site(repo, IN_FORCE, site)
    assert chromium.printed() == ["3.0"]  # only the new version: the others are the previous build's
    assert (site / PDF_2).read_bytes() == first
    assert listed_sha256(site, "2.0") == hashlib.sha256(first).hexdigest()

    build_site(repo, SUPERSEDED, site)
    assert chromium.printed() == []
    assert (site / PDF_2).read_bytes() == first
    assert listed_sha256(site, "2.0") == hashlib.sha256(first).hexdigest()

    # A PDF that is not the one the previous build listed (damaged, replaced) is printed
    # again; the others are still kept.
    damaged = site / "privacy/versions/1.0/privacy-1.0.pdf"
    original = damaged.read_bytes()
    damaged.write_bytes(original.replace(b"%%EOF", b"%%EOX"))
    build_site(repo, SUPERSEDED, site)
    assert chromium.printed() == ["1.0"]
    assert damaged.read_bytes() == original
    assert (site / PDF_2).read_bytes() == first


def test_a_version_pdf_printed_at_each_instant_is_the_same_and_says_only_what_is_fixed(
    repo: Path, tmp_path: Path
):
    """Fresh folders, nothing to reuse: Chromium prints the copy of 2.0's page three
    times, while the page says pending, in force, then superseded."""
    sites = {when: build_site(repo, when, tmp_path / f"site-{n}") for n, when in enumerate(INSTANTS)}
    # The pages say what 2.0 is at each instant ...
    pages = {when: (site / PDF_2.parent / "index.html").read_text() for when, site in sites.items()}
    assert "Pending: takes effect later" in pages[PENDING]
    assert "In force" in pages[IN_FORCE] and "Policy update" in pages[IN_FORCE]  # the banner
    assert "This version has been superseded" in pages[SUPERSEDED] and "In force until" in pages[SUPERSEDED]
    # ... and its PDF is the same each time.
    printed = {when: (site / PDF_2).read_bytes() for when, site in sites.items()}
    assert printed[IN_FORCE] == printed[PENDING]
    assert printed[SUPERSEDED] == printed[PENDING]
    for site in sites.values():
        assert listed_sha256(site, "2.0") == hashlib.sha256(printed[PENDING]).hexdigest()

    data = printed[PENDING]
    pages = pdf_pages(data)
    text = " ".join(pages)
    assert len(pages) == 1
    assert text.startswith("Privacy Policy, version 2.0 VERSION 2.0 PUBLISHED 30 September 2026")
    assert f"Permanent address of version 2.0: {PERMANENT_2}" in text
    assert f"app <{SITE_URL}app/>" in text  # the text whole, its links' addresses on paper
    assert "help centre <https://help.shop.example/privacy>" in text
    for word in ("supersed", "in force", "pending", "effective", "until", "status", "takes effect"):
        assert word not in text.lower(), word
    for date in ("16 October 2026", "2 December 2026"):  # effective and until dates
        assert date not in text
    # Its links lead to the permanent addresses, never into the folder it was printed in.
    assert b"file:" not in data
    assert re.findall(rb"/URI \(([^)]*)\)", data) == [
        PERMANENT_2.encode(),
        b"https://help.shop.example/privacy",
        f"{SITE_URL}app/".encode(),
    ]
    assert not list(sites[PENDING].rglob(".policy-print.html"))


PAGE = """<!doctype html>
<html lang="en" class="no-js"><head>
<link rel="canonical" href="https://legal.example/privacy/versions/2.0/">
<link rel="preconnect" href="https://fonts.gstatic.com" crossorigin>
<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">
<link rel="stylesheet" href="../../../assets/policy.css">
<script src="../../../assets/material-inline/base.js"></script>
<title>Privacy Policy, version 2.0 - Legal</title></head>
<body><div data-md-component="announce"><aside class="md-banner">Policy update: 3.0</aside></div>
<header class="md-header" data-md-component="header">Shop legal</header>
<main><div class="md-sidebar" data-md-component="sidebar"><a href="../../../updates/">Updates</a></div>
<p class="policy-draft-ribbon">Draft</p>
<div class="md-content"><article class="md-content__inner md-typeset">
<h1 id="t">Privacy Policy &amp; more, version 2.0<a class="headerlink" href="#t">¶</a></h1>
<div class="policy-header"><dl class="policy-header__facts"><div><dt>Status</dt><dd>Superseded</dd></div></dl>\
<p class="policy-header__links policy-screen-only"><a href="../">All versions</a></p>\
<dl class="policy-header__facts policy-header__facts--fixed policy-fixed"><div><dt>Version</dt><dd>2.0</dd></div></dl>\
<p class="policy-print-only policy-fixed">Permanent address: <a class="policy-permalink" href="./">https://legal.example/privacy/versions/2.0/</a></p></div>
<div class="admonition note policy-superseded"><p>It applied until 2 December. <a href="../3.0/">Version 3.0</a></p></div>
<div class="admonition note policy-never-in-force"><p>It never took effect.</p></div>
<div class="policy-text-start"></div>
<p>See <a href="#contact">contact</a>, our <a href="../../../app/">app</a>, \
<a href="https://help.example/">https://help.example/</a> and <a href="mailto:dpo@example.com">our DPO</a>.</p>
<div class="policy-header"><p class="policy-varies">Kept: the policy's own text.</p></div>
<div class="admonition note"><p>A note of the policy's own.</p></div>
<div class="policy-text-start"></div><h1>Kept too</h1>
</article></div></main>
<footer class="md-footer"><div class="policy-footer-link"><a href="../../../updates/">Policy updates</a></div></footer>
<script src="../../../assets/policy.js"></script>
</body></html>
"""


def test_the_printed_copy_keeps_the_fixed_facts_and_the_text_and_nothing_else():
    copy = print_copy(PAGE, "https://legal.example/privacy/versions/2.0/")
    for gone in (
        "Superseded", "All versions", "It applied until", "never took effect", "Policy update",
        "Shop legal", "Updates", "Draft", "Policy updates", "<script", "fonts.g",
    ):  # fmt: skip
        assert gone not in copy, gone
    for kept in (
        '<link rel="canonical" href="https://legal.example/privacy/versions/2.0/">',
        '<link rel="stylesheet" href="../../../assets/policy.css">',
        "<title>Privacy Policy, version 2.0 - Legal</title>",
        '<h1 id="t">Privacy Policy &amp; more, version 2.0<a class="headerlink" href="#t">¶</a></h1>',
        "<dt>Version</dt><dd>2.0</dd>",
        '<p class="policy-print-only policy-fixed">Permanent address: <a class="policy-permalink" '
        'href="https://legal.example/privacy/versions/2.0/">https://legal.example/privacy/versions/2.0/</a></p>',
        # The policy text whole, whatever classes it gives itself; its links to the site
        # at their permanent address, each link's address for paper as policy.js writes it.
        '<a href="#contact">contact</a>',
        '<a href="https://legal.example/app/" data-print-address="https://legal.example/app/">app</a>',
        '<a href="https://help.example/">https://help.example/</a>',
        '<a href="mailto:dpo@example.com" data-print-address="dpo@example.com">our DPO</a>',
        '<p class="policy-varies">Kept: the policy\'s own text.</p>',
        "A note of the policy's own.",
        "<h1>Kept too</h1>",
    ):
        assert kept in copy, kept


def test_without_a_site_url_the_printed_copy_links_nowhere_into_the_site():
    copy = print_copy(
        PAGE.replace('<link rel="canonical" href="https://legal.example/privacy/versions/2.0/">', ""), None
    )
    assert '<a class="policy-permalink">https://legal.example/privacy/versions/2.0/</a>' in copy
    assert "<a>app</a>" in copy
    assert '<a href="mailto:dpo@example.com" data-print-address="dpo@example.com">our DPO</a>' in copy


def test_a_version_page_without_the_start_of_its_text_is_not_printed():
    with pytest.raises(PolicyError, match="policy-text-start"):
        print_copy(PAGE.replace("policy-text-start", "policy-text"), None)


def test_a_pdf_printed_from_the_live_page_by_an_earlier_release_is_printed_again(tmp_path: Path):
    """Earlier releases printed the live page (status, callouts): its permanent address's
    link led into the build folder. Such a PDF is not kept; one printed from the copy is."""
    old = b"%PDF-1.4\n<</Type /Annot /A <</S /URI /URI (file:///srv/.site.build-x/site/a/)>>>>\n%%EOF\n"
    new = old.replace(b"file:///srv/.site.build-x/site/", b"https://legal.example/")
    for data, kept in ((old, False), (new, True)):
        (tmp_path / "a.pdf").write_bytes(data)
        assert (_reuse(tmp_path, "a.pdf", hashlib.sha256(data).hexdigest()) == data) is kept
        assert _reuse(tmp_path, "a.pdf", hashlib.sha256(b"other").hexdigest()) is None
    assert _reuse(tmp_path, "b.pdf", hashlib.sha256(new).hexdigest()) is None


def test_the_public_record_holds_each_pdf_and_a_swapped_pdf_is_named(repo: Path, tmp_path: Path, policyctl):
    """The log lists each version's pdf_sha256 when it first appears; `verify` checks the
    PDFs against it. An operator who swaps a PDF and fixes up versions.json to match
    (so the next build keeps the swapped file) is warned by that build and named by
    `verify`."""
    site = tmp_path / "site"
    build_site(repo, PENDING, site)
    build_site(repo, IN_FORCE, site)
    lines = [json.loads(line) for line in (site / "publication-log.jsonl").read_text().splitlines()]
    logged = {line["version"]: line["pdf_sha256"] for line in lines if line["kind"] == "version"}
    assert logged["2.0"] == hashlib.sha256((site / PDF_2).read_bytes()).hexdigest()
    assert set(logged) == {"1.0", "2.0", "3.0"}
    assert policyctl("verify", site).code == 0

    swapped = (site / PDF_2).read_bytes().replace(b"%%EOF", b"%%EOX")
    (site / PDF_2).write_bytes(swapped)
    data = json.loads((site / "versions.json").read_text())
    for entry in data["documents"][0]["versions"]:
        if entry["version"] == "2.0":
            entry["pdf"]["sha256"] = hashlib.sha256(swapped).hexdigest()
    (site / "versions.json").write_text(json.dumps(data))

    rebuilt = policyctl("build", "--repo", repo, "--as-of", SUPERSEDED, "--site-dir", site)
    assert rebuilt.code == 0, rebuilt.out + rebuilt.err
    assert "privacy version 2.0 (en): its PDF now has sha256" in rebuilt.err
    assert logged["2.0"] in rebuilt.err
    checked = policyctl("verify", site)
    assert checked.code == 1
    assert (
        f"privacy/versions/2.0/privacy-2.0.pdf has sha256 {hashlib.sha256(swapped).hexdigest()}"
        in checked.out
    )
    assert "the published PDF was changed" in checked.out
