"""The site build of `policyctl build` (and of `policyctl serve` and the MkDocs plugin),
as an API that prints nothing (the command, `generator.commands.build`, says what happened and exits).

A build runs in stages, each returning what the command shows: `SiteBuild.at` says where
it reads and writes; `check_history` reads the history and judges it, with the previous
public record (`Checked`: its warnings, and the violations that refuse the build);
`preflight` checks what the build needs before anything is built (warnings; a
`PolicyError` for what is missing); `build_site` builds into a temporary folder beside
the target and swaps it in only when the engine succeeded (`Built`: the site models, the new
public record, warnings), else raises `BuildFailed`: a failed build never leaves a
half-built site. The swap replaces the whole target folder, so an existing folder is
replaced only when it is empty or carries the `.policy-site` marker that every build
writes: a web root with other files in it is refused. A repository without `mkdocs.yml`
gets a bundled default configuration (Material, `site_templates/`, search, policy).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from generator.core.errors import PolicyError, Violation
from generator.core.history import History
from generator.core.record import Record
from generator.core.translations import lag_message
from generator.core.urls import FEED_XML, NOTICE_JS, NOTICES_JSON, VERSIONS_JSON
from generator.records import Witness, read_witness
from generator.settings import Settings, plugin_options, read_mkdocs_yml
from generator.site.catalogues import Catalogues, template
from generator.site.engines import EngineFailed, render, require_engine
from generator.site.finish import UnsealedPage, assemble, finish_site, seal
from generator.site.model import SiteModel, build_models, check_document_ids
from generator.site.pages import render_site
from generator.site.pdf import languages_without_a_font, require_chromium
from generator.site.project import (
    ContentMarks,
    ProjectError,
    markdown_setup,
    operator_theme_dir,
    read_operator_config,
    stage_overrides,
    stage_projects,
)
from generator.site.record import judge, publish_record, require_forward
from generator.site.record import sightings as record_sightings
from generator.site.redlines import MarkdownSetup, Redlines
from generator.site.sanitize import raw_html_warnings
from generator.site.templates import NOTICE_SCRIPT, SITE_MARKER, TEMPLATES_DIR


def default_config(settings: Settings) -> dict[str, Any]:
    """The configuration used when the repository has no mkdocs.yml."""
    if not (TEMPLATES_DIR / "main.html").is_file():
        raise PolicyError(
            "the site templates of policy-publisher are missing",
            file=str(TEMPLATES_DIR),
            remedy="reinstall policy-publisher from its repository (pip install -e .)",
        )
    return {
        "site_name": settings.site_name or template().words["site_name"],
        **({"site_url": settings.site_url} if settings.site_url else {}),
        "theme": {
            "name": "material",
            "custom_dir": str(TEMPLATES_DIR),
            # No web fonts: a privacy policy page should not send visitors' addresses
            # to a font host (which is also unreachable from mainland China).
            "font": False,
            "features": ["announce.dismiss", "navigation.footer"],
        },
        "plugins": ["search", "policy"],
    }


def write_default_config(folder: Path, settings: Settings, docs_dir: Path) -> Path:
    """The bundled default as a file, for the MkDocs plugin's preview (`policyctl serve`)."""
    path = folder / "mkdocs.yml"
    config = {**default_config(settings), "docs_dir": str(docs_dir)}
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def mkdocs_config(repo: Path, config_file: Path | None) -> Path | None:
    """The MkDocs configuration to build with: `--config`, else <repo>/mkdocs.yml when
    there is one; None: the bundled default (`write_default_config`)."""
    if config_file is not None:
        return config_file
    candidate = repo / "mkdocs.yml"
    return candidate if candidate.is_file() else None


def default_site_dir(repo: Path, config_file: Path | None) -> Path:
    """Where `build` writes when no --site-dir is given: mkdocs.yml's site_dir, else <repo>/site."""
    return _default_site_dir(repo, mkdocs_config(repo, config_file)).resolve()


def _default_site_dir(repo: Path, config_path: Path | None) -> Path:
    if config_path is not None:
        configured = read_mkdocs_yml(config_path).get("site_dir")
        if isinstance(configured, str) and configured:
            return (config_path.parent / configured).resolve()
    return repo / "site"


