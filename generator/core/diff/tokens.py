"""Words for the redline: tokenising text into words, single CJK characters and
punctuation marks, each with the whitespace in front of it, and interning the words to
small ints so that the matchers hash and compare ints rather than strings."""

from __future__ import annotations

import re
from dataclasses import dataclass

# --------------------------------------------------------------------------- tokens

# A token is a word (or a single CJK character, or a single punctuation mark) together
# with the whitespace in front of it. Comparing only the word part makes spacing
# irrelevant, and keeping whitespace out of the compared sequence matters for speed:
# a separate whitespace token would be the most frequent element of every sequence,
# which is exactly what makes SequenceMatcher slow.
_CJK = (
    "\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef"
)
TOKEN = re.compile(rf"(\s*)([{_CJK}]|(?:(?![{_CJK}])\w)+(?:['’](?:(?![{_CJK}])\w)+)*|[^\w\s])")
WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Tokens:
    space: tuple[str, ...]
    """Whitespace before each word, as written."""
    words: tuple[str, ...]
    ids: tuple[int, ...]
    """Interned word ids: equal words, equal ids (per redline call)."""


class Interner:
    """Maps words to small ints so the matchers hash and compare ints, not strings."""

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}

    def intern(self, key: str) -> int:
        number = self._ids.get(key)
        if number is None:
            number = self._ids[key] = len(self._ids)
        return number

    def tokens(self, text: str) -> Tokens:
        ids = self._ids
        space: list[str] = []
        words: list[str] = []
        numbers: list[int] = []
        for match in TOKEN.finditer(text):
            word = match.group(2)
            space.append(match.group(1))
            words.append(word)
            number = ids.get(word)
            if number is None:
                number = ids[word] = len(ids)
            numbers.append(number)
        return Tokens(tuple(space), tuple(words), tuple(numbers))
