"""The engines that render a staged project (`generator.site.project`) into HTML.

An engine is a renderer here, not the host: it reads a complete project (its
`mkdocs.yml`, Markdown pages and theme overrides) and writes a site folder; nothing of
ours runs inside it. `mkdocs` (the default) is MkDocs 1.x with Material for MkDocs, run
in this process; `zensical` is Material's successor, run as a child process (it has no
plugin API and keeps state of its own), with a time limit.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from generator.core.errors import PolicyError

ZENSICAL_TIMEOUT = 900  # seconds for one language's project
SEARCH_INDEXES = ("search/search_index.json", "search.json")
"""Where each engine writes a language's search index (MkDocs with Material; Zensical)."""


_LINK_WARNING = re.compile(
    r"^Doc file '(?P<page>[^']*)' contains (?:a link|an unrecognized relative link|an absolute link) "
    r"'(?P<link>[^']*)'"
)


class LinkWarnings(logging.Filter):
    """MkDocs' warnings about links in the pages it renders (every page is staged from a
    policy text, whose links to the shop's own pages MkDocs cannot resolve), held back
    and told as one summary line at the end of the build: a real history otherwise
    buries the project's own warnings under hundreds of them."""

    EXAMPLES = 3

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            match = _LINK_WARNING.match(record.getMessage())
            if match:
                self.links.append((match.group("page"), match.group("link")))
                return False
        return True

    def summary(self) -> str | None:
        if not self.links:
            return None
        examples = "; ".join(f"{link!r} on {page}" for page, link in self.links[: self.EXAMPLES])
        count = len(self.links)
        pages = len({page for page, _ in self.links})
        return (
            f"policy: {count} link{'s' if count != 1 else ''} in the policy texts ({pages} "
            f"page{'s' if pages != 1 else ''}) lead to no page of this site and are left as written, "
            f"e.g. {examples}; a relative link in a policy resolves against each version's page "
            "(/<doc>/versions/<version>/): write links to the shop's pages as absolute https:// addresses"
        )


class EngineFailed(Exception):
    """The engine could not render a project; the message says what it reported."""


def render(engine: str, config_path: Path, *, as_of: dt.datetime, strict: bool = False) -> list[str]:
    """Render the project of `config_path` with `engine` into its `site_dir`, stamped with
    the build's instant (pages and sitemap dates: the site is a pure function of the
    history and the instant). Returns warnings to show after the build's own."""
    with _build_date(as_of):
        if engine == "zensical":
            links = LinkWarnings()
            links.links = zensical_links(_zensical(config_path, strict), config_path.parent / "docs")
            summary = links.summary()
            return [summary] if summary else []
        return _mkdocs(config_path, strict)


def require_engine(engine: str) -> None:
    """A PolicyError that says how to install `engine` when it is not installed."""
    if engine != "zensical":
        return
    import importlib.util

    if importlib.util.find_spec("zensical") is None:
        raise PolicyError(
            "the zensical engine is not installed",
            remedy="pip install zensical (in the environment that runs policyctl), or build with --engine mkdocs",
        )


def _mkdocs(config_path: Path, strict: bool) -> list[str]:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")  # policyctl pins mkdocs<2 itself
    _quiet_jieba()
    links = LinkWarnings()
    logger = logging.getLogger("mkdocs.structure.pages")
    logger.addFilter(links)
    try:
        config = load_config(config_file=str(config_path), strict=strict)
        config.plugins.on_startup(command="build", dirty=False)
        try:
            build(config)
        finally:
            config.plugins.on_shutdown()
    except MkDocsException as error:
        raise EngineFailed(str(error)) from None
    finally:
        logger.removeFilter(links)
    summary = links.summary()
    return [summary] if summary else []


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_ZENSICAL_LINK = re.compile(
    r"^Warning: page does not exist\s*\n\s*\S+\[ (?P<page>.+?):(?P<line>\d+):(?P<column>\d+) \]", re.MULTILINE
)


def zensical_links(report: str, docs: Path) -> list[tuple[str, str]]:
    """The links that lead to no page in Zensical's report (`report`, what it printed):
    (page, link) as `LinkWarnings` holds MkDocs' ones. Zensical names the page, line and
    column of each; the link is read there from the staged page in `docs`."""
    found = []
    for match in _ZENSICAL_LINK.finditer(_ANSI.sub("", report)):
        page, line, column = match.group("page"), int(match.group("line")), int(match.group("column"))
        try:
            text = (docs / page).read_text(encoding="utf-8").splitlines()[line - 1][column - 1 :]
        except (OSError, IndexError):
            text = ""
        link = re.match(r"[^\s)]*", text)
        found.append((page, link.group(0) if link else ""))
    return found


def _zensical(config_path: Path, strict: bool) -> str:
    """Zensical's build of `config_path` as a child process; what it printed."""
    command = [sys.executable, "-m", "zensical", "build", "-f", str(config_path)]
    if strict:
        command.append("--strict")
    env = {**os.environ, "NO_COLOR": "1"}
    try:
        done = subprocess.run(
            command,
            cwd=config_path.parent,
            env=env,
            capture_output=True,
            text=True,
            timeout=ZENSICAL_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise EngineFailed(f"zensical did not finish within {ZENSICAL_TIMEOUT} s") from None
    if done.returncode != 0:
        lines = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
        raise EngineFailed(
            f"zensical failed (exit {done.returncode}): {lines[-1] if lines else 'no message'}"
        )
    return (done.stdout or "") + "\n" + (done.stderr or "")


@contextlib.contextmanager
def _build_date(as_of: dt.datetime) -> Iterator[None]:
    """MkDocs and Zensical stamp pages and the sitemap with the build date: make it the
    instant, so the site is a pure function of the history and `as_of`."""
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(max(0, int(as_of.timestamp())))
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous


def _quiet_jieba() -> None:
    """Material's search splits Chinese text with jieba, which tells the console how it
    loaded its dictionary on every build: only its warnings, please."""
    try:
        import jieba  # type: ignore[import-untyped]
    except ImportError:
        return
    jieba.setLogLevel(logging.WARNING)