def _built_by_us(folder: Path) -> bool:
    """The folder carries our marker, or is a site built before the marker existed: its
    root holds the data files every build of ours writes, and nothing of ours is lost
    (a persistent web root rebuilt daily must not be refused after an upgrade)."""
    if (folder / SITE_MARKER).is_file():
        return True
    ours = (VERSIONS_JSON, NOTICES_JSON, FEED_XML, NOTICE_JS, "index.html")
    return all((folder / name).is_file() for name in ours)


def _check_target(target: Path, repo: Path) -> None:
    if target == repo or repo.is_relative_to(target):
        raise PolicyError(
            "the site folder would replace the repository",
            file=str(target),
            remedy="pass --site-dir with a folder of its own, e.g. site",
        )
    if target.exists():
        if not target.is_dir():
            raise PolicyError("the site folder is a file", file=str(target), remedy="pass another --site-dir")
        entries = sorted(target.iterdir())
        if entries and not _built_by_us(target):
            shown = [p.name + ("/" if p.is_dir() else "") for p in entries[:5]]
            more = f" and {len(entries) - 5} more" if len(entries) > 5 else ""
            raise PolicyError(
                "refusing to replace a folder that does not look like a built site: it has no "
                f"{SITE_MARKER} file (the marker every build writes) and holds {', '.join(shown)}{more}; "
                "a build replaces the whole folder, and everything in it would be lost",
                file=str(target),
                remedy="pass another --site-dir (a folder of its own, e.g. site); if this folder is "
                "an old build of this site and nothing else, delete it and build again",
            )


PLACEHOLDER_DOMAINS = ("example.com", "example.net", "example.org")


def placeholder_site_url(site_url: str | None) -> str | None:
    """A warning when `site_url` is still a placeholder (example.com, ...): notice.js,
    notices.json, feed.xml and the e-mails link there. None when it looks real or is unset."""
    if not site_url:
        return None
    host = (urlsplit(site_url).hostname or "").lower().rstrip(".")
    if not any(host == d or host.endswith("." + d) for d in PLACEHOLDER_DOMAINS) and not host.endswith(
        ".example"
    ):
        return None
    return (
        f"site_url is {site_url}, a placeholder: notices.json, feed.xml, versions.json and the "
        "e-mails link there, and notice.js on the shop's pages shows links to it\n"
        "  -> set site_url in mkdocs.yml to the address where the site is deployed"
    )


