"""The projects an engine renders: one complete MkDocs-style project per language.

`policyctl build` does everything of ours outside the engine's lifetime. Before the
engine runs, this module stages, for each language's site, a folder the engine can
build on its own, with no plugin of ours:

```
<work>/projects/<language>/mkdocs.yml   the operator's configuration, completed
<work>/projects/<language>/docs/        that language's pages (`generator.site.pages`)
<work>/overrides/                       the theme overrides: site_templates/, then the
                                        operator's custom_dir on top
```

The generated configuration keeps every key of the operator's `mkdocs.yml` (Python tags
such as `!!python/name:` written back as they were) and sets what the site needs: the
docs folder, the navigation, the theme overrides and language, the Markdown extensions
the pages use, the notices for the templates (`extra.policy`) and the language switcher.
A translation is a project of its own, whose `site_url` ends in `/<language>/`: its own
navigation, theme words and search index, with no engine hook. Its pages link to the
other languages with relative links (`generator.core.urls.relative`), which hold once
its output is put under `/<language>/` (`generator.site.finish.assemble`).

Every project lists our Markdown extension (`generator.site.mdx`): it puts back the
HTML each page defers (staged in `raw/`, one file per placeholder), sanitises the
content, and wraps it in two HTML comments that carry a nonce of the build
(`ContentMarks`), so that `generator.site.finish` checks exactly that content in the
built pages, whatever the engine put around it.
"""

from __future__ import annotations

import importlib.util
import secrets
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml
from markupsafe import Markup

from generator.core import tags, urls
from generator.site.languages import alternates, theme_language
from generator.site.mdx import raw_file
from generator.site.model import SiteModel
from generator.site.pages import Page, navigation, write_tree
from generator.site.sanitize import MARKDOWN_EXTENSIONS, TABLES_CONFIG
from generator.site.templates import (
    ENGINE_FILES,
    ENGINE_JS,
    EXTRA_CSS,
    EXTRA_JS,
    HIDDEN_PAGES,
    MATERIAL_FEATURES,
    TEMPLATES_DIR,
    WORDS_CSS,
    public_template,
    template_context,
)

DROPPED_KEYS = ("docs_dir", "site_dir", "nav", "not_in_nav", "hooks")
"""Keys of the operator's configuration that the staged project sets itself."""


class ProjectError(Exception):
    """The operator's configuration cannot be staged; the message says what to fix."""


@dataclass(frozen=True)
class ContentMarks:
    """The comments around each page's body, with this build's nonce: a policy text
    cannot forge them, so `finish` sanitises exactly the page's content."""

    nonce: str

    @classmethod
    def new(cls) -> ContentMarks:
        return cls(secrets.token_hex(16))

    @property
    def begin(self) -> str:
        return f"<!--policy-content:{self.nonce}-->"

    @property
    def end(self) -> str:
        return f"<!--/policy-content:{self.nonce}-->"


@dataclass(frozen=True)
class Project:
    """One language's staged project."""

    model: SiteModel
    folder: Path
    config_path: Path
    site_dir: Path
    """Where the engine writes this language's site."""

    @property
    def prefix(self) -> str:
        """Where this language's site goes in the whole site ("" or "zh/")."""
        return self.model.url(urls.HOME)


# ------------------------------------------------------------------ the operator's YAML


class _Tagged:
    """A value of the operator's YAML under a tag we do not interpret (`!ENV`,
    `!!python/name:`): written back exactly so."""

    def __init__(self, tag: str, node: yaml.Node) -> None:
        self.tag, self.node = tag, node


class _KeepingLoader(yaml.SafeLoader):
    pass


def _keep_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> _Tagged:
    return _Tagged(node.tag, node)


_KeepingLoader.add_multi_constructor("!", _keep_tag)
_KeepingLoader.add_multi_constructor("tag:yaml.org,2002:python/", _keep_tag)


class _KeepingDumper(yaml.SafeDumper):
    pass


def _represent_tagged(dumper: yaml.SafeDumper, value: _Tagged) -> yaml.Node:
    return value.node


def _represent_markup(dumper: yaml.SafeDumper, value: Markup) -> yaml.Node:
    # HTML made (and escaped) by us for the templates, which print it as it is.
    return dumper.represent_str(str(value))


_KeepingDumper.add_representer(_Tagged, _represent_tagged)
_KeepingDumper.add_representer(Markup, _represent_markup)


