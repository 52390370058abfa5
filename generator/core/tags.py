"""BCP 47 language tags (`languages: [en, zh-Hant-TW, sr-Latn, pt-BR]`), read with the
CLDR data that Babel carries: which tags are valid, the URL segment a tag gives
(`/zh-hant-tw/`), the writing direction of its pages, and the tags a catalogue of words
falls back along (`zh-Hant-TW` -> `zh-Hant` -> `zh`, never to another script).

A tag is written in its canonical case (language lower-case, script title-case, region
upper-case), as Babel (CLDR) knows it; variants, extensions and private-use subtags are
refused. Pure: no I/O beyond Babel's data files.
"""

from __future__ import annotations

import functools

from babel import Locale, UnknownLocaleError
from babel.core import get_global, parse_locale

# One definition of a tag's script and direction for the site and the notices: notify's
# contract (pure, Babel only), which the import contracts let this module read.
from notify.contract.tags import direction as direction
from notify.contract.tags import script as script

TAG_RULE = (
    "a BCP 47 tag that CLDR knows, in its canonical case: a language (en, zh, fil), optionally a "
    "script (Hant, Latn) and a region (TW, BR, 419): en, zh-Hant-TW, sr-Latn, pt-BR"
)


def tag_problem(tag: object) -> str | None:
    """Why `tag` is not a language tag the site can use, or None."""
    if not isinstance(tag, str) or not tag:
        return f"{tag!r} is not a language tag"
    try:
        language, territory, script, variant = parse_locale(tag, sep="-")[:4]
    except ValueError:
        return f"{tag!r} is not a language tag"
    if len(language) < 2:
        return f"{tag!r} is not a language tag"
    if variant is not None:
        return f"{tag!r} has a variant ({variant}); variants are not supported"
    canonical = "-".join(p for p in (language, script, territory) if p)
    if canonical != tag:
        return f"{tag!r} is not written in its canonical case: write {canonical!r}"
    try:
        known = Locale.parse(tag, sep="-")
    except (ValueError, UnknownLocaleError):
        return f"{tag!r} is not a language that CLDR (Babel) knows"
    if (
        known.language != language
        or (script and known.script != script)
        or (territory and known.territory != territory)
    ):
        found = "-".join(p for p in (known.language, known.script, known.territory) if p)
        return f"{tag!r} is not a locale that CLDR (Babel) knows (the nearest is {found!r})"
    return None


@functools.cache
def own_name(tag: str) -> str:
    """The language's name in itself, as a language switcher lists it (`en` English, `zh`
    中文, `zh-Hant-TW` 中文 (繁體, 台灣), `fr` Français); the tag when CLDR has none."""
    try:
        name = Locale.parse(tag, sep="-").get_display_name() or tag
    except (ValueError, UnknownLocaleError):
        return tag
    return name[:1].upper() + name[1:]


def url_segment(tag: str) -> str:
    """The tag as a URL segment: lower-case (`zh-Hant-TW` -> `zh-hant-tw`)."""
    return tag.lower()


def _parts(tag: str) -> tuple[str, str | None, str | None]:
    language, territory, written, _ = parse_locale(tag, sep="-")[:4]
    return language, written, territory


@functools.cache
def fallbacks(tag: str) -> tuple[str, ...]:
    """The tags whose words serve `tag`, most specific first, all in its script:
    `zh-Hant-TW` -> (zh-Hant-TW, zh-Hant, zh-TW); `zh` (Simplified) is not among them.
    `sr-Latn` -> (sr-Latn,); `pt-BR` -> (pt-BR, pt)."""
    try:
        language, written, territory = _parts(tag)
    except ValueError:
        return (tag,)
    candidates = [tag]
    if written and territory:
        candidates += [f"{language}-{written}", f"{language}-{territory}"]
    candidates.append(language)
    own = script(tag)
    kept = [c for c in dict.fromkeys(candidates) if c == tag or script(c) == own]
    return tuple(kept)


def closest(tag: str, available: frozenset[str]) -> str | None:
    """The tag of `available` (e.g. Material's translations: en, zh, zh-Hant, zh-TW, sh,
    pt-BR) closest to `tag`: along `fallbacks`, else one of the same language and
    script (`sr-Latn` -> `sh`, Serbian in Latin letters); None when none is."""
    by_lower = {a.lower(): a for a in available}
    for candidate in fallbacks(tag):
        if candidate.lower() in by_lower:
            return by_lower[candidate.lower()]
    try:
        language = _parts(tag)[0]
    except ValueError:
        return None
    own = script(tag)
    same = sorted(a for a in available if _language_of(a) == language and script(a) == own)
    return same[0] if same else None


def _language_of(tag: str) -> str | None:
    """The language of `tag`, its alias resolved (`sh` -> sr)."""
    try:
        language = parse_locale(tag, sep="-")[0]
    except ValueError:
        return None
    alias = get_global("language_aliases").get(language)
    return alias.split("_")[0] if isinstance(alias, str) else language
