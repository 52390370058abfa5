"""The campaign runner: recipients -> ledger -> a pool of channel sessions -> ledger.

One runner handles one (revision, channel). Recipients are streamed into the ledger in
batches while the sessions work (:mod:`notify.delivery.campaign.enqueue`). The claimer
leases rows from the ledger in batches and puts them in one bounded queue; one worker
per channel session takes them from it and delivers each
(:mod:`notify.delivery.campaign.attempts`); ``queue.join()`` says when every row taken
was handled. The claimer waits on the queue when it is full, on the enqueuing when
nothing is left to claim yet, and polls only for what other workers do. Outcomes are
written back in batched transactions. The database is used from one dedicated thread so
that commits never stall the event loop.

One stop: :meth:`Runner.halt` records the first reason (a configuration fault, the
error rate, a full disk, a failed ledger, Ctrl-C through the caller's ``stop`` event)
and sets ``stop``. From then on no message is started: the workers hand the queued rows
back unsent (released to the ledger at the end), the messages in flight finish.

Durability: each outcome is written to the run's outcome journal
(:mod:`notify.delivery.ledger.journal`) before its session starts the next message, so
a kill at any moment loses at most the messages in flight (one per session); the
journals of dead runs are folded into the ledger before their rows are taken again.

Fencing: a row is only sent while this worker can show that its lease still holds
(:mod:`notify.delivery.campaign.leases`).
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, TypeVar

from aiolimiter import AsyncLimiter
from sqlalchemy.exc import SQLAlchemyError

from notify.common.errors import ConfigurationError, NotifyError
from notify.common.redaction import redact
from notify.delivery.campaign.attempts import Attempts
from notify.delivery.campaign.enqueue import Enqueuing
from notify.delivery.campaign.leases import Leases, lease_margin
from notify.delivery.campaign.result import (
    LIST_LIMIT,
    ErrorRate,
    Failure,
    LedgerFailed,
    Problem,
    Result,
    Settings,
    Source,
)
from notify.delivery.channels.base import Channel
from notify.delivery.ledger import journal as journal_mod
from notify.delivery.ledger.ledger import DEFERRED, PENDING, SENDING, SENT, Campaign, Claimed, Ledger, Outcome
from notify.delivery.recipients import enqueuer
from notify.delivery.recipients.sources import Recipient, Skipped

__all__ = [
    "LIST_LIMIT",
    "Failure",
    "LedgerFailed",
    "Problem",
    "Result",
    "Runner",
    "Settings",
    "Source",
    "lease_margin",
]

T = TypeVar("T")
FLUSH_BATCH = 500  # outcomes that make the flusher write at once, before its interval is up
RECOVERY_EVERY = 0.5  # seconds between two looks for dead or stalled workers' rows
OTHERS_POLL = 0.2  # seconds between two looks at what other workers do


def queue_size(settings: Settings) -> int:
    """Rows claimed per claim, and room in the queue: enough for every session to have
    work while the next claim commits. Claimed rows are leased and fenced, so a deep
    queue costs no duplicates and saves claim transactions."""
    return max(settings.concurrency * 16, 250)


class Runner:
    def __init__(
        self,
        ledger: Ledger,
        campaign: Campaign,
        channel: Channel,
        recipients: Iterable[Recipient | Skipped] | Source,
        message_id: Callable[[str], str],
        settings: Settings,
        *,
        late: bool = False,
        stop: asyncio.Event | None = None,
        progress: Callable[[Result, int | None], None] | None = None,
        prepare: Callable[[list[Claimed]], None] | None = None,
    ) -> None:
        self.ledger = ledger
        # Run on the ledger's thread for each claimed batch before any of it is sent (the
        # answers of those recipients: `notify.answers.governed.RecipientRedlines.prepare`).
        self.prepare = prepare
        self.campaign = campaign
        self.channel = channel
        self.recipients = recipients
        self.message_id = message_id
        self.settings = settings
        self.late = late
        # The one stop signal, shared with the caller (set by Ctrl-C there, and by halt()
        # here, so that the caller starts no further campaign).
        self.stop = stop or asyncio.Event()
        self.progress = progress
        self.run_id = uuid.uuid4().hex
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{self.run_id[:8]}"
        self.result = Result(
            campaign.document, campaign.version, campaign.channel, channel.description, late=late
        )
        self.db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger")
        self.fatal: BaseException | None = None
        self.leases = Leases(settings.lease)
        self.attempts = Attempts(settings, self.leases, self.stop, self.halt)
        self.limiter = AsyncLimiter(1, 1 / settings.rate) if settings.rate else None
        self.errors = ErrorRate(settings)
        self.outcomes: list[Outcome] = []  # not yet in the ledger
        self.flush_now = asyncio.Event()  # wakes the flusher: a batch of outcomes is ready
        self.started = datetime.now(UTC)
        self.journal: journal_mod.Journal | None = None
        self.ledger_error: BaseException | None = None
        self.journal_error: OSError | None = None
        self.last_recovery = 0.0

    async def _db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.db, lambda: fn(*args, **kwargs))

    def halt(self, reason: str, error: BaseException | None = None) -> None:
        """Stop starting messages: the first reason given is the run's."""
        if self.result.stopped is None:
            self.result.stopped = reason
        if error is not None and self.fatal is None:
            self.fatal = error
        self.stop.set()

    # -- phases ---------------------------------------------------------------------

    async def run(self) -> Result:
        started = time.monotonic()
        try:
            await self._begin()
            await self._send_all()
            if self.stop.is_set() and self.result.stopped is None:
                self.result.stopped = "interrupted"
            await self._finish()
        except SQLAlchemyError as exc:
            self._ledger_failed(exc)
        finally:
            self.result.duration = time.monotonic() - started
            self.result.lease_lost = self.leases.lost
            self.db.shutdown(wait=True)
            if self.journal is not None:
                self.result.unrecorded = self.journal.close(folded=not self.outcomes)
        if (self.ledger_error or self.journal_error) and not isinstance(self.fatal, ConfigurationError):
            self.fatal = self._storage_message()
        if self.fatal is not None:
            raise self.fatal
        return self.result

    async def _begin(self) -> None:
        """Everything that can refuse the campaign before its first message."""
        await self._db(self.ledger.check_revision, self.campaign)
        await self.channel.preflight()
        self._open_journal()
        await self._db(self.ledger.start_run, self.campaign, self.run_id, self.late)
        if self.settings.retry_failed:
            await self._db(self.ledger.retry_failed, self.campaign)
        await self._db(self._recover, False)

    async def _finish(self) -> None:
        try:
            self.result.totals = await self._db(self.ledger.counts, self.campaign)
            await self._db(self.ledger.finish_run, self.run_id, self.result.stopped or "completed")
        except SQLAlchemyError as exc:
            self._ledger_failed(exc)

    def _open_journal(self) -> None:
        s = self.settings
        if s.journal is None:
            return
        journal = journal_mod.Journal(
            s.journal,
            s.journal_key,
            self.run_id,
            self.owner,
            reserve=(s.concurrency + 1) * journal_mod.RECORD_LIMIT,
        )
        try:
            journal.open()
        except OSError as exc:
            raise NotifyError(
                f"cannot write the outcome journal in {s.journal}: {exc.strerror or exc}; "
                "it keeps each delivery safe until the ledger has it: free space there or give a "
                "--ledger in a writable place. Nothing was sent"
            ) from exc
        self.journal = journal
        self.result.journal = str(s.journal)

    def _recover(self, live: bool) -> None:
        """Fold the journals of dead runs into the ledger, then give the rows of dead
        workers of this host back to the queue (in that order: what they delivered is
        then `sent`, and only the rest is sent again). With ``live``, and when some
        lease ran out, also record the deliveries in the journals of live but stalled
        workers before their expired rows are claimed. Runs on the ledger thread."""
        dead = self.ledger.local_dead_owners(self.campaign)
        s = self.settings
        if s.journal is not None:
            live = live and self.ledger.expired_leases(self.campaign) > 0
            replayed = journal_mod.replay(
                s.journal, s.journal_key, self.ledger, own_run=self.run_id, live=live
            )
            self.result.recovered += replayed.outcomes
        if dead:
            self.result.reclaimed += self.ledger.release_owners(self.campaign, dead)

    # -- the queue: claimer in, workers out ------------------------------------------

    async def _send_all(self) -> None:
        """Claim, send and record until nothing is left or the campaign stops, then give
        back the rows taken but not attempted."""
        queue: asyncio.Queue[Claimed] = asyncio.Queue(maxsize=queue_size(self.settings))
        enqueuing = Enqueuing(
            self.ledger,
            self.campaign,
            self.run_id,
            self.recipients,
            self.message_id,
            self.settings,
            self.result,
            self.stop,
        )
        enqueuing.future.add_done_callback(self._enqueued)
        workers = [asyncio.create_task(self._worker(queue)) for _ in range(self.settings.concurrency)]
        flusher = asyncio.create_task(self._flusher(workers))
        try:
            await self._claimer(queue, enqueuing)
        except SQLAlchemyError as exc:  # the ledger failed: stop and keep what we know
            self._ledger_failed(exc)
        except BaseException as exc:
            self.halt("error", exc if isinstance(exc, Exception) else None)
            if not isinstance(exc, Exception):
                raise
        finally:
            await queue.join()  # every row taken is handled: sent, or passed over once stopped
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            await self._end_enqueuing(enqueuing)
            self.flush_now.set()
            if await flusher:
                await self._release()
            # Otherwise the rows stay leased to this (ending) process, some of them
            # delivered but recorded only in the journal: the next run on this host
            # (or a worker here) folds the journal in, then gives the rest back.

    async def _claimer(self, queue: asyncio.Queue[Claimed], enqueuing: Enqueuing) -> None:
        """Put claimed rows in the queue (waiting while it is full) until the campaign
        has nothing left or stops."""
        while not self.stop.is_set():
            rows = await self._next_rows(queue, enqueuing)
            if rows is None:
                return
            for row in rows:
                await queue.put(row)

    async def _next_rows(self, queue: asyncio.Queue[Claimed], enqueuing: Enqueuing) -> list[Claimed] | None:
        """The next rows to send: fresh ones, else those of dead or stalled workers and
        those another run deferred; [] after waiting for some to come; None when the
        campaign has none left."""
        enqueuing.arrived.clear()  # a batch from here on wakes the wait below
        rows = await self._claim((PENDING,))
        if not rows and time.monotonic() - self.last_recovery > RECOVERY_EVERY:
            # No fresh rows: before taking rows whose lease ran out or that another
            # run deferred, fold what dead (or stalled) workers delivered.
            self.last_recovery = time.monotonic()
            await self._db(self._recover, True)
            rows = await self._claim((SENDING, DEFERRED))
        if rows:
            return rows
        if not enqueuing.done:
            await enqueuing.arrival(OTHERS_POLL)
            return []
        return await self._last_rows(queue)

    async def _last_rows(self, queue: asyncio.Queue[Claimed]) -> list[Claimed] | None:
        """Nothing left to claim and nothing more to enqueue. Rows other workers hold
        are theirs until they finish them or their lease runs out: wait for either, then
        look again, so that each worker ends with the state of the whole campaign."""
        await queue.join()  # ours first
        if self.stop.is_set():
            return None
        if await self._db(self.ledger.others_sending, self.campaign, self.owner):
            await asyncio.sleep(OTHERS_POLL)
            return []
        return await self._claim((PENDING, SENDING, DEFERRED)) or None

    async def _claim(self, kinds: tuple[str, ...]) -> list[Claimed]:
        before = time.monotonic()  # the lease runs from (at the latest) here
        rows = await self._db(
            self.ledger.claim,
            self.campaign,
            self.owner,
            queue_size(self.settings),
            self.settings.lease,
            kinds=kinds,
            deferred_before=self.started,
        )
        self.leases.hold(rows, before)
        if rows and self.prepare is not None:
            await self._db(self.prepare, rows)
        return rows

    async def _worker(self, queue: asyncio.Queue[Claimed]) -> None:
        """One channel session: takes rows from the queue until it is cancelled (once the
        queue is joined). After a stop it passes the rows over unsent."""
        session = self.channel.session()
        # A session that takes the row it will send next (SMTP PIPELINING: the next
        # envelope goes out behind this body) gets it from the queue one turn early.
        # Announcing is not sending: that row is fenced and recorded like any other,
        # and nothing of it is delivered before its own turn.
        lookahead = bool(getattr(session, "lookahead", False))
        held: Claimed | None = None
        try:
            while True:
                if held is None:
                    item = await queue.get()
                else:
                    item, held = held, None
                try:
                    if self.stop.is_set():
                        continue  # released to the ledger at the end
                    if self.limiter is not None:
                        await self.limiter.acquire()
                    if lookahead and not queue.empty():
                        held = queue.get_nowait()
                    outcome = await self.attempts.send(session, item, held)
                    if outcome is not None:
                        self._outcome(item, outcome)
                except Exception as exc:  # a fault of ours: stop, and say so at the end
                    self.halt("error", exc)
                finally:
                    queue.task_done()
        finally:
            try:
                await session.close()
            except Exception:
                pass

    # -- outcomes ----------------------------------------------------------------------

    def _outcome(self, item: Claimed, outcome: Outcome) -> None:
        """One delivery's outcome: on disk before this session starts its next message
        (see notify.delivery.ledger.journal), then counted."""
        self.leases.done(item.id)
        self._journal_outcome(outcome)
        self._buffer(outcome)
        self.result.count_outcome(item, outcome)
        reason = self.errors.exceeded(outcome.status == SENT)
        if reason is not None:
            self.halt(reason)
        if self.progress is not None:
            self.progress(self.result, None)

    def _journal_outcome(self, outcome: Outcome) -> None:
        journal = self.journal
        if journal is None:
            return
        journal.append(outcome)
        if journal.full:
            if self.journal_error is None:
                self.journal_error = journal.error or OSError("the outcome journal cannot grow")
            self.halt("disk full")

    def _buffer(self, outcome: Outcome) -> None:
        """Keep the outcome for the ledger's next batch; a full batch wakes the flusher."""
        self.outcomes.append(outcome)
        if len(self.outcomes) >= FLUSH_BATCH:
            self.flush_now.set()

    async def _flusher(self, workers: Sequence[asyncio.Task[None]]) -> bool:
        """Commit the outcomes at least every flush interval and renew the leases while
        the workers run; then commit the last outcomes. Whether the ledger has them all."""
        s = self.settings
        renewed = time.monotonic()
        every = min(s.lease / 4, 30.0)
        while not all(worker.done() for worker in workers):
            try:
                await asyncio.wait_for(self.flush_now.wait(), s.flush_interval)
            except TimeoutError:
                pass
            self.flush_now.clear()
            if self.ledger_error is not None:
                continue  # the ledger failed: the outcomes wait in the journal
            await self._sync_journal()
            await self._flush()
            if time.monotonic() - renewed > every and self.ledger_error is None:
                renewed = await self._renew(renewed)
        return await self._flush()

    async def _sync_journal(self) -> None:
        if self.journal is not None and self.outcomes:
            try:
                await asyncio.get_running_loop().run_in_executor(None, self.journal.sync)
            except OSError:
                pass  # the writes themselves are in the kernel: SIGKILL-safe already

    async def _flush(self) -> bool:
        """Commit the outcomes so far to the ledger, then drop the journal segments
        that held them. On a ledger error keep both (the journal for the next run)."""
        batch, self.outcomes = self.outcomes, []
        segments = self.journal.rotate() if self.journal is not None else []
        if not batch and not segments:
            return True
        try:
            await self._db(self._fold, batch, segments)
        except SQLAlchemyError as exc:
            self.outcomes = batch + self.outcomes
            self._ledger_failed(exc)
            return False
        return True

    def _fold(self, batch: list[Outcome], segments: list[Any]) -> None:
        if batch:
            self.ledger.record(batch, self.owner)
        if self.journal is not None and segments:
            self.journal.discard(segments)

    async def _renew(self, previous: float) -> float:
        """Extend the lease of the rows still ours; when this renewal started (or the
        previous one's instant, when the ledger failed)."""
        before = time.monotonic()
        try:
            ours = await self._db(self.ledger.renew, self.owner, self.settings.lease)
        except SQLAlchemyError as exc:
            self._ledger_failed(exc)
            return previous
        self.leases.renewed(ours, before)
        return before

    async def _release(self) -> None:
        """Give the rows taken but not attempted back to the queue."""
        try:
            await self._db(self.ledger.release, self.owner, None)
        except SQLAlchemyError as exc:
            self._ledger_failed(exc)

    # -- enqueuing and failures ------------------------------------------------------------

    def _enqueued(self, fut: asyncio.Future[None]) -> None:
        if fut.cancelled() or fut.exception() is None:
            return
        exc = fut.exception()
        if isinstance(exc, (SQLAlchemyError, enqueuer.ChildLedgerError)):
            self._ledger_failed(exc)
        else:
            self.halt("bad recipients input", exc)

    async def _end_enqueuing(self, enqueuing: Enqueuing) -> None:
        try:
            await enqueuing.end()
        except SQLAlchemyError as exc:
            self._ledger_failed(exc)
        except BaseException as exc:
            if self.fatal is None:
                self.fatal = exc

    def _ledger_failed(self, exc: BaseException) -> None:
        if self.ledger_error is None:
            self.ledger_error = exc
        self.halt("ledger error")

    def _storage_message(self) -> LedgerFailed:
        """Why the run stopped when the ledger or the journal could not be written, what
        is kept where, and what to do."""
        causes = []
        if self.journal_error is not None:
            reason = self.journal_error.strerror or str(self.journal_error)
            causes.append(f"the outcome journal in {self.result.journal} cannot grow ({reason})")
        if self.ledger_error is not None:
            exc = self.ledger_error
            if isinstance(exc, enqueuer.ChildLedgerError):
                cause = exc.cause
            else:
                cause = f"{exc.__class__.__name__}: {getattr(exc, 'orig', exc)}"
            causes.append(f"the ledger {redact(self.ledger.url)} stopped taking writes ({cause})")
        kept = self.result.unrecorded
        if kept:
            where = (
                f"the {kept} deliveries the ledger does not have yet are kept in the outcome journal "
                f"{self.result.journal}: the rerun records them first and sends none of them again"
            )
        else:
            where = "every delivery made is recorded in the ledger"
        return LedgerFailed(
            f"{' and '.join(causes)}, so the campaign stopped before starting another message: {where}. "
            "Free space on that disk (or make the database reachable), then rerun the same command"
        )
