"""Durable outcomes and fencing, with real processes and a real SMTP server.

Two workers share one ledger (SQLite, then PostgreSQL) and one is killed with SIGKILL
at a chosen moment: in the middle of a message (DATA sent, the server's reply not yet
read), between outcomes and the ledger's commit (the test holds the ledger's write
lock, so outcomes can only be in the journal), and while it waits to claim rows. The
other worker finishes the campaign. A worker stalled with SIGSTOP past its lease
resumes after another took its rows over. A ledger on a small tmpfs fills up. Every
test counts the messages each recipient got at the server.

Nothing here waits on the clock: the server signals each message it accepts and the
test waits for the count it needs (server_events.py); a wait that runs out fails the
test and says what did not come.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from notify_support import ledger_rows, notify_process, sqlite_url, write_csv
from server_events import LIMIT, Gate, Tally, wait_until

from notify.common.resources import private_folder
from notify.delivery.ledger import journal
from notify.delivery.ledger.ledger import journal_place

ROWS = 700
CONCURRENCY = 2
SENDERS = {"A": "worker-a@shop.example", "B": "worker-b@shop.example"}


def everyone(n: int = ROWS) -> set[str]:
    return {f"user{i}@users.example" for i in range(n)}


class Watch:
    """The test server seen per worker: messages each sender had accepted (a Tally the
    test waits on), hooks run on each accepted message before its reply goes out, and a
    gate that holds every DATA until both workers have their sessions open (so they
    really overlap; the test fails if they never do). It advertises PIPELINING, as
    Postfix does (aiosmtpd handles pipelined commands but does not say so): the
    sessions then write the next message's envelope behind each body, the path of a
    production campaign."""

    def __init__(self, server: Any, connections: int | None) -> None:
        self.server = server
        self.accepted = Tally()
        self.last: dict[tuple[str, int], str] = {}  # (sender, connection) -> the address accepted last
        self.hooks: list[Callable[[str, int], None]] = []
        self.lock = threading.Lock()
        self.gate = Gate(f"{connections} SMTP connections (both workers' pre-flights and sessions)")
        if connections is None:
            self.gate.open()
        ehlo, data = server.handle_EHLO, server.handle_DATA

        async def handle_EHLO(
            srv: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
        ) -> Any:
            result = await ehlo(srv, session, envelope, hostname, responses)
            result.insert(-1, "250-PIPELINING")  # as Postfix does: each session then pipelines
            if connections is not None and server.connections >= connections:
                self.gate.open()
            return result

        async def handle_DATA(srv: Any, session: Any, envelope: Any) -> str:
            await self.gate.passage()
            reply: str = await data(srv, session, envelope)
            if reply.startswith("250"):
                with self.lock:
                    self.last[envelope.mail_from, id(session)] = envelope.rcpt_tos[0]
                n = self.accepted.note(envelope.mail_from)
                for hook in self.hooks:
                    hook(envelope.mail_from, n)
            return reply

        server.handle_EHLO = handle_EHLO
        server.handle_DATA = handle_DATA

    def of(self, worker: str) -> int:
        return self.accepted[SENDERS[worker]]

    def wait_for(self, worker: str, count: int, what: str) -> int:
        """Wait until the server accepted ``count`` messages of the worker (or fail)."""
        return self.accepted.wait_for(SENDERS[worker], count, what)

    def hold_at(self, worker: str, count: int) -> tuple[threading.Event, threading.Event]:
        """When the worker's ``count``-th message is accepted, before its reply goes out,
        set the first event and hold the server (every session of both workers) until
        the test sets the second."""
        reached, go = threading.Event(), threading.Event()

        def hold(sender: str, n: int) -> None:
            if sender == SENDERS[worker] and n == count:
                reached.set()
                go.wait(LIMIT)

        self.hooks.append(hold)
        return reached, go

    def last_of(self, worker: str) -> set[str]:
        """The message each of the worker's connections had accepted last: at a kill, the
        only ones whose acceptance the worker may not have recorded."""
        with self.lock:
            return {address for (sender, _), address in self.last.items() if sender == SENDERS[worker]}


def journaled(ledger: str, repo: Path, worker: subprocess.Popen[str]) -> set[int]:
    """The rows whose outcome is in the worker's outcome journal: those its ledger does
    not have yet (a segment is deleted once the ledger has its outcomes)."""
    folder, _ = journal_place(ledger, private_folder(repo))
    owner = f":{worker.pid}:"
    return {
        o.id for header, outcomes in journal.written(folder) if owner in header["owner"] for o in outcomes
    }


class LedgerLock:
    """The test holding the ledger's write lock, as a busy or slow database would:
    the workers' commits (outcomes, claims, lease renewals) wait; their sessions do not.
    Reads inside the lock see what the workers had committed."""

    def __init__(self, url: str) -> None:
        self.url = url
        if url.startswith("sqlite"):
            self.sqlite = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30, isolation_level=None)
            self.sqlite.execute("BEGIN IMMEDIATE")
        else:
            self.engine = sa.create_engine(url)
            self.conn = self.engine.connect()
            self.transaction = self.conn.begin()
            self.conn.execute(sa.text("LOCK TABLE policy_notices IN SHARE MODE"))

    def rows(self) -> list[tuple[int, str, str]]:
        """(id, status, owner) of every notice, as the workers had committed them."""
        query = "SELECT id, status, COALESCE(lease_owner, '') FROM policy_notices"
        if self.url.startswith("sqlite"):
            return [tuple(r) for r in self.sqlite.execute(query)]
        return [tuple(r) for r in self.conn.execute(sa.text(query))]

    def release(self) -> None:
        if self.url.startswith("sqlite"):
            self.sqlite.execute("ROLLBACK")
            self.sqlite.close()
        else:
            self.transaction.rollback()
            self.conn.close()
            self.engine.dispose()


def start_workers(
    tmp_path: Path, revision: Any, server: Any, ledger: str
) -> dict[str, subprocess.Popen[str]]:
    write_csv(tmp_path / "users.csv", ROWS)
    common = (
        "--recipients",
        str(tmp_path / "users.csv"),
        "--smtp",
        f"smtp://127.0.0.1:{server.port}",
        "--concurrency",
        str(CONCURRENCY),
        "--ledger",
        ledger,
    )
    return {
        name: notify_process(tmp_path, revision, *common, "--from", sender)
        for name, sender in SENDERS.items()
    }


def kill(worker: subprocess.Popen[str]) -> None:
    """SIGKILL, and reap it (a zombie is a process that exited, but wait like an init would)."""
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(30)


def held_by(rows: list[tuple[int, str, str]], worker: subprocess.Popen[str], *statuses: str) -> set[int]:
    return {row_id for row_id, status, owner in rows if f":{worker.pid}:" in owner and status in statuses}


def finish(workers: dict[str, subprocess.Popen[str]]) -> str:
    """Wait for the surviving worker B, which must finish the whole campaign."""
    try:
        _, err = workers["B"].communicate(timeout=180)
    finally:
        for w in workers.values():
            if w.poll() is None:
                w.kill()
                w.wait()
    assert workers["A"].returncode == -signal.SIGKILL, workers["A"].communicate()[1]
    assert workers["B"].returncode == 0, err
    return err


def assert_everyone_once_but(
    server: Any, ledger: str, at_most: int, among: set[str] | None = None
) -> Counter[str]:
    """What the users see: every one has the notice, at most ``at_most`` of them twice
    (and only among the messages in flight at the kill), nobody three times; and the
    ledger says every notice was sent."""
    counts = server.counts()
    missing = everyone() - set(counts)
    assert not missing, f"{len(missing)} users never got the notice, e.g. {sorted(missing)[:5]}"
    twice = {address for address, n in counts.items() if n > 1}
    assert max(counts.values()) <= 2, f"someone got the notice {max(counts.values())} times"
    assert len(twice) <= at_most, f"{len(twice)} recipients got the notice twice: {sorted(twice)}"
    if among is not None:
        assert twice <= among, f"sent twice though not in flight at the kill: {sorted(twice - among)}"
    rows = ledger_rows(ledger)
    assert len(rows) == ROWS and {r["status"] for r in rows} == {"sent"}
    return counts


def ledger_for(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    return sqlite_url(tmp_path) if backend == "sqlite" else request.getfixturevalue("fresh_postgres")


BACKENDS = pytest.mark.parametrize("backend", ["sqlite", "postgresql"])


@BACKENDS
def test_a_worker_killed_mid_message_costs_at_most_one_duplicate_per_open_connection(
    tmp_path: Path, revision, smtp_server, backend: str, request: pytest.FixtureRequest
) -> None:
    ledger = ledger_for(backend, tmp_path, request)
    server = smtp_server()
    watch = Watch(server, connections=2 * (CONCURRENCY + 1))
    killed = threading.Event()
    workers: dict[str, subprocess.Popen[str]] = {}

    def kill_a_mid_data(sender: str, n: int) -> None:
        # The message is accepted, its "250" not yet written: A dies with DATA in flight.
        if sender == SENDERS["A"] and n == 40 and not killed.is_set():
            kill(workers["A"])
            killed.set()

    watch.hooks.append(kill_a_mid_data)
    workers.update(start_workers(tmp_path, revision, server, ledger))
    try:
        assert killed.wait(LIMIT), f"worker A's 40th message never came (A had {watch.of('A')} accepted)"
    finally:
        err = finish(workers)
    watch.gate.check()
    # In flight: the last message each of A's connections had sent (the server may
    # accept a pipelined one after the kill), not one before it.
    assert_everyone_once_but(server, ledger, at_most=CONCURRENCY, among=watch.last_of("A"))
    assert "every registered user in the source has the notice" in " ".join(err.split())


@BACKENDS
def test_a_worker_killed_between_its_outcomes_and_the_ledger_commit_sends_none_of_them_again(
    tmp_path: Path, revision, smtp_server, backend: str, request: pytest.FixtureRequest
) -> None:
    ledger = ledger_for(backend, tmp_path, request)
    server = smtp_server()
    watch = Watch(server, connections=2 * (CONCURRENCY + 1))
    reached, go = watch.hold_at("A", 10)
    workers = start_workers(tmp_path, revision, server, ledger)
    try:
        assert reached.wait(LIMIT), "worker A's 10th message never came"
        try:  # the server holds still: A has all but 10 of the rows it claimed to send
            lock = LedgerLock(ledger)  # from here on, A's outcomes can reach its journal only
        finally:
            go.set()
        try:
            at_lock = watch.of("A")
            watch.wait_for("A", at_lock + 30, "30 more messages of worker A")
            kill(workers["A"])
            delivered = watch.of("A")
            recorded = len(held_by(lock.rows(), workers["A"], "sent"))
        finally:
            lock.release()
    finally:
        finish(workers)
    watch.gate.check()
    # At the kill, the ledger lacked most of what A had delivered: only its journal had them.
    assert recorded <= delivered - 30
    assert_everyone_once_but(server, ledger, at_most=CONCURRENCY, among=watch.last_of("A"))


@BACKENDS
def test_a_worker_killed_while_it_waits_to_claim_rows_causes_no_duplicate(
    tmp_path: Path, revision, smtp_server, backend: str, request: pytest.FixtureRequest
) -> None:
    ledger = ledger_for(backend, tmp_path, request)
    server = smtp_server()
    watch = Watch(server, connections=2 * (CONCURRENCY + 1))
    reached, go = watch.hold_at("A", 10)
    workers = start_workers(tmp_path, revision, server, ledger)
    try:
        assert reached.wait(LIMIT), "worker A's 10th message never came"
        try:
            lock = LedgerLock(ledger)
        finally:
            go.set()
        try:
            # A delivers what it had claimed, each outcome into its journal (the ledger
            # is locked), and its claim for more waits on the lock: then nothing of A's
            # is in flight.
            rows = lock.rows()
            claimed, recorded = (
                held_by(rows, workers["A"], "sent", "sending"),
                held_by(rows, workers["A"], "sent"),
            )
            watch.wait_for("A", len(claimed), "worker A's queue to drain")
            wait_until(
                lambda: claimed <= recorded | journaled(ledger, tmp_path, workers["A"]),
                f"worker A's journal to hold the outcomes of its {len(claimed - recorded)} unrecorded messages",
            )
            kill(workers["A"])
            assert watch.of("A") == len(claimed)
        finally:
            lock.release()
    finally:
        finish(workers)
    watch.gate.check()
    counts = assert_everyone_once_but(server, ledger, at_most=0)
    assert counts == Counter({address: 1 for address in everyone()})


def test_a_worker_resumed_after_stalling_past_its_lease_sends_none_of_the_rows_another_worker_took(
    tmp_path: Path, revision, smtp_server
) -> None:
    n = 300
    server = smtp_server()
    watch = Watch(server, connections=None)
    stalled = threading.Event()
    workers: dict[str, subprocess.Popen[str]] = {}

    def stall_a(sender: str, count: int) -> None:
        if sender == SENDERS["A"] and count == 20:
            os.kill(workers["A"].pid, signal.SIGSTOP)  # its 20th message is in flight
            stalled.set()

    watch.hooks.append(stall_a)
    write_csv(tmp_path / "users.csv", n)
    args = ("--recipients", str(tmp_path / "users.csv"), "--smtp", f"smtp://127.0.0.1:{server.port}")
    workers["A"] = notify_process(
        tmp_path, revision, *args, "--from", SENDERS["A"], "--concurrency", "1", "--lease", "2"
    )
    try:
        assert stalled.wait(LIMIT), f"worker A's 20th message never came (A had {watch.of('A')} accepted)"
        # B finds every row leased to A, waits for the lease to run out, then takes them.
        workers["B"] = notify_process(tmp_path, revision, *args, "--from", SENDERS["B"], "--concurrency", "2")
        _, b_err = workers["B"].communicate(timeout=120)
        assert workers["B"].returncode == 0, b_err
        os.kill(workers["A"].pid, signal.SIGCONT)
        _, a_err = workers["A"].communicate(timeout=60)
    finally:
        for w in workers.values():
            if w.poll() is None:
                os.kill(w.pid, signal.SIGCONT)
                w.kill()
                w.wait()
    assert workers["A"].returncode == 0, a_err
    assert watch.of("A") == 20  # A sent nothing after it resumed
    assert "left to another worker" in a_err and "--lease" in a_err
    counts = server.counts()
    assert set(counts) == everyone(n)
    assert sum(counts.values()) - n <= 1  # at most A's one message in flight, sent again by B
    assert {r["status"] for r in ledger_rows(sqlite_url(tmp_path))} == {"sent"}


def fill(disk: Path) -> Path:
    """Write a file until the disk is full."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    chunk = b"x" * 65536
    try:
        while True:
            os.write(fd, chunk)
    except OSError:
        try:
            while True:
                os.write(fd, b"x" * 512)
        except OSError:
            pass
    finally:
        os.close(fd)
    return filler


