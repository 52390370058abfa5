"""Language tags as notify reads them (a recipient's ``locale``, a site's ``languages``,
a browser's ``Accept-Language``), with the CLDR data Babel carries: which of some
languages a reader reads, and which way their text runs.

The one rule (:func:`match_language`, :func:`negotiate`): for each tag the reader
gives, most wanted first, the languages of the same script first, then any other;
among them, Babel's negotiation (:func:`babel.core.negotiate_locale`) over the tag and
ever shorter forms of it (RFC 4647 "lookup"): ``zh-CN``, ``zh_CN`` and ``ZH`` read
``zh``; ``zh-Hant-TW`` reads ``zh-Hant-TW``, else ``zh-Hant``, else ``zh-TW``, and
only when no Traditional one is there ``zh``; ``zh-TW`` (Traditional, as CLDR says)
reads ``zh-Hant`` before ``zh``. A tag is never widened the other way: ``zh`` does not
read ``zh-TW``.

This module is the one definition of a tag's script and direction, for the notices and
for the site (``generator.core.tags`` reads them from here: notify stands alone, so the
shared definition lives on its side of the contract).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from babel import Locale, UnknownLocaleError
from babel.core import get_global, negotiate_locale, parse_locale

RTL_EXAMPLES = ("ar", "he", "fa", "ur")
"""Languages written right to left (:func:`direction` asks CLDR; these are the ones tested)."""


def canonical(tag: str) -> str:
    """``tag`` in BCP 47's form and case when Babel can read it (``zh_cn`` -> ``zh-CN``,
    ``ZH-HANT-tw`` -> ``zh-Hant-TW``); else stripped, with ``-`` for ``_``."""
    text = tag.strip().replace("_", "-")
    try:
        language, territory, script, variant = parse_locale(text, sep="-")[:4]
    except ValueError:
        return text
    return "-".join(p for p in (language, script, territory, variant) if p)


@functools.cache
def script(tag: str) -> str | None:
    """The script ``tag`` is written in, given or likely (``zh-TW`` -> Hant, ``zh`` ->
    Hans, ``sr`` -> Cyrl); None when CLDR does not say."""
    try:
        language, territory, written = parse_locale(canonical(tag), sep="-")[:3]
    except ValueError:
        return None
    if written:
        return written
    alias = get_global("language_aliases").get(language)
    if isinstance(alias, str) and "_" in alias:  # sh -> sr_Latn: the alias names its script
        return script(alias.replace("_", "-"))
    likely = get_global("likely_subtags")
    for key in (f"{language}_{territory}" if territory else None, language):
        if key and key in likely:
            found = parse_locale(likely[key])[2]
            if found:
                return found
    return None


@functools.cache
def lookup(tag: str) -> tuple[str, ...]:
    """``tag`` and its shorter forms, most specific first, in its script where CLDR knows
    it: ``zh-Hant-TW`` -> (zh-Hant-TW, zh-Hant, zh-TW, zh); ``zh-TW`` -> (zh-TW,
    zh-Hant-TW, zh-Hant, zh); ``fr-CA`` -> (fr-CA, fr-Latn-CA, fr-Latn, fr)."""
    text = canonical(tag)
    try:
        language, territory, written = parse_locale(text, sep="-")[:3]
    except ValueError:
        parts = text.split("-")
        return tuple("-".join(parts[:n]) for n in range(len(parts), 0, -1) if parts[0])
    own = written or script(text)
    forms = [text]
    if own and territory:
        forms.append(f"{language}-{own}-{territory}")
    if own:
        forms.append(f"{language}-{own}")
    if territory:
        forms.append(f"{language}-{territory}")
    forms.append(language)
    return tuple(dict.fromkeys(forms))


def negotiate(wanted: Sequence[str], languages: Sequence[str]) -> str | None:
    """The one of ``languages`` (as written there) that a reader of the tags ``wanted``
    (most wanted first) reads, by Babel's negotiation (see the module); None when none."""
    configured = {canonical(code).lower(): code for code in languages if code and code.strip()}
    for tag in wanted:
        if not tag or not tag.strip():
            continue
        forms = lookup(tag)
        own = script(tag)
        same = [c for c in configured if script(c) == own]
        for pool in (same, list(configured)):
            found = negotiate_locale(forms, pool, sep="-", aliases={}) if pool else None
            if found is not None:
                return configured[found.lower()]
    return None


def match_language(locale: str, languages: Sequence[str]) -> str | None:
    """The configured language (as written in ``languages``) a reader of ``locale``
    reads, or None when none matches (:func:`negotiate` of one tag)."""
    return negotiate([locale], languages)


def accepted(header: str) -> list[str]:
    """The language tags of an ``Accept-Language`` header, most wanted first (by their
    q-values, then their order; ``*`` and q=0 left out; at most 20 read)."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.partition(";")
        q = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value)
            except ValueError:
                continue
        tag = tag.strip()
        if tag and tag != "*" and q > 0 and len(tag) <= 64:
            ranked.append((-q, i, tag))
    return [tag for _, _, tag in sorted(ranked)]


@functools.cache
def direction(tag: str) -> str:
    """``"rtl"`` for a tag written right to left (ar, he, fa, ur, ...: CLDR's
    ``Locale.text_direction``), else ``"ltr"``."""
    try:
        return "rtl" if Locale.parse(canonical(tag), sep="-").text_direction == "rtl" else "ltr"
    except (ValueError, TypeError, UnknownLocaleError):
        return "ltr"
