"""The Markdown extension every staged project lists (`generator.site.mdx`): what a page's
content must be before any engine's theme, search or feed sees it.

It runs inside the engine's own Markdown (MkDocs and Zensical both use Python-Markdown
and load the extensions their configuration names), after everything else:

- the HTML a page defers (`generator.site.pages.raw_placeholder`: a redline's sections,
  which Markdown would only pass through) replaces its placeholder, from the project's
  `raw/` folder (one file per placeholder, named by its hash);
- the whole content is sanitised (`generator.site.sanitize.clean_html`: no raw HTML from
  a policy file runs in a browser);
- the result is wrapped in the build's content marks, so that the finishing stage
  (`generator.site.finish.seal`) finds and checks exactly this content in every page.

It is not an engine hook: it is the Markdown layer both engines share, configured by the
staged project like any other extension.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from markdown import Extension, Markdown
from markdown.postprocessors import Postprocessor

from generator.site.sanitize import clean_html

_PLACEHOLDER = re.compile(r"<!--policy-raw:(?P<hash>[0-9a-f]{24})-->")


def raw_file(folder: Path, placeholder_hash: str) -> Path:
    """Where the HTML of a placeholder is staged (`generator.site.project`)."""
    return folder / f"{placeholder_hash}.html"


class _Content(Postprocessor):
    def __init__(self, md: Markdown, raw: Path | None, begin: str, end: str) -> None:
        super().__init__(md)
        self.raw, self.begin, self.end = raw, begin, end

    def _deferred(self, match: re.Match[str]) -> str:
        if self.raw is None:
            return ""
        try:
            return raw_file(self.raw, match.group("hash")).read_text(encoding="utf-8")
        except FileNotFoundError:
            return ""

    def run(self, text: str) -> str:
        text = _PLACEHOLDER.sub(self._deferred, text)
        cleaned = clean_html(text)
        return f"{self.begin}{cleaned}{self.end}" if self.begin else cleaned


class PolicyContent(Extension):
    def __init__(self, **kwargs: Any) -> None:
        self.config = {
            "raw": ["", "the folder of the deferred HTML (one file per placeholder)"],
            "begin": ["", "the comment that opens a page's content"],
            "end": ["", "the comment that closes it"],
        }
        super().__init__(**kwargs)

    def extendMarkdown(self, md: Markdown) -> None:
        folder = str(self.getConfig("raw"))
        raw = Path(folder) if folder else None
        begin, end = str(self.getConfig("begin")), str(self.getConfig("end"))
        # After Python-Markdown's own postprocessors (raw HTML restored at 30, and the rest).
        md.postprocessors.register(_Content(md, raw, begin, end), "policy_content", 1)


def makeExtension(**kwargs: Any) -> PolicyContent:
    return PolicyContent(**kwargs)
