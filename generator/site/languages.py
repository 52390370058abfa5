"""The site in more than one language (`languages: [en, zh]`): each translation's pages
live under its language's code (`/zh/privacy/`) and are a project of their own
(`generator.site.project`), with Material's own translation of the theme's words
(`theme_language`) and the language switcher's entries (`alternates`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from generator.core.tags import closest, own_name


def alternates(links: Mapping[str, str]) -> list[dict[str, str]]:
    """Material's `extra.alternate` from a page's `policy.alternates` (language -> the
    same page in that language, site-root relative)."""
    return [{"lang": code, "name": own_name(code), "link": url} for code, url in links.items()]


def language_name(code: str, in_language: str) -> str:
    """The name of the language `code` in `in_language` ("en" in "zh": 英语), from the
    CLDR data that Babel carries; the code itself when it has none."""
    from babel import Locale, UnknownLocaleError

    try:
        names = Locale.parse(in_language, sep="-").languages
    except (ValueError, UnknownLocaleError):
        return code
    return str(names.get(code.replace("-", "_")) or names.get(code.split("-")[0]) or code)


def theme_language(language: str, theme_dirs: Iterable[str], default: str) -> str:
    """Material's translation closest to the tag `language` (`tags.closest`: "zh-CN" ->
    "zh", "zh-Hant-TW" -> "zh-Hant", "sr-Latn" -> "sh", never Simplified for a
    Traditional tag), else `default`."""
    folders = [Path(d) / "partials" / "languages" for d in theme_dirs]
    available = frozenset(p.stem for folder in folders if folder.is_dir() for p in folder.glob("*.html"))
    return closest(language, available) or default
