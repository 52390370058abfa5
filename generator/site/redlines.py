"""The redline HTML between two versions: `generator.core.diff.redline` when it is there,
else a plain word-level fallback so that the site always builds.

Results are memoised in memory by the texts' content hashes and, once `use_cache` has
named a folder (the plugin passes `<repo>/<cache_dir>`), on disk through
`generator.site.cache.ContentCache`: a rebuild after a new commit diffs only the new pairs.
"""

from __future__ import annotations

import difflib
import hashlib
import html
import re
from pathlib import Path

from generator.core.history import Version

_MEMO: dict[tuple[str, str], str] = {}
_TOKEN = re.compile(r"\s+|[^\s]+")
_DISK = None


def use_cache(folder: Path | None) -> None:
    """Keep redlines under `folder/redlines/` (None: in memory only)."""
    global _DISK
    if folder is None:
        _DISK = None
        return
    import generator.site.cache as cache
    import generator.site.redlines as this
    import generator.core.sections as sections

    modules = [this, sections]
    try:
        import generator.core.diff as diff

        modules.insert(0, diff)
    except ImportError:
        pass
    if _DISK is not None and _DISK.root == folder / "redlines":
        return
    _DISK = cache.ContentCache(folder, "redlines", cache.code_salt(*modules))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def redline_html(old: Version, new: Version) -> str:
    key = (_digest(old.text), _digest(new.text))
    cached = _MEMO.get(key)
    if cached is not None:
        return cached
    disk_key = _DISK.key(*key) if _DISK is not None else None
    if disk_key is not None:
        cached = _DISK.get(disk_key)
    if cached is None:
        cached = _render(old, new)
        if disk_key is not None:
            _DISK.put(disk_key, cached)
    _MEMO[key] = cached
    return cached


def _render(old: Version, new: Version) -> str:
    try:
        from generator.core.diff import redline
    except ImportError:
        return fallback_redline(old.text, new.text)
    return redline(old.sections, new.sections).html


def fallback_redline(old: str, new: str) -> str:
    """Whole-text word diff with <ins>/<del>: used only when generator.core.diff is missing."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    out = ['<div class="redline redline--fallback"><pre class="redline__text">']
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b).get_opcodes():
        if op == "equal":
            out.append(html.escape("".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(
                '<del><span class="visually-hidden">[deleted: </span>'
                + html.escape("".join(a[i1:i2]))
                + '<span class="visually-hidden">]</span></del>'
            )
        if j2 > j1:
            out.append(
                '<ins><span class="visually-hidden">[inserted: </span>'
                + html.escape("".join(b[j1:j2]))
                + '<span class="visually-hidden">]</span></ins>'
            )
    out.append("</pre></div>")
    return "".join(out)