def read_operator_config(path: Path | None) -> dict[str, Any]:
    """The operator's `mkdocs.yml` as data, its tags kept ({} without one)."""
    if path is None:
        return {}
    with path.open(encoding="utf-8") as handle:
        data = yaml.load(handle, Loader=_KeepingLoader)
    return data if isinstance(data, dict) else {}


# ------------------------------------------------------------------ staging


def stage_overrides(work: Path, operator: dict[str, Any], config_dir: Path | None, engine: str) -> Path:
    """`<work>/overrides/`: our public theme files, then the operator's custom_dir on top
    (the operator's templates win, as with MkDocs' theme directories)."""
    target = work / "overrides"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(TEMPLATES_DIR, target, ignore=_private_in(TEMPLATES_DIR))
    for other, names in ENGINE_FILES.items():
        for name in names if other != engine else ():
            (target / name).unlink(missing_ok=True)
    folder = operator_theme_dir(operator, config_dir)
    if folder is not None and folder != TEMPLATES_DIR:
        shutil.copytree(folder, target, dirs_exist_ok=True, ignore=_private_in(folder))
    return target


def operator_theme_dir(operator: dict[str, Any], config_dir: Path | None) -> Path | None:
    """The operator's `theme.custom_dir`, resolved against the configuration's folder
    (None when there is none); ProjectError when it names no folder."""
    theme = operator.get("theme")
    custom = theme.get("custom_dir") if isinstance(theme, dict) else None
    if not (isinstance(custom, str) and custom and config_dir is not None):
        return None
    folder = (config_dir / custom).resolve()
    if not folder.is_dir():
        raise ProjectError(f"theme.custom_dir {custom!r} is not a folder ({folder}); fix it in mkdocs.yml")
    return folder


def _private_in(root: Path) -> Callable[[str, list[str]], list[str]]:
    """For `copytree` from the theme folder `root`: what is left out, the templates we
    render ourselves (e-mails, pages, answer pages) and notice.js (written from the
    site's data after the build)."""

    def ignore(folder: str, names: list[str]) -> list[str]:
        base = Path(folder).relative_to(root)
        return [name for name in names if not public_template((base / name).as_posix())]

    return ignore


def stage_projects(
    models: Sequence[SiteModel],
    pages: Sequence[Page],
    *,
    work: Path,
    operator: dict[str, Any],
    overrides: Path,
    marks: ContentMarks,
    engine: str,
) -> list[Project]:
    """One project per language's site under `<work>/projects/`, the source language's first."""
    projects = []
    (overrides / WORDS_CSS).parent.mkdir(parents=True, exist_ok=True)
    (overrides / WORDS_CSS).write_text(words_css(models), encoding="utf-8")
    prefixes = [m.url(urls.HOME) for m in models]
    for model in models:
        prefix = model.url(urls.HOME)
        others = [p for p in prefixes if p and p != prefix]
        own = [p for p in pages if p.url.startswith(prefix) and not any(p.url.startswith(o) for o in others)]
        folder = work / "projects" / (model.language or model.settings.source_language)
        docs = folder / "docs"
        write_tree([_staged_page(page, prefix, model.settings.site_url) for page in own], docs)
        raw = _stage_raw(folder / "raw", own)
        config = project_config(model, models, operator, overrides, engine=engine)
        config["markdown_extensions"].append(
            {"generator.site.mdx": {"raw": str(raw), "begin": marks.begin, "end": marks.end}}
        )
        config["docs_dir"] = "docs"
        config["site_dir"] = "site"
        config_path = folder / "mkdocs.yml"
        text = yaml.dump(config, Dumper=_KeepingDumper, allow_unicode=True, sort_keys=False)
        config_path.write_text(text, encoding="utf-8")
        projects.append(Project(model, folder, config_path, folder / "site"))
    return projects


def words_css(models: Sequence[SiteModel]) -> str:
    """`assets/policy-words.css`: the words CSS writes, in each language of the site (the
    badge after a core-rights heading of the policy text, `h2.core-rights`), chosen by
    the language of the element (`:lang()`, so that a text shown in the source language
    keeps its own), the more specific tags last."""
    rules = ["/* Written by the build from the site's catalogues (generator/site/project.py). */"]
    for model in sorted(models, key=lambda m: (m.language_code.count("-"), m.language_code)):
        badge = _css_string(model.words["core_badge"])
        rules.append(f".md-typeset h2.core-rights:lang({model.language_code})::after {{ content: {badge}; }}")
    return "\n".join(rules) + "\n"


