"""Measure how many recipients get a notice twice when a campaign is killed, stalled or
runs out of disk: the numbers behind docs/performance.md (issue 10). Not a test: run by
hand, it takes a few minutes.

    .venv/bin/python tests/notify/measure_crash_bound.py [--repeat N] [--only NAME ...]

Real processes (`policyctl notify --revision-file`) against a real SMTP server (aiosmtpd,
advertising PIPELINING as Postfix does) on loopback, which counts the messages each
recipient gets:

- sigkill: one worker, 3 000 users, 4 connections, SQLite ledger; SIGKILL at a random
  moment (after a random number of accepted messages), then a rerun finishes it;
- sigkill-pg: two workers of 4 connections each on one PostgreSQL ledger (a cluster of
  its own, scripts/start-postgres.sh); one is killed at a random moment, the other
  finishes the campaign;
- sigstop: 1 500 users; worker A (4 connections, --lease 3) is stopped with SIGSTOP at a
  random moment, worker B takes its rows over once the lease runs out and finishes,
  then A is resumed;
- disk-full: 1 000 users, SQLite ledger on an 8 MiB tmpfs that is filled at a random
  moment (needs root for mount); then space is freed and the same command reruns.

For each: the most and the mean number of recipients who got the notice twice, against
the bound (the messages in flight: one per open connection of the worker hit).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE.parent), str(HERE)]

from aiosmtpd.controller import Controller  # noqa: E402
from notify_support import SmtpServer, make_revision, notify_process, write_csv  # noqa: E402
from tests_support import free_port  # noqa: E402

ROOT = HERE.parents[1]


class Server:
    """aiosmtpd with PIPELINING in its EHLO reply, as Postfix and most servers send it
    (aiosmtpd handles pipelined commands but does not advertise them)."""

    def __init__(self) -> None:
        self.handler = SmtpServer()
        self.handler.port = free_port()
        ehlo = self.handler.handle_EHLO

        async def handle_EHLO(
            server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
        ) -> Any:
            responses = await ehlo(server, session, envelope, hostname, responses)
            responses.insert(-1, "250-PIPELINING")
            return responses

        self.handler.handle_EHLO = handle_EHLO  # type: ignore[method-assign]
        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.handler.port, ready_timeout=10
        )
        self.controller.start()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.handler.port}"

    def accepted(self) -> int:
        with self.handler.lock:
            return len(self.handler.received)

    def duplicates(self, users: int) -> tuple[int, int]:
        counts = self.handler.counts()
        return sum(1 for n in counts.values() if n > 1), users - len(counts)

    def stop(self) -> None:
        self.controller.stop()


def wait_until(condition: Callable[[], bool], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("timed out")
        time.sleep(0.001)


def finish(proc: subprocess.Popen[str], what: str) -> None:
    _, err = proc.communicate(timeout=600)
    if proc.returncode != 0:
        raise SystemExit(f"{what} exited {proc.returncode}:\n{err[-3000:]}")


def sigkill(work: Path, rng: random.Random) -> tuple[int, int, int]:
    users, connections = 3000, 4
    server = Server()
    try:
        write_csv(work / "users.csv", users)
        args = (
            "--recipients",
            str(work / "users.csv"),
            "--smtp",
            server.url,
            "--concurrency",
            str(connections),
        )
        revision = make_revision()
        worker = notify_process(work, revision, *args)
        at = rng.randrange(100, users - 100)
        wait_until(lambda: server.accepted() >= at or worker.poll() is not None)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        finish(notify_process(work, revision, *args), "the rerun")
        twice, missing = server.duplicates(users)
        assert missing == 0, f"{missing} users never got the notice"
        return twice, connections, at
    finally:
        server.stop()


def sigkill_pg(work: Path, rng: random.Random, ledger: str) -> tuple[int, int, int]:
    users, connections = 3000, 4
    server = Server()
    try:
        write_csv(work / "users.csv", users)
        args = (
            "--recipients",
            str(work / "users.csv"),
            "--smtp",
            server.url,
            "--concurrency",
            str(connections),
            "--ledger",
            ledger,
        )
        revision = make_revision()
        workers = [notify_process(work, revision, *args) for _ in range(2)]
        at = rng.randrange(100, users - 100)
        wait_until(lambda: server.accepted() >= at or any(w.poll() is not None for w in workers))
        os.kill(workers[0].pid, signal.SIGKILL)
        workers[0].wait()
        finish(workers[1], "the surviving worker")
        twice, missing = server.duplicates(users)
        assert missing == 0, f"{missing} users never got the notice"
        return twice, connections, at
    finally:
        server.stop()


def sigstop(work: Path, rng: random.Random) -> tuple[int, int, int]:
    users, connections = 1500, 4
    server = Server()
    try:
        write_csv(work / "users.csv", users)
        args = (
            "--recipients",
            str(work / "users.csv"),
            "--smtp",
            server.url,
            "--concurrency",
            str(connections),
        )
        revision = make_revision()
        a = notify_process(work, revision, *args, "--lease", "3")
        at = rng.randrange(50, 1000)
        wait_until(lambda: server.accepted() >= at or a.poll() is not None)
        os.kill(a.pid, signal.SIGSTOP)
        b = notify_process(work, revision, *args)
        finish(b, "worker B")
        os.kill(a.pid, signal.SIGCONT)
        finish(a, "worker A, resumed")
        twice, missing = server.duplicates(users)
        assert missing == 0, f"{missing} users never got the notice"
        return twice, connections, at
    finally:
        server.stop()


def disk_full(work: Path, rng: random.Random) -> tuple[int, int, int]:
    users, connections = 1000, 4
    disk = work / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(disk)], check=True)
    server = Server()
    try:
        at = rng.randrange(50, users - 200)
        filler = disk / "filler"

        def fill(accepted: int) -> None:
            if accepted == at:
                fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
                for size in (65536, 512):
                    try:
                        while True:
                            os.write(fd, b"x" * size)
                    except OSError:
                        pass
                os.close(fd)

        server.handler.after_data = fill
        write_csv(work / "users.csv", users)
        args = (
            "--recipients",
            str(work / "users.csv"),
            "--smtp",
            server.url,
            "--concurrency",
            str(connections),
            "--ledger",
            f"sqlite:///{disk / 'ledger.sqlite3'}",
        )
        revision = make_revision()
        first = notify_process(work, revision, *args)
        _, err = first.communicate(timeout=600)
        if first.returncode != 2:
            raise SystemExit(f"the run on a full disk exited {first.returncode}, not 2:\n{err[-3000:]}")
        filler.unlink()
        finish(notify_process(work, revision, *args), "the rerun")
        twice, missing = server.duplicates(users)
        assert missing == 0, f"{missing} users never got the notice"
        return twice, connections, at
    finally:
        server.stop()
        subprocess.run(["umount", "-l", str(disk)], check=True)


def postgres(base: Path) -> tuple[str, Callable[[], None]]:
    os.chmod(base, 0o755)
    cluster = base / "cluster"
    script = ROOT / "scripts" / "start-postgres.sh"
    started = subprocess.run(
        ["sh", str(script), "start", str(cluster), str(free_port())], capture_output=True, text=True
    )
    if started.returncode != 0:
        raise SystemExit(f"could not start PostgreSQL:\n{started.stderr}")
    url = started.stdout.strip().splitlines()[-1]

    def stop() -> None:
        subprocess.run(["sh", str(script), "stop", str(cluster)], capture_output=True, text=True)

    return url, stop


def fresh_database(admin_url: str, name: str) -> str:
    import sqlalchemy as sa

    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin_url.rsplit("/", 1)[0] + "/" + name


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10, help="runs per scenario (default 10)")
    parser.add_argument("--only", nargs="*", choices=("sigkill", "sigkill-pg", "sigstop", "disk-full"))
    parser.add_argument("--seed", type=int, default=10)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    chosen = args.only or ["sigkill", "sigkill-pg", "sigstop", "disk-full"]
    base = Path(tempfile.mkdtemp(prefix="notify-crash-"))
    stop_pg: Callable[[], None] | None = None
    try:
        pg_url = None
        if "sigkill-pg" in chosen:
            pg_url, stop_pg = postgres(base)
        for name in chosen:
            results = []
            for i in range(args.repeat):
                work = base / f"{name}-{i}"
                work.mkdir()
                if name == "sigkill":
                    results.append(sigkill(work, rng))
                elif name == "sigkill-pg":
                    assert pg_url is not None
                    results.append(sigkill_pg(work, rng, fresh_database(pg_url, f"crash_{i}")))
                elif name == "sigstop":
                    results.append(sigstop(work, rng))
                else:
                    results.append(disk_full(work, rng))
                twice, bound, at = results[-1]
                print(
                    f"  {name} #{i + 1}: hit after {at} messages: {twice} recipients twice (bound {bound})",
                    flush=True,
                )
            counts = [r[0] for r in results]
            print(
                f"{name}: {len(counts)} runs, recipients sent twice: max {max(counts)}, "
                f"mean {sum(counts) / len(counts):.1f} (bound: {results[0][1]}, the connections of the worker hit)",
                flush=True,
            )
    finally:
        if stop_pg is not None:
            stop_pg()
        threading.Thread(target=lambda: subprocess.run(["rm", "-rf", str(base)]), daemon=False).start()
    return 0


if __name__ == "__main__":
    sys.exit(main())
