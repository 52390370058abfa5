"""An existing policy brought into a policy repository (`policyctl init --from FILE`).

The text keeps its words. What changes is what the site and the rules need: the title
comes from its front matter or its leading `# Title`, plain-text headings (numbered or
in capitals, alone between blank lines) and underlined (setext) headings become `##`
headings, every heading gets an explicit `{#id}` (`sections.with_section_ids`), and the
headings whose titles name a core-rights topic (collection, purposes, sharing, storage,
rights, cookies) get `.core-rights`: a proposal the editor reviews, printed heading by
heading, since a marked section's changes are e-mailed to every registered user.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from generator.core.frontmatter import split
from generator.core.sections import (
    CORE_RIGHTS_CLASS,
    headings,
    outside_fences,
    split_numbering,
    with_section_ids,
)

TOPICS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("cookies", re.compile(r"cookie|tracking|web beacon|similar technolog|追踪", re.I)),
    ("collection", re.compile(r"\bcollect|\bgather|\bobtain|收集|获取", re.I)),
    ("purposes", re.compile(r"\bpurpose|\buse of|\bhow we use|\bwe use|\bprocess|使用|目的|处理", re.I)),
    ("sharing", re.compile(r"\bshar|\bdisclos|third[- ]part|\bsell|\bsale|共享|披露|转让|第三方", re.I)),
    ("storage", re.compile(r"\bstor|\bretention|\bretain|how long|\btransfer|存储|保存|保留", re.I)),
    ("rights", re.compile(r"\bright|\bchoice|\bopt[- ]out|\baccess|\bdelet|权利|权益", re.I)),
)
"""The core-rights topics (docs/editors.md) and the words of a heading that name one, in
the order they are tried: the first that matches is the heading's topic."""

_ATX = re.compile(r"^\s{0,3}#{1,6}(?:[ \t]|$)")
_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_SENTENCE_END = (".", ",", ";", "!", "?", "。", "，", "；")
_LONGEST_HEADING = 80


@dataclass(frozen=True)
class Mark:
    """A heading the import marked `.core-rights`, as it is written now."""

    heading: str
    topic: str


@dataclass(frozen=True)
class ImportedPolicy:
    """The imported text and what the editor should review."""

    title: str | None
    body: str
    marked: tuple[Mark, ...]
    """Headings marked `.core-rights` (by the import, or already in the text)."""
    unmarked: tuple[str, ...]
    """Headings of the top level left unmarked: the editor decides."""
    recognised: tuple[str, ...]
    """Plain-text lines made into headings."""


def import_policy(text: str, *, file: str) -> ImportedPolicy:
    """The policy `text` (Markdown or plain text, from `file`) ready for `policy/`."""
    matter, body = split(text, file=file)
    body = "\n".join(body.splitlines())
    title, body = _leading_title(body)
    body = _atx_headings(body)
    recognised: tuple[str, ...] = ()
    if not headings(body):
        if title is None:
            title, body = _plain_title(body)
        body, recognised = _plain_headings(body)
    body = with_section_ids(_one_top_level(body))
    body, marked, unmarked = _propose_marks(body)
    return ImportedPolicy(matter.title or title, body.strip("\n") + "\n", marked, unmarked, recognised)


def _first_line(lines: list[str]) -> int | None:
    return next((i for i, line in enumerate(lines) if line.strip()), None)


def _leading_title(body: str) -> tuple[str | None, str]:
    """A `# Title` before anything else is the document's title, not a section."""
    lines = body.splitlines()
    first = _first_line(lines)
    match = re.match(r"^#[ \t]+(.+?)[ \t#]*$", lines[first]) if first is not None else None
    if first is None or match is None:
        return None, body
    title = re.sub(r"\s*\{[^{}]*\}\s*$", "", match.group(1)).strip()
    return title or None, "\n".join(lines[first + 1 :])


def _plain_title(body: str) -> tuple[str | None, str]:
    """Plain text: a short first line alone above a blank line, not numbered and not a
    sentence ("Privacy Policy"), is the title."""
    lines = body.splitlines()
    first = _first_line(lines)
    if first is None or (first + 1 < len(lines) and lines[first + 1].strip()):
        return None, body
    text = lines[first].strip()
    if len(text) > _LONGEST_HEADING or text.endswith(_SENTENCE_END) or split_numbering(text)[0]:
        return None, body
    return text, "\n".join(lines[first + 1 :])


