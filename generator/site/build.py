"""`policyctl build` and `policyctl serve`: MkDocs with the `policy` plugin.

`build_site` reads and checks the history (refusing to build on violations), builds
into a temporary folder beside the target and swaps it in only when MkDocs succeeded:
a failed build never leaves a half-built site. The swap replaces the whole target folder,
so an existing folder is replaced only when it is empty or carries the `.policy-site`
marker that every build writes: a web root with other files in it is refused. A
repository without `mkdocs.yml` gets a bundled default configuration (Material,
`site_templates/`, search, policy).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from generator.core import urls
from generator.core.errors import EXIT_FAILED, EXIT_OK, PolicyError, Violation
from generator.core.history import History
from generator.core.urls import FEED_XML, NOTICE_JS, NOTICES_JSON, VERSIONS_JSON
from generator.records import read_witness
from generator.settings import Settings, read_mkdocs_yml
from generator.site.pdf import languages_without_a_font, require_chromium
from generator.site.plugin import SITE_MARKER, TEMPLATES_DIR, PolicyPlugin, Runtime, runtime
from generator.site.record import judge, publish_record, require_forward
from generator.site.record import sightings as record_sightings



def default_config(settings: Settings, docs_dir: Path) -> dict:
    """The configuration used when the repository has no mkdocs.yml."""
    if not (TEMPLATES_DIR / "main.html").is_file():
        raise PolicyError(
            "the site templates of policy-publisher are missing",
            file=str(TEMPLATES_DIR),
            remedy="reinstall policy-publisher from its repository (pip install -e .)",
        )
    return {
        "site_name": settings.site_name or "Policies",
        **({"site_url": settings.site_url} if settings.site_url else {}),
        "docs_dir": str(docs_dir),
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
    path = folder / "mkdocs.yml"
    path.write_text(yaml.safe_dump(default_config(settings, docs_dir), sort_keys=False), encoding="utf-8")
    return path


def _config_path(repo: Path, config_file: Path | None) -> Path | None:
    if config_file is not None:
        return config_file
    candidate = repo / "mkdocs.yml"
    return candidate if candidate.is_file() else None


def default_site_dir(repo: Path, config_file: Path | None) -> Path:
    """Where `build` writes when no --site-dir is given: mkdocs.yml's site_dir, else <repo>/site."""
    return _default_site_dir(repo, _config_path(repo, config_file)).resolve()


def _default_site_dir(repo: Path, config_path: Path | None) -> Path:
    if config_path is not None:
        configured = read_mkdocs_yml(config_path).get("site_dir")
        if isinstance(configured, str) and configured:
            return (config_path.parent / configured).resolve()
    return repo / "site"


@contextlib.contextmanager
def _mkdocs_logging() -> Iterator[list[str]]:
    """Show MkDocs' warnings and errors; collect them for the summary."""
    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            text = record.getMessage()
            messages.append(text)
            print(f"{record.levelname.lower()}: {text}", file=sys.stderr)

    handler = Collect(logging.WARNING)
    logger = logging.getLogger("mkdocs")
    logger.addHandler(handler)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)


@contextlib.contextmanager
def _build_date(as_of: dt.datetime) -> Iterator[None]:
    """MkDocs stamps pages and the sitemap with the build date: make it the instant, so
    the site is a pure function of the history and `as_of`."""
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(max(0, int(as_of.timestamp())))
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


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


