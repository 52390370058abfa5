"""A daily build that changes nothing costs nothing.

The site is a pure function of its inputs (the commit HEAD names, the settings, the
operator's configuration, theme and catalogues, this package's code and templates, the engine and the
libraries that shape the pages, the ledger's announced texts) and of the instant, and it
changes with the instant only where a document's state changes: the next change that the
build computed. Each build writes a stamp of its inputs and of the site's files into the
repository's private folder (`.policy/builds/<hash of the site folder's path>.json`:
hashes and instants only; the site itself stays a function of its inputs). A build whose inputs are those of the
stamp, at an instant between the stamp's and its next change, would write the same site:
it leaves the site as it is, and only keeps the public record, appending the daily line
of an unchanged site when the day changed (`generator.core.record.daily_checkpoint`) and
naming the new chain head where the pages name it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import importlib.metadata
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.core import urls
from generator.core.dates import iso
from generator.core.record import daily_checkpoint, parse_record
from generator.repository import head_commit
from generator.settings import PRIVATE_FOLDER, Settings
from generator.site.build import SiteBuild
from generator.site.engines import SEARCH_INDEXES
from generator.site.project import ProjectError, operator_theme_dir, read_operator_config
from generator.site.templates import TEMPLATES_DIR

STAMPS = f"{PRIVATE_FOLDER}/builds"
"""Where the stamps are, in the repository: one per site folder built."""
LIBRARIES = (
    "policy-publisher", "mkdocs", "mkdocs-material", "zensical", "markdown", "pymdown-extensions",
    "holidays", "babel", "nh3", "jieba",
)  # fmt: skip
"""The distributions whose version shapes the pages or the dates."""


@dataclass(frozen=True)
class Stamp:
    inputs: str
    """sha256 of everything the site is a function of, the instant aside."""
    as_of: dt.datetime
    next_change: dt.datetime | None
    """When the site would show something else (None: never, as things stand)."""
    head: str
    """The public record's chain head after that build."""
    witness: str = ""
    """sha256 of the record as that build left it (the log and the root versions.json,
    which names its head): a site changed since is built anew, and judged."""


