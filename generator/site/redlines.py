"""The redline HTML between two versions: `generator.core.diff.redline`.

Results are memoised in memory by the texts' content hashes and, once `use_cache` has
named a folder (the plugin passes `<repo>/<cache_dir>`), on disk through
`generator.site.cache.ContentCache`: a rebuild after a new commit diffs only the new pairs.
"""

from __future__ import annotations

import hashlib
import importlib
import pkgutil
import sys
from pathlib import Path
from types import ModuleType

import generator.core.changes as changes
import generator.core.diff as diff
import generator.core.sections as sections
from generator.core.diff import redline
from generator.core.history import Version
from generator.site.cache import ContentCache, code_salt

_MEMO: dict[tuple[str, str], str] = {}
_DISK: ContentCache | None = None


def _code() -> list[ModuleType]:
    """The modules whose source decides a redline's HTML: every module of the
    `generator.core.diff` package, the section parser, the change classification
    (it decides each section's status) and this one."""
    names = sorted(info.name for info in pkgutil.iter_modules(diff.__path__, f"{diff.__name__}."))
    return [
        diff,
        *(importlib.import_module(name) for name in names),
        sections,
        changes,
        sys.modules[__name__],
    ]


def use_cache(folder: Path | None) -> None:
    """Keep redlines under `folder/redlines/` (None: in memory only)."""
    global _DISK
    if folder is None:
        _DISK = None
        return
    if _DISK is not None and _DISK.root == folder / "redlines":
        return
    _DISK = ContentCache(folder, "redlines", code_salt(*_code()))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def redline_html(old: Version, new: Version) -> str:
    key = (_digest(old.text), _digest(new.text))
    cached = _MEMO.get(key)
    if cached is not None:
        return cached
    disk = _DISK
    if disk is None:
        cached = _render(old, new)
    else:
        disk_key = disk.key(*key)
        cached = disk.get(disk_key)
        if cached is None:
            cached = _render(old, new)
            disk.put(disk_key, cached)
    _MEMO[key] = cached
    return cached


def _render(old: Version, new: Version) -> str:
    return redline(old.sections, new.sections).html
