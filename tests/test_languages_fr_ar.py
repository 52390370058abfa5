"""A language is one catalogue plus Material's own strings (issue 23, item 2): a site in
English, Chinese, French, Arabic and German, built from a real git history whose
translations arrive at different times, one of them mid-window. French and Arabic are
catalogues we ship; German is the operator's own, added with nothing but
`locale/de/LC_MESSAGES/site.po` and `policy/privacy.de.md` (no code), and the operator
rewords one French entry in `locale/fr/LC_MESSAGES/site.po`.

History: 1.0 in English, Chinese, Arabic and German, published 1 September 2026; 2.0 (a
core-rights revision: the "Sharing" section) in the same four, published 30 September
(in force from 16 October); the first French file, the text of 2.0, arrives on
5 October, during the window. Built on 8 October, in the window. Each page is in its
language and direction; in Chromium, Arabic pages, their pop-up and notice.js on an
Arabic shop page are right to left, with no serious axe finding.
"""

from __future__ import annotations

import html as html_lib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from browser_support import build_site, serving, shop_page
from playwright.sync_api import Page, expect
from test_accessibility import axe_findings
from test_translations import EN_V1, EN_V2, PRIVACY, PRIVACY_ZH, ZH_V1, ZH_V2
from tests_support import PolicyRepo, policy_file

from generator.site.catalogues import template

MKDOCS_YML = """\
site_name: Shop
theme:
  name: material
  features: [announce.dismiss]
plugins:
  - search
  - policy:
      languages: [en, zh, fr, ar, de]
      site_names:
        ar: المتجر
"""

FR_POLICY = """\
Paragraphe d’introduction de la politique.

## I. Champ d’application {#scope}

La présente politique s’applique au site.

## II. Collecte des informations personnelles {#collection .core-rights}

Nous collectons votre nom et votre adresse électronique.

### (I) Informations que vous fournissez {#information-you-provide}

1. Données du compte : nom, adresse électronique.
2. Données de commande : adresse.

## III. Contact {#contact}

Écrivez à privacy@example.com.
"""
FR_REVISION = FR_POLICY.replace(
    "## III. Contact {#contact}",
    "## III. Partage {#sharing .core-rights}\n\nNous partageons votre adresse avec le transporteur.\n\n"
    "## IV. Contact {#contact}",
).replace(
    "votre nom et votre adresse électronique", "votre nom, votre adresse électronique et votre téléphone"
)

AR_POLICY = """\
فقرة تمهيدية للسياسة.

## أولًا: نطاق التطبيق {#scope}

تنطبق هذه السياسة على الموقع.

## ثانيًا: جمع المعلومات الشخصية {#collection .core-rights}

نجمع اسمك وعنوان بريدك الإلكتروني.

### (أ) المعلومات التي تقدمها {#information-you-provide}

1. بيانات الحساب: الاسم، البريد الإلكتروني.
2. بيانات الطلب: العنوان.

## ثالثًا: التواصل معنا {#contact}

راسلنا على privacy@example.com.
"""
AR_REVISION = AR_POLICY.replace(
    "## ثالثًا: التواصل معنا {#contact}",
    "## ثالثًا: المشاركة {#sharing .core-rights}\n\nنشارك عنوانك مع شركة الشحن.\n\n## رابعًا: التواصل معنا {#contact}",
).replace("اسمك وعنوان بريدك الإلكتروني", "اسمك وعنوان بريدك الإلكتروني ورقم هاتفك")

DE_POLICY = """\
Einleitender Absatz der Richtlinie.

## I. Geltungsbereich {#scope}

Diese Richtlinie gilt für die Website.

## II. Erhebung personenbezogener Daten {#collection .core-rights}

Wir erheben Ihren Namen und Ihre E-Mail-Adresse.

### (I) Von Ihnen bereitgestellte Daten {#information-you-provide}

1. Kontodaten: Name, E-Mail.
2. Bestelldaten: Adresse.

## III. Kontakt {#contact}

Schreiben Sie an privacy@example.com.
"""
DE_REVISION = DE_POLICY.replace(
    "## III. Kontakt {#contact}",
    "## III. Weitergabe {#sharing .core-rights}\n\nWir geben Ihre Adresse an den Paketdienst weiter.\n\n"
    "## IV. Kontakt {#contact}",
).replace("Ihren Namen und Ihre E-Mail-Adresse", "Ihren Namen, Ihre E-Mail-Adresse und Ihre Telefonnummer")

GERMAN_CATALOGUE = Path(__file__).resolve().parent / "data" / "site.de.po"
"""The operator's German catalogue, translated from site_templates/locale/site.pot."""


