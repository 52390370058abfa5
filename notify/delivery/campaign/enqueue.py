"""Recipients into the ledger while the campaign sends: a small source on a thread of
its own, a large one (or a query) through a child process
(:mod:`notify.delivery.recipients.enqueuer`) whose batches that thread reads. Each batch
in the ledger wakes the claimer, which has no need to poll for new rows."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

from notify.delivery.campaign.result import LIST_LIMIT, Result, Settings, Source
from notify.delivery.ledger.ledger import Campaign, Ledger
from notify.delivery.recipients import enqueuer
from notify.delivery.recipients.sources import Recipient, Skipped


class Enqueuing:
    """One campaign's recipients on their way into the ledger. ``stop`` is the
    campaign's: once it is set, no further batch is inserted."""

    def __init__(
        self,
        ledger: Ledger,
        campaign: Campaign,
        run: str,
        recipients: Iterable[Recipient | Skipped] | Source,
        message_id: Callable[[str], str],
        settings: Settings,
        result: Result,
        stop: asyncio.Event,
    ) -> None:
        self.ledger = ledger
        self.campaign = campaign
        self.run = run
        self.recipients = recipients
        self.message_id = message_id
        self.batch_size = settings.batch
        self.result = result
        self.stop = stop
        self.arrived = asyncio.Event()  # a batch reached the ledger, or the source ended
        self.child: subprocess.Popen[bytes] | None = None
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="enqueue")
        self.loop = asyncio.get_running_loop()
        self.future: asyncio.Future[None] = self.loop.run_in_executor(self.pool, self._all)
        self.future.add_done_callback(lambda _future: self.arrived.set())

    @property
    def done(self) -> bool:
        return self.future.done()

    async def arrival(self, timeout: float) -> None:
        """Wait until a batch reaches the ledger or the source ends, at most ``timeout``
        (rows other workers enqueue or give back come without a signal)."""
        try:
            await asyncio.wait_for(self.arrived.wait(), timeout)
        except TimeoutError:
            pass

    async def end(self) -> None:
        """Stop the child, if it still runs, and wait for the thread; raises what it raised.
        The rows the child committed are pending in the ledger, for the rerun."""
        child = self.child
        if child is not None and child.poll() is None:
            child.kill()
        try:
            await self.future
        finally:
            self.pool.shutdown(wait=True)

    # -- on the enqueuing thread --------------------------------------------------------

    def _all(self) -> None:
        if isinstance(self.recipients, Source):
            self._in_child(self.recipients)
            return
        batch: list[Recipient] = []
        for item in self.recipients:
            if self.stop.is_set():
                return
            if isinstance(item, Skipped):
                self.result.count_skipped(item.ref, item.reason)
                continue
            batch.append(item)
            if len(batch) >= self.batch_size:
                self._insert(batch)
                batch = []
        if batch and not self.stop.is_set():
            self._insert(batch)

    def _insert(self, batch: list[Recipient]) -> None:
        inserted, duplicates = self.ledger.enqueue(self.campaign, self.run, batch, self.message_id)
        self.result.count_enqueued(inserted, [d.ref for d in duplicates])
        self.loop.call_soon_threadsafe(self.arrived.set)

    def _in_child(self, source: Source) -> None:
        c = self.campaign
        job = enqueuer.Job(
            ledger=self.ledger.url,
            document=c.document,
            version=c.version,
            channel=c.channel,
            sha256=c.sha256,
            run=self.run,
            source=source.source,
            query=source.query,
            base=str(source.base) if source.base is not None else None,
            batch=self.batch_size,
            domain=source.domain,
            listed=LIST_LIMIT,
            region=source.region,
            sms=source.sms,
            every=source.every,
            addresses=source.addresses,
        )

        def started(proc: subprocess.Popen[bytes]) -> None:
            self.child = proc

        for batch in enqueuer.run_in_child(job, started):
            if self.stop.is_set():
                return
            for ref, reason in batch.skipped:
                self.result.count_skipped(ref, reason)
            self.result.count_unlisted(batch.unlisted, batch.no_channel_unlisted)
            self.result.count_enqueued(batch.inserted, batch.duplicates)
            self.loop.call_soon_threadsafe(self.arrived.set)