def build_site(
    *,
    repo: Path,
    settings: Settings,
    as_of: dt.datetime,
    site_dir: Path | None,
    config_file: Path | None,
    record: str | None = None,
    more_checks: Callable[[History], list[Violation]] | None = None,
) -> int:
    """Build the site into `site_dir` (default: mkdocs.yml's site_dir, else <repo>/site).

    `record`: the previous public record (a site folder, a log file or a URL; default: the
    log in the site folder). `more_checks`: rules of the caller's (the delivery ledger's
    announced texts) that refuse the build like the history's own."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    from generator.core.translations import lag_message
    from generator.policies import read_history
    from generator.site.model import check_document_ids

    started = time.perf_counter()
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")  # policyctl pins mkdocs<2 itself
    config_path = _config_path(repo, config_file)
    target = (site_dir or _default_site_dir(repo, config_path)).resolve()
    witness = read_witness(record, target)
    require_forward(witness, as_of)
    history = read_history(repo, settings, sightings=record_sightings(witness, settings, as_of))
    for advisory in history.advisories:
        print(f"warning: {advisory}", file=sys.stderr)
    for lag in history.lags:
        what, remedy = lag_message(lag)
        print(f"warning: {lag.path}: {what}; {remedy}", file=sys.stderr)
    violations = [
        *history.violations,
        *judge(witness, history),
        *(more_checks(history) if more_checks else []),
    ]
    if violations:
        for violation in violations:
            print(f"error: {violation}")
        count = len(violations)
        print(
            f"\n{count} problem{'s' if count != 1 else ''} found. The site was not built; fix them and rebuild."
        )
        return EXIT_FAILED

    check_document_ids(history.documents)
    if settings.pdf:
        require_chromium(config_path)  # before anything is built: exit 2 with what to do
        for language in languages_without_a_font(settings.languages):
            print(
                f"warning: pdf: true: no installed font has the characters of {language}: its PDFs "
                "would print them as empty boxes\n  -> install one on the machine that builds "
                "(Debian: apt-get install fonts-noto-cjk for zh, ja and ko)",
                file=sys.stderr,
            )
    placeholder = placeholder_site_url(settings.site_url)  # mkdocs.yml's site_url, or the flag's
    if placeholder:
        print(f"warning: {placeholder}", file=sys.stderr)
    _check_target(target, repo)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{target.name}.build-", dir=target.parent) as work_dir:
        work = Path(work_dir)
        out, stage = work / "site", work / "docs"
        stage.mkdir()
        if config_path is None:
            config_path = write_default_config(work, settings, stage)
        options = Runtime(
            repo=repo, settings=settings, as_of=as_of, history=history, stage_dir=stage, previous_site=target
        )
        with runtime(options), _mkdocs_logging(), _build_date(as_of):
            try:
                # docs_dir: the staged tree (the plugin sets it too; passing it here spares a
                # repository's mkdocs.yml from needing an existing docs/ folder).
                config = load_config(config_file=str(config_path), site_dir=str(out), docs_dir=str(stage))
                config.plugins.on_startup(command="build", dirty=False)
                try:
                    build(config)
                finally:
                    config.plugins.on_shutdown()
            except MkDocsException as error:
                print(f"error: the site build failed: {error}", file=sys.stderr)
                print(f"The site in {target} was not changed.", file=sys.stderr)
                return EXIT_FAILED
        if "policy" not in config.plugins:
            print(
                f"error: {config_path} does not enable the `policy` plugin; add `- policy` under `plugins:`",
                file=sys.stderr,
            )
            return EXIT_FAILED
        plugin = config.plugins["policy"]
        model = plugin.model if isinstance(plugin, PolicyPlugin) else None
        if model is None:
            print("error: the `policy` plugin built no site model", file=sys.stderr)
            return EXIT_FAILED
        for line in _dropped_versions(target, out):
            print(f"warning: {line}", file=sys.stderr)
        models = plugin.models if isinstance(plugin, PolicyPlugin) else (model,)
        written, drifted = publish_record(out, models, witness, as_of)
        for line in drifted:
            print(f"warning: {line}", file=sys.stderr)
        _swap(out, target)

    elapsed = time.perf_counter() - started
    pages = sum(sum(1 + 1 + len(d.entries) + len(d.redlines) for d in m.documents) + 2 for m in models)
    languages = f" in {len(models)} languages" if len(models) > 1 else ""
    print(
        f"Built {pages} pages{languages} for {len(model.documents)} document(s) as of "
        f"{as_of.isoformat(timespec='minutes')} into {target} in {elapsed:.1f} s."
    )
    added = len(written.lines) - len(witness.record.lines)
    if witness.found:
        print(f"  Public record: {added} line(s) appended to {witness.where}; chain head {written.head}.")
    else:
        print(
            f"  Public record started: {urls.PUBLICATION_LOG} with {added} line(s), the versions in the "
            f"history entered as inherited; chain head {written.head}."
        )
    if model.settings.pdf:
        printed = sum(1 for d in model.documents for e in d.entries if not e.draft)
        print(f"  {printed} version PDF(s) printed with headless Chromium (pdf: true).")
    for notice in model.notices:
        print(
            f"  pending: {notice.document} {notice.version.version} takes effect "
            f"{notice.version.effective.isoformat()}"
        )
    due = [d.state.next_change for d in model.documents if d.state.next_change]
    if due:
        print(f"Rebuild the site at {min(due).isoformat()} (the next state change).")
    return EXIT_OK


def serve_site(
    *,
    repo: Path,
    settings: Settings,
    as_of: dt.datetime | None,
    drafts: bool,
    dev_addr: str,
    config_file: Path | None,
) -> int:
    from mkdocs.commands.serve import serve
    from mkdocs.exceptions import MkDocsException

    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    config_path = _config_path(repo, config_file)
    stage = repo / settings.cache_dir / ("preview-drafts" if drafts else "preview")
    stage.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="policyctl-serve-") as work_dir:
        if config_path is None:
            config_path = write_default_config(Path(work_dir), settings, stage)
        options = Runtime(repo=repo, settings=settings, as_of=as_of, drafts=drafts, stage_dir=stage)
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)-7s -  %(message)s"))
        logger = logging.getLogger("mkdocs")
        level = logger.level
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        try:
            with runtime(options):
                serve(config_file=str(config_path), dev_addr=dev_addr, livereload=True, docs_dir=str(stage))
        except MkDocsException as error:
            print(f"error: {error}", file=sys.stderr)
            return EXIT_FAILED
        finally:
            logger.removeHandler(handler)
            logger.setLevel(level)
    return EXIT_OK
