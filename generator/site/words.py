"""The site's own words in a page's language: what the pages, the banner, the pop-up, the
footer link, the data files, the feed and `notice.js` say around the policy's text.

The theme's words (search, navigation, "Skip to content") are Material's, in the page's
language; a policy's words (titles, summaries, its text) come from its files. Everything
else a visitor reads comes from the gettext catalogues of `generator.site.catalogues`
(domain `site`): the template's English, and a `.po` per language. A language takes the
catalogues along its tag, in its own script (`catalogue_chain`: `zh-Hant-TW` ->
`zh-Hant` -> `zh-TW`, never the Simplified `zh`); a language without one gets the source
language's words; English (the template) fills in what they lack, entry by entry.

Values are plain text, some with `{name}` placeholders: `Words.say` fills them, escaping
each value for HTML unless it is markup already (a link made by a template).

Two sets of words are said by core rather than by a template, so they are typed objects
whose English defaults live in core: the redline's own words (`RedlineWords`: badges,
"(unchanged)", the screen reader's "[inserted: …]", its notes; catalogue keys
`redline.<field>`) and why a date is provisional (`ScheduleWords`: "the 2027 holiday
schedule is not known yet"; keys `schedule.<field>`). The template's English for them is
core's (a test keeps them equal); `Words.redline` and `Words.schedules` are those of a
page's language.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from collections.abc import Mapping
from typing import Any, TypeVar

from markupsafe import Markup

from generator.core.diff import ENGLISH_REDLINE, RedlineWords
from generator.core.tags import fallbacks
from generator.core.translations import DEFAULT_LANGUAGE
from generator.core.window import ENGLISH_SCHEDULES, ScheduleWords
from generator.site.catalogues import Catalogues, shipped, template

NOTICE_JS_KEYS = (
    "banner_label",
    "banner_lead",
    "banner_text",
    "banner_core",
    "banner_end",
    "see_what_changes",
    "dialog_title_one",
    "dialog_title_many",
    "version_title",
    "dialog_takes_effect",
    "notice_core",
    "read_new_text",
    "close",
    "dismiss",
    "disagree",
    "disagree_link",
)
"""The words notice.js shows, written into each language's notices.json."""
PLURAL_SAMPLES = (0, 1, 2, 3, 11, 21, 100, 101, 1_000_000)
"""Numbers that meet every plural form CLDR's languages have (for `Words.digest`)."""
REDLINE_PREFIX = "redline."
SCHEDULE_PREFIX = "schedule."

_Typed = TypeVar("_Typed", RedlineWords, ScheduleWords)


def _one_line(value: str) -> str:
    return " ".join(value.split())


class Words(Mapping[str, str]):
    """The words of one language (English for what its catalogues lack). In a template:
    `t.home` for a word, `t.say("home_in_force", version=..., date=...)` for a sentence;
    in Python, `t["home"]` for the plain text, `t.plural_text(key, count)` for words said
    with a count."""

    def __init__(
        self, language: str, source: str = DEFAULT_LANGUAGE, catalogues: Catalogues | None = None
    ) -> None:
        self.language, self.source = language, source
        self.catalogues = catalogues = catalogues or shipped()
        """Where the words come from (the operator's catalogues over ours)."""
        english = template()
        self._gettext = catalogues.chain(catalogue_chain(language, source, catalogues))
        self._words = {key: self._gettext.pgettext(key, text) for key, text in english.words.items()}
        self.redline: RedlineWords = _typed(ENGLISH_REDLINE, self._words, english.words, REDLINE_PREFIX)
        """The redline's own words (badges, notes, what a screen reader says)."""
        self.schedules: ScheduleWords = _typed(ENGLISH_SCHEDULES, self._words, english.words, SCHEDULE_PREFIX)
        """How to say that a holiday schedule is not known yet (a provisional date)."""

    def __getitem__(self, key: str) -> str:
        return self._words[key]

    def __getattr__(self, key: str) -> Markup:
        """A word for a template (`t.home`): our own text, printed as it is (the page
        templates would otherwise trim its spaces: " · ")."""
        if key.startswith("_"):
            raise AttributeError(key)
        try:
            return Markup(self._words[key])
        except KeyError:
            raise AttributeError(key) from None

    def __iter__(self) -> Any:
        return iter(self._words)

    def __len__(self) -> int:
        return len(self._words)

    def text(self, key: str, **values: object) -> str:
        """The word or sentence as plain text, its placeholders filled."""
        return self._words[key].format(**{k: _one_line(str(v)) for k, v in values.items()})

    def say(self, key: str, **values: object) -> Markup:
        """The sentence as HTML: catalogue text is markup; each value is HTML-escaped
        unless it is markup already (a link made by the template)."""
        return _say(self._words[key], values)

    def around(self, key: str, marker: str, **values: object) -> tuple[Markup, Markup]:
        """The sentence as HTML before and after its `{marker}` placeholder (the theme
        puts a link there whose address it makes itself), the other placeholders filled
        as `say` fills them."""
        before, _, after = self._words[key].partition("{" + marker + "}")
        return _say(before, values), _say(after, values)

    def plural_text(self, key: str, number: int, /, **values: object) -> str:
        """The words of `key` for `number` of things (the language's plural form for it),
        as plain text, its placeholders filled."""
        singular, plural = template().plurals[key]
        said = self._gettext.npgettext(key, singular, plural, number)
        return said.format(**{k: _one_line(str(v)) for k, v in values.items()})

    @functools.cached_property
    def digest(self) -> str:
        """A fingerprint of every word of this language, for the keys of caches of pages."""
        plurals = {
            key: [self._gettext.npgettext(key, *english, n) for n in PLURAL_SAMPLES]
            for key, english in sorted(template().plurals.items())
        }
        text = json.dumps([sorted(self._words.items()), plurals], ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _say(text: str, values: Mapping[str, object]) -> Markup:
    filled = {k: v if isinstance(v, Markup) else _one_line(str(v)) for k, v in values.items()}
    return Markup(text).format(**filled)


def _typed(
    english: _Typed, words: Mapping[str, str], template_words: Mapping[str, str], prefix: str
) -> _Typed:
    """Core's typed words (`english`, its defaults) with those the catalogues translate:
    a field whose words are the template's English keeps core's default."""
    translated = {}
    for field in dataclasses.fields(english):
        key = prefix + field.name
        if key in words and words[key] != template_words[key]:
            translated[field.name] = words[key]
    return dataclasses.replace(english, **translated)


def catalogue_chain(
    language: str, source: str = DEFAULT_LANGUAGE, catalogues: Catalogues | None = None
) -> tuple[str, ...]:
    """The catalogues that give `language` its words, first the one that wins: the
    language's own along its tag, in its script (`zh-Hant-TW`: zh-Hant-TW, zh-Hant, zh-TW;
    never the Simplified `zh`), else the source language's (`source`) the same way;
    English (the template) fills in what they lack."""
    tags = (catalogues or shipped()).tags
    own = [c for c in fallbacks(language) if c in tags]
    return tuple(own or [c for c in fallbacks(source) if c in tags])


@functools.cache
def words(language: str, source: str = DEFAULT_LANGUAGE, catalogues: Catalogues | None = None) -> Words:
    """The words of `language`, on a site whose source language is `source`, from
    `catalogues` (one `Words` per language: a page asks many times)."""
    return Words(language, source, catalogues)