def _css_string(text: str) -> str:
    """`text` as a CSS string, every character but letters, digits and spaces escaped."""
    return (
        '"'
        + "".join(c if c.isascii() and (c.isalnum() or c == " ") else f"\\{ord(c):x} " for c in text)
        + '"'
    )


def _stage_raw(folder: Path, pages: Iterable[Page]) -> Path:
    """The HTML the pages defer, one file per placeholder (named by its hash), for the
    Markdown extension to put back; stale files removed."""
    folder.mkdir(parents=True, exist_ok=True)
    wanted = set()
    for page in pages:
        for placeholder, html in page.raw.items():
            target = raw_file(folder, placeholder.removeprefix("<!--policy-raw:").removesuffix("-->"))
            wanted.add(target)
            if not target.is_file():
                target.write_text(html, encoding="utf-8")
    for path in folder.iterdir():
        if path not in wanted:
            path.unlink()
    return folder


def _staged_page(page: Page, prefix: str, site_url: str | None) -> Page:
    """`page` re-rooted at its language's project, with its alternates as links that
    hold from the page itself (`_direct_links`)."""
    front = dict(page.front)
    policy = front.get("policy")
    if isinstance(policy, dict) and isinstance(policy.get("alternates"), dict):
        links = _direct_links(policy["alternates"], page.url, site_url)
        front["policy"] = {**policy, "alternate_links": links}
    return replace(page, url=page.url.removeprefix(prefix), front=front)


def _direct_links(targets: dict[str, str], from_url: str, site_url: str | None) -> list[dict[str, Any]]:
    """The language switcher's entries (Material's `extra.alternate` items) for pages
    `targets` (language -> site-root-relative URL): absolute under `site_url` (hreflang
    links should be), else relative to the page at `from_url`. The templates print them
    as they are (`direct`): the engine's `url` filter cannot reach above a translation's
    own root."""
    links = {
        code: urls.absolute(url, site_url) if site_url else urls.relative(from_url, url)
        for code, url in targets.items()
    }
    return [{**item, "direct": True} for item in alternates(links)]


def project_config(
    model: SiteModel,
    models: Sequence[SiteModel],
    operator: dict[str, Any],
    overrides: Path,
    *,
    engine: str,
) -> dict[str, Any]:
    """The configuration of `model`'s project: the operator's, completed."""
    config = {k: v for k, v in operator.items() if k not in DROPPED_KEYS}
    settings = model.settings
    site_url = settings.site_url or config.get("site_url")
    if site_url:
        config["site_url"] = urls.absolute(model.url(urls.HOME), site_url)
    # The operator's name for the site (mkdocs.yml's `site_name`, `site_names`), else ours
    # in the language ("Policies", "政策").
    config["site_name"] = settings.site_name_in(model.language_code) or model.words["site_name"]
    config["use_directory_urls"] = True
    config["theme"] = _theme(model, operator.get("theme"), overrides, engine)
    config["nav"] = _navigation(model)
    config["markdown_extensions"] = _extensions(operator.get("markdown_extensions"))
    config["extra_css"] = _merged(config.get("extra_css"), EXTRA_CSS)
    config["extra_javascript"] = _merged(config.get("extra_javascript"), EXTRA_JS + ENGINE_JS.get(engine, ()))
    extra = dict(config.get("extra") or {}) if isinstance(config.get("extra"), dict) else {}
    # The templates pass the notices' links through the engine's `url` filter, which
    # reads them from this language's root.
    prefix = model.url(urls.HOME)
    context = template_context(model, lambda url: url.removeprefix(prefix))
    context["theme_language"] = config["theme"]["language"]
    # <html lang>: the page's whole tag (sr-Latn, where Material's translation is "sh"),
    # unless the operator chose the theme's language for a one-language site.
    context["language_tag"] = model.language_code if _own_language(model, operator.get("theme")) else ""
    extra["policy"] = context
    if len(models) > 1:
        # Truthy but not a list: Material shows the language switcher (our partial reads
        # each page's alternates) and writes no site-wide hreflang links of its own.
        home = {m.language_code: m.url(urls.HOME) for m in models}
        context["home_alternates"] = _direct_links(home, model.url(urls.HOME), settings.site_url)
        extra["alternate"] = True
    config["extra"] = extra
    config["plugins"] = _plugins(operator.get("plugins"), engine)
    if engine == "mkdocs":
        # Version and redline pages are linked from the archive, never in the sidebar.
        config["not_in_nav"] = "\n".join(HIDDEN_PAGES)
    return config