def operator_po(entries: dict[str, str], language: str) -> str:
    """A catalogue as an operator writes it from site.pot: msgctxt, the English msgid, the
    translation."""
    english = template().words
    lines = [
        "# The shop's own words for the policy site.",
        'msgid ""',
        'msgstr ""',
        f'"Language: {language}\\n"',
        '"Content-Type: text/plain; charset=UTF-8\\n"',
        "",
    ]
    for key, said in entries.items():
        lines += [
            f'msgctxt "{key}"',
            f"msgid {json.dumps(english[key], ensure_ascii=False)}",
            f'msgstr "{said}"',
            "",
        ]
    return "\n".join(lines)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fr-ar")
    repo = PolicyRepo.create(root / "repo")
    repo.write("mkdocs.yml", MKDOCS_YML)
    repo.write("locale/de/LC_MESSAGES/site.po", GERMAN_CATALOGUE.read_text(encoding="utf-8"))
    repo.write(
        "locale/fr/LC_MESSAGES/site.po", operator_po({"see_what_changes": "Voir les changements"}, "fr")
    )
    repo.write(PRIVACY, EN_V1)
    repo.write(PRIVACY_ZH, ZH_V1)
    repo.write("policy/privacy.ar.md", policy_file(AR_POLICY, title="سياسة الخصوصية"))
    repo.write("policy/privacy.de.md", policy_file(DE_POLICY, title="Datenschutzrichtlinie"))
    repo.commit("2026-09-01T10:00:00+08:00", "Privacy policy 1.0 in four languages")
    repo.write(PRIVACY, EN_V2)
    repo.write(PRIVACY_ZH, ZH_V2)
    repo.write(
        "policy/privacy.ar.md",
        policy_file(
            AR_REVISION, version="2.0", title="سياسة الخصوصية", summary="نشارك الآن عنوانك مع شركة الشحن."
        ),
    )
    repo.write(
        "policy/privacy.de.md",
        policy_file(
            DE_REVISION,
            version="2.0",
            title="Datenschutzrichtlinie",
            summary="Wir geben Ihre Adresse jetzt an den Paketdienst weiter.",
        ),
    )
    repo.commit("2026-09-30T10:00:00+08:00", "Privacy policy 2.0 in four languages")
    repo.write(
        "policy/privacy.fr.md",
        policy_file(
            FR_REVISION,
            version="2.0",
            title="Politique de confidentialité",
            summary="Nous partageons désormais votre adresse avec le transporteur.",
        ),
    )
    repo.commit("2026-10-05T10:00:00+08:00", "The French translation of 2.0, mid-window")
    return build_site(repo.path, "2026-10-08", root / "site")


def html(site: Path, url: str) -> str:
    return (site / url / "index.html").read_text(encoding="utf-8")


def text_of(markup: str) -> str:
    """The words a visitor reads, every space (no-break ones too) one space."""
    markup = re.sub(r"<script.*?</script>", " ", markup, flags=re.S)
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def article(markup: str) -> str:
    found = re.search(r'<article class="md-content__inner md-typeset">(.*?)</article>', markup, re.S)
    assert found, "no article"
    return found.group(1)


def banner_of(markup: str) -> str:
    found = re.search(r'<div class="policy-banner".*?</button>', markup, re.S)
    assert found, "no banner"
    return text_of(found.group(0))


ENGLISH_WORDS = (
    "In force",
    "Pending",
    "All versions",
    "See what changes",
    "Policy update",
    "takes effect",
    "If you do not agree",
    "how to object",
    "October",
    "core rights",
)
"""Words of the site in English, none of which a French or Arabic page says."""


# ------------------------------------------------------------------ French


def test_the_french_policy_page_says_in_french_that_the_text_in_force_is_english(site):
    """The first French file is 2.0's, which arrived during its window: the page shows
    1.0, in force, in English, with the reason in French, and 2.0 as pending."""
    page = html(site, "fr/privacy")
    assert '<html lang="fr"' in page and re.search(r'<body dir="ltr"', page)
    words = text_of(article(page))
    assert (
        "La version 1.0 n’a pas de texte en français. Le texte en anglais ci-dessous est celui qui s’applique."
        in words
    )
    assert re.search(r'<div class="policy-untranslated-text" lang="en">', page)
    assert "We collect your name and email address." in words  # 1.0's English text
    assert "Une version révisée prend effet le 16 octobre 2026" in words
    assert "La version 2.0 a été publiée le 30 septembre 2026." in words
    assert "Statut En vigueur" in words and "Date d’effet 1 septembre 2026" in words
    sentence = (
        "Si vous n’êtes pas d’accord, opposez-vous avant le 16 octobre 2026 ( comment vous opposer ) : "
        "nous continuerons à traiter vos informations personnelles selon la version qui s’applique aujourd’hui"
    )
    assert sentence in words
    site_words = words.replace(words[words.index("Intro paragraph") :], "")  # our words, not 1.0's text
    for english in ENGLISH_WORDS:
        assert english not in site_words, english


