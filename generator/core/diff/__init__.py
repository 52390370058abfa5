"""A section-aware, word-level redline between two versions of a policy.

The redline is what a visitor reads to see what a revision changed, so it follows the
reader's structure rather than the file's bytes:

* sections are matched by their stable id (see `generator.core.sections`), so inserting a
  section and renumbering the ones after it ("V." -> "VI.") shows as one added
  section, not as a dozen changed headings;
* inside a section, blocks (paragraphs, list items, quotes, code, table rows) are
  matched first and words are compared only inside blocks that changed; paragraphs
  stay paragraphs and list items stay list items;
* spacing and list renumbering are not changes, as in `generator.core.changes`.

The output is one HTML fragment (`Redline.html`) meant to be embedded in a Markdown
page as a raw HTML block: it has no blank lines, escapes every piece of policy text,
and marks changes with `<ins>`/`<del>` plus visually hidden text, so that it reads
without colour, to screen readers and on paper (`site_templates/assets/redline.css`).

Speed matters because a site build diffs every consecutive pair of versions: tokens
are interned to ints (cheap hashing and comparison in `SequenceMatcher`), common
prefixes and suffixes are trimmed before any matching, and large regions are split at
unique common words (patience anchors) before the quadratic matcher sees them, with a
hard budget beyond which a region is shown as replaced wholesale.

The modules, in the order the data flows:

* `tokens`: text to words (with the whitespace before each) and interned word ids;
* `alignment`: opcodes between two id sequences, patience anchors, the longest
  increasing subsequence, and readable runs of equal / changed words;
* `blocks`: a section body split into Markdown blocks, and the pairing of the blocks
  of a replaced region;
* `render`: the HTML of inline, block and section changes, and `redline` /
  `redline_markdown`, which put it all together.
"""

from __future__ import annotations

from generator.core.diff.render import (
    Redline,
    SectionRedline,
    SectionStatus,
    redline,
    redline_markdown,
)

__all__ = [
    "Redline",
    "SectionRedline",
    "SectionStatus",
    "redline",
    "redline_markdown",
]
