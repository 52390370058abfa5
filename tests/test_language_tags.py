"""Any BCP 47 language tag (issue 23, part 3): a site in English, Traditional Chinese of
Taiwan (`zh-Hant-TW`), Serbian in Latin letters (`sr-Latn`) and Arabic (`ar`), built
from a real git history with `privacy.<tag>.md` files. Each language lives under its tag
in lower case, says its whole tag in <html lang>, reads the theme's words of Material's
closest translation, our own words along its tag (never Simplified Chinese for a
Traditional tag: the source language's instead), and Arabic right to left. In Chromium:
no page asks for a sitemap.xml that is not there (Material's language switcher script).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import build_site, serving
from playwright.sync_api import expect
from tests_support import BASE_POLICY, INSERTED_SECTION_REVISION, PolicyRepo, policy_file

from generator.core import tags, urls
from generator.site.words import catalogue_chain, words

PRIVACY = "policy/privacy.md"
TAGS_YML = """\
site_name: Shop
theme:
  name: material
plugins:
  - search
  - policy:
      languages: [en, zh-Hant-TW, sr-Latn, ar]
      site_names:
        zh-Hant-TW: 範例商店
        ar: المتجر
"""

TRANSLATIONS = {
    "zh-Hant-TW": ("隱私權政策", "本政策的前言。"),
    "sr-Latn": ("Politika privatnosti", "Uvodni pasus politike."),
    "ar": ("سياسة الخصوصية", "فقرة تمهيدية للسياسة."),
}


def translated(tag: str) -> str:
    title, intro = TRANSLATIONS[tag]
    return policy_file(BASE_POLICY.replace("Intro paragraph of the policy.", intro), title=title)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tags")
    repo = PolicyRepo.create(root / "repo")
    repo.write("mkdocs.yml", TAGS_YML)
    repo.write(PRIVACY, policy_file(published="2026-09-01"))
    for tag in TRANSLATIONS:
        repo.write(f"policy/privacy.{tag}.md", translated(tag))
    repo.commit("2026-09-01T10:00:00+08:00", "Privacy policy 1.0 in four languages")
    return build_site(repo.path, "2026-09-02", root / "site")


def page(site: Path, url: str) -> str:
    return (site / url / "index.html").read_text(encoding="utf-8")


# ------------------------------------------------------------------ settings


@pytest.mark.parametrize(
    ("languages", "said"),
    [
        ('[en, "ar\\n"]', "languages: 'ar\\n' is not a language tag"),
        (
            "[en, zh-hant-tw]",
            "languages: 'zh-hant-tw' is not written in its canonical case: write 'zh-Hant-TW'",
        ),
        ("[en, tlh]", "languages: 'tlh' is not a language that CLDR (Babel) knows"),
        ("[en, en-ZZ]", "languages: 'en-ZZ' is not a locale that CLDR (Babel) knows"),
        ("[en, de-CH-1996]", "variants are not supported"),
        ("[en, x-klingon]", "languages: 'x-klingon' is not a language tag"),
    ],
)
def test_a_language_that_is_not_a_canonical_known_tag_is_refused(policy_repo, policyctl, languages, said):
    policy_repo.write("mkdocs.yml", f"plugins:\n  - policy:\n      languages: {languages}\n")
    policy_repo.publish(PRIVACY, policy_file(published="2026-09-01"), "2026-09-01T10:00:00+08:00")
    result = policyctl("check", "--repo", policy_repo.path, "--as-of", "2026-09-02")
    assert result.code == 2, result.out + result.err
    assert said in result.err
    assert "Traceback" not in result.err


def test_a_site_name_for_a_language_not_listed_is_refused(policy_repo, policyctl):
    policy_repo.write(
        "mkdocs.yml", "plugins:\n  - policy:\n      languages: [en, zh]\n      site_names: {fr: Boutique}\n"
    )
    policy_repo.publish(PRIVACY, policy_file(published="2026-09-01"), "2026-09-01T10:00:00+08:00")
    result = policyctl("check", "--repo", policy_repo.path, "--as-of", "2026-09-02")
    assert result.code == 2, result.out + result.err
    assert "site_names: 'fr' is not one of languages (en, zh)" in result.err


def test_tags_are_accepted_and_their_urls_are_lower_case():
    for tag in ("zh-Hant-TW", "sr-Latn", "pt-BR", "es-419", "zh-TW", "ar", "fil"):
        assert tags.tag_problem(tag) is None, tag
    assert urls.document("privacy", language="zh-Hant-TW") == "zh-hant-tw/privacy/"
    assert urls.version("privacy", "1.0", language="sr-Latn") == "sr-latn/privacy/versions/1.0/"


def test_our_words_fall_back_along_the_tag_never_to_another_script():
    assert catalogue_chain("zh-Hant-TW", "en") == ("en",)  # no Traditional catalogue: the source's
    assert catalogue_chain("zh-Hant-TW", "zh") == ("zh",)  # the source language's, whatever it is
    assert catalogue_chain("zh-CN") == ("zh",) and catalogue_chain("zh-Hans-SG") == ("zh",)
    assert tags.fallbacks("zh-Hant-TW") == ("zh-Hant-TW", "zh-Hant", "zh-TW")
    assert tags.fallbacks("pt-BR") == ("pt-BR", "pt")
    assert tags.fallbacks("sr-Latn") == ("sr-Latn",)  # `sr` alone is Cyrillic
    assert words("zh-Hant-TW", "en")["home"] == "Home"
    assert words("zh-TW", "en")["home"] == "Home"


def test_materials_closest_translation():
    available = frozenset({"en", "zh", "zh-Hant", "zh-TW", "sr", "sh", "pt", "pt-BR", "ar"})
    assert tags.closest("zh-Hant-TW", available) == "zh-Hant"
    assert tags.closest("zh-HK", available) == "zh-Hant"
    assert tags.closest("zh-Hans-CN", available) == "zh"
    assert tags.closest("sr-Latn", available) == "sh"
    assert tags.closest("sr", available) == "sr"
    assert tags.closest("pt-PT", available) == "pt"
    assert tags.closest("ar-EG", available) == "ar"
    assert tags.closest("ja", available) is None


# ------------------------------------------------------------------ the built site


def test_each_language_lives_under_its_tag_in_lower_case(site):
    for folder in ("zh-hant-tw", "sr-latn", "ar"):
        assert (site / folder / "privacy" / "index.html").is_file(), folder
        assert (site / folder / "notices.json").is_file(), folder
    assert not (site / "zh-Hant-TW").exists()


def test_html_lang_is_the_whole_tag_and_the_theme_words_the_closest_translation(site):
    traditional = page(site, "zh-hant-tw/privacy")
    assert '<html lang="zh-Hant-TW"' in traditional
    assert "隱私權政策" in traditional and "本政策的前言。" in traditional
    assert "跳轉至" in traditional  # Material's Traditional Chinese (zh-Hant) "skip to content"
    assert "跳转至" not in traditional  # not its Simplified one
    # No Traditional catalogue of our own: the source language's words, not Simplified.
    assert "In force" in traditional and "现行有效" not in traditional
    serbian = page(site, "sr-latn/privacy")
    assert '<html lang="sr-Latn"' in serbian
    assert "Idi na tekst" in serbian and "Иди на текст" not in serbian  # Latin, not Cyrillic
    assert '<html lang="en"' in page(site, "privacy")


def test_arabic_pages_are_right_to_left_and_the_others_left_to_right(site):
    arabic = page(site, "ar/privacy")
    assert '<html lang="ar"' in arabic
    assert re.search(r'<body dir="rtl"', arabic)
    for url in ("privacy", "zh-hant-tw/privacy", "sr-latn/privacy"):
        assert re.search(r'<body dir="ltr"', page(site, url)), url


def test_the_switcher_names_each_language_in_itself_and_each_site_its_name(site):
    english = page(site, "privacy")
    names = re.findall(r'hreflang="([^"]+)" class="md-select__link">\s*([^<]*?)\s*</a>', english)
    assert names == [
        ("en", "English"),
        ("zh-Hant-TW", "中文 (繁體, 台灣)"),
        ("sr-Latn", "Srpski (latinica)"),
        ("ar", "العربية"),
    ]
    assert "<title>範例商店</title>" in page(site, "zh-hant-tw")
    assert "<title>المتجر</title>" in page(site, "ar")
    assert "<title>Shop</title>" in page(site, "sr-latn")
    assert "<title>Shop</title>" in page(site, "")


# ------------------------------------------------------------------ in Chromium


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    with serving(site) as served:
        yield served.url


def test_no_page_asks_for_a_sitemap_that_is_not_there(visitor, server):
    """Material's switcher script fetches `sitemap.xml` beside every `<link rel=alternate>`:
    beside the hreflang links of a page, that was `<page>/sitemap.xml`, a 404 on every page."""
    failed: list[str] = []
    sitemaps: list[str] = []
    visitor.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    visitor.on("request", lambda r: sitemaps.append(r.url) if r.url.endswith("sitemap.xml") else None)
    for url in ("privacy/", "zh-hant-tw/privacy/", "ar/privacy/versions/1.0/", "sr-latn/"):
        visitor.goto(server + url)
        visitor.wait_for_load_state("networkidle")
    assert failed == []
    assert all(
        u in (server + "sitemap.xml", *(f"{server}{p}/sitemap.xml" for p in ("zh-hant-tw", "sr-latn", "ar")))
        for u in sitemaps
    ), sitemaps


# ------------------------------------------------------------------ notice.js on a shop page

CHINESE_YML = TAGS_YML.replace("[en, zh-Hant-TW, sr-Latn, ar]", "[en, zh, zh-Hant-TW]").replace(
    "        ar: المتجر\n", ""
)
CHINESE = {"zh": "隐私政策", "zh-Hant-TW": "隱私權政策"}
SHOP = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>Shop</title></head>
<body><main><h1>Shop</h1></main><script src="{notice_js}"></script></body></html>
"""


