"""The history of a policy document: from the commits of its file to its published
versions, and the rules they keep.

Pure: takes the file's revisions (read by `generator.repository`) and the calendar,
returns versions plus the violations of the rules (docs/editors.md says them to editors).
The package holds:

- `model`: what a history is made of (`Version`, `Document`, `History`, `DocumentHistory`);
- `drafts`: a file's revisions read into versions being assembled;
- `rules`: the rules a version's dates and text keep (immutability, publication, the
  publicity window, the order of effective dates);
- `translated`: the translations' files, their rules, each version in each language;
- `assembly`: `build_document`, which puts them together.

Other modules import these names from `generator.core.history`.
"""

from generator.core.history.assembly import build_document
from generator.core.history.drafts import decode
from generator.core.history.model import (
    DRAFT_SUFFIX,
    Document,
    DocumentHistory,
    History,
    Version,
    default_title,
    one_language,
    redline_url,
)

__all__ = [
    "DRAFT_SUFFIX",
    "Document",
    "DocumentHistory",
    "History",
    "Version",
    "build_document",
    "decode",
    "default_title",
    "one_language",
    "redline_url",
]