def _swap(new: Path, target: Path) -> None:
    """Put the new site in place: a rename on the same file system, never a half copy."""
    if not target.exists():
        os.rename(new, target)
        return
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    if old.exists():
        shutil.rmtree(old)
    os.rename(target, old)
    try:
        os.rename(new, target)
    except OSError:
        os.rename(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _dropped_versions(previous: Path, new: Path) -> list[str]:
    """Versions the previous build published that the new one does not: their permanent
    URLs would vanish (a force-push or reset rewrote the history)."""

    def urls_of(site: Path) -> dict[str, str]:
        try:
            data = json.loads((site / VERSIONS_JSON).read_text(encoding="utf-8"))
            return {
                v["url"]: f"{d['id']} version {v['version']}"
                for d in data.get("documents", [])
                for v in d.get("versions", [])
            }
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return {}

    before, after = urls_of(previous), urls_of(new)
    return [
        f"{name} was published at {url} by the previous build and is no longer in the history; "
        "its permanent URL disappears (restore the commits that published it)"
        for url, name in sorted(before.items())
        if url not in after
    ]


@dataclass(frozen=True)
class SiteBuild:
    """Where one build reads and writes."""

    repo: Path
    settings: Settings
    as_of: dt.datetime
    target: Path
    """The site folder the build replaces."""
    config_path: Path | None
    """The MkDocs configuration (`mkdocs_config`); None: the bundled default."""
    drafts: bool = False
    """A preview that also shows scheduled and uncommitted versions, marked as drafts."""
    preview: bool = False
    """A preview (`mkdocs serve`, drafts): no public record is written."""

    @classmethod
    def at(
        cls,
        *,
        repo: Path,
        settings: Settings,
        as_of: dt.datetime,
        site_dir: Path | None,
        config_file: Path | None,
    ) -> SiteBuild:
        """A build into `site_dir` (default: mkdocs.yml's site_dir, else <repo>/site)."""
        config = mkdocs_config(repo, config_file)
        return cls(repo, settings, as_of, (site_dir or _default_site_dir(repo, config)).resolve(), config)


@dataclass(frozen=True)
class Checked:
    """The history a build would publish, read and judged (`check_history`)."""

    history: History
    witness: Witness
    """The previous public record."""
    warnings: tuple[str, ...]
    """The history's advisories and the translations behind their source, to show."""
    violations: tuple[Violation, ...]
    """Broken rules: any refuses the build."""


@dataclass(frozen=True)
class Built:
    """A site built and swapped in (`build_site`)."""

    target: Path
    models: tuple[SiteModel, ...]
    """Every language's site, the source language's first."""
    witness: Witness
    """The public record before this build."""
    record: Record
    """The public record this build wrote."""
    warnings: tuple[str, ...]
    """Versions whose permanent URLs the new site dropped, PDFs the record logged otherwise."""

    @property
    def model(self) -> SiteModel:
        """The source language's site."""
        return self.models[0]

    @property
    def pages(self) -> int:
        """The pages MkDocs rendered: per document its page, archive, versions and redlines;
        per language the home and updates pages."""
        return sum(sum(2 + len(d.entries) + len(d.redlines) for d in m.documents) + 2 for m in self.models)


class BuildFailed(Exception):
    """MkDocs failed, or the configuration builds no policy site."""

    def __init__(self, message: str, *, unchanged: Path | None = None) -> None:
        super().__init__(message)
        self.unchanged = unchanged
        """The site folder that the failure left as it was, when that is worth saying."""


def check_history(
    build: SiteBuild,
    *,
    record: str | None = None,
    witness: Witness | None = None,
    more_checks: Callable[[History], list[Violation]] | None = None,
) -> Checked:
    """Read the history and judge it. `record`: the previous public record (a site folder,
    a log file or a URL; default: the log in the site folder). `more_checks`: rules of the
    caller's (the delivery ledger's announced texts) that refuse the build like the
    history's own. `witness`: the previous record already read (the MkDocs plugin reads it
    before MkDocs cleans the site folder)."""
    from generator.policies import read_history

    witness = witness if witness is not None else read_witness(record, build.target)
    require_forward(witness, build.as_of)
    sightings = record_sightings(witness, build.settings, build.as_of)
    drafts_at = build.as_of if build.drafts else None
    history = read_history(build.repo, build.settings, drafts_at=drafts_at, sightings=sightings)
    warnings = [str(advisory) for advisory in history.advisories]
    for lag in history.lags:
        what, remedy = lag_message(lag)
        warnings.append(f"{lag.path}: {what}; {remedy}")
    violations = [
        *history.violations,
        *judge(witness, history),
        *(more_checks(history) if more_checks else []),
    ]
    return Checked(history, witness, tuple(warnings), tuple(violations))


def preflight(build: SiteBuild, history: History) -> list[str]:
    """What a sound history's build needs, checked before anything is built: a
    `PolicyError` for what is missing (a document id that takes another page's address,
    Chromium for `pdf: true`), warnings for what would publish something wrong."""
    check_document_ids(history.documents)
    require_engine(build.settings.engine)
    warnings = []
    if build.settings.pdf:
        require_chromium(build.config_path)  # before anything is built: exit 2 with what to do
        for language in languages_without_a_font(build.settings.languages):
            warnings.append(
                f"pdf: true: no installed font has the characters of {language}: its PDFs "
                "would print them as empty boxes\n  -> install one on the machine that builds "
                "(Debian: apt-get install fonts-noto-cjk for zh, ja and ko)"
            )
    placeholder = placeholder_site_url(build.settings.site_url)  # mkdocs.yml's site_url, or the flag's
    if placeholder:
        warnings.append(placeholder)
    return warnings


def build_site(build: SiteBuild, checked: Checked) -> Built:
    """Build the site of the `checked` history into a temporary folder beside the target,
    with the public record, and swap it in. Raises `BuildFailed` (the target unchanged)."""
    target = build.target
    _check_target(target, build.repo)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{target.name}.build-", dir=target.parent) as work_dir:
        built = make_site(build, checked, Path(work_dir))
        _swap(built.target, target)
    return replace(built, target=target)


def make_site(build: SiteBuild, checked: Checked, work: Path, previous: Path | None = None) -> Built:
    """The site of the `checked` history built in `work/site`, with its public record
    unless the build is a preview. `previous`: the site it replaces (its PDFs of the same
    versions are kept; default: the target)."""
    previous = previous if previous is not None else build.target
    out, models, warnings = _render(build, checked.history, work, previous)
    warnings += _dropped_versions(previous, out)
    record, drifted = checked.witness.record, list[str]()
    if not build.preview:
        record, drifted = publish_record(out, models, checked.witness, build.as_of)
    return Built(out, models, checked.witness, record, (*warnings, *drifted))


def _render(
    build: SiteBuild, history: History, work: Path, previous: Path
) -> tuple[Path, tuple[SiteModel, ...], list[str]]:
    """The site of `history` built into `work/site`: the pages and a project per language
    staged (`generator.site.project`), each rendered by the engine
    (`generator.site.engines`), put together and finished (`generator.site.finish`).
    Returns the folder, the site models and warnings (the raw HTML the site leaves out,
    what the engine reported, then what the PDF printer refused)."""
    settings = build.settings
    catalogues = Catalogues.of_repository(build.repo)
    catalogue_warnings = catalogues.problems()  # a catalogue that cannot be used: PolicyError
    models = build_models(history, settings, build.as_of, drafts=build.drafts, catalogues=catalogues)
    operator = read_operator_config(build.config_path) if build.config_path else default_config(settings)
    _require_plugin(operator, build.config_path)
    redlines = Redlines(
        MarkdownSetup(*markdown_setup(operator)), cache_folder=build.repo / settings.cache_dir
    )
    pages = render_site(models, redlines)
    config_dir = build.config_path.parent if build.config_path else None
    try:
        overrides = stage_overrides(work, operator, config_dir, settings.engine)
    except ProjectError as error:
        raise BuildFailed(f"the site build failed: {error}", unchanged=build.target) from None
    marks = ContentMarks.new()
    projects = stage_projects(
        models, pages, work=work, operator=operator, overrides=overrides, marks=marks, engine=settings.engine
    )
    warnings = catalogue_warnings + raw_html_warnings(models[0])
    for project in projects:
        try:
            warnings += render(settings.engine, project.config_path, as_of=build.as_of)
        except EngineFailed as error:
            raise BuildFailed(
                f"the site build failed ({settings.engine}): {error}", unchanged=build.target
            ) from None
    out = work / "site"
    assemble(projects, out)
    try:
        seal(out, marks)
    except UnsealedPage as error:
        raise BuildFailed(f"the site build failed: {error}", unchanged=build.target) from None
    warnings += finish_site(
        out, models, notice_script=_notice_script(operator, config_dir), previous_site=previous
    )
    return out, models, warnings


def _require_plugin(operator: dict[str, Any], config_path: Path | None) -> None:
    """The settings live under the `policy` plugin: a configuration without it is not a
    policy site's (its settings would be silently the defaults)."""
    if plugin_options(operator) is None:
        raise BuildFailed(
            f"{config_path} does not enable the `policy` plugin; add `- policy` under `plugins:`"
        )


def _notice_script(operator: dict[str, Any], config_dir: Path | None) -> Path:
    """notice.js's source: the operator's theme folder's, else ours (`stage_overrides`
    has checked the folder)."""
    folder = operator_theme_dir(operator, config_dir)
    if folder is not None and (folder / NOTICE_SCRIPT).is_file():
        return folder / NOTICE_SCRIPT
    return TEMPLATES_DIR / NOTICE_SCRIPT
