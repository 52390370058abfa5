"""A large recipients source is enqueued by a child process (notify.delivery.recipients.enqueuer): the
campaign reports the same skipped rows and duplicates, sends each user one message,
and a ledger that fills while the child inserts stops the run with nothing lost."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from notify_support import ledger_rows, notify, sqlite_url

from notify.delivery.recipients.enqueuer import use_child

FAST = ("--retry-base", "0.01", "--deadline", "20")


def big_csv(path: Path, count: int) -> Path:
    """`count` users with a realistic row size, two unusable rows and two duplicates (the
    same accounts again, their addresses in other cases)."""
    lines = ["id,email,name,locale"]
    lines += [f"{i},user{i}@users.example,Registered User Number {i},en" for i in range(count)]
    lines.insert(11, "bad-1,not-an-address,Nobody,en")
    lines += ["7,USER7@users.example,Again,en", "bad-2,,Empty,en", "42,user42@Users.Example,Again,en"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert use_child(str(path), None), "the file must be large enough to be enqueued by the child"
    return path


def test_a_large_csv_is_enqueued_beside_the_campaign_with_the_same_report(
    tmp_path: Path, revision, smtp_server, capsys
) -> None:
    server = smtp_server()
    users = big_csv(tmp_path / "users.csv", 3000)
    args = ("--recipients", str(users), "--smtp", f"smtp://127.0.0.1:{server.port}", *FAST)
    result = notify(tmp_path, [revision], *args, "--json", capsys=capsys)
    assert result.code == 1, result.out  # two users have unusable addresses: not reached
    assert (
        "2 registered users not reached: 2 with an unusable address or phone number in the source"
        in result.out
    )
    report = json.loads(result.stdout)["campaigns"][0]
    assert report["sent"] == 3000 and report["enqueued"] == 3000
    assert {d["ref"] for d in report["duplicate_records"]} == {
        "users.csv line 3003 (id 7)",
        "users.csv line 3005 (id 42)",
    }
    assert {s["ref"] for s in report["skipped_records"]} == {
        "users.csv line 12 (id bad-1)",
        "users.csv line 3004 (id bad-2)",
    }
    assert server.counts() == Counter({f"user{i}@users.example": 1 for i in range(3000)})
    assert {r["status"] for r in ledger_rows(sqlite_url(tmp_path))} == {"sent"}


def test_a_ledger_that_fills_while_the_child_inserts_stops_the_run_and_the_rerun_finishes(
    tmp_path: Path, revision, smtp_server, small_disk: Callable[[int], Path]
) -> None:
    disk = small_disk(16)
    server = smtp_server()
    users = big_csv(tmp_path / "users.csv", 3000)
    ledger = f"sqlite:///{disk / 'ledger.sqlite3'}"
    filler = disk / "filler"
    filler.write_bytes(b"x" * (16 * 1024 * 1024 - 120 * 4096))  # the journal fits, the recipients do not
    args = (
        "--recipients",
        str(users),
        "--smtp",
        f"smtp://127.0.0.1:{server.port}",
        "--ledger",
        ledger,
        *FAST,
    )

    first = notify(tmp_path, [revision], *args)
    assert first.code == 2, first.out
    text = " ".join(first.out.split())
    assert "stopped taking writes" in text and "full" in text and "Free space" in text
    assert "Traceback" not in first.out
    assert max(server.counts().values(), default=0) <= 1
    assert sum(server.counts().values()) < 3000

    filler.unlink()
    again = notify(tmp_path, [revision], *args)
    assert again.code == 1, again.out  # only the two unusable addresses are left
    assert "2 registered users not reached: 2 with an unusable address" in " ".join(again.out.split())
    assert server.counts() == Counter({f"user{i}@users.example": 1 for i in range(3000)})
    assert {r["status"] for r in ledger_rows(ledger)} == {"sent"}


def test_a_campaign_from_the_shops_user_table(tmp_path: Path, revision, smtp_server, capsys) -> None:
    """A query source is always enqueued by the child, which runs the query itself."""
    server = smtp_server()
    db = tmp_path / "shop.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE users (uid INTEGER, mail TEXT, full_name TEXT, active INTEGER)")
        conn.executemany(
            "INSERT INTO users VALUES (?, ?, ?, ?)",
            [(i, f"user{i}@users.example", f"User {i}", 1) for i in range(40)]
            + [(40, "broken", "Nobody", 1), (41, "gone@users.example", "Gone", 0)],
        )
    source = ("--recipients", f"sqlite:///{db}", "--smtp", f"smtp://127.0.0.1:{server.port}", *FAST)
    query = "SELECT uid AS id, mail AS email, full_name AS name FROM users WHERE active = 1"
    result = notify(tmp_path, [revision], *source, "--query", query, "--json", capsys=capsys)
    assert result.code == 1, result.out  # the broken address is not reached
    report = json.loads(result.stdout)["campaigns"][0]
    assert report["sent"] == 40
    assert [s["ref"] for s in report["skipped_records"]] == ["row 41 (id 40)"]
    assert server.counts() == Counter({f"user{i}@users.example": 1 for i in range(40)})

    wrong = notify(tmp_path, [revision], *source, "--query", "SELECT mail FROM members")
    assert wrong.code == 2
    assert "--query failed" in wrong.out and "no such table: members" in wrong.out
    assert sum(server.counts().values()) == 40
