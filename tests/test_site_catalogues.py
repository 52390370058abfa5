"""The site's own words are gettext catalogues (issue 23, item 2): the template
(`site_templates/locale/site.pot`) in step with the code and the templates, each
catalogue we ship complete and current, words taken along the tag with the operator's
catalogue over ours, and a catalogue that cannot be used refused with what to fix."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from generator.core.diff import ENGLISH_REDLINE
from generator.core.sections import parse_sections
from generator.core.timeline import DRAFT, IN_FORCE, NEVER_IN_FORCE, PENDING, SCHEDULED, SUPERSEDED
from generator.core.window import ENGLISH_SCHEDULES, unknown_schedules
from generator.site.catalogues import SHIPPED, CatalogueError, Catalogues, placeholders, template
from generator.site.pages import KINDS
from generator.site.words import NOTICE_JS_KEYS, REDLINE_PREFIX, SCHEDULE_PREFIX, Words, catalogue_chain

ROOT = Path(__file__).resolve().parents[1]
SITE_CODE = sorted((ROOT / "generator" / "site").glob("*.py"))
SITE_TEMPLATES = [
    *sorted((ROOT / "site_templates" / "pages").glob("*.j2")),
    *sorted((ROOT / "site_templates" / "partials").glob("*.html")),
    ROOT / "site_templates" / "main.html",
]
NOTICE_JS = ROOT / "site_templates" / "assets" / "notice.js"
SHIPPED_LANGUAGES = ("zh", "fr", "ar")
STATUSES = (IN_FORCE, PENDING, SUPERSEDED, NEVER_IN_FORCE, SCHEDULED, DRAFT)
"""Said as `status_<status>` (`_status_label` in generator/site/pages.py)."""
SECTION_KINDS = (*KINDS, "renamed")
"""Said as `kind_<kind>` (`_kinds_of` in generator/site/pages.py)."""


def keys_in_python(text: str) -> set[str]:
    keys = set(re.findall(r"\b(?:t|words|model\.words|_words\(model\))\[\"(\w+)\"\]", text))
    keys |= set(re.findall(r"\.(?:text|say|around|plural_text)\(\s*[\"'](\w+)[\"']", text))
    keys |= set(re.findall(r"\{t\.(\w+)\}", text))  # a word in an f-string
    return keys


def keys_in_templates(text: str) -> set[str]:
    words = r"(?:\bt|\bw|policy\.words|config\.extra\.policy\.words)"
    keys = set(re.findall(words + r"\.(\w+)\b(?!\()", text))
    for argument in re.findall(words + r"\.(?:say|text)\(\s*([^,)]*)", text):
        keys |= set(re.findall(r"[\"'](\w+)[\"']", argument))
    return keys


def used_keys() -> set[str]:
    keys = set().union(*(keys_in_python(p.read_text(encoding="utf-8")) for p in SITE_CODE))
    keys |= set().union(*(keys_in_templates(p.read_text(encoding="utf-8")) for p in SITE_TEMPLATES))
    keys |= set(NOTICE_JS_KEYS)
    keys |= {"status_" + s.replace("-", "_") for s in STATUSES} | {"kind_" + k for k in SECTION_KINDS}
    keys |= {REDLINE_PREFIX + f.name for f in dataclasses.fields(ENGLISH_REDLINE)}
    keys |= {SCHEDULE_PREFIX + f.name for f in dataclasses.fields(ENGLISH_SCHEDULES)}
    return keys - {"say", "text", "around", "plural_text", "redline", "schedules", "language", "source"}


def catalogue(language: str):
    with (SHIPPED / language / "LC_MESSAGES" / "site.po").open("rb") as handle:
        return read_po(handle)


# ------------------------------------------------------------------ the template


def test_every_word_the_code_says_is_in_the_template_and_the_template_has_no_other():
    english = template()
    in_template = set(english.words) | set(english.plurals)
    used = used_keys()
    assert used - in_template == set(), "said by the code, missing from site.pot"
    assert in_template - used == set(), "in site.pot, said by nobody"


def test_notice_js_says_only_the_words_notices_json_carries():
    script = NOTICE_JS.read_text(encoding="utf-8")
    said = set(re.findall(r"\b(?:word|fill)\(\s*\"(\w+)\"", script))
    said |= set(re.findall(r"\"(dialog_title_\w+)\"", script))
    assert said <= set(NOTICE_JS_KEYS)
    assert "January" not in script and "ENGLISH" not in script  # no words of its own


def test_the_templates_english_for_the_redline_and_the_schedules_is_cores():
    english = template().words
    for field in dataclasses.fields(ENGLISH_REDLINE):
        default = getattr(ENGLISH_REDLINE, field.name)
        # The preamble's default (None) is the section parser's name for it.
        expected = default if default is not None else parse_sections("Text.\n\n## A {#a}\n")[0].title
        assert english[REDLINE_PREFIX + field.name] == expected, field.name
    for field in dataclasses.fields(ENGLISH_SCHEDULES):
        assert english[SCHEDULE_PREFIX + field.name] == getattr(ENGLISH_SCHEDULES, field.name), field.name
    assert Words("en").redline == ENGLISH_REDLINE and Words("en").schedules == ENGLISH_SCHEDULES


# ------------------------------------------------------------------ our catalogues


@pytest.mark.parametrize("language", SHIPPED_LANGUAGES)
def test_each_catalogue_we_ship_translates_every_word_of_the_template_as_it_is_now(language):
    english = template()
    found = catalogue(language)
    translated = {}
    for message in found:
        if not message.id:
            continue
        assert message.context in english.words or message.context in english.plurals, message.context
        wanted = english.plurals.get(message.context) or english.words[message.context]
        said = tuple(message.id) if isinstance(message.id, tuple | list) else message.id
        assert said == wanted, f"{message.context}: translates old English words"
        assert not message.fuzzy, message.context
        translated[message.context] = message.string
    assert set(translated) == set(english.words) | set(english.plurals)
    for key, said in translated.items():
        forms = said if isinstance(said, tuple | list) else (said,)
        assert all(forms), f"{language}: {key} is not translated"
        allowed = set().union(
            *(
                placeholders(e)
                for e in ([english.words[key]] if key in english.words else english.plurals[key])
            )
        )
        for form in forms:
            assert placeholders(form) <= allowed, (language, key, form)
            if key in english.words:  # a word said without a count keeps every value
                assert placeholders(form) == allowed, (language, key, form)
    for key in english.plurals:
        assert len(translated[key]) == found.num_plurals, (language, key)


def test_our_languages_say_the_sites_words_in_their_own():
    assert Words("fr")["see_what_changes"] == "Voir ce qui change"
    assert Words("ar")["see_what_changes"] == "اطّلع على التغييرات"
    assert Words("zh")["see_what_changes"] == "查看变更内容"
    assert Words("fr-CA")["home"] == "Accueil" and Words("ar-EG")["home"] == "الرئيسية"
    # Plurals by each language's rule: Arabic has six forms.
    assert [Words("ar").plural_text("unchanged_sections", n, count=n) for n in (1, 2, 3, 11, 100)] == [
        "قسم واحد دون تغيير",
        "قسمان دون تغيير",
        "3 أقسام دون تغيير",
        "11 قسمًا دون تغيير",
        "100 قسم دون تغيير",
    ]
    assert Words("fr").plural_text("unchanged_sections", 1, count=1) == "1 section inchangée"
    assert Words("fr").plural_text("unchanged_sections", 4, count=4) == "4 sections inchangées"
    assert Words("en").plural_text("unchanged_sections", 4, count=4) == "4 unchanged sections"
    # Core's typed words, in the language.
    assert Words("fr").redline.inserted == "[ajouté\u00a0: "
    assert (
        unknown_schedules((2027, 2028), Words("ar").schedules)
        == "جداول العطلات للأعوام 2027 و2028 غير معروفة بعد"
    )


# ------------------------------------------------------------------ the operator's


def write_po(path: Path, entries: dict[str, str], *, msgids: dict[str, str] | None = None) -> Path:
    english = template().words
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ['msgid ""', 'msgstr ""', '"Content-Type: text/plain; charset=UTF-8\\n"', ""]
    for key, said in entries.items():
        msgid = (msgids or {}).get(key, english[key])
        lines += [f'msgctxt "{key}"', f'msgid "{msgid}"', f'msgstr "{said}"', ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def test_the_operators_catalogue_wins_entry_by_entry_and_adds_a_language(tmp_path):
    write_po(
        tmp_path / "locale" / "fr" / "LC_MESSAGES" / "site.po", {"see_what_changes": "Voir les changements"}
    )
    write_po(tmp_path / "locale" / "de" / "LC_MESSAGES" / "site.po", {"home": "Startseite"})
    catalogues = Catalogues.of_repository(tmp_path)
    assert catalogues.tags >= {"en", "zh", "fr", "ar", "de"}
    french = Words("fr", "en", catalogues)
    assert french["see_what_changes"] == "Voir les changements"  # the operator's
    assert french["home"] == "Accueil"  # ours, where the operator's says nothing
    german = Words("de", "en", catalogues)
    assert german["home"] == "Startseite" and german["updates"] == "Updates"  # English fills in
    assert catalogue_chain("de-AT", "en", catalogues) == ("de",)
    assert catalogues.problems() == []


def test_a_catalogue_translating_old_english_words_is_told_and_its_entry_not_used(tmp_path):
    path = write_po(
        tmp_path / "locale" / "de" / "LC_MESSAGES" / "site.po",
        {"home": "Startseite", "updates": "Neuigkeiten"},
        msgids={"updates": "News"},
    )
    catalogues = Catalogues.of_repository(tmp_path)
    assert Words("de", "en", catalogues)["updates"] == "Updates"
    [problem] = catalogues.problems()
    assert str(path) in problem and "updates" in problem and "pybabel update" in problem


def test_a_translation_naming_a_placeholder_its_english_lacks_is_refused(tmp_path):
    path = write_po(
        tmp_path / "locale" / "de" / "LC_MESSAGES" / "site.po", {"home_in_force": "Version {versoin}."}
    )
    with pytest.raises(CatalogueError) as refused:
        Catalogues.of_repository(tmp_path).problems()
    assert "{versoin}" in str(refused.value) and refused.value.file == str(path)


def test_a_catalogue_folder_not_named_by_a_tag_is_refused(tmp_path):
    write_po(tmp_path / "locale" / "german" / "LC_MESSAGES" / "site.po", {"home": "Startseite"})
    with pytest.raises(CatalogueError, match="not named by a language tag"):
        Catalogues.of_repository(tmp_path)
