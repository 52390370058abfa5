"""The `policy` MkDocs plugin: `mkdocs build` and `mkdocs serve` over the same stages as
`policyctl build`, for those who run MkDocs themselves.

It is an adapter, not a second implementation. MkDocs itself renders nothing of the site:
`on_config` points `docs_dir` at an empty folder. After MkDocs' own (empty) build,
`on_post_build` runs the stages of `generator.site.build` (read and judge the history,
stage a project per language, render each with the engine, finish the site, keep the
public record) and puts the finished site in MkDocs' `site_dir`. The previous public
record is read in `on_pre_build`, before MkDocs cleans that folder.

The instant and the drafts come from the environment (`policyctl build` and `policyctl
serve` run the stages themselves, without MkDocs' hooks):

- `POLICYCTL_AS_OF`: build the site as of this ISO date or date-time (default: now);
- `POLICYCTL_DRAFTS=1`: also show scheduled and uncommitted versions, marked as drafts
  (for previews only; never deploy such a build).

`mkdocs serve` and draft previews write no public record and print no PDFs; a preview
links the preview server's own address. Everything a build decides lives on the plugin
instance and is started afresh by each build's `on_config` (MkDocs keeps one instance
for the rest of the process).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin

from generator.core.dates import parse_instant
from generator.core.errors import PolicyError
from generator.records import Witness, read_witness
from generator.settings import PolicyConfig, Settings, from_plugin_config
from generator.site.build import BuildFailed, SiteBuild, check_history, make_site
from generator.site.record import require_forward

log = logging.getLogger("mkdocs.plugins.policy")


def drafts_from_environment() -> bool:
    """`POLICYCTL_DRAFTS=1` (or true, yes): the build also shows drafts."""
    return os.environ.get("POLICYCTL_DRAFTS", "").lower() in ("1", "true", "yes")


class PolicyPlugin(BasePlugin[PolicyConfig]):
    supports_multiple_instances = False

    def __init__(self) -> None:
        self.drafts = False
        """This build also shows scheduled and uncommitted versions (POLICYCTL_DRAFTS)."""
        self.repo: Path | None = None
        self.settings: Settings | None = None
        self.is_serve = False
        self.built: Any = None
        """The last build's `generator.site.build.Built`."""
        self._witness: Witness | None = None
        self._previous: tempfile.TemporaryDirectory[str] | None = None
        self._empty: tempfile.TemporaryDirectory[str] | None = None

    def on_startup(self, *, command: str, dirty: bool) -> None:
        self.is_serve = command == "serve"

    def on_shutdown(self) -> None:
        for folder in (self._previous, self._empty):
            if folder is not None:
                folder.cleanup()
        self._previous = self._empty = None

    @property
    def preview(self) -> bool:
        return self.is_serve or self.drafts

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig | None:
        if not self.config.enabled:
            return config
        self.drafts = drafts_from_environment()
        self.built, self._witness = None, None
        self.repo = Path(config.config_file_path or ".").parent.resolve()
        try:
            settings = from_plugin_config(self.config)
        except PolicyError as error:
            raise PluginError(str(error)) from None
        self.settings = replace(
            settings,
            site_url=settings.site_url or config.site_url or None,
            site_name=settings.site_name or config.site_name or None,
        )
        if self.is_serve:
            # The preview server's own address, so that links work locally; no PDFs.
            self.settings = replace(self.settings, site_url=config.site_url or None, pdf=False)
        # MkDocs renders nothing of ours: the stages stage and render the site themselves.
        if self._empty is None:
            self._empty = tempfile.TemporaryDirectory(prefix="policyctl-mkdocs-")
        config.docs_dir = self._empty.name
        config.nav = []
        return config

    def _as_of(self) -> dt.datetime:
        assert self.settings is not None
        text = os.environ.get("POLICYCTL_AS_OF")
        if text:
            try:
                return parse_instant(text, self.settings.zone)
            except ValueError as exc:
                raise PluginError(f"POLICYCTL_AS_OF: {exc}") from None
        return dt.datetime.now(self.settings.zone)

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        """The previous public record (and, with `pdf: true`, the previous PDFs), read
        before MkDocs cleans `site_dir`."""
        if not self.config.enabled or self.preview:
            return
        site = Path(config.site_dir)
        witness = read_witness(None, site)
        try:
            require_forward(witness, self._as_of())
        except PolicyError as error:
            raise PluginError(str(error)) from None
        self._witness = witness
        if self._previous is not None:
            self._previous.cleanup()
        self._previous = tempfile.TemporaryDirectory(prefix="policyctl-previous-")
        kept = Path(self._previous.name)
        for path in (*site.rglob("*.pdf"), *site.rglob("versions.json")):
            target = kept / path.relative_to(site)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        if not self.config.enabled:
            return
        assert self.settings is not None and self.repo is not None
        site = Path(config.site_dir)
        config_path = Path(config.config_file_path) if config.config_file_path else None
        build = SiteBuild(
            self.repo,
            self.settings,
            self._as_of(),
            site,
            config_path,
            drafts=self.drafts,
            preview=self.preview,
        )
        try:
            checked = check_history(build, witness=self._witness)
            self._refuse(checked.violations)
            with tempfile.TemporaryDirectory(prefix="policyctl-plugin-") as work:
                previous = Path(self._previous.name) if self._previous is not None else None
                self.built = make_site(build, checked, Path(work), previous)
                _replace_contents(site, self.built.target)
        except (PolicyError, BuildFailed) as error:
            raise PluginError(str(error)) from None
        for warning in (*checked.warnings, *self.built.warnings):
            log.warning("policy: %s", warning)

    def _refuse(self, violations: Any) -> None:
        """A broken history refuses the build; a preview shows it with a warning."""
        if not violations:
            return
        problems = "\n".join(f"  {v}" for v in violations)
        if not self.preview:
            raise PluginError(
                f"the policy history breaks {len(violations)} rule(s); run `policyctl check`:\n{problems}"
            )
        log.warning("policy: the history breaks rules (preview only):\n%s", problems)

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


def _replace_contents(site: Path, built: Path) -> None:
    """Put the finished site in MkDocs' `site_dir`, instead of what MkDocs wrote there."""
    site.mkdir(parents=True, exist_ok=True)
    for entry in site.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    for entry in built.iterdir():
        shutil.move(str(entry), site / entry.name)