def _atx_headings(body: str) -> str:
    """Underlined headings (`Title` over `===` or `---`) written as `#`/`##` headings."""
    marks = outside_fences(body.splitlines())
    out: list[str] = []
    for index, (line, outside) in enumerate(marks):
        underline = _SETEXT.match(line) if outside else None
        previous = out[-1] if out else ""
        if (
            underline
            and previous.strip()
            and not _ATX.match(previous)
            and not previous.lstrip().startswith(("-", "*", "+", ">", "|"))
            and (index < 2 or not marks[index - 2][0].strip())
        ):
            out[-1] = ("#" if underline.group(1).startswith("=") else "##") + " " + previous.strip()
            continue
        out.append(line)
    return "\n".join(out)


def _plain_headings(body: str) -> tuple[str, tuple[str, ...]]:
    """Plain text: a short line alone between blank lines, numbered ("3. Sharing",
    "IV. Your rights", "第三条", "Section 2 Cookies") or in capitals, becomes a heading
    (`###` for a numbered subsection such as "3.1")."""
    lines = body.splitlines()
    found: list[str] = []
    for index, line in enumerate(lines):
        text = line.strip()
        alone = (index == 0 or not lines[index - 1].strip()) and (
            index + 1 == len(lines) or not lines[index + 1].strip()
        )
        if not (alone and _looks_like_heading(text)):
            continue
        number = split_numbering(text)[0] or ""
        depth = 3 if re.fullmatch(r"\d+(?:\.\d+)+", number) else 2
        lines[index] = "#" * depth + " " + text.rstrip(":：")
        found.append(text)
    return "\n".join(lines), tuple(found)


def _looks_like_heading(text: str) -> bool:
    if not 2 < len(text) <= _LONGEST_HEADING or text.endswith(_SENTENCE_END):
        return False
    if text.startswith(("-", "*", "+", ">", "#", "|")):
        return False
    letters = [c for c in text if c.isascii() and c.isalpha()]
    capitals = len(letters) > 1 and all(c.isupper() for c in letters)
    return split_numbering(text)[0] is not None or capitals


def _one_top_level(body: str) -> str:
    """A text that uses `#` for its sections (the title is on the page already) has
    every heading moved one level down: sections are `##`."""
    marks = headings(body)
    if not any(h.level == 1 for h in marks):
        return body
    lines = body.splitlines()
    for heading in marks:
        if heading.level < 6:
            lines[heading.line] = "#" + lines[heading.line]
    return "\n".join(lines)


def _propose_marks(body: str) -> tuple[str, tuple[Mark, ...], tuple[str, ...]]:
    """`.core-rights` on each heading that names a core-rights topic and is not already
    inside a marked section (subsections inherit the mark)."""
    lines = body.splitlines()
    marks = headings(body)
    top = min((h.level for h in marks), default=1)
    marked: list[Mark] = []
    unmarked: list[str] = []
    open_marks: list[int] = []  # levels of the marked sections the current heading is in
    for heading in marks:
        while open_marks and open_marks[-1] >= heading.level:
            open_marks.pop()
        if open_marks:
            continue
        topic = topic_of(heading.text)
        if CORE_RIGHTS_CLASS in heading.classes:
            marked.append(Mark(lines[heading.line].strip(), topic or "marked already"))
            open_marks.append(heading.level)
        elif topic is not None:
            lines[heading.line] = re.sub(
                r"\}(\s*)$", f" .{CORE_RIGHTS_CLASS}}}\\1", lines[heading.line], count=1
            )
            marked.append(Mark(lines[heading.line].strip(), topic))
            open_marks.append(heading.level)
        elif heading.level == top:
            unmarked.append(lines[heading.line].strip())
    return "\n".join(lines), tuple(marked), tuple(unmarked)


def topic_of(heading: str) -> str | None:
    """The core-rights topic a heading's title names ("4. Your rights" -> "rights"), or None."""
    _, title = split_numbering(heading)
    for topic, words in TOPICS:
        if words.search(title):
            return topic
    return None
