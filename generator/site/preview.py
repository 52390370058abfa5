"""The live preview of `policyctl serve`: the same stages as `policyctl build`, rebuilt
into a temporary folder on every change and served by MkDocs' development server
(`mkdocs.livereload.LiveReloadServer`, a plain HTTP server with live reload that needs
no MkDocs build nor plugin), so that the preview renders with the configured engine,
MkDocs or Zensical, as the published site does.

A preview writes no public record and prints no PDFs; a history that breaks rules is
shown with warnings instead of being refused. It prints nothing itself: it logs to the
`mkdocs` logger as MkDocs' own server does (the command shows that log), and a failed
first build raises `BuildFailed`; a later failure is logged, and the last good site stays
served until the next change.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from generator.core.errors import PolicyError
from generator.settings import Settings
from generator.site.build import BuildFailed, SiteBuild, check_history, make_site, mkdocs_config
from generator.site.project import ProjectError, operator_theme_dir, read_operator_config

log = logging.getLogger("mkdocs.commands.serve")  # where MkDocs' server logs its requests and rebuilds


def serve_site(
    *,
    repo: Path,
    settings: Settings,
    as_of: dt.datetime | None,
    drafts: bool,
    dev_addr: str,
    config_file: Path | None,
) -> None:
    """Serve the preview at `dev_addr` (IP:PORT) until interrupted, rebuilt on every change
    of the policies, the branch, the configuration or the theme (`as_of` None: each
    rebuild's time)."""
    from mkdocs.livereload import LiveReloadServer

    host, port = _address(dev_addr)
    config_path = mkdocs_config(repo, config_file)
    # The preview links its own address, and prints no PDFs.
    mount = _mount_path(settings)
    address = f"[{host}]" if ":" in host else host
    settings = replace(settings, site_url=f"http://{address}:{port}{mount}", pdf=False)
    with tempfile.TemporaryDirectory(prefix="policyctl-serve-") as work:
        site = Path(work) / "site"  # a link to the last good build

        def builder() -> None:
            log.info("Building the preview...")
            try:
                _rebuild(repo, settings, as_of, drafts, config_path, site)
            except (PolicyError, BuildFailed) as error:
                log.error("the preview was not rebuilt: %s", error)

        log.info("Building the preview...")
        _rebuild(repo, settings, as_of, drafts, config_path, site)  # the first build: its failure ends it
        server = LiveReloadServer(builder=builder, host=host, port=port, root=str(site), mount_path=mount)
        server.error_handler = lambda code: _error_page(site, code)
        for path in _watched(repo, settings, config_path):
            server.watch(str(path))
        try:
            server.serve()
        except KeyboardInterrupt:
            log.info("Shutting down...")
        finally:
            server.shutdown()


def _rebuild(
    repo: Path,
    settings: Settings,
    as_of: dt.datetime | None,
    drafts: bool,
    config_path: Path | None,
    site: Path,
) -> None:
    """Build the preview and serve it at `site`: the stages of `policyctl build`, as a
    preview, into a new folder that the link `site` then points to (one rename: no request
    finds the site half replaced)."""
    now = as_of if as_of is not None else dt.datetime.now(settings.zone)
    build = SiteBuild(repo, settings, now, site, config_path, drafts=drafts, preview=True)
    work = Path(tempfile.mkdtemp(prefix="build-", dir=site.parent))
    try:
        checked = check_history(build)
        for violation in checked.violations:
            log.warning("policy: the history breaks a rule (preview only): %s", violation)
        built = make_site(build, checked, work)
    except ProjectError as error:
        shutil.rmtree(work, ignore_errors=True)
        raise BuildFailed(str(error)) from None
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    previous = site.resolve() if site.is_symlink() else None
    link = work.with_name(work.name + ".link")
    link.symlink_to(built.target, target_is_directory=True)
    os.replace(link, site)
    if previous is not None:
        shutil.rmtree(previous.parent, ignore_errors=True)
    for warning in (*checked.warnings, *built.warnings):
        log.warning("policy: %s", warning)


def _watched(repo: Path, settings: Settings, config_path: Path | None) -> Iterable[Path]:
    """What a rebuild follows: the policy folder, the branch, the configuration and the
    operator's theme folder."""
    git_dir = repo / ".git"
    candidates = [repo / settings.policy_dir, git_dir / "HEAD", git_dir / "refs" / "heads"]
    if config_path is not None:
        candidates.append(config_path)
        try:
            theme = operator_theme_dir(read_operator_config(config_path), config_path.parent)
        except ProjectError:
            theme = None
        if theme is not None:
            candidates.append(theme)
    return [path for path in candidates if path.exists()]


def _address(dev_addr: str) -> tuple[str, int]:
    """IP:PORT, as `--dev-addr` takes it; a PolicyError when it is not one."""
    host, _, port = dev_addr.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise PolicyError(
            f"--dev-addr {dev_addr!r} is not an address and port",
            remedy="give IP:PORT, such as 127.0.0.1:8000",
        )
    return host.strip("[]"), int(port)


def _mount_path(settings: Settings) -> str:
    """The path the site is served under: that of its site_url, as when it is published."""
    path = urlsplit(settings.site_url or "/").path or "/"
    return path if path.endswith("/") else path + "/"


def _error_page(site: Path, code: int) -> bytes | None:
    """The built site's own 404 page, as MkDocs' server shows it."""
    page = site / f"{code}.html"
    return page.read_bytes() if code in (404, 500) and page.is_file() else None
