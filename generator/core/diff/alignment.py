"""Sequence alignment for the redline: difflib-style opcodes between two int sequences
(common prefix and suffix trimmed, large regions split at patience anchors found with a
longest increasing subsequence, a hard budget beyond which a region is shown as replaced),
coalesced, then folded into readable runs of equal and changed words."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Protocol

from generator.core.sequences import longest_increasing

# --------------------------------------------------------------------------- sequence diff

Opcode = tuple[str, int, int, int, int]

# Above this many cells (len(a) * len(b)) a region is first split at unique common
# words; SequenceMatcher's cost grows with the product, and with no anchors at all a
# region this large is shown as a replacement rather than risk a quadratic blow-up.
_MATCHER_BUDGET = 250_000


def diff_ints(a: Sequence[int], b: Sequence[int]) -> list[Opcode]:
    """Opcodes (as difflib's) turning `a` into `b`; equal runs are maximal."""
    ops: list[Opcode] = []
    _diff_range(a, b, 0, len(a), 0, len(b), ops)
    return _coalesce(ops)


def _diff_range(
    a: Sequence[int], b: Sequence[int], alo: int, ahi: int, blo: int, bhi: int, out: list[Opcode]
) -> None:
    # Common prefix and suffix first: most edits touch a few words in a long block.
    start_a, start_b = alo, blo
    while alo < ahi and blo < bhi and a[alo] == b[blo]:
        alo += 1
        blo += 1
    if alo > start_a:
        out.append(("equal", start_a, alo, start_b, blo))
    end_a, end_b = ahi, bhi
    while ahi > alo and bhi > blo and a[ahi - 1] == b[bhi - 1]:
        ahi -= 1
        bhi -= 1
    tail: Opcode | None = ("equal", ahi, end_a, bhi, end_b) if ahi < end_a else None

    if alo == ahi and blo == bhi:
        pass
    elif alo == ahi:
        out.append(("insert", alo, alo, blo, bhi))
    elif blo == bhi:
        out.append(("delete", alo, ahi, blo, blo))
    elif (ahi - alo) * (bhi - blo) <= _MATCHER_BUDGET:
        # autojunk=False: the heuristic would junk frequent words ("the", ",") and
        # make matches worse; the budget above bounds the cost instead.
        matcher = SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            out.append((tag, alo + i1, alo + i2, blo + j1, blo + j2))
    else:
        anchors = _patience_anchors(a, b, alo, ahi, blo, bhi)
        if not anchors:
            out.append(("replace", alo, ahi, blo, bhi))
        else:
            i, j = alo, blo
            for ai, bj in anchors:
                _diff_range(a, b, i, ai, j, bj, out)
                out.append(("equal", ai, ai + 1, bj, bj + 1))
                i, j = ai + 1, bj + 1
            _diff_range(a, b, i, ahi, j, bhi, out)
    if tail:
        out.append(tail)


def _patience_anchors(
    a: Sequence[int], b: Sequence[int], alo: int, ahi: int, blo: int, bhi: int
) -> list[tuple[int, int]]:
    """Positions of words that occur exactly once in each range, in an order both
    ranges agree on (longest increasing subsequence): safe points to split at."""
    count_a: dict[int, int] = {}
    for i in range(alo, ahi):
        count_a[a[i]] = count_a.get(a[i], 0) + 1
    count_b: dict[int, int] = {}
    where_b: dict[int, int] = {}
    for j in range(blo, bhi):
        count_b[b[j]] = count_b.get(b[j], 0) + 1
        where_b[b[j]] = j
    pairs = [(i, where_b[a[i]]) for i in range(alo, ahi) if count_a[a[i]] == 1 and count_b.get(a[i]) == 1]
    return longest_increasing(pairs)


def _coalesce(ops: list[Opcode]) -> list[Opcode]:
    """Merge adjacent equal runs and adjacent changes (recursion leaves them split)."""
    merged: list[Opcode] = []
    for tag, i1, i2, j1, j2 in ops:
        if i1 == i2 and j1 == j2:
            continue
        if merged:
            ptag, pi1, _, pj1, _ = merged[-1]
            if (ptag == "equal") == (tag == "equal"):
                if tag != "equal":
                    # A merged change is a replace when both sides are non-empty.
                    tag = "replace" if (i2 - pi1) and (j2 - pj1) else ("delete" if i2 - pi1 else "insert")
                merged[-1] = (tag, pi1, i2, pj1, j2)
                continue
        merged.append((tag, i1, i2, j1, j2))
    return merged


# --------------------------------------------------------------------------- longest increasing subsequence


# --------------------------------------------------------------------------- readable runs

# Small words that, alone between two changes, make a redline choppy without telling
# the reader anything: "<del>a</del><ins>b</ins> the <del>c</del><ins>d</ins>" reads
# better as one replaced phrase.
_GLUE_WORDS = frozenset(
    "a an the of to and or in on at by for as is be with from that this it its we you your our".split()
)


class Words(Protocol):
    """Anything with the words that were compared (`Tokens`, `inline.Pieces`)."""

    @property
    def words(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class Run:
    equal: bool
    a: tuple[int, int]
    b: tuple[int, int]


def readable_runs(ops: list[Opcode], old: Words, new: Words) -> list[Run]:
    """Alternating equal / changed runs, with tiny equal fragments folded into the
    changes around them."""
    runs: list[Run] = []
    for tag, i1, i2, j1, j2 in ops:
        runs.append(Run(tag == "equal", (i1, i2), (j1, j2)))

    def is_glue(run: Run, before: Run, after: Run) -> bool:
        words = [w for w in new.words[run.b[0] : run.b[1]] if w[0].isalnum()]
        if not words:
            return True  # only punctuation between two changes
        if len(words) == 1 and (len(words[0]) <= 3 or words[0].lower() in _GLUE_WORDS):
            return True

        # Two words squeezed between two big changes are noise too.
        def size(r: Run) -> int:
            return max(r.a[1] - r.a[0], r.b[1] - r.b[0])

        return len(words) <= 2 and size(before) >= 4 * len(words) and size(after) >= 4 * len(words)

    tidy: list[Run] = []
    index = 0
    while index < len(runs):
        run = runs[index]
        if (
            run.equal
            and tidy
            and not tidy[-1].equal
            and index + 1 < len(runs)
            and not runs[index + 1].equal
            and is_glue(run, tidy[-1], runs[index + 1])
        ):
            following = runs[index + 1]
            previous = tidy.pop()
            tidy.append(Run(False, (previous.a[0], following.a[1]), (previous.b[0], following.b[1])))
            index += 2
            continue
        if not run.equal and tidy and not tidy[-1].equal:
            previous = tidy.pop()
            run = Run(False, (previous.a[0], run.a[1]), (previous.b[0], run.b[1]))
        tidy.append(run)
        index += 1
    return tidy
