"""A version on paper and as PDF: what it is (document, version, effective dates), its
permanent address, the address of each link, and no blank page after a short text.

One site for the module, built with `pdf: true` and a `site_url` (the permanent
addresses), so that headless Chromium prints a PDF of each version at build time: the
Privacy Policy 1.0 (superseded), 2.0 (in force since 16 October 2026) and 3.0
(published 20 November 2026, pending), seen on 23 November 2026. A visitor who prints a
page has what it says that day on paper; the PDF of a version holds only what is fixed at
its publication (tests/test_pdf_immutable.py).
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pypdf
import pytest
from browser_support import build_site, new_visitor, serving
from playwright.sync_api import Browser, Page, expect
from tests_support import PolicyRepo, policy_file

SITE_URL = "https://legal.shop.example/"
V1 = """\
Questions: see the [contact section](#contact) or our [help centre](https://help.shop.example/privacy).

## I. Scope of Application {#scope}

This policy applies to the *Website*.

## II. Contact {#contact}

Write to privacy@example.com.
"""
V2 = V1.replace("to the *Website*.", "to the *Website* and to our [app](../../../app/).")
V3 = V2.replace("privacy@example.com", "dpo@example.com")
MKDOCS_YML = f"""\
site_name: Shop legal
site_url: {SITE_URL}
theme:
  name: material
  features: [announce.dismiss, navigation.footer]
plugins:
  - search
  - policy:
      country: CN
      timezone: Asia/Shanghai
      pdf: true
"""


def make_repo(path: Path, mkdocs_yml: str = MKDOCS_YML) -> PolicyRepo:
    repo = PolicyRepo.create(path)
    repo.write("mkdocs.yml", mkdocs_yml)
    repo.publish("policy/privacy.md", policy_file(V1, published="2026-09-01"), "2026-09-01T10:00:00+08:00")
    repo.publish(
        "policy/privacy.md",
        policy_file(V2, version="2.0", published="2026-09-30", summary="Our app too."),
        "2026-09-30T10:00:00+08:00",
    )
    repo.publish(
        "policy/privacy.md",
        policy_file(
            V3, version="3.0", published="2026-11-20", summary="A new address for privacy questions."
        ),
        "2026-11-20T10:00:00+08:00",
    )
    return repo


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("print")
    return build_site(make_repo(work / "repo").path, "2026-11-23", work / "site")


@pytest.fixture(scope="module")
def site(built: Path) -> Iterator[str]:
    with serving(built) as server:
        yield server.url


@pytest.fixture
def visitor(browser: Browser) -> Iterator[Page]:
    context = new_visitor(browser)
    yield context.new_page()
    context.close()


def pdf_pages(data: bytes) -> list[str]:
    """The text of each page of a PDF, its lines' white space made single spaces."""
    return [" ".join(page.extract_text().split()) for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def test_a_printed_version_says_what_it_is_where_it_lives_and_where_its_links_go(visitor: Page, site: str):
    visitor.goto(site + "privacy/versions/2.0/")
    expect(visitor.locator(".policy-banner")).to_be_visible()  # 3.0 is pending: on screen only
    pages = pdf_pages(visitor.pdf(format="A4"))
    text = " ".join(pages)
    assert len(pages) == 1, f"a short version printed on {len(pages)} pages: {pages}"
    assert text.startswith("Privacy Policy, version 2.0")
    for fact in ("Version 2.0", "Published 30 September 2026", "Effective 16 October 2026"):
        assert fact.split()[0].upper() in text and fact.split(" ", 1)[1] in text, fact
    assert f"Permanent address of version 2.0: {SITE_URL}privacy/versions/2.0/" in text
    assert "help centre <https://help.shop.example/privacy>" in text
    assert f"app <{SITE_URL}app/>" in text  # a relative link, from the permanent address
    assert "contact section <" not in text  # a link within the page leads nowhere else
    assert "Policy update" not in text and "Download" not in text and "Skip to content" not in text


def test_the_printed_document_page_gives_the_permanent_address_of_the_version_in_force(
    visitor: Page, site: str
):
    visitor.goto(site + "privacy/")
    text = " ".join(pdf_pages(visitor.pdf(format="A4")))
    assert text.startswith("Privacy Policy")
    assert f"Permanent address of version 2.0: {SITE_URL}privacy/versions/2.0/" in text
    # The callout about the pending revision is on paper too, with its links' addresses.
    assert f"Read version 3.0 <{SITE_URL}privacy/versions/3.0/>" in text


def test_each_version_has_a_pdf_linked_from_its_page_and_listed_in_versions_json_with_its_sha256(
    visitor: Page, site: str, built: Path
):
    versions = json.loads((built / "versions.json").read_text())["documents"][0]["versions"]
    assert [v["version"] for v in versions] == ["1.0", "2.0", "3.0"]
    for v in versions:
        name = f"privacy-{v['version']}.pdf"
        assert v["pdf"]["url"] == f"{SITE_URL}privacy/versions/{v['version']}/{name}"
        data = (built / "privacy" / "versions" / v["version"] / name).read_bytes()
        assert v["pdf"]["sha256"] == hashlib.sha256(data).hexdigest()
        pages = pdf_pages(data)
        assert pages[0].startswith(f"Privacy Policy, version {v['version']}")
        assert f"Permanent address of version {v['version']}: {v['url']}" in " ".join(pages)
        assert len(pages) == 1, f"{name}: {len(pages)} pages for a short text"
        # Only what is fixed at publication: the PDF never changes (test_pdf_immutable.py).
        words = " ".join(pages).lower()
        assert not [w for w in ("supersed", "in force", "pending", "effective") if w in words], pages

    visitor.goto(site + "privacy/versions/2.0/")
    link = visitor.get_by_role("link", name="Download version 2.0 as PDF")
    expect(link).to_have_attribute("href", "privacy-2.0.pdf")
    response = visitor.request.get(site + "privacy/versions/2.0/privacy-2.0.pdf")
    assert response.ok and response.body().startswith(b"%PDF-")
    assert hashlib.sha256(response.body()).hexdigest() == versions[1]["pdf"]["sha256"]


def test_pdf_true_without_chromium_is_refused_before_anything_is_built(policyctl, tmp_path, monkeypatch):
    repo = make_repo(tmp_path / "repo")
    site = tmp_path / "site"
    monkeypatch.setenv("POLICYCTL_CHROMIUM", str(tmp_path / "no-chromium-here"))
    result = policyctl("build", "--repo", repo.path, "--as-of", "2026-11-23", "--site-dir", site)
    assert result.code == 2
    assert "Traceback" not in result.err
    assert "pdf: true needs Chromium to print each version's PDF" in result.err
    assert str(repo.path / "mkdocs.yml") in result.err
    assert "apt-get install chromium" in result.err and "pdf: false" in result.err
    assert not site.exists()


def test_a_default_build_needs_no_chromium_and_offers_no_pdf(policyctl, tmp_path, monkeypatch):
    repo = make_repo(tmp_path / "repo", MKDOCS_YML.replace("      pdf: true\n", ""))
    monkeypatch.setenv("POLICYCTL_CHROMIUM", str(tmp_path / "no-chromium-here"))
    site = tmp_path / "site"
    result = policyctl("build", "--repo", repo.path, "--as-of", "2026-11-23", "--site-dir", site)
    assert result.code == 0, result.out + result.err
    versions = json.loads((site / "versions.json").read_text())["documents"][0]["versions"]
    assert not any("pdf" in v for v in versions)
    assert not list(site.rglob("*.pdf"))
    assert "as PDF" not in (site / "privacy/versions/2.0/index.html").read_text()


def test_a_language_no_installed_font_can_print_is_named_before_its_pdfs_are_made(policyctl, tmp_path):
    """Chromium prints characters no font covers as empty boxes: the build says which
    language, and what to install. (Tibetan: no font on this machine covers it; English,
    the source, is covered.)"""
    repo = PolicyRepo.create(tmp_path / "repo")
    repo.write(
        "mkdocs.yml", MKDOCS_YML.replace("      pdf: true\n", "      pdf: true\n      languages: [en, bo]\n")
    )
    repo.write("policy/privacy.md", policy_file(V1, published="2026-09-01"))
    repo.write("policy/privacy.bo.md", policy_file(V1, title="གསང་བའི་སྲིད་ཇུས།"))
    repo.commit("2026-09-01T10:00:00+08:00")
    site = tmp_path / "site"
    result = policyctl("build", "--repo", repo.path, "--as-of", "2026-09-02", "--site-dir", site)
    assert result.code == 0, result.out + result.err
    assert "warning: pdf: true: no installed font has the characters of bo" in result.err
    assert "apt-get install fonts-noto-cjk" in result.err
    assert "characters of en" not in result.err
    assert (site / "bo" / "privacy" / "versions" / "1.0").is_dir()
