"""The redline HTML between two versions: `generator.diff.redline` when it is there,
else a plain word-level fallback so that the site always builds.

Results are memoised by the two texts' content hashes (the place to add the on-disk
cache under `settings.cache_dir`)."""

from __future__ import annotations

import difflib
import html
import re

from generator.history import Version

_MEMO: dict[tuple[str, str], str] = {}
_TOKEN = re.compile(r"\s+|[^\s]+")


def redline_html(old: Version, new: Version) -> str:
    key = (old.sha256, new.sha256)
    cached = _MEMO.get(key)
    if cached is None:
        cached = _MEMO[key] = _render(old, new)
    return cached


def _render(old: Version, new: Version) -> str:
    try:
        from generator.diff import redline
    except ImportError:
        return fallback_redline(old.text, new.text)
    return redline(old.sections, new.sections).html


def fallback_redline(old: str, new: str) -> str:
    """Whole-text word diff with <ins>/<del>: used only until generator.diff exists."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    out = ['<div class="redline redline--fallback"><pre class="redline__text">']
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
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
