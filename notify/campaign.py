"""The campaign runner: recipients -> ledger -> a pool of channel sessions -> ledger.

One runner handles one (revision, channel). Recipients are streamed into the
ledger in batches on a background thread while the sender pool works; rows are
claimed with a lease before they are sent, and outcomes are written back in
batched transactions. The database is used from one dedicated thread so that
commits never stall the event loop.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from notify.delivery import PERMANENT, SENT, Channel, Session
from notify.errors import AuthenticationFailed, NotifyError
from notify.ledger import DEFERRED, FAILED, PENDING, SENDING, Campaign, Claimed, Ledger, Outcome
from notify.ledger import SENT as LEDGER_SENT
from notify.recipients import Recipient, Skipped

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
    flush_interval: float = 0.2  # outcomes written at least this often
    max_error_rate: float = 0.5  # stop when more than this share of recent deliveries fail
    error_window: int = 100
    error_min_sample: int = 20
    retry_failed: bool = False


@dataclass(frozen=True)
class Problem:
    ref: str  # "users.csv line 7 (id 42)": where, never the address itself
    reason: str


@dataclass(frozen=True)
class Failure:
    email: str
    reply: str
    status: str  # "failed" (permanent) or "deferred" (temporary; the next run retries)


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

    @property
    def remaining(self) -> int:
        return self.totals.get(PENDING, 0) + self.totals.get(SENDING, 0) + self.totals.get(DEFERRED, 0)

    @property
    def rate(self) -> float:
        return self.sent / self.duration if self.duration > 0 else 0.0

    @property
    def ok(self) -> bool:
        return self.failed_count == 0 and self.deferred_count == 0 and self.stopped is None

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
            "ledger": dict(self.totals),
            "duration_seconds": round(self.duration, 3),
            "rate_per_second": round(self.rate, 1),
            "stopped": self.stopped,
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


class Runner:
    def __init__(
        self,
        ledger: Ledger,
        campaign: Campaign,
        channel: Channel,
        recipients: Iterable[Recipient | Skipped],
        message_id: Callable[[str], str],
        settings: Settings,
        *,
        late: bool = False,
        stop: asyncio.Event | None = None,
        progress: Callable[[Result, int | None], None] | None = None,
    ) -> None:
        self.ledger = ledger
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

    async def _db(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.db, fn, *args)

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
            await self._db(self.ledger.start_run, self.campaign, self.run_id, self.late)
            if self.settings.retry_failed:
                await self._db(self.ledger.retry_failed, self.campaign)
            await self._db(self.ledger.reclaim_dead, self.campaign)
            await self._pump()
            if self.stop.is_set() and self.result.stopped is None:
                self.result.stopped = "interrupted"
            self.result.totals = await self._db(self.ledger.counts, self.campaign)
            outcome = self.result.stopped or "completed"
            await self._db(self.ledger.finish_run, self.run_id, outcome)
        finally:
            self.result.duration = time.monotonic() - started
            self.abort.set()
            self.db.shutdown(wait=True)
        if self.fatal is not None:
            raise self.fatal
        return self.result

    async def _pump(self) -> None:
        s = self.settings
        # Claimed rows are only leased, never sent twice, so a deep queue costs no
        # durability and saves claim transactions (refilled when half empty).
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
        except BaseException as exc:  # database trouble: stop and keep what we know
            self.halt("ledger error", exc if isinstance(exc, Exception) else None)
            if not isinstance(exc, Exception):
                raise
        finally:
            for _ in senders:
                queue.put_nowait(None)
            await asyncio.gather(*senders, return_exceptions=True)
            self.abort.set()
            try:
                await enqueuer
            except BaseException as exc:
                if self.fatal is None:
                    self.fatal = exc
            enqueue_pool.shutdown(wait=True)
            self.closing = True
            self.flush_now.set()
            await asyncio.gather(flusher, return_exceptions=True)
            await self._flush()
            await self._db(self.ledger.release, self.owner, None)

    def _enqueued(self, fut: asyncio.Future[None]) -> None:
        self.enqueue_done = True
        if not fut.cancelled() and fut.exception() is not None:
            exc = fut.exception()
            self.halt("bad recipients input", exc)

    def _enqueue_all(self) -> None:
        batch: list[Recipient] = []
        result = self.result
        for item in self.recipients:
            if self.abort.is_set():
                return
            if isinstance(item, Skipped):
                result.skipped_count += 1
                if len(result.skipped) < LIST_LIMIT:
                    result.skipped.append(Problem(item.ref, item.reason))
                continue
            batch.append(item)
            if len(batch) >= self.settings.batch:
                self._enqueue_batch(batch)
                batch = []
        if batch and not self.abort.is_set():
            self._enqueue_batch(batch)

    def _enqueue_batch(self, batch: list[Recipient]) -> None:
        inserted, duplicates = self.ledger.enqueue(self.campaign, self.run_id, batch, self.message_id)
        self.result.enqueued += inserted
        self.result.duplicates_count += len(duplicates)
        for d in duplicates:
            if len(self.result.duplicates) < LIST_LIMIT:
                self.result.duplicates.append(
                    Problem(d.ref, "duplicate address (case-insensitive); one message is sent")
                )

    async def _claimer(self, queue: asyncio.Queue[Claimed | None], capacity: int) -> None:
        idle = 0.01
        while not self.stop.is_set():
            room = capacity - queue.qsize()
            if room < capacity // 2:
                await asyncio.sleep(0.005)
                continue
            rows = await self._db(self.ledger.claim, self.campaign, self.owner, room, self.settings.lease)
            for row in rows:
                queue.put_nowait(row)
            if rows:
                idle = 0.01
                continue
            if self.enqueue_done and queue.empty():
                # Nothing left to claim; one more look in case the last batch just landed.
                rows = await self._db(self.ledger.claim, self.campaign, self.owner, room, self.settings.lease)
                for row in rows:
                    queue.put_nowait(row)
                if not rows:
                    return
                continue
            await asyncio.sleep(idle)
            idle = min(idle * 2, 0.2)

    async def _sender(self, queue: asyncio.Queue[Claimed | None], limiter: RateLimiter | None) -> None:
        session = self.channel.session()
        try:
            while True:
                item = await queue.get()
                if item is None:
                    return
                if self.stop.is_set():
                    continue  # released to the queue at the end
                if limiter is not None:
                    await limiter.wait()
                outcome = await self._deliver(session, item)
                if outcome is None:
                    continue
                self._count(item, outcome)
        finally:
            try:
                await session.close()
            except Exception:
                pass

    async def _deliver(self, session: Session, item: Claimed) -> Outcome | None:
        s = self.settings
        start = time.monotonic()
        first = time.time()
        attempts = 0
        reply = ""
        while True:
            remaining = start + s.deadline - time.monotonic()
            if remaining <= 0:
                return Outcome(item.id, DEFERRED, reply or "deadline passed", attempts, first, time.time())
            attempts += 1
            try:
                attempt = await session.deliver(item, remaining)
            except AuthenticationFailed as exc:
                self.halt("SMTP authentication failed", exc)
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
                r.failures.append(Failure(item.email, outcome.reply, outcome.status))
        self.recent.append(ok)
        s = self.settings
        if len(self.recent) >= s.error_min_sample:
            bad = self.recent.count(False)
            if bad / len(self.recent) > s.max_error_rate:
                self.halt(f"error rate: {bad} of the last {len(self.recent)} deliveries failed")
        if self.progress is not None:
            self.progress(r, None)

    async def _flush(self) -> None:
        batch, self.outcomes = self.outcomes, []
        if batch:
            await self._db(self.ledger.record, batch)

    async def _flusher(self) -> None:
        renewed = time.monotonic()
        while not self.closing:
            try:
                await asyncio.wait_for(self.flush_now.wait(), self.settings.flush_interval)
            except TimeoutError:
                pass
            self.flush_now.clear()
            await self._flush()
            if time.monotonic() - renewed > self.settings.lease / 4:
                await self._db(self.ledger.renew, self.owner, self.settings.lease)
                renewed = time.monotonic()
