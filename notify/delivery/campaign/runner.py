"""The campaign runner: recipients -> ledger -> a pool of channel sessions -> ledger.

One runner handles one (revision, channel). Recipients are streamed into the
ledger in batches while the sender pool works (a large source in a child process, see
:mod:`notify.delivery.recipients.enqueuer`; a small one on a background thread); rows are
claimed with a lease before they are sent, and outcomes are written back in
batched transactions. The database is used from one dedicated thread so that
commits never stall the event loop.

Durability: each outcome is written to the run's outcome journal
(:mod:`notify.delivery.ledger.journal`) before its session starts the next message, so a kill at
any moment loses at most the messages in flight (one per session); the journals of
dead runs are folded into the ledger before their rows are taken again.

Fencing: a row is only sent while this worker can show that its lease still holds:
each claimed row has a deadline on the monotonic clock (the lease, less a margin,
counted from before the claim), extended by each lease renewal for the rows the
renewal found still ours. A row past its deadline, or that a renewal did not find
(another worker took it after a stall), is dropped, never sent.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import socket
import subprocess
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar, cast

from sqlalchemy.exc import SQLAlchemyError

from notify.common.errors import ConfigurationError, NotifyError
from notify.common.redaction import redact
from notify.delivery.channels.base import PERMANENT, SENT, Channel, LookaheadSession, Session
from notify.delivery.ledger import journal as journal_mod
from notify.delivery.ledger.ledger import (
    DEFERRED,
    FAILED,
    PENDING,
    SENDING,
    Campaign,
    Claimed,
    Ledger,
    Outcome,
)
from notify.delivery.ledger.ledger import SENT as LEDGER_SENT
from notify.delivery.recipients import enqueuer
from notify.delivery.recipients.sources import Recipient, Skipped

T = TypeVar("T")
LIST_LIMIT = 1000  # failures / skipped entries kept for the report (counts are exact)


@dataclass(frozen=True)
class Settings:
    concurrency: int = 8
    rate: float | None = None  # messages per second, all sessions together
    deadline: float = 60.0  # per message, all attempts included
    retries: int = 5  # further attempts after a temporary failure
    retry_base: float = 1.0  # first back-off, doubled each time, with jitter
    retry_cap: float = 30.0
    lease: float = 120.0  # seconds a claimed row stays ours without renewal
    batch: int = 1000  # recipients per ledger insert
    journal: Path | None = None  # the outcome journal's folder (None: outcomes only in memory)
    journal_key: str = ""  # which ledger the journal belongs to
    flush_interval: float = 0.2  # outcomes written at least this often
    max_error_rate: float = 0.5  # stop when more than this share of recent deliveries fail
    error_window: int = 100
    error_min_sample: int = 20
    retry_failed: bool = False


@dataclass(frozen=True)
class Source:
    """A recipients source to enqueue in a child process (:mod:`notify.delivery.recipients.enqueuer`)."""

    source: str
    query: str | None
    base: Path | None
    domain: str  # the host of Message-IDs


@dataclass(frozen=True)
class Problem:
    ref: str  # "users.csv line 7 (id 42)": where, never the address itself
    reason: str


@dataclass(frozen=True)
class Failure:
    ref: str  # the recipient's source line and id, never the address (logs, CI output)
    reply: str  # the server's answer, the address in it replaced by "recipient"
    status: str  # "failed" (permanent) or "deferred" (temporary; the next run retries)


class LedgerFailed(NotifyError):
    """The ledger stopped taking writes (disk full, database gone) in mid-campaign."""


@dataclass
class Result:
    document: str
    version: str
    channel: str
    destination: str
    late: bool = False
    enqueued: int = 0
    sent: int = 0
    failed_count: int = 0
    deferred_count: int = 0
    failures: list[Failure] = field(default_factory=list)
    skipped_count: int = 0
    skipped: list[Problem] = field(default_factory=list)
    duplicates_count: int = 0
    duplicates: list[Problem] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)
    duration: float = 0.0
    stopped: str | None = None
    setting: str | None = None  # the option to fix when a configuration fault stopped the run
    lease_lost: int = 0  # claimed rows dropped unsent: another worker took them after our lease ran out
    recovered: int = 0  # outcomes of earlier, killed runs folded in from their journals
    reclaimed: int = 0  # rows of dead workers given back to the queue
    unrecorded: int = 0  # outcomes the ledger could not take, kept in the journal for the next run
    journal: str = ""  # the journal's folder

    @property
    def remaining(self) -> int:
        return self.totals.get(PENDING, 0) + self.totals.get(SENDING, 0) + self.totals.get(DEFERRED, 0)

    @property
    def unreached(self) -> int:
        """Registered users this campaign has not reached: still to send, failed, or an
        address in the recipients source that cannot be used."""
        return self.remaining + self.totals.get(FAILED, 0) + self.skipped_count

    @property
    def rate(self) -> float:
        return self.sent / self.duration if self.duration > 0 else 0.0

    @property
    def ok(self) -> bool:
        return self.stopped is None and self.unreached == 0 and self.failed_count == 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "document": self.document,
            "version": self.version,
            "channel": self.channel,
            "destination": self.destination,
            "late": self.late,
            "sent": self.sent,
            "failed": self.failed_count,
            "deferred": self.deferred_count,
            "failures": [f.__dict__ for f in self.failures],
            "skipped": self.skipped_count,
            "skipped_records": [p.__dict__ for p in self.skipped],
            "duplicates": self.duplicates_count,
            "duplicate_records": [p.__dict__ for p in self.duplicates],
            "enqueued": self.enqueued,
            "remaining": self.remaining,
            "unreached": self.unreached,
            "lease_lost": self.lease_lost,
            "recovered": self.recovered,
            "reclaimed": self.reclaimed,
            "unrecorded": self.unrecorded,
            "ledger": dict(self.totals),
            "duration_seconds": round(self.duration, 3),
            "rate_per_second": round(self.rate, 1),
            "stopped": self.stopped,
            "setting": self.setting,
        }


class RateLimiter:
    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self.next = time.monotonic()

    async def wait(self) -> None:
        now = time.monotonic()
        at = max(now, self.next)
        self.next = at + self.interval
        if at > now:
            await asyncio.sleep(at - now)


def lease_margin(lease: float) -> float:
    """How long before the lease ends a row stops being sent: the other workers read
    the lease on their own clocks, and a send takes a moment to start."""
    return min(10.0, lease / 10)


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
        # answers of those recipients: `notify.governed.RecipientRedlines.prepare`).
        self.prepare = prepare
        self.campaign = campaign
        self.channel = channel
        self.recipients = recipients
        self.message_id = message_id
        self.settings = settings
        self.late = late
        self.stop = stop or asyncio.Event()
        self.progress = progress
        self.run_id = uuid.uuid4().hex
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{self.run_id[:8]}"
        self.result = Result(
            campaign.document, campaign.version, campaign.channel, channel.description, late=late
        )
        self.db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger")
        self.abort = threading.Event()
        self.enqueue_done = False
        self.outcomes: list[Outcome] = []
        self.recent: deque[bool] = deque(maxlen=settings.error_window)
        self.fatal: BaseException | None = None
        self.flush_now = asyncio.Event()
        self.closing = False
        self.started = datetime.now(UTC)
        # row id -> monotonic instant after which this worker may no longer start sending it
        self.leased: dict[int, float] = {}
        self.margin = lease_margin(settings.lease)
        self.journal: journal_mod.Journal | None = None
        self.ledger_error: BaseException | None = None
        self.journal_error: OSError | None = None
        self.last_recovery = 0.0
        self.child: subprocess.Popen[bytes] | None = None

    async def _db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.db, lambda: fn(*args, **kwargs))

    def halt(self, reason: str, error: BaseException | None = None) -> None:
        if self.result.stopped is None:
            self.result.stopped = reason
        if error is not None and self.fatal is None:
            self.fatal = error
        self.abort.set()
        self.stop.set()

    # -- phases ---------------------------------------------------------------------

    async def run(self) -> Result:
        started = time.monotonic()
        try:
            await self._db(self.ledger.check_revision, self.campaign)
            await self.channel.preflight()
            self._open_journal()
            await self._db(self.ledger.start_run, self.campaign, self.run_id, self.late)
            if self.settings.retry_failed:
                await self._db(self.ledger.retry_failed, self.campaign)
            await self._db(self._recover, False)
            await self._pump()
            if self.stop.is_set() and self.result.stopped is None:
                self.result.stopped = "interrupted"
            try:
                self.result.totals = await self._db(self.ledger.counts, self.campaign)
                await self._db(self.ledger.finish_run, self.run_id, self.result.stopped or "completed")
            except SQLAlchemyError as exc:
                self._ledger_failed(exc)
        except SQLAlchemyError as exc:
            self._ledger_failed(exc)
        finally:
            self.result.duration = time.monotonic() - started
            self.abort.set()
            self.db.shutdown(wait=True)
            if self.journal is not None:
                self.result.unrecorded = self.journal.close(folded=not self.outcomes)
        if (self.ledger_error or self.journal_error) and not isinstance(self.fatal, ConfigurationError):
            self.fatal = self._storage_message()
        if self.fatal is not None:
            raise self.fatal
        return self.result

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

    async def _pump(self) -> None:
        s = self.settings
        # Claimed rows are leased and fenced (see the module's docstring), so a deep
        # queue costs no duplicates and saves claim transactions (refilled when half empty).
        capacity = max(s.concurrency * 32, 500)
        queue: asyncio.Queue[Claimed | None] = asyncio.Queue()
        loop = asyncio.get_running_loop()
        enqueue_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="enqueue")
        enqueuer = loop.run_in_executor(enqueue_pool, self._enqueue_all)
        enqueuer.add_done_callback(self._enqueued)
        limiter = RateLimiter(s.rate) if s.rate else None
        flusher = asyncio.create_task(self._flusher())
        senders = [asyncio.create_task(self._sender(queue, limiter)) for _ in range(s.concurrency)]
        try:
            await self._claimer(queue, capacity)
        except SQLAlchemyError as exc:  # the ledger failed: stop and keep what we know
            self._ledger_failed(exc)
        except BaseException as exc:
            self.halt("error", exc if isinstance(exc, Exception) else None)
            if not isinstance(exc, Exception):
                raise
        finally:
            for _ in senders:
                queue.put_nowait(None)
            await asyncio.gather(*senders, return_exceptions=True)
            self.abort.set()
            child = self.child
            if child is not None and child.poll() is None:
                child.kill()  # rows it committed are pending in the ledger, for the rerun
            try:
                await enqueuer
            except SQLAlchemyError as exc:
                self._ledger_failed(exc)
            except BaseException as exc:
                if self.fatal is None:
                    self.fatal = exc
            enqueue_pool.shutdown(wait=True)
            self.closing = True
            self.flush_now.set()
            await asyncio.gather(flusher, return_exceptions=True)
            if await self._flush():
                try:
                    await self._db(self.ledger.release, self.owner, None)
                except SQLAlchemyError as exc:
                    self._ledger_failed(exc)
            # Otherwise the rows stay leased to this (ending) process, some of them
            # delivered but recorded only in the journal: the next run on this host
            # (or a worker here) folds the journal in, then gives the rest back.

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

    def _enqueued(self, fut: asyncio.Future[None]) -> None:
        self.enqueue_done = True
        if not fut.cancelled() and fut.exception() is not None:
            exc = fut.exception()
            if isinstance(exc, (SQLAlchemyError, enqueuer.ChildLedgerError)):
                self._ledger_failed(exc)
            else:
                self.halt("bad recipients input", exc)

    def _enqueue_all(self) -> None:
        if isinstance(self.recipients, Source):
            self._enqueue_in_child(self.recipients)
            return
        batch: list[Recipient] = []
        for item in self.recipients:
            if self.abort.is_set():
                return
            if isinstance(item, Skipped):
                self._count_skipped(item.ref, item.reason)
                continue
            batch.append(item)
            if len(batch) >= self.settings.batch:
                self._enqueue_batch(batch)
                batch = []
        if batch and not self.abort.is_set():
            self._enqueue_batch(batch)

    def _enqueue_batch(self, batch: list[Recipient]) -> None:
        inserted, duplicates = self.ledger.enqueue(self.campaign, self.run_id, batch, self.message_id)
        self._count_batch(inserted, [d.ref for d in duplicates])

    def _count_skipped(self, ref: str, reason: str) -> None:
        self.result.skipped_count += 1
        if len(self.result.skipped) < LIST_LIMIT:
            self.result.skipped.append(Problem(ref, reason))

    def _count_batch(self, inserted: int, duplicates: list[str]) -> None:
        self.result.enqueued += inserted
        self.result.duplicates_count += len(duplicates)
        for ref in duplicates:
            if len(self.result.duplicates) < LIST_LIMIT:
                self.result.duplicates.append(
                    Problem(ref, "duplicate address (case-insensitive); one message is sent")
                )

    def _enqueue_in_child(self, source: Source) -> None:
        c = self.campaign
        job = enqueuer.Job(
            ledger=self.ledger.url,
            document=c.document,
            version=c.version,
            channel=c.channel,
            sha256=c.sha256,
            run=self.run_id,
            source=source.source,
            query=source.query,
            base=str(source.base) if source.base is not None else None,
            batch=self.settings.batch,
            domain=source.domain,
        )

        def started(proc: subprocess.Popen[bytes]) -> None:
            self.child = proc

        for batch in enqueuer.run_in_child(job, started):
            if self.abort.is_set():
                return
            for ref, reason in batch.skipped:
                self._count_skipped(ref, reason)
            self._count_batch(batch.inserted, batch.duplicates)

    async def _claim(self, room: int, kinds: tuple[str, ...]) -> list[Claimed]:
        s = self.settings
        before = time.monotonic()  # the lease runs from (at the latest) here
        rows = await self._db(
            self.ledger.claim,
            self.campaign,
            self.owner,
            room,
            s.lease,
            kinds=kinds,
            deferred_before=self.started,
        )
        deadline = before + s.lease - self.margin
        for row in rows:
            self.leased[row.id] = deadline
        if rows and self.prepare is not None:
            await self._db(self.prepare, rows)
        return rows

    async def _claimer(self, queue: asyncio.Queue[Claimed | None], capacity: int) -> None:
        idle = 0.01
        while not self.stop.is_set():
            room = capacity - queue.qsize()
            if room < capacity // 2:
                await asyncio.sleep(0.005)
                continue
            rows = await self._claim(room, (PENDING,))
            if not rows and time.monotonic() - self.last_recovery > 0.5:
                # No fresh rows: before taking rows whose lease ran out or that another
                # run deferred, fold what dead (or stalled) workers delivered.
                self.last_recovery = time.monotonic()
                await self._db(self._recover, True)
                rows = await self._claim(room, (SENDING, DEFERRED))
            for row in rows:
                queue.put_nowait(row)
            if rows:
                idle = 0.01
                continue
            if self.enqueue_done and queue.empty():
                # Nothing left to claim. Rows other workers hold are theirs until they
                # finish them or their lease runs out: wait for either, then look again.
                if await self._db(self.ledger.others_sending, self.campaign, self.owner):
                    await asyncio.sleep(0.2)
                    continue
                rows = await self._claim(room, (PENDING, SENDING, DEFERRED))
                for row in rows:
                    queue.put_nowait(row)
                if not rows:
                    return
                continue
            await asyncio.sleep(idle)
            idle = min(idle * 2, 0.2)

    def _still_ours(self, item: Claimed) -> bool:
        deadline = self.leased.get(item.id)
        if deadline is not None and time.monotonic() < deadline:
            return True
        if deadline is not None:  # (a renewal that found the row gone counted it already)
            del self.leased[item.id]
            self.result.lease_lost += 1
        return False

    async def _sender(self, queue: asyncio.Queue[Claimed | None], limiter: RateLimiter | None) -> None:
        session = self.channel.session()
        # A session that takes the row it will send next (SMTP PIPELINING: the next
        # envelope goes out behind this body) gets it from the queue one turn early.
        # Announcing is not sending: that row is fenced and recorded like any other,
        # and nothing of it is delivered before its own turn.
        lookahead = bool(getattr(session, "lookahead", False))
        held: Claimed | None = None
        ending = False
        try:
            while True:
                if held is not None:
                    item, held = held, None
                elif ending:
                    return
                else:
                    got = await queue.get()
                    if got is None:
                        return
                    item = got
                if self.stop.is_set():
                    continue  # released to the queue at the end
                if limiter is not None:
                    await limiter.wait()
                if lookahead and not ending and not queue.empty():
                    held = queue.get_nowait()
                    if held is None:
                        ending = True  # this session's end marker: finish the current row, then stop
                outcome = await self._deliver(session, item, held)
                if outcome is None:
                    continue
                self._count(item, outcome)
        finally:
            try:
                await session.close()
            except Exception:
                pass

    async def _deliver(
        self, session: Session, item: Claimed, following: Claimed | None = None
    ) -> Outcome | None:
        s = self.settings
        start = time.monotonic()
        first = time.time()
        attempts = 0
        reply = ""
        while True:
            remaining = start + s.deadline - time.monotonic()
            if remaining <= 0:
                return Outcome(item.id, DEFERRED, reply or "deadline passed", attempts, first, time.time())
            if self.stop.is_set() and attempts:
                return Outcome(item.id, DEFERRED, reply, attempts, first, time.time())
            if not self._still_ours(item):
                # Fenced: our lease ran out (a stall) and another worker may have the row
                # now; its outcome is the one that counts.
                return None
            attempts += 1
            try:
                if following is not None:
                    attempt = await cast(LookaheadSession, session).deliver(item, remaining, following)
                else:
                    attempt = await session.deliver(item, remaining)
            except ConfigurationError as exc:
                self.result.setting = exc.setting
                self.halt(f"configuration fault: {exc.setting}", exc)
                return None
            except NotifyError as exc:
                self.halt("channel error", exc)
                return None
            reply = attempt.reply
            if attempt.kind == SENT:
                return Outcome(item.id, LEDGER_SENT, reply, attempts, first, time.time())
            if attempt.kind == PERMANENT:
                return Outcome(item.id, FAILED, reply, attempts, first, time.time())
            if attempts > s.retries or self.stop.is_set():
                return Outcome(item.id, DEFERRED, reply, attempts, first, time.time())
            delay = min(s.retry_cap, s.retry_base * 2 ** (attempts - 1)) * random.uniform(0.5, 1.0)
            if time.monotonic() + delay >= start + s.deadline:
                return Outcome(item.id, DEFERRED, reply, attempts, first, time.time())
            try:
                await asyncio.wait_for(self.stop.wait(), delay)
                return Outcome(item.id, DEFERRED, reply, attempts, first, time.time())
            except TimeoutError:
                pass

    def _count(self, item: Claimed, outcome: Outcome) -> None:
        r = self.result
        self.leased.pop(item.id, None)
        # On disk before this session starts its next message (see notify.delivery.ledger.journal).
        if self.journal is not None:
            self.journal.append(outcome)
            if self.journal.full:
                self._journal_full()
        self.outcomes.append(outcome)
        if len(self.outcomes) >= 500:
            self.flush_now.set()
        ok = outcome.status == LEDGER_SENT
        if ok:
            r.sent += 1
        else:
            if outcome.status == FAILED:
                r.failed_count += 1
            else:
                r.deferred_count += 1
            if len(r.failures) < LIST_LIMIT:
                reply = re.sub(re.escape(item.email), "recipient", outcome.reply, flags=re.IGNORECASE)
                r.failures.append(Failure(item.source or f"id {item.recipient_id}", reply, outcome.status))
        self.recent.append(ok)
        s = self.settings
        if len(self.recent) >= s.error_min_sample:
            bad = self.recent.count(False)
            if bad / len(self.recent) > s.max_error_rate:
                self.halt(f"error rate: {bad} of the last {len(self.recent)} deliveries failed")
        if self.progress is not None:
            self.progress(r, None)

    def _journal_full(self) -> None:
        assert self.journal is not None
        if self.journal_error is None:
            self.journal_error = self.journal.error or OSError("the outcome journal cannot grow")
        self.halt("disk full")

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

    async def _flusher(self) -> None:
        s = self.settings
        renewed = time.monotonic()
        every = min(s.lease / 4, 30.0)
        loop = asyncio.get_running_loop()
        while not self.closing:
            try:
                await asyncio.wait_for(self.flush_now.wait(), s.flush_interval)
            except TimeoutError:
                pass
            self.flush_now.clear()
            if self.ledger_error is not None:
                continue  # the ledger failed: the outcomes wait in the journal
            if self.journal is not None and self.outcomes:
                try:
                    await loop.run_in_executor(None, self.journal.sync)
                except OSError:
                    pass  # the writes themselves are in the kernel: SIGKILL-safe already
            await self._flush()
            if time.monotonic() - renewed > every and self.ledger_error is None:
                before = time.monotonic()
                try:
                    ours = await self._db(self.ledger.renew, self.owner, s.lease)
                except SQLAlchemyError as exc:
                    self._ledger_failed(exc)
                    continue
                renewed = before
                self._renewed(ours, before)

    def _renewed(self, ours: set[int], before: float) -> None:
        """A renewal started at ``before`` extended the lease of the rows in ``ours``.
        Rows it did not find were taken by another worker: forget them (they are
        dropped unsent). Rows claimed after it started keep their own deadline."""
        deadline = before + self.settings.lease - self.margin
        for row_id, current in list(self.leased.items()):
            if row_id in ours:
                self.leased[row_id] = max(current, deadline)
            elif current < deadline:
                del self.leased[row_id]
                self.result.lease_lost += 1