def test_the_pending_french_text_and_its_archive_are_in_french(site):
    words = text_of(article(html(site, "fr/privacy/versions/2.0")))
    assert "Nous collectons votre nom, votre adresse électronique et votre téléphone." in words
    assert "Statut À venir : prendra effet plus tard" in words
    assert (
        "Cette version révisée prend effet le 16 octobre 2026 D’ici là, la version 1.0 s’applique." in words
    )
    assert "opposez-vous avant le 16 octobre 2026" in words
    archive = text_of(article(html(site, "fr/privacy/versions")))
    assert "Politique de confidentialité : toutes les versions" in archive
    assert "Version : 1.0 (en anglais)" in archive
    assert "1.0 → 2.0 droits essentiels" in archive
    for english in ENGLISH_WORDS:
        assert english not in archive, english


def test_the_operators_catalogue_rewords_one_french_entry_and_ours_says_the_rest(site):
    page = html(site, "fr/privacy")
    assert "Voir les changements" in text_of(article(page))  # the operator's
    assert "Voir ce qui change" not in page
    banner = banner_of(page)
    assert banner.startswith("Mise à jour : « Politique de confidentialité » change le 16 octobre 2026")
    assert "Voir les changements Si vous n’êtes pas d’accord, opposez-vous avant le 16 octobre 2026" in banner


# ------------------------------------------------------------------ Arabic


def test_the_arabic_pages_are_in_arabic_right_to_left(site):
    page = html(site, "ar/privacy")
    assert '<html lang="ar"' in page and re.search(r'<body dir="rtl"', page)
    words = text_of(article(page))
    assert "نجمع اسمك وعنوان بريدك الإلكتروني." in words
    assert "يسري إصدار معدَّل في 16 أكتوبر 2026" in words
    assert "نُشر الإصدار 2.0 في 30 سبتمبر 2026." in words
    assert "إذا لم توافق، فاعترض قبل 16 أكتوبر 2026 ( طريقة الاعتراض )" in words
    for english in ENGLISH_WORDS:
        assert english not in words, english
    archive = text_of(article(html(site, "ar/privacy/versions")))
    assert "سياسة الخصوصية: جميع الإصدارات" in archive and "من 1.0 إلى 2.0" in archive
    redline = html(site, "ar/privacy/changes/1.0-to-2.0")
    assert '<span class="sr-only">[مُضاف: </span>' in redline
    assert "قسم جديد" in text_of(redline)
    assert "<title>المتجر</title>" in html(site, "ar")


def test_the_arabic_data_files_and_feed_are_in_arabic(site):
    notices = json.loads((site / "ar" / "notices.json").read_text(encoding="utf-8"))
    assert (notices["language"], notices["dir"]) == ("ar", "rtl")
    assert notices["words"]["banner_lead"] == "تحديث السياسة:"
    [notice] = notices["notices"]
    assert notice["effective_text"] == "16 أكتوبر 2026"
    assert notice["objection_url"] == "ar/privacy/"
    feed = ET.parse(site / "ar" / "feed.xml").getroot()
    atom = "{http://www.w3.org/2005/Atom}"
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "ar"
    summary = next(feed.iter(f"{atom}entry")).findtext(f"{atom}summary")
    assert (
        summary
        == "نشارك الآن عنوانك مع شركة الشحن. يسري في 16 أكتوبر 2026. يعدّل أقسامًا تتعلق بالحقوق الأساسية."
    )


def test_the_core_rights_badge_of_a_heading_is_said_in_each_language(site):
    css = (site / "assets" / "policy-words.css").read_text(encoding="utf-8")
    assert '.md-typeset h2.core-rights:lang(en)::after { content: "core rights"; }' in css
    assert '.md-typeset h2.core-rights:lang(fr)::after { content: "droits essentiels"; }' in css
    assert ".md-typeset h2.core-rights:lang(de)::after" in css and '"Grundrechte"' in css
    assert ".md-typeset h2.core-rights:lang(ar)::after" in css
    assert 'href="assets/policy-words.css"' in html(site, "ar")  # each language's site has it
    assert (site / "ar" / "assets" / "policy-words.css").read_text(encoding="utf-8") == css


def test_the_catalogues_are_not_files_of_the_site(site):
    assert [p for p in site.rglob("*") if p.suffix in (".po", ".pot", ".mo")] == []
    assert not (site / "locale").exists() and not (site / "ar" / "locale").exists()


# ------------------------------------------------------------------ the operator's fifth language


