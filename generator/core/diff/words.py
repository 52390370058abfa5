"""The redline's own words: its badges, the "(unchanged)" of a collapsed section, what a
screen reader says around inserted and deleted text, and its notes.

The defaults are the English words, said here once; a site in another language passes
its own (`generator.site.words`, one catalogue per language). Every word is plain text:
the renderer escapes it where it writes it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from html import escape
from typing import Literal

Mark = Literal["ins", "del"]


@dataclass(frozen=True)
class RedlineWords:
    """What the redline says in its own words (plain text, escaped where written)."""

    unchanged: str = "(unchanged)"
    """After the heading of a collapsed, unchanged section."""
    changed: str = "changed"
    """Badges of a section by its status, and the core-rights badge."""
    added: str = "new section"
    removed: str = "section removed"
    moved: str = "moved"
    core_rights: str = "core rights"
    inserted: str = "[inserted: "
    """What a screen reader says before inserted words..."""
    deleted: str = "[deleted: "
    """... before deleted words ..."""
    end: str = "]"
    """... and after either."""
    moved_after: str = "Moved: this section was previously after “{heading}”."
    """The note of a moved section that came after the section `{heading}`."""
    moved_first: str = "Moved: this section was previously at the beginning."
    source_only: str = "Changed in the Markdown source only: the text reads the same."
    """The note of a section whose source changed but reads the same."""
    renamed: str = "Renamed: previously “{heading}”."
    """The note of a section whose title changed; `{heading}` is the old title."""
    link_changed: str = "(link changed: {old} → {new})"
    """After a link whose address changed: `{old}` and `{new}` are the addresses."""
    preamble: str | None = None
    """The name of the text before the first heading; None: the section parser's name
    for it (`generator.core.sections`)."""

    @functools.cached_property
    def screen_reader(self) -> dict[Mark, str]:
        """The visually hidden HTML opening an `<ins>` or a `<del>`."""
        return {
            "ins": f'<span class="sr-only">{escape(self.inserted)}</span>',
            "del": f'<span class="sr-only">{escape(self.deleted)}</span>',
        }

    @functools.cached_property
    def screen_reader_end(self) -> str:
        """The visually hidden HTML closing an `<ins>` or a `<del>`."""
        return f'<span class="sr-only">{escape(self.end)}</span>'


ENGLISH_REDLINE = RedlineWords()
"""The English words (the defaults)."""
