"""A section-aware, word-level redline between two versions of a policy.

The redline is what a visitor reads to see what a revision changed, so it reads like
the version page and follows the reader's structure rather than the file's bytes:

* sections are matched by their stable id (see `generator.core.sections`), so inserting a
  section and renumbering the ones after it ("V." -> "VI.") shows as one added
  section, not as a dozen changed headings; sections ids leave unpaired are paired by
  their words (`generator.core.changes.pair_sections`), so a reworded heading ("legal
  basis" -> "legal bases": a new slug) is one changed section with a "Renamed" note,
  not a section struck out and another inserted;
* a section is compared as a reader sees it in its document: a section made only of
  lines nobody sees (a preamble of link definitions) is not shown, and a section whose
  link turned into raw text because a definition elsewhere went is changed; the
  classification is `generator.core.changes.compare`'s, so the summary, the feed, the
  notices and the redline agree;
* headings are the page's: their inline Markdown rendered at the edge and sanitised
  (`HeadingHtml`), a changed title compared word by word like a body's words; each
  `SectionRedline` carries its heading as one line of inline HTML for lists
  (`heading_html`, and `renamed_from_html` for a renamed section);
* inside a section, the rendered HTML of the two versions is compared (the edge renders
  each section body's Markdown with the site's extensions and sanitises it; core never
  reads Markdown): blocks first (paragraphs, lists and their items, tables and their
  rows and cells), then words inside the blocks that changed, with `<ins>`/`<del>`
  placed inside the links, emphasis, cells and items they belong to; a link whose
  address changed keeps its words once and is followed by a note naming both
  addresses (`<span class="redline-link-note">`);
* spacing and list renumbering are not changes, as in `generator.core.changes`.

The output is one HTML fragment (`Redline.html`) meant to be embedded in a Markdown
page as a raw HTML block: it has no blank lines, escapes every text and attribute it
writes, and marks changes with `<ins>`/`<del>` plus visually hidden text, so that it
reads without colour, to screen readers and on paper (`site_templates/assets/redline.css`).

Speed matters because a site build diffs every consecutive pair of versions: unchanged
sections are written out without comparing anything, unchanged blocks are matched whole
by a canonical key, words are interned to ints (cheap hashing and comparison in
`SequenceMatcher`), common prefixes and suffixes are trimmed before any matching, and
large regions are split at unique common words (patience anchors) before the quadratic
matcher sees them, with a hard budget beyond which a region is shown as replaced
wholesale.

The modules, in the order the data flows:

* `markup`: an HTML fragment read into elements and text, and written back;
* `tokens`: text to words (with the whitespace before each) and interned word ids;
* `alignment`: opcodes between two id sequences, patience anchors, the longest
  increasing subsequence, and readable runs of equal / changed words;
* `inline`: the words of inline content with the elements around them, compared and
  written with `<ins>`/`<del>` inside those elements;
* `blocks`: a level of blocks matched, paired and compared, recursively;
* `render`: sections with headings, badges and anchors, and `redline`, which puts it
  all together;
* `words`: the redline's own words (badges, notes, what a screen reader says), English
  unless the caller passes a language's (`RedlineWords`).
"""

from __future__ import annotations

from generator.core.diff.render import (
    BodyHtml,
    HeadingHtml,
    Redline,
    SectionRedline,
    SectionStatus,
    redline,
)
from generator.core.diff.words import ENGLISH_REDLINE, RedlineWords

__all__ = [
    "ENGLISH_REDLINE",
    "BodyHtml",
    "HeadingHtml",
    "Redline",
    "RedlineWords",
    "SectionRedline",
    "SectionStatus",
    "redline",
]
