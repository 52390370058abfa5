"""Real subprocesses: SIGKILL mid-campaign then a rerun; SIGTERM; several workers on one ledger.

The server's handler signals the test (a message accepted, both workers connected) and
holds still while the test acts; every wait has a limit that fails the test
(server_events.py)."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections import Counter
from pathlib import Path

from notify_support import ledger_rows, notify_process, sqlite_url, write_csv
from server_events import LIMIT, Gate

N = 200
MANY = 1000  # several claims: both workers get a share
CONNECTIONS = 4


def _everyone(n: int = N) -> set[str]:
    return {f"user{i}@users.example" for i in range(n)}


def test_sigkill_mid_campaign_then_rerun_completes_it(tmp_path: Path, revision, smtp_server) -> None:
    reached, killed = threading.Event(), threading.Event()

    def after_data(accepted: int) -> None:
        if accepted == 60:
            reached.set()
            killed.wait(LIMIT)  # hold the server (and so the in-flight messages) until the kill is done

    server = smtp_server(after_data=after_data)
    write_csv(tmp_path / "users.csv", N)
    args = (
        "--recipients",
        str(tmp_path / "users.csv"),
        "--smtp",
        f"smtp://127.0.0.1:{server.port}",
        "--concurrency",
        str(CONNECTIONS),
    )
    worker = notify_process(tmp_path, revision, *args)
    try:
        assert reached.wait(LIMIT), (
            worker.stderr.read() if worker.poll() is not None else "the 60th message never came"
        )
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(30)
        in_flight = {r["email"] for r in ledger_rows(sqlite_url(tmp_path)) if r["status"] == "sending"}
    finally:
        killed.set()
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == -signal.SIGKILL
    assert in_flight, "the kill should have caught messages in flight"
    assert len(server.counts()) < N

    rerun = notify_process(tmp_path, revision, *args)
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err

    counts = server.counts()
    missing = _everyone() - set(counts)
    assert not missing, f"{len(missing)} users never got the notice after the rerun"
    duplicated = {address for address, n in counts.items() if n > 1}
    # Twice: at most the message each connection had in flight, nobody three times.
    assert len(duplicated) <= CONNECTIONS, (
        f"{len(duplicated)} users got the notice twice: {sorted(duplicated)}"
    )
    assert duplicated <= in_flight
    assert max(counts.values()) <= 2
    rows = ledger_rows(sqlite_url(tmp_path))
    assert len(rows) == N and {r["status"] for r in rows} == {"sent"}


def test_sigterm_finishes_in_flight_and_leaves_the_campaign_resumable(
    tmp_path: Path, revision, smtp_server
) -> None:
    reached, signalled = threading.Event(), threading.Event()

    def after_data(accepted: int) -> None:
        if accepted == 50:
            reached.set()
            signalled.wait(LIMIT)  # hold the server until the signal is sent

    server = smtp_server(after_data=after_data)
    write_csv(tmp_path / "users.csv", N)
    args = (
        "--recipients",
        str(tmp_path / "users.csv"),
        "--smtp",
        f"smtp://127.0.0.1:{server.port}",
        "--concurrency",
        str(CONNECTIONS),
    )
    worker = notify_process(tmp_path, revision, *args)
    try:
        assert reached.wait(LIMIT), "the 50th message never came"
        os.kill(worker.pid, signal.SIGTERM)
    finally:
        signalled.set()
    out, err = worker.communicate(timeout=60)
    assert worker.returncode == 1, err
    assert "rerun the same command" in err.lower()
    rows = ledger_rows(sqlite_url(tmp_path))
    statuses = Counter(r["status"] for r in rows)
    assert statuses["sending"] == 0 and statuses["pending"] > 0
    assert statuses["sent"] == sum(server.counts().values())  # everything sent is recorded

    rerun = notify_process(tmp_path, revision, *args)
    _, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    assert server.counts() == Counter(
        {address: 1 for address in _everyone()}
    )  # graceful stop: no duplicate at all


def _two_workers(tmp_path: Path, revision, server, ledger: str) -> list[dict]:
    write_csv(tmp_path / "users.csv", MANY)
    args = (
        "--recipients",
        str(tmp_path / "users.csv"),
        "--smtp",
        f"smtp://127.0.0.1:{server.port}",
        "--concurrency",
        "3",
        "--ledger",
        ledger,
    )
    workers = [notify_process(tmp_path, revision, *args) for _ in range(2)]
    try:
        errors = [w.communicate(timeout=180)[1] for w in workers]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
                w.wait()
    if any(w.returncode for w in workers):
        print("\n----\n".join(errors), file=sys.stderr)  # shown in full by pytest on failure
    assert [w.returncode for w in workers] == [0, 0]
    return ledger_rows(ledger)


def test_two_concurrent_workers_on_one_postgresql_ledger_send_nothing_twice(
    tmp_path: Path, revision, smtp_server, fresh_postgres: str
) -> None:
    server = smtp_server()
    gate = _hold_until_both_workers_connected(server, wanted=2 * 3 + 2)
    rows = _two_workers(tmp_path, revision, server, fresh_postgres)
    gate.check()
    assert server.counts() == Counter({address: 1 for address in _everyone(MANY)})
    assert len(rows) == MANY and {r["status"] for r in rows} == {"sent"}
    owners = {r["lease_owner"].rsplit(":", 1)[1] for r in rows}
    assert len(owners) == 2  # both workers delivered part of the campaign


def test_two_concurrent_workers_on_one_sqlite_ledger_send_nothing_twice(
    tmp_path: Path, revision, smtp_server
) -> None:
    server = smtp_server()
    gate = _hold_until_both_workers_connected(server, wanted=2 * 3 + 2)
    rows = _two_workers(tmp_path, revision, server, sqlite_url(tmp_path))
    gate.check()
    assert server.counts() == Counter({address: 1 for address in _everyone(MANY)})
    owners = {r["lease_owner"].rsplit(":", 1)[1] for r in rows}
    assert len(owners) == 2


def _hold_until_both_workers_connected(server, wanted: int) -> Gate:
    """Hold every DATA until `wanted` EHLOs were seen (both pre-flights and both
    pools), so that the two workers provably run at the same time; the gate's check()
    fails the test if they never did."""
    gate = Gate(f"{wanted} SMTP connections (both workers' pre-flights and sessions)")
    original = server.handle_EHLO

    async def handle_EHLO(srv, session, envelope, hostname, responses):
        result = await original(srv, session, envelope, hostname, responses)
        if server.connections >= wanted:
            gate.open()
        return result

    async def handle_DATA(srv, session, envelope, _inner=server.handle_DATA):
        await gate.passage()
        return await _inner(srv, session, envelope)

    server.handle_EHLO = handle_EHLO
    server.handle_DATA = handle_DATA
    return gate
