"""The live preview of `policyctl serve`: MkDocs' development server over the staged
tree, the `policy` plugin driven by the command's options on every rebuild.

MkDocs' own `mkdocs.commands.serve.serve` loads the configuration anew for each rebuild,
out of the caller's reach; `serve_site` runs the same loop (MkDocs 1.6's: a temporary
site folder, `LiveReloadServer`, the plugins' `on_serve`) and hands each configuration
it loads the options (`generator.site.plugin.drive`) before building it. It prints
nothing: MkDocs logs to the `mkdocs` logger (the command shows it), and a failed first
build raises `BuildFailed`.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from mkdocs.config.defaults import MkDocsConfig

from generator.settings import Settings
from generator.site.build import BuildFailed, mkdocs_config, write_default_config
from generator.site.plugin import Runtime, drive

log = logging.getLogger("mkdocs.commands.serve")  # MkDocs' serve says "Building documentation..." there


def serve_site(
    *,
    repo: Path,
    settings: Settings,
    as_of: dt.datetime | None,
    drafts: bool,
    dev_addr: str,
    config_file: Path | None,
) -> None:
    """Serve the preview at `dev_addr` until interrupted, rebuilt on every change of the
    policies, the branch or the configuration (`as_of` None: each rebuild's time)."""
    from mkdocs.exceptions import MkDocsException

    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    config_path = mkdocs_config(repo, config_file)
    stage = repo / settings.cache_dir / ("preview-drafts" if drafts else "preview")
    stage.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="policyctl-serve-") as work_dir:
        if config_path is None:
            config_path = write_default_config(Path(work_dir), settings, stage)
        options = Runtime(repo=repo, settings=settings, as_of=as_of, drafts=drafts)
        try:
            _serve(config_path, stage, dev_addr, options)
        except MkDocsException as error:
            raise BuildFailed(str(error)) from None


def _serve(config_file: Path, stage: Path, dev_addr: str, options: Runtime) -> None:
    """MkDocs' `serve` (livereload on, clean rebuilds), each loaded configuration driven."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.livereload import LiveReloadServer

    site_dir = tempfile.mkdtemp(prefix="mkdocs_")

    def loaded() -> MkDocsConfig:
        config = load_config(
            config_file=str(config_file), site_dir=site_dir, dev_addr=dev_addr, docs_dir=str(stage)
        )
        drive(config, options)
        return config

    config = loaded()
    config.plugins.on_startup(command="serve", dirty=False)
    try:
        host, port = config.dev_addr

        def builder(config: MkDocsConfig | None = None) -> None:
            log.info("Building documentation...")
            if config is None:
                config = loaded()
            config.site_url = server.url
            build(config, serve_url=server.url, dirty=False)

        server = LiveReloadServer(
            builder=builder,
            host=host,
            port=port,
            root=site_dir,
            mount_path=urlsplit(config.site_url or "/").path,
        )
        server.error_handler = lambda code: _error_page(site_dir, code)
        builder(config)  # the first build: its failure ends the preview
        server.watch(config.docs_dir)
        if config.config_file_path:
            server.watch(config.config_file_path)
        server = config.plugins.on_serve(server, config=config, builder=builder)
        for item in config.watch:
            server.watch(item)
        try:
            server.serve()
        except KeyboardInterrupt:
            log.info("Shutting down...")
        finally:
            server.shutdown()
    finally:
        config.plugins.on_shutdown()
        shutil.rmtree(site_dir, ignore_errors=True)


def _error_page(site_dir: str, code: int) -> bytes | None:
    """The built site's own 404 or 500 page, as MkDocs' server shows it."""
    if code in (404, 500):
        page = Path(site_dir) / f"{code}.html"
        if page.is_file():
            return page.read_bytes()
    return None
