"""Delivering one claimed row: a first attempt, then, after a temporary failure,
retries with exponential back-off and jitter (tenacity) within the message's deadline.

The first attempt is made directly: nearly every message succeeds at once, and a
tenacity call costs tens of microseconds, a large share of what a message costs the
campaign. Only a message that failed temporarily goes through tenacity, which is handed
that first attempt's result as its own first (so that its attempt numbers, back-off and
``--retries`` count the first attempt) and, as its time limit, what is left of the
message's ``--deadline``: no attempt starts that could not end within it.

Before every attempt the row's lease is checked (:mod:`notify.delivery.campaign.leases`):
a row whose lease ran out is dropped unsent (``None``). A setting the channel finds
wrong for everyone (:class:`~notify.common.errors.ConfigurationError`) or a channel
that cannot go on stops the campaign and drops the row too: it stays leased to this
run and is given back to the queue at its end.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import cast

from tenacity import RetryCallState
from tenacity.asyncio import AsyncRetrying
from tenacity.retry import retry_if_result
from tenacity.stop import stop_after_attempt, stop_any, stop_base, stop_before_delay
from tenacity.wait import wait_exponential, wait_random_exponential

from notify.common.errors import ConfigurationError, NotifyError, Paused
from notify.delivery.campaign.leases import Leases
from notify.delivery.campaign.result import Settings
from notify.delivery.channels.base import PERMANENT, SENT, TEMPORARY, Attempt, LookaheadSession, Session
from notify.delivery.ledger.ledger import DEFERRED, FAILED, Claimed, Outcome
from notify.delivery.ledger.ledger import SENT as LEDGER_SENT

# The notice's status after its last attempt.
STATUS = {SENT: LEDGER_SENT, PERMANENT: FAILED, TEMPORARY: DEFERRED}

# Why the campaign stops, and the error behind it (Runner.halt).
Halt = Callable[[str, BaseException | None], None]


class _Stopped(Exception):
    """The campaign stopped during a back-off: the message is left deferred."""


class _stop_when_set(stop_base):
    """tenacity's stop once the campaign stops."""

    def __init__(self, event: asyncio.Event) -> None:
        self.event = event

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self.event.is_set()


def _temporary(attempt: Attempt | None) -> bool:
    return attempt is not None and attempt.kind == TEMPORARY


def _last_result(state: RetryCallState) -> Attempt | None:
    """What tenacity returns when it gives up: the last attempt, not an error."""
    assert state.outcome is not None
    return cast(Attempt | None, state.outcome.result())


class Attempts:
    """Delivers claimed rows on the sessions the runner's workers hold."""

    def __init__(self, settings: Settings, leases: Leases, stop: asyncio.Event, halt: Halt) -> None:
        self.settings = settings
        self.leases = leases
        self.stop = stop
        self.halt = halt
        half_base, half_cap = settings.retry_base / 2, settings.retry_cap / 2
        # Half the doubled delay for sure and up to as much again at random: a delay
        # between 0.5 and 1 times min(cap, base * 2 ** (n - 1)) before attempt n + 1.
        self.backoff = AsyncRetrying(
            sleep=self._pause,
            wait=wait_exponential(multiplier=half_base, max=half_cap)
            + wait_random_exponential(multiplier=half_base, max=half_cap),
            retry=retry_if_result(_temporary),
            retry_error_callback=_last_result,
        )

    async def send(self, session: Session, item: Claimed, following: Claimed | None = None) -> Outcome | None:
        """Deliver ``item`` (``following``: the row this session sends next, for a
        session that announces it); its outcome, or None when it was dropped unsent."""
        started, first = time.monotonic(), time.time()
        deadline = started + self.settings.deadline
        attempt = await self._attempt(session, item, following, deadline)
        if attempt is None:
            return None
        if attempt.kind == TEMPORARY and self.settings.retries and not self.stop.is_set():
            return await self._retry(session, item, following, deadline, first, attempt)
        return Outcome(
            item.id,
            STATUS[attempt.kind],
            attempt.reply,
            1,
            first,
            time.time(),
            provider_id=attempt.provider_id,
        )

    async def _attempt(
        self, session: Session, item: Claimed, following: Claimed | None, deadline: float
    ) -> Attempt | None:
        """One attempt within what is left of the deadline, if the lease still holds."""
        if not self.leases.still_ours(item.id):
            # Fenced: our lease ran out (a stall) and another worker may have the row
            # now; its outcome is the one that counts.
            return None
        remaining = deadline - time.monotonic()
        try:
            if following is not None:
                return await cast(LookaheadSession, session).deliver(item, remaining, following)
            return await session.deliver(item, remaining)
        except Paused as exc:  # not an error: the rest wait for a later run
            self.halt(str(exc), None)
        except ConfigurationError as exc:
            self.halt(f"configuration fault: {exc.setting}", exc)
        except NotifyError as exc:
            self.halt("channel error", exc)
        return None

    async def _retry(
        self,
        session: Session,
        item: Claimed,
        following: Claimed | None,
        deadline: float,
        first: float,
        attempt: Attempt,
    ) -> Outcome | None:
        """Retry a temporary failure until it is sent or fails for good, the retries or
        the deadline run out (no attempt starts that could not end in time), or the
        campaign stops; each attempt is kept for the attempt log."""
        tries: list[tuple[float, Attempt]] = [(time.time(), attempt)]
        given = [attempt]  # the first attempt, already made: tenacity's first result

        async def again() -> Attempt | None:
            if given:
                return given.pop()
            if self.stop.is_set():
                raise _Stopped
            result = await self._attempt(session, item, following, deadline)
            if result is not None:
                tries.append((time.time(), result))
            return result

        retrying = self.backoff.copy(
            stop=stop_any(
                stop_after_attempt(self.settings.retries + 1),
                stop_before_delay(deadline - time.monotonic()),
                _stop_when_set(self.stop),
            )
        )
        try:
            last: Attempt | None = await retrying(again)
        except _Stopped:
            last = tries[-1][1]
        if last is None:
            return None
        earlier = tuple((at, a.reply) for at, a in tries[:-1])
        finished = tries[-1][0]
        return Outcome(
            item.id, STATUS[last.kind], last.reply, len(tries), first, finished, earlier, last.provider_id
        )

    async def _pause(self, seconds: float) -> None:
        """tenacity's sleep: the back-off, cut short when the campaign stops."""
        try:
            await asyncio.wait_for(self.stop.wait(), seconds)
        except TimeoutError:
            return
        raise _Stopped