def test_a_fifth_language_from_a_catalogue_and_a_policy_file_alone(site):
    """German: `languages:` names it, `policy/privacy.de.md` translates the policy and
    `locale/de/LC_MESSAGES/site.po` our words; Material has its own German."""
    page = html(site, "de/privacy")
    assert '<html lang="de"' in page and re.search(r'<body dir="ltr"', page)
    assert "Zum Inhalt" in page  # Material's own German ("skip to content")
    words = text_of(article(page))
    assert "Wir erheben Ihren Namen und Ihre E-Mail-Adresse." in words
    assert "Status In Kraft" in words and "Inkrafttreten 1. September 2026" in words  # Babel's German date
    assert "Eine überarbeitete Fassung tritt am 16. Oktober 2026 in Kraft" in words
    assert "widersprechen Sie vor dem 16. Oktober 2026 ( so widersprechen Sie )" in words
    for english in ENGLISH_WORDS:
        assert english not in words, english
    home = text_of(html(site, "de"))
    assert "Eine Richtlinie ändert sich" in home and "Richtlinien-Aktualisierung:" in home
    redline = text_of(article(html(site, "de/privacy/changes/1.0-to-2.0")))
    assert "neuer Abschnitt" in redline and "[eingefügt:" in redline and "Einleitung (unverändert)" in redline
    names = re.findall(
        r'hreflang="([^"]+)" class="md-select__link">\s*([^<]*?)\s*</a>', html(site, "privacy")
    )
    assert ("de", "Deutsch") in names and ("ar", "العربية") in names and ("fr", "Français") in names


# ------------------------------------------------------------------ in Chromium


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    with serving(site) as served:
        yield served.url


def test_an_arabic_page_with_its_banner_and_pop_up_is_right_to_left_with_no_serious_axe_finding(
    visitor: Page, server: str
):
    visitor.set_viewport_size({"width": 1280, "height": 900})
    visitor.goto(server + "ar/")
    dialog = visitor.get_by_role("dialog", name="إحدى سياساتنا تتغيّر")
    expect(dialog).to_be_visible()
    assert axe_findings(visitor) == []
    expect(dialog.get_by_role("link", name="طريقة الاعتراض")).to_have_count(1)
    dialog.get_by_role("button", name="إغلاق").click()
    banner = visitor.locator("[data-md-component=announce] .policy-banner")
    expect(banner).to_be_visible()
    assert (
        visitor.evaluate("() => getComputedStyle(document.querySelector('.policy-banner')).direction")
        == "rtl"
    )
    # The dismiss button ends the banner: on its left, right to left.
    notices = banner.locator(".policy-banner__notices").bounding_box()
    dismiss = banner.locator(".policy-banner__dismiss").bounding_box()
    assert notices and dismiss and dismiss["x"] < notices["x"]
    for url in ("ar/privacy/", "ar/privacy/changes/1.0-to-2.0/", "ar/privacy/versions/"):
        visitor.goto(server + url)
        expect(visitor.get_by_role("heading", level=1)).to_be_visible()
        assert axe_findings(visitor) == [], url


def test_notice_js_on_an_arabic_shop_page_is_in_arabic_right_to_left(
    visitor: Page, server: str, tmp_path: Path
):
    shop = shop_page(tmp_path / "shop", server + "notice.js")
    index = shop / "index.html"
    arabic = (
        index.read_text(encoding="utf-8")
        .replace('<html lang="en">', '<html lang="ar" dir="rtl">')
        .replace("Example Shop", "متجر المثال")
        .replace("Handmade teapots, shipped worldwide.", "أباريق شاي مصنوعة يدويًا، نشحنها إلى كل العالم.")
    )
    index.write_text(arabic, encoding="utf-8")
    with serving(shop) as served:
        visitor.set_viewport_size({"width": 1280, "height": 900})
        visitor.goto(served.url)
        dialog = visitor.locator("dialog.ppn-dialog")
        expect(dialog).to_be_visible()
        assert dialog.get_attribute("dir") == "rtl" and dialog.get_attribute("lang") == "ar"
        expect(dialog.get_by_role("heading", level=2)).to_have_text("إحدى سياساتنا تتغيّر")
        expect(dialog.get_by_role("link", name="طريقة الاعتراض")).to_have_count(1)
        assert axe_findings(visitor) == []
        dialog.get_by_role("button", name="إغلاق").click()
        banner = visitor.locator("aside.ppn-banner")
        expect(banner).to_be_visible()
        assert banner.get_attribute("dir") == "rtl"
        expect(banner).to_contain_text("يطرأ تغيير على سياسة الخصوصية في 16 أكتوبر 2026 (الإصدار 2.0)")
        expect(banner).to_contain_text("فاعترض قبل 16 أكتوبر 2026")
        box = banner.bounding_box()
        close = banner.get_by_role("button", name="إخفاء").bounding_box()
        assert box and close and close["x"] < box["x"] + box["width"] / 2  # the close button on the left
        assert axe_findings(visitor) == []
