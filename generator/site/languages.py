"""The site in more than one language (`languages: [en, zh]`): one MkDocs build whose
translations' pages live under their language's code (`/zh/privacy/`).

What MkDocs and Material see per page comes from here and is set by the plugin while
each page renders (`PolicyPlugin.on_page_context`): the theme's words and `<html lang>`
(Material's own translation for the language, `theme_language`), the language switcher
and hreflang links (Material's `extra.alternate`: the same page in every language), the
sidebar of that language, and the search index of that language (the one index Material
writes is split by language after the build: `split_search_index`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from generator.core import urls
from generator.site.model import SiteModel
from generator.site.words import words

SEARCH_INDEX = "search/search_index.json"


def alternates(links: Mapping[str, str]) -> list[dict[str, str]]:
    """Material's `extra.alternate` from a page's `policy.alternates` (language -> the
    same page in that language, site-root relative)."""
    return [{"lang": code, "name": words(code)["language_name"], "link": url} for code, url in links.items()]


def home_alternates(models: Sequence[SiteModel]) -> list[dict[str, str]]:
    """Material's `extra.alternate` for a page with no counterpart (the 404 page): each
    language's home page."""
    return alternates({m.language_code: m.url(urls.HOME) for m in models})


def theme_language(language: str, theme_dirs: Iterable[str], default: str) -> str:
    """Material's translation for `language` ("zh-CN" falls back to "zh"), else `default`."""
    for code in (language, language.split("-")[0]):
        if any((Path(d) / "partials" / "languages" / f"{code}.html").is_file() for d in theme_dirs):
            return code
    return default


def hidden_prefixes(models: Sequence[SiteModel]) -> list[str]:
    """Gitignore patterns of the translations' pages: none is in the source language's
    sidebar (each language has a sidebar of its own)."""
    return [f"/{m.language}/" for m in models if m.language]


def split_search_index(
    site_dir: Path, models: Sequence[SiteModel], search_config: dict[str, dict[str, Any]]
) -> None:
    """Turn the one search index Material wrote into one per language: the source
    language's stays at `search/search_index.json`, a translation's goes to
    `<lang>/search/search_index.json` with its locations relative to `/<lang>/` (where
    its pages point Material's search: `search_base` of the template context) and the
    search settings of its language (`search_config`: language -> lang, separator, ...)."""
    path = site_dir / SEARCH_INDEX
    if not path.is_file() or len(models) < 2:
        return
    index = json.loads(path.read_text(encoding="utf-8"))
    prefixes = {m.language: m.url(urls.HOME) for m in models if m.language}
    docs: dict[str | None, list[dict[str, Any]]] = {None: [], **{code: [] for code in prefixes}}
    for doc in index.get("docs", []):
        location = str(doc.get("location", ""))
        language = next((code for code, prefix in prefixes.items() if location.startswith(prefix)), None)
        if language is not None:
            doc = {**doc, "location": location.removeprefix(prefixes[language])}
        docs[language].append(doc)
    for language, entries in docs.items():
        config = {**index.get("config", {}), **search_config.get(language or "", {})}
        target = site_dir / urls.in_language(SEARCH_INDEX, language)
        target.parent.mkdir(parents=True, exist_ok=True)
        data = {"config": config, "docs": entries}
        target.write_text(json.dumps(data, separators=(",", ":"), ensure_ascii=False), encoding="utf-8")
