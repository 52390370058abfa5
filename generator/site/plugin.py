"""The `policy` MkDocs plugin: a thin adapter between MkDocs and the generator core.

- on_config: points `docs_dir` at the staged Markdown tree, adds the theme overrides
  (`site_templates/`), the Markdown extensions the pages need, and keeps version and
  redline pages out of the sidebar;
- on_pre_build: reads the git history, builds the site model at the instant, writes
  the Markdown tree (`generator.site.pages`) and the navigation, and hands the open notices
  to the templates (`config.extra.policy`);
- on_files: keeps the e-mail and page templates of `site_templates/` off the site;
- with more than one language (`languages`), on_nav makes each translation's sidebar and
  on_page_context gives each page its language's words, switcher, sidebar and search
  (`generator.site.languages`);
- on_page_content: sanitises the HTML of every page (`generator.site.sanitize`: no raw
  HTML from a policy file runs in a browser) and escapes its table of contents;
- on_post_build: with `pdf: true`, prints each version's PDF, or keeps the one of the
  site the build replaces (`generator.site.pdf`);
  writes versions.json, notices.json, feed.xml (a translation's under its prefix:
  `zh/notices.json`), notice.js and the `.policy-site` marker (`policyctl build` replaces
  only a folder that carries it); splits the search index by language.

The instant and other run options (`Runtime`) come from `policyctl`, which hands them to
the plugin instance of the configuration it builds (`drive`, between MkDocs' `load_config`
and its build), or, for plain `mkdocs build` / `mkdocs serve`, from the environment:

- `POLICYCTL_AS_OF`: build the site as of this ISO date or date-time (default: now);
- `POLICYCTL_DRAFTS=1`: also show scheduled and uncommitted versions, marked as drafts
  (for previews only; never deploy such a build);
- `POLICYCTL_STAGE_DIR`: where to write the Markdown tree
  (default: `<cache_dir>/stage` in the repository).

Everything a build decides lives on the plugin instance and is started afresh by each
build's `on_config` (MkDocs keeps one instance for a whole `mkdocs serve`, and in fact
for the rest of the process): the options, the site models, the redline renderer
(`generator.site.redlines.Redlines`, with the build's Markdown extensions and cache
folder). Nothing is kept in a module.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import Files
from mkdocs.structure.nav import Navigation, get_navigation
from mkdocs.structure.pages import Page
from mkdocs.utils.templates import TemplateContext

from generator.core import urls
from generator.core.dates import parse_instant
from generator.core.errors import PolicyError
from generator.core.record import NO_SIGHTINGS
from generator.policies import read_history
from generator.records import Witness, read_witness
from generator.settings import PolicyConfig, Settings, from_plugin_config
from generator.site.engines import LinkWarnings
from generator.site.feeds import data_files
from generator.site.languages import (
    alternates,
    hidden_prefixes,
    home_alternates,
    split_search_index,
    theme_language,
)
from generator.site.model import SiteModel, build_models
from generator.site.pages import navigation, render_site, write_tree
from generator.site.pdf import print_versions, require_chromium
from generator.site.record import judge, publish_record, require_forward
from generator.site.record import sightings as record_sightings
from generator.site.redlines import MarkdownSetup, Redlines
from generator.site.retired import write_retired
from generator.site.sanitize import (
    MARKDOWN_EXTENSIONS,
    TABLES_CONFIG,
    clean_html,
    escape_toc,
    raw_html_warnings,
)
from generator.site.templates import (
    EXTRA_CSS,
    EXTRA_JS,
    HIDDEN_PAGES,
    MARKER_TEXT,
    MATERIAL_FEATURES,
    NOTICE_SCRIPT,
    PRIVATE_TEMPLATES,
    SITE_MARKER,
    TEMPLATES_DIR,
    template_context,
)

log = logging.getLogger("mkdocs.plugins.policy")


@dataclass(frozen=True)
class Runtime:
    """Run options that `policyctl` hands to the plugin (`drive`; they win over the environment)."""

    repo: Path | None = None
    settings: Settings | None = None
    """Settings with the command line's overrides; default: the plugin's options."""
    as_of: dt.datetime | None = None
    """None: the time of each build (a live preview follows the clock)."""
    drafts: bool = False
    history: Any = None
    """An already read `History` to reuse (policyctl build checks it first)."""
    stage_dir: Path | None = None
    previous_site: Path | None = None
    """The site this build replaces: its PDFs of the same versions are kept byte for byte
    (`generator.site.pdf.print_versions`)."""

    @classmethod
    def from_environment(cls) -> Runtime:
        """The options of plain `mkdocs build` / `mkdocs serve` (`POLICYCTL_DRAFTS`,
        `POLICYCTL_STAGE_DIR`; `POLICYCTL_AS_OF` is read when the build starts)."""
        drafts = os.environ.get("POLICYCTL_DRAFTS", "").lower() in ("1", "true", "yes")
        stage = os.environ.get("POLICYCTL_STAGE_DIR")
        return cls(drafts=drafts, stage_dir=Path(stage) if stage else None)


def drive(config: MkDocsConfig, options: Runtime) -> PolicyPlugin | None:
    """Hand `options` to the `policy` plugin of `config` (what MkDocs' `load_config`
    returned): the next build of `config` uses them instead of the environment's. The
    code that builds calls it after `load_config` and before `mkdocs.commands.build.build`
    (for each configuration it loads); the plugin takes them at `on_config` and drops them
    at `on_shutdown`. None when the configuration does not enable the plugin."""
    plugin = config.plugins.get("policy")
    if not isinstance(plugin, PolicyPlugin):
        return None
    plugin.given = options
    return plugin


class PolicyPlugin(BasePlugin[PolicyConfig]):
    supports_multiple_instances = False

    def __init__(self) -> None:
        self.model: SiteModel | None = None
        """The source language's site."""
        self.models: tuple[SiteModel, ...] = ()
        """Every language's site, the source language's first."""
        self._contexts: dict[str | None, dict[str, Any]] = {}
        self._nav_configs: dict[str, list[Any]] = {}
        self._navigations: dict[str, Navigation] = {}
        self.repo: Path | None = None
        self.settings: Settings | None = None
        self.given: Runtime | None = None
        """The options `drive` handed over for the next build (None: plain MkDocs)."""
        self.runtime = Runtime()
        """This build's options: the given ones, else the environment's."""
        self.driven = False
        """This build is run by `policyctl` (which keeps the public record itself)."""
        self.redlines = Redlines()
        """This build's redline renderer (its Markdown extensions and cache folder)."""
        self.is_serve = False
        self._link_warnings: LinkWarnings | None = None
        self._raw: dict[str, dict[str, str]] = {}
        """The HTML each staged page takes in place of its placeholders, by source path."""
        self.witness: Witness | None = None
        """The previous public record, when this plugin keeps it (plain `mkdocs build`)."""
        self.built_as_of: dt.datetime | None = None
        self._previous: tempfile.TemporaryDirectory[str] | None = None

    # ------------------------------------------------------------ lifecycle

    def on_startup(self, *, command: str, dirty: bool) -> None:
        self.is_serve = command == "serve"

    def on_shutdown(self) -> None:
        self.given = None

    def _start_build(self) -> None:
        """Forget what the previous build of this instance decided; take the given options."""
        self.model, self.models = None, ()
        self._contexts, self._nav_configs, self._navigations, self._raw = {}, {}, {}, {}
        self.witness, self.built_as_of = None, None
        if self._previous is not None:
            self._previous.cleanup()
            self._previous = None
        self.driven = self.given is not None
        self.runtime = self.given if self.given is not None else Runtime.from_environment()
        self.given = None

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig | None:
        if not self.config.enabled:
            return config
        self._start_build()
        self.repo = (self.runtime.repo or Path(config.config_file_path or ".").parent).resolve()
        try:
            settings = self.runtime.settings or from_plugin_config(self.config)
        except PolicyError as error:
            raise PluginError(str(error)) from None
        self.settings = replace(
            settings,
            site_url=settings.site_url or config.site_url or None,
            site_name=settings.site_name or config.site_name or None,
        )
        if self.is_serve:
            # The preview server's own address, so that data-file links work locally; no
            # PDFs (printing each version on every change would slow the preview down).
            self.settings = replace(self.settings, site_url=config.site_url or None, pdf=False)

        stage = self.runtime.stage_dir or (self.repo / self.settings.cache_dir / "stage")
        stage.mkdir(parents=True, exist_ok=True)
        self.stage_dir = stage
        config.docs_dir = str(stage)
        if not config.use_directory_urls:
            log.warning("policy: use_directory_urls is forced on: the permanent URLs end in '/'")
            config.use_directory_urls = True

        _complete_config(config)
        # Redlines render each section body as the pages do: the same extensions.
        self.redlines = Redlines(
            MarkdownSetup(config.markdown_extensions, config.mdx_configs),
            cache_folder=self.repo / self.settings.cache_dir,
        )
        import pathspec

        if len(self.settings.languages) > 1:
            _quiet_jieba()
        # The staged tree is all generated: version and redline pages are linked from
        # the archive, never listed in the sidebar.
        config.not_in_nav = pathspec.GitIgnoreSpec.from_lines(HIDDEN_PAGES)
        return config

    def _as_of(self) -> dt.datetime:
        assert self.settings is not None
        if self.runtime.as_of is not None:
            return self.runtime.as_of
        text = os.environ.get("POLICYCTL_AS_OF")
        if text and not self.driven:
            try:
                return parse_instant(text, self.settings.zone)
            except ValueError as exc:
                raise PluginError(f"POLICYCTL_AS_OF: {exc}") from None
        return dt.datetime.now(self.settings.zone)

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        if not self.config.enabled:
            return
        assert self.settings is not None and self.repo is not None
        self._quiet_links()
        as_of = self._as_of()
        try:
            drafts_at = as_of if self.runtime.drafts else None
            witness = self._witness(config, as_of)
            sightings = record_sightings(witness, self.settings, as_of) if witness else NO_SIGHTINGS
            history = self.runtime.history or read_history(
                self.repo, self.settings, drafts_at=drafts_at, sightings=sightings
            )
            violations = [*history.violations, *(judge(witness, history) if witness else [])]
            if violations:
                problems = "\n".join(f"  {v}" for v in violations)
                if not (self.is_serve or self.runtime.drafts):
                    raise PluginError(
                        f"the policy history breaks {len(violations)} rule(s); "
                        f"run `policyctl check`:\n{problems}"
                    )
                log.warning("policy: the history breaks rules (preview only):\n%s", problems)
            models = build_models(history, self.settings, as_of, drafts=self.runtime.drafts)
            pages = render_site(models, self.redlines)
        except PolicyError as error:
            raise PluginError(str(error)) from None
        write_tree(pages, self.stage_dir)
        self._raw = {page.src: page.raw for page in pages if page.raw}
        self.model, self.models = models[0], models
        self.witness, self.built_as_of = witness, as_of
        for warning in raw_html_warnings(self.model):
            log.warning("policy: %s", warning)
        config.nav = navigation(self.model)
        self._nav_configs = {m.language: navigation(m) for m in models if m.language}
        self._contexts = {m.language: template_context(m) for m in models}
        if len(models) > 1:
            # Hidden from the source language's sidebar: version and redline pages, and
            # the translations' pages (each language has a sidebar of its own: on_nav).
            import pathspec

            config.not_in_nav = pathspec.GitIgnoreSpec.from_lines([*HIDDEN_PAGES, *hidden_prefixes(models)])
            default = config.theme.get("language") or "en"
            for m in models:
                context = self._contexts[m.language]
                context["theme_language"] = theme_language(m.language_code, config.theme.dirs, default)
                if m.language:
                    # Material's search reads the index under this base: /<lang>/search/.
                    context["search_base"] = m.url(urls.HOME)
            config.extra["alternate"] = home_alternates(models)
        config.extra["policy"] = self._contexts[None]

    def on_nav(self, nav: Navigation, *, config: MkDocsConfig, files: Files) -> Navigation | None:
        """Each translation's sidebar: its own pages, with its own labels."""
        if not self.config.enabled or not self._nav_configs:
            return nav
        source_nav = config.nav
        try:
            for language, nav_config in self._nav_configs.items():
                config.nav = nav_config
                self._navigations[language] = get_navigation(files, config)
                for item in nav_config:
                    for label, src in item.items():
                        file = files.get_file_from_path(src)
                        if file is not None and file.page is not None:
                            file.page.title = label
        finally:
            config.nav = source_nav
        return nav

    def on_page_context(
        self, context: TemplateContext, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext | None:
        """A page in a translation's language: its words, switcher, sidebar and search."""
        if not self.config.enabled or len(self.models) < 2:
            return context
        meta = page.meta.get("policy")
        meta = meta if isinstance(meta, dict) else {}
        language = meta.get("language")
        config.extra["policy"] = self._contexts.get(language, self._contexts[None])
        links = meta.get("alternates")
        config.extra["alternate"] = (
            alternates(links) if isinstance(links, dict) else home_alternates(self.models)
        )
        if language in self._navigations:
            context["nav"] = self._navigations[language]
        return context

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        if not self.config.enabled:
            return files
        for file in list(files):
            # E-mail, page and answer-page templates are ours to render (never published),
            # notice.js is written by on_post_build.
            if file.src_uri.startswith(PRIVATE_TEMPLATES) or file.src_uri == NOTICE_SCRIPT:
                if Path(file.abs_src_path or "").resolve().is_relative_to(TEMPLATES_DIR):
                    files.remove(file)
        return files

    def on_page_content(self, html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str | None:
        if not self.config.enabled:
            return html
        # Every page of the site is staged by this plugin (docs_dir is the staged tree).
        escape_toc(page.toc)
        for placeholder, raw in self._raw.get(page.file.src_uri, {}).items():
            html = html.replace(placeholder, raw)
        return clean_html(html)

    def _quiet_links(self) -> None:
        """Hold back MkDocs' link warnings for this build (see `LinkWarnings`)."""
        logger = logging.getLogger("mkdocs.structure.pages")
        if self._link_warnings is not None:
            logger.removeFilter(self._link_warnings)
        self._link_warnings = LinkWarnings()
        logger.addFilter(self._link_warnings)

    def _told_links(self) -> None:
        """The held-back link warnings as one line, after the project's own."""
        if self._link_warnings is None:
            return
        logging.getLogger("mkdocs.structure.pages").removeFilter(self._link_warnings)
        summary = self._link_warnings.summary()
        self._link_warnings = None
        if summary:
            log.warning(summary)

    def on_build_error(self, *, error: Exception) -> None:
        self._told_links()

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        self._told_links()
        if not self.config.enabled or self.model is None:
            return
        site = Path(config.site_dir)
        (site / SITE_MARKER).write_text(MARKER_TEXT, encoding="utf-8")
        pdfs: dict[str, str] = {}
        if self.model.settings.pdf:
            try:
                chromium = require_chromium(None)
                for model in self.models:  # each language's pages, beside them
                    pdfs.update(print_versions(site, model, chromium, self.runtime.previous_site))
            except PolicyError as error:
                raise PluginError(str(error)) from None
        several = len(self.models) > 1
        languages = {m.language_code: m.url(urls.NOTICES_JSON) for m in self.models} if several else {}
        for model in self.models:
            for name, content in data_files(model, pdfs=pdfs, languages=languages).items():
                target = site / model.url(name)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(content, encoding="utf-8")
        if several and config.theme.name == "material":
            # One search index per language (Material's search reads `search_base`).
            search = {
                m.language: _search_config(config, self._contexts[m.language]["theme_language"])
                for m in self.models
                if m.language
            }
            split_search_index(site, self.models, search)
        notice_js = _theme_file(config, NOTICE_SCRIPT)
        if notice_js is not None:
            shutil.copyfile(notice_js, site / urls.NOTICE_JS)
        # Comparisons that notices linked and this build no longer renders keep an address.
        write_retired(site, self.models)
        if self.witness is not None and self.built_as_of is not None:
            _, drifted = publish_record(site, self.models, self.witness, self.built_as_of)
            for line in drifted:
                log.warning("policy: %s", line)
        if self._previous is not None:
            self._previous.cleanup()
            self._previous = None

    def _witness(self, config: MkDocsConfig, as_of: dt.datetime) -> Witness | None:
        """Plain `mkdocs build` keeps the public record like `policyctl build` (which keeps
        it itself): the log in `site_dir`, read before MkDocs cleans the folder. With
        `pdf: true`, the previous PDFs are kept aside for reuse. None for previews."""
        if self.driven or self.is_serve or self.runtime.drafts:
            return None
        site = Path(config.site_dir)
        witness = read_witness(None, site)
        require_forward(witness, as_of)
        if self.settings is not None and self.settings.pdf and (site / urls.VERSIONS_JSON).is_file():
            self._previous = tempfile.TemporaryDirectory(prefix="policyctl-previous-")
            kept = Path(self._previous.name)
            for path in (*site.rglob("*.pdf"), *site.rglob(urls.VERSIONS_JSON)):
                target = kept / path.relative_to(site)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
            self.runtime = replace(self.runtime, previous_site=kept)
        return witness

    def on_serve(self, server: Any, *, config: MkDocsConfig, builder: Any) -> Any:
        if self.repo is None or self.settings is None:
            return server
        policy_dir = self.repo / self.settings.policy_dir
        if policy_dir.is_dir():
            server.watch(str(policy_dir))
        git_dir = self.repo / ".git"
        for path in (git_dir / "HEAD", git_dir / "refs" / "heads"):
            if path.exists():
                server.watch(str(path))
        return server


def _complete_config(config: MkDocsConfig) -> None:
    """What the pages need of MkDocs' configuration: the Markdown extensions (toc with
    permalinks, tables with alignment attributes, ...), Material's dismissible banner,
    our theme folder after the operator's, and our CSS and JS."""
    for name in MARKDOWN_EXTENSIONS:
        if name not in config.markdown_extensions:
            config.markdown_extensions.append(name)
    config.mdx_configs.setdefault("toc", {}).setdefault("permalink", True)
    for key, value in TABLES_CONFIG.items():
        config.mdx_configs.setdefault("tables", {}).setdefault(key, value)
    theme = config.theme
    if theme.name == "material":
        features = theme.get("features") or []
        for feature in MATERIAL_FEATURES:
            if feature not in features:
                features.append(feature)
        theme["features"] = features
    if str(TEMPLATES_DIR) not in [str(Path(d).resolve()) for d in theme.dirs]:
        theme.dirs.insert(1 if theme.custom_dir else 0, str(TEMPLATES_DIR))
    for path in EXTRA_CSS:
        if (TEMPLATES_DIR / path).exists() and path not in config.extra_css:
            config.extra_css.append(path)
    for path in EXTRA_JS:
        if path not in [str(s) for s in config.extra_javascript]:
            config.extra_javascript.append(path)


def _quiet_jieba() -> None:
    """Material's search splits Chinese text with jieba, which tells the console how it
    loaded its dictionary on every build: only its warnings, please."""
    try:
        import jieba  # type: ignore[import-untyped]
    except ImportError:
        return
    jieba.setLogLevel(logging.WARNING)


def _theme_file(config: MkDocsConfig, name: str) -> Path | None:
    for folder in config.theme.dirs:
        candidate = Path(folder) / name
        if candidate.is_file():
            return candidate
    return None


def _search_config(config: MkDocsConfig, language: str) -> dict[str, Any]:
    """Material's search settings for `language` (what its search plugin reads from the
    theme's translation when that is the site's language)."""
    env = config.theme.get_env()
    own = env.get_template(f"partials/languages/{language}.html").module
    fallback = env.get_template("partials/languages/en.html").module

    def t(key: str) -> str:
        return str(own.t(key)) or str(fallback.t(key))  # type: ignore[attr-defined]

    pipeline = [p for p in re.split(r"\s*,\s*", t("search.config.pipeline")) if p]
    return {
        "lang": [t("search.config.lang")],
        "separator": t("search.config.separator"),
        "pipeline": pipeline,
    }