def inputs_digest(build: SiteBuild, ledger: str | None) -> str | None:
    """The stamp's `inputs` for `build`; None when a build must run anyway: a preview, no
    commit, or a ledger on a database server (its announced texts cannot be fingerprinted
    without reading them)."""
    commit = head_commit(build.repo)
    ledger_state = _ledger_state(ledger)
    if build.preview or build.drafts or commit is None or ledger_state is None:
        return None
    parts = {
        "commit": commit,
        "settings": _settings_json(build.settings),
        "config": _file_digest(build.config_path),
        "theme": _theme_digest(build.config_path),
        # The operator's catalogues (`<repo>/locale/`), committed or not.
        "catalogues": _folder_digest(build.repo / "locale") if (build.repo / "locale").is_dir() else "",
        "code": _code_digest(),
        "ledger": ledger_state,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def still_current(build: SiteBuild, inputs: str | None) -> Stamp | None:
    """The stamp of the site in `build.target` when a build at `build.as_of` would write
    the same site, else None."""
    stamp = read_stamp(stamp_path(build.repo, build.target))
    if inputs is None or stamp is None or stamp.inputs != inputs:
        return None
    if build.as_of < stamp.as_of or (stamp.next_change is not None and build.as_of >= stamp.next_change):
        return None
    if witness_digest(build.target) != stamp.witness:
        return None  # the site was changed since: build anew (and judge its record)
    return stamp


def witness_digest(site: Path) -> str:
    """sha256 of the site as it is: every file's path, size and time of change (the
    stamp aside), and the bytes of its record (the log, and the root versions.json that
    names its head)."""
    digest = hashlib.sha256()
    for relative, size, changed in _listing(str(site), ""):
        digest.update(f"{relative}\0{size}\0{changed}\n".encode())
    for name in (urls.PUBLICATION_LOG, urls.VERSIONS_JSON):
        path = site / name
        digest.update(path.read_bytes() if path.is_file() else b"(none)")
        digest.update(b"\0")
    return digest.hexdigest()


def _listing(folder: str, prefix: str) -> Iterable[tuple[str, int, int]]:
    """(path relative to the site, size, time of change) of every entry under `folder`,
    in name order, symbolic links not followed (os.scandir: a site has tens of thousands
    of files)."""
    with os.scandir(folder) as scan:
        entries = sorted(scan, key=lambda e: e.name)
    for entry in entries:
        status = entry.stat(follow_symlinks=False)
        yield prefix + entry.name, status.st_size, status.st_mtime_ns
        if entry.is_dir(follow_symlinks=False):
            yield from _listing(entry.path, prefix + entry.name + "/")


def keep_record(build: SiteBuild, stamp: Stamp) -> Stamp:
    """The public record of an unchanged site at `build.as_of`: the day's line appended
    when the day changed, the new head named where the site names it; the new stamp."""
    site, zone = build.target, build.settings.zone
    log = site / urls.PUBLICATION_LOG
    record = parse_record(log.read_text(encoding="utf-8"))
    extended = daily_checkpoint(record, build.as_of, zone)
    if extended is not record:
        for path in _naming_the_head(site, build.settings):
            text = path.read_text(encoding="utf-8")
            _replace_file(path, text.replace(record.head, extended.head))
        _replace_file(log, extended.text)
    witness = stamp.witness if extended is record else witness_digest(site)
    kept = dataclasses.replace(stamp, as_of=build.as_of, head=extended.head, witness=witness)
    write_stamp(stamp_path(build.repo, site), kept)
    return kept


def stamp_path(repo: Path, site: Path) -> Path:
    """The stamp of the site folder `site` built from `repo`."""
    return repo / STAMPS / f"{hashlib.sha256(str(site.resolve()).encode()).hexdigest()[:24]}.json"


def read_stamp(path: Path) -> Stamp | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        next_change = data["next_change"]
        return Stamp(
            inputs=str(data["inputs"]),
            as_of=dt.datetime.fromisoformat(data["as_of"]),
            next_change=dt.datetime.fromisoformat(next_change) if next_change else None,
            head=str(data["head"]),
            witness=str(data["witness"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_stamp(path: Path, stamp: Stamp) -> None:
    data = {
        "inputs": stamp.inputs,
        "as_of": iso(stamp.as_of),
        "next_change": iso(stamp.next_change),
        "head": stamp.head,
        "witness": stamp.witness,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    ignore = path.parent / ".gitignore"
    if not ignore.is_file():  # never committed, even by `git add -A` without a .gitignore of the shop's
        ignore.write_text("*\n", encoding="utf-8")
    _replace_file(path, json.dumps(data, indent=2) + "\n")


def _naming_the_head(site: Path, settings: Settings) -> Iterable[Path]:
    """The files a build names the chain head in (`generator.site.record.stamp_head`)."""
    for language in settings.languages:
        prefix = None if language == settings.source_language else language
        for name in (urls.VERSIONS_JSON, urls.UPDATES + "index.html", *SEARCH_INDEXES):
            path = site / urls.in_language(name, prefix)
            if path.is_file():
                yield path


def _replace_file(path: Path, text: str) -> None:
    """Write `path` whole, through a temporary file renamed over it."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def _settings_json(settings: Settings) -> str:
    def plain(value: Any) -> Any:
        if isinstance(value, (frozenset, set)):
            return sorted(str(v) for v in value)
        if isinstance(value, (tuple, list)):
            return [plain(v) for v in value]
        return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)

    return json.dumps({k: plain(v) for k, v in dataclasses.asdict(settings).items()}, sort_keys=True)


def _file_digest(path: Path | None) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path is not None and path.is_file() else ""


def _folder_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _theme_digest(config_path: Path | None) -> str:
    try:
        folder = operator_theme_dir(
            read_operator_config(config_path), config_path.parent if config_path else None
        )
    except ProjectError:
        return "unreadable"
    return _folder_digest(folder) if folder is not None and folder != TEMPLATES_DIR else ""


@functools.cache
def _code_digest() -> str:
    """This package's code and templates, and the versions of the libraries that shape
    the pages (once per process)."""
    root = Path(__file__).resolve().parents[2]
    versions = []
    for name in LIBRARIES:
        try:
            versions.append(f"{name}={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{name}=")
    parts = [_folder_digest(root / package) for package in ("generator", "notify")]
    return hashlib.sha256("\n".join([*parts, _folder_digest(TEMPLATES_DIR), *versions]).encode()).hexdigest()


def _ledger_state(ledger: str | None) -> str | None:
    """What the announced texts depend on: a local SQLite ledger's size and time of change;
    None for a ledger on a server."""
    if ledger is None:
        return ""
    if not ledger.startswith("sqlite:///"):
        return None
    path = Path(ledger.removeprefix("sqlite:///"))
    if not path.is_file():
        return "absent"
    status = path.stat()
    wal = path.with_name(path.name + "-wal")
    wal_state = f"{wal.stat().st_size}:{wal.stat().st_mtime_ns}" if wal.is_file() else ""
    return f"{status.st_size}:{status.st_mtime_ns}:{wal_state}"