def _theme(model: SiteModel, theme: Any, overrides: Path, engine: str) -> dict[str, Any]:
    result = dict(theme) if isinstance(theme, dict) else {"name": "material"}
    result.setdefault("name", "material")
    result["custom_dir"] = str(overrides)
    default = str(result.get("language") or "en")
    dirs = [str(overrides), str(_material_templates())]
    if _own_language(model, theme):
        # Material's closest translation; the direction of the page's language, whatever
        # that translation's (a tag Material lacks may fall back to a left-to-right one).
        result["language"] = theme_language(model.language_code, dirs, default)
        result["direction"] = tags.direction(model.language_code)
    else:
        result["language"] = default
    features = list(result.get("features") or [])
    for feature in MATERIAL_FEATURES:
        if feature not in features:
            features.append(feature)
    result["features"] = features
    if engine == "zensical":
        # Material's look (Zensical's default "modern" variant is another design).
        result.setdefault("variant", "classic")
    return result


def _own_language(model: SiteModel, theme: Any) -> bool:
    """Whether the theme's language and direction follow the model's language: a
    translation's always, the source language's unless mkdocs.yml sets `theme.language`."""
    return model.language is not None or not (isinstance(theme, dict) and theme.get("language"))


def _material_templates() -> Path:
    spec = importlib.util.find_spec("material")
    assert spec is not None and spec.origin is not None, "mkdocs-material is a dependency"
    return Path(spec.origin).resolve().parent / "templates"


def _navigation(model: SiteModel) -> list[Any]:
    prefix = model.url(urls.HOME)
    return [{label: src.removeprefix(prefix)} for item in navigation(model) for label, src in item.items()]


def _extensions(given: Any) -> list[Any]:
    """The operator's Markdown extensions and the ones the pages need (toc with
    permalinks, tables with their alignment attributes, ...)."""
    items: list[Any] = list(given) if isinstance(given, list) else []
    names = [next(iter(item)) if isinstance(item, dict) else item for item in items]
    for name in MARKDOWN_EXTENSIONS:
        if name not in names:
            items.append(name)
            names.append(name)
    wanted = {"toc": {"permalink": True}, "tables": dict(TABLES_CONFIG)}
    for i, item in enumerate(items):
        name = names[i]
        if name in wanted:
            options = dict(item[name] or {}) if isinstance(item, dict) else {}
            for key, value in wanted[name].items():
                options.setdefault(key, value)
            items[i] = {name: options}
    return items


def _merged(given: Any, ours: Iterable[str]) -> list[Any]:
    items = list(given) if isinstance(given, list) else []
    for path in ours:
        if path not in [str(i) for i in items]:
            items.append(path)
    return items


def _plugins(given: Any, engine: str) -> list[Any]:
    """The operator's plugins but ours (the stages run outside the engine); search always."""
    entries = [{k: v} for k, v in given.items()] if isinstance(given, dict) else list(given or [])
    kept = [e for e in entries if e != "policy" and not (isinstance(e, dict) and "policy" in e)]
    names = [next(iter(e)) if isinstance(e, dict) else e for e in kept]
    if "search" not in names:
        kept.insert(0, "search")
    if engine == "zensical":
        # Zensical knows its own plugins only; it drops the others (with a warning).
        kept = [e for e in kept if (next(iter(e)) if isinstance(e, dict) else e) == "search"]
    return kept


def markdown_setup(operator: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    """The Markdown extensions (names) and their options that the pages are rendered
    with, as MkDocs reads them (its built-in toc, tables and fenced_code first; the
    operator's tags resolved): the redlines render each section body with the same."""
    from mkdocs.utils.yaml import yaml_load

    text = yaml.dump(
        {"markdown_extensions": _extensions(operator.get("markdown_extensions"))}, Dumper=_KeepingDumper
    )
    items = (yaml_load(text) or {}).get("markdown_extensions") or []
    names: list[Any] = ["toc", "tables", "fenced_code"]
    configs: dict[str, Any] = {}
    for item in items:
        name, options = next(iter(item.items())) if isinstance(item, dict) else (item, None)
        if name not in names:
            names.append(name)
        if options:
            configs[name] = options
    return names, configs
