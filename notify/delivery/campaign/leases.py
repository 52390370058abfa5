"""The fence: a claimed row is only sent while this worker can show its lease still holds.

Each claimed row has a deadline on the monotonic clock (the lease, less a margin,
counted from before the claim), extended by each lease renewal for the rows the renewal
found still ours. A row past its deadline, or that a renewal did not find (another
worker took it after a stall), is dropped, never sent.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Set

from notify.delivery.ledger.ledger import Claimed


def lease_margin(lease: float) -> float:
    """How long before the lease ends a row stops being sent: the other workers read
    the lease on their own clocks, and a send takes a moment to start."""
    return min(10.0, lease / 10)


class Leases:
    """The rows this worker holds, each with the monotonic instant after which it may no
    longer start sending it; ``lost`` counts the rows dropped unsent."""

    def __init__(self, lease: float) -> None:
        self.lease = lease
        self.margin = lease_margin(lease)
        self.deadlines: dict[int, float] = {}
        self.lost = 0

    def until(self, since: float) -> float:
        """The deadline of a lease taken or renewed at ``since`` (monotonic)."""
        return since + self.lease - self.margin

    def hold(self, rows: Iterable[Claimed], since: float) -> None:
        """Rows claimed by a claim that started at ``since``."""
        deadline = self.until(since)
        for row in rows:
            self.deadlines[row.id] = deadline

    def still_ours(self, row_id: int) -> bool:
        """Whether the row may be sent now; a row whose lease ran out is dropped."""
        deadline = self.deadlines.get(row_id)
        if deadline is None:  # a renewal found it gone, and counted it already
            return False
        if time.monotonic() < deadline:
            return True
        del self.deadlines[row_id]
        self.lost += 1
        return False

    def done(self, row_id: int) -> None:
        """The row's outcome is known: it needs no lease any more."""
        self.deadlines.pop(row_id, None)

    def renewed(self, ours: Set[int], since: float) -> None:
        """A renewal started at ``since`` extended the lease of the rows in ``ours``.
        Rows it did not find were taken by another worker: forget them (they are
        dropped unsent). Rows claimed after it started keep their own deadline."""
        deadline = self.until(since)
        for row_id, current in list(self.deadlines.items()):
            if row_id in ours:
                self.deadlines[row_id] = max(current, deadline)
            elif current < deadline:
                del self.deadlines[row_id]
                self.lost += 1