def test_a_full_ledger_disk_stops_the_run_keeps_every_delivery_and_the_rerun_sends_nothing_twice(
    tmp_path: Path, revision, smtp_server, small_disk: Callable[[int], Path]
) -> None:
    disk = small_disk(8)
    n = 400
    filled: list[Path] = []

    def fill_the_disk(accepted: int) -> None:
        if accepted == 60:
            filled.append(fill(disk))

    server = smtp_server(after_data=fill_the_disk)
    write_csv(tmp_path / "users.csv", n)
    ledger = f"sqlite:///{disk / 'ledger.sqlite3'}"
    args = (
        "--recipients",
        str(tmp_path / "users.csv"),
        "--smtp",
        f"smtp://127.0.0.1:{server.port}",
        "--concurrency",
        str(CONCURRENCY),
        "--ledger",
        ledger,
    )
    first = notify_process(tmp_path, revision, *args)
    _, err = first.communicate(timeout=120)
    assert filled, err
    assert first.returncode == 2, err
    said = " ".join(err.split())
    delivered = sum(server.counts().values())
    assert 60 <= delivered < n  # it stopped early
    assert "No space left on device" in said or "disk is full" in said
    assert "Free space on that disk" in said and "then rerun the same command" in said
    assert "sends none of them again" in said

    filled[0].unlink()  # the operator frees space
    rerun = notify_process(tmp_path, revision, *args)
    _, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    assert server.counts() == Counter({address: 1 for address in everyone(n)})
    rows = ledger_rows(ledger)
    assert len(rows) == n and {r["status"] for r in rows} == {"sent"}
