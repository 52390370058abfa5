"""Longest increasing subsequence: what keeps its relative order between two versions.

Used by the word diff (`generator.core.diff.alignment`, anchors) and by the change
summary (`generator.core.changes`, moved sections)."""

from __future__ import annotations

from bisect import bisect_left


def longest_increasing(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest run of `pairs` (ordered by their first item) whose second items
    increase; O(n log n)."""
    tails: list[int] = []
    tail_index: list[int] = []
    previous: list[int] = [-1] * len(pairs)
    for index, (_, j) in enumerate(pairs):
        k = bisect_left(tails, j)
        if k == len(tails):
            tails.append(j)
            tail_index.append(index)
        else:
            tails[k] = j
            tail_index[k] = index
        previous[index] = tail_index[k - 1] if k else -1
    result: list[tuple[int, int]] = []
    index = tail_index[-1] if tail_index else -1
    while index >= 0:
        result.append(pairs[index])
        index = previous[index]
    result.reverse()
    return result