@pytest.fixture(scope="module")
def chinese_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """English, Simplified and Traditional Chinese; 2.0 pending (in force from 16 October)."""
    root = tmp_path_factory.mktemp("chinese")
    repo = PolicyRepo.create(root / "repo")
    repo.write("mkdocs.yml", CHINESE_YML)
    repo.write(PRIVACY, policy_file(published="2026-09-01"))
    for tag, title in CHINESE.items():
        repo.write(f"policy/privacy.{tag}.md", policy_file(title=title))
    repo.commit("2026-09-01T10:00:00+08:00", "Privacy policy 1.0")
    revision = INSERTED_SECTION_REVISION
    repo.write(PRIVACY, policy_file(revision, version="2.0", published="2026-09-30", summary="Sharing."))
    for tag, title in CHINESE.items():
        repo.write(
            f"policy/privacy.{tag}.md", policy_file(revision, version="2.0", title=title, summary="共享。")
        )
    repo.commit("2026-09-30T10:00:00+08:00", "Privacy policy 2.0")
    with serving(build_site(repo.path, "2026-10-08", root / "site")) as served:
        yield served.url


@pytest.mark.parametrize(
    ("page_lang", "title"),
    [
        ("zh-TW", "隱私權政策"),
        ("zh-HK", "隱私權政策"),
        ("zh-Hant", "隱私權政策"),
        ("zh-CN", "隐私政策"),
        ("zh", "隐私政策"),
    ],
)
def test_notice_js_reads_the_chinese_of_the_pages_script_never_the_other(
    visitor, chinese_site, tmp_path, page_lang, title
):
    shop = tmp_path / "shop"
    shop.mkdir()
    (shop / "index.html").write_text(
        SHOP.format(lang=page_lang, notice_js=chinese_site + "notice.js"), "utf-8"
    )
    with serving(shop) as served:
        visitor.goto(served.url)
        dialog = visitor.get_by_role("dialog")
        expect(dialog).to_contain_text(title)
        other = "隐私政策" if title == "隱私權政策" else "隱私權政策"
        expect(dialog).not_to_contain_text(other)
