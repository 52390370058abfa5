"""The PDF printer's font check asks fontconfig about each site language by the name
fontconfig gives its orthography (its Chinese ones are named by region: zh-tw, zh-cn),
not by the BCP 47 tag in lower case (zh-hant-tw), which fontconfig has no orthography of."""

from __future__ import annotations

import shutil

import pytest

from generator.site.pdf import fontconfig_lang, languages_without_a_font


@pytest.mark.parametrize(
    "tag,name",
    [
        ("en", "en"),
        ("pt-BR", "pt-br"),
        ("sr-Latn", "sr"),
        ("es-419", "es"),
        ("ar", "ar"),
        ("zh", "zh-cn"),
        ("zh-Hans", "zh-cn"),
        ("zh-Hant", "zh-tw"),
        ("zh-Hant-TW", "zh-tw"),
        ("zh-TW", "zh-tw"),
        ("zh-HK", "zh-hk"),
        ("zh-Hans-SG", "zh-sg"),
    ],
)
def test_a_tag_is_asked_by_fontconfig_s_name_of_its_orthography(tag: str, name: str) -> None:
    assert fontconfig_lang(tag) == name


def test_languages_the_installed_fonts_cover_are_not_reported() -> None:
    assert shutil.which("fc-list"), "fontconfig comes with Debian's chromium (make debian-test)"
    # The installed fonts (DejaVu here) cover these, asked by their fontconfig names.
    assert languages_without_a_font(["en", "sr-Latn", "es-419", "pt-BR", "fr"]) == []
