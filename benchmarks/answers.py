"""`policyctl applies --all --csv` over many users: wall time and peak RSS (issue 12).

    .venv/bin/python benchmarks/answers.py [--users N] [--answers M] [--backends sqlite,postgresql]

For each backend, a ledger holding notices of privacy 2.0 to N users (default
1 000 000; every tenth without a user id, so known by the hash of its address) and M
answers (default 50 000: objections and acceptances of 2.0 spread over the window) is
written straight into the tables with bulk inserts; then `policyctl applies --all --csv
--as-of 2026-10-20` runs as a subprocess writing to a file, and its wall time and peak
RSS (wait4) are printed (median of --rounds runs, and the CPU seconds of that run), next
to the same over a tenth of the users: equal peak RSS means the users are streamed
(memory grows with the answers, not the users).

PostgreSQL: a cluster of its own started with scripts/start-postgres.sh in a temporary
folder. Run by hand; nothing here is a test.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import sqlalchemy as sa  # noqa: E402
from tests_support import BASE_POLICY, CORE_RIGHTS_REVISION, free_port, git, policy_file  # noqa: E402

from notify.answers.store import AnswerBook, answers  # noqa: E402
from notify.delivery.ledger.ledger import SENT, notices  # noqa: E402

AS_OF = "2026-10-20"
BATCH = 20_000


def make_repo(path: Path) -> Path:
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    target = path / "policy" / "privacy.md"
    target.parent.mkdir()
    for body, version, published, summary in (
        (BASE_POLICY, "1.0", "2026-09-01", "First."),
        (CORE_RIGHTS_REVISION, "2.0", "2026-09-30", "Phone numbers for delivery."),
    ):
        target.write_text(policy_file(body, version=version, published=published, summary=summary), "utf-8")
        git(path, "add", "-A")
        git(path, "commit", "-q", "-m", f"Privacy policy {version}", date=f"{published}T10:00:00+08:00")
    return path


def fill(url: str, users: int, answered: int) -> None:
    """N notices of privacy 2.0 and M answers, inserted in bulk."""
    AnswerBook(url).close()  # creates the tables
    engine = sa.create_engine(url)
    sent = datetime(2026, 10, 1, 2, tzinfo=UTC)
    start = datetime(2026, 10, 1, 3, tzinfo=UTC)
    try:
        with engine.begin() as conn:
            for first in range(0, users, BATCH):
                rows = []
                for i in range(first, min(users, first + BATCH)):
                    address = f"user{i}@users.example"
                    rows.append(
                        {
                            "document": "privacy",
                            "version": "2.0",
                            "channel": "email",
                            "recipient": address,
                            "email": address,
                            "name": "",
                            "locale": "",
                            "recipient_id": "" if i % 10 == 9 else f"u{i}",
                            "source": "",
                            "sha256": "0" * 64,
                            "message_id": f"<m{i}@shop.example>",
                            "status": SENT,
                            "attempts": 1,
                            "run": "bench",
                            "enqueued_at": sent,
                            "sent_at": sent,
                        }
                    )
                conn.execute(notices.insert(), rows)
        step = max(1, users // answered) if answered else 1
        with engine.begin() as conn:
            rows = []
            for n, i in enumerate(range(0, users, step)):
                if n >= answered:
                    break
                rows.append(
                    {
                        "document": "privacy",
                        "version": "2.0",
                        "user_key": f"u{i}",
                        "seq": 1,
                        "answer": "object" if n % 3 else "accept",
                        "answered_at": start + timedelta(minutes=n % 20000),
                        "recorded_at": start,
                        "source": "import",
                    }
                )
                if len(rows) >= BATCH:
                    conn.execute(answers.insert(), rows)
                    rows = []
            if rows:
                conn.execute(answers.insert(), rows)
    finally:
        engine.dispose()


def measure(repo: Path, url: str, out: Path) -> tuple[float, float, float, int]:
    cmd = [
        sys.executable, "-c", "from generator.commands import main; raise SystemExit(main())",
        "applies", "--repo", str(repo), "--ledger", url, "--all", "--csv", "--as-of", AS_OF,
    ]  # fmt: skip
    with out.open("wb") as fh:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.PIPE, cwd=ROOT)
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"applies failed: {proc.stderr.read().decode() if proc.stderr else ''}")
    with out.open("rb") as fh:
        lines = sum(1 for _ in fh) - 1
    return seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime, lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=1_000_000)
    parser.add_argument("--answers", type=int, default=50_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--rounds", type=int, default=3, help="runs of applies per ledger (median shown)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-answers-"))
    os.chmod(work, 0o755)
    cluster = work / "pg"
    pg_started = False
    try:
        repo = make_repo(work / "repo")
        print(f"applies --all --csv --as-of {AS_OF}; {args.answers} answers", flush=True)
        for backend in args.backends.split(","):
            for users in (args.users // 10, args.users):
                if backend == "sqlite":
                    url = f"sqlite:///{work / f'ledger-{users}.sqlite3'}"
                else:
                    if not pg_started:
                        script = ROOT / "scripts" / "start-postgres.sh"
                        started = subprocess.run(
                            ["sh", str(script), "start", str(cluster), str(free_port())],
                            capture_output=True,
                            text=True,
                        )
                        if started.returncode != 0:
                            raise SystemExit(f"PostgreSQL did not start: {started.stderr}")
                        pg_url = started.stdout.strip().splitlines()[-1]
                        pg_started = True
                    name = f"bench_{users}"
                    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
                    with admin.connect() as conn:
                        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
                        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
                    admin.dispose()
                    url = pg_url.rsplit("/", 1)[0] + "/" + name
                t0 = time.perf_counter()
                fill(url, users, min(args.answers, users))
                filled = time.perf_counter() - t0
                runs = sorted(measure(repo, url, work / "out.csv") for _ in range(args.rounds))
                seconds, rss, cpu, lines = runs[len(runs) // 2]
                print(
                    f"{backend:10} {users:>9} users: {seconds:6.1f} s wall (median of {args.rounds}; "
                    f"all: {', '.join(f'{r[0]:.1f}' for r in runs)}), {cpu:5.1f} s CPU, "
                    f"peak RSS {max(r[1] for r in runs):5.0f} MB, {lines} lines (set-up {filled:.0f} s)",
                    flush=True,
                )
    finally:
        if pg_started:
            subprocess.run(
                ["sh", str(ROOT / "scripts" / "start-postgres.sh"), "stop", str(cluster)], capture_output=True
            )
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
