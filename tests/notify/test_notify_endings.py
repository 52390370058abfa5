"""How a campaign ends, as the operator reads it: configuration faults stop the run and
fail nobody, users left unreached make the exit status non-zero and the output says
what to do, an empty recipients source is refused, the evidence is read without
writing, and no recipient's address reaches the console (CI logs)."""

from __future__ import annotations

import json
import subprocess
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from notify_support import ledger_rows, notify, sqlite_url, write_csv

FAST = ("--retry-base", "0.01")


def smtp(server: Any) -> str:
    return f"smtp://127.0.0.1:{server.port}"


def said(outcome: Any) -> str:
    """The console output with the terminal's line wrapping undone."""
    return " ".join(outcome.out.split())


def everyone(n: int) -> Counter[str]:
    return Counter({f"user{i}@users.example": 1 for i in range(n)})


def test_a_sender_refused_in_mid_campaign_stops_the_run_fails_nobody_and_the_rerun_after_the_fix_reaches_everyone(
    tmp_path: Path, revision, smtp_server, capsys
) -> None:
    refusing = threading.Event()
    fixed = threading.Event()
    server = smtp_server(after_data=lambda accepted: refusing.set() if accepted == 40 else None)

    async def handle_MAIL(srv: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if refusing.is_set() and not fixed.is_set():
            return "554 5.7.1 <privacy@shop.example>: Sender address rejected: not owned by user shop"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    server.handle_MAIL = handle_MAIL
    write_csv(tmp_path / "users.csv", 300)
    args = (
        "--recipients",
        str(tmp_path / "users.csv"),
        "--smtp",
        smtp(server),
        "--from",
        "Shop Privacy <privacy@shop.example>",
        "--concurrency",
        "3",
        *FAST,
    )
    first = notify(tmp_path, [revision], *args)
    assert first.code == 2, first.out
    text = said(first)
    assert "fix --from" in text and "554 5.7.1" in text
    assert "Nobody was marked failed" in text and "rerun after the fix, reaches everyone" in text
    delivered = sum(server.counts().values())
    assert 40 <= delivered < 300
    statuses = Counter(r["status"] for r in ledger_rows(sqlite_url(tmp_path)))
    assert statuses == Counter({"sent": delivered, "pending": 300 - delivered})  # none failed, none stuck
    assert f"{300 - delivered} notices are left pending" in text

    fixed.set()  # the operator fixes the sender (here: the server accepts it again)
    rerun = notify(tmp_path, [revision], *args, "--json", capsys=capsys)
    assert rerun.code == 0, rerun.out
    assert server.counts() == everyone(300)


def test_an_outbox_that_cannot_be_written_stops_the_run_with_everyone_else_pending(
    tmp_path: Path, revision, small_disk: Callable[[int], Path]
) -> None:
    disk = small_disk(4)
    write_csv(tmp_path / "users.csv", 200)
    filler = disk / "filler"
    filler.write_bytes(b"x" * (4 * 1024 * 1024 - 40 * 4096))  # room for a few dozen messages
    args = ("--recipients", str(tmp_path / "users.csv"), "--outbox", str(disk))
    first = notify(tmp_path, [revision], *args)
    assert first.code == 2, first.out
    text = said(first)
    assert "fix --outbox: cannot write to the outbox" in text and "No space left on device" in text
    statuses = Counter(r["status"] for r in ledger_rows(sqlite_url(tmp_path)))
    assert statuses["failed"] == statuses["sending"] == 0 and statuses["pending"] > 0
    written = len(list(disk.rglob("*.eml")))
    assert statuses["sent"] == written and 0 < written < 200

    filler.unlink()
    again = notify(tmp_path, [revision], *args)
    assert again.code == 0, again.out
    assert len(list(disk.rglob("*.eml"))) == 200
    assert {r["status"] for r in ledger_rows(sqlite_url(tmp_path))} == {"sent"}


def test_a_rerun_that_finds_only_permanent_failures_says_so_exits_1_and_points_to_retry_failed(
    tmp_path: Path, revision, smtp_server
) -> None:
    server = smtp_server(
        on_rcpt=lambda address, n: "550 5.1.1 No such user here" if address == "user3@users.example" else None
    )
    write_csv(tmp_path / "users.csv", 6)
    args = ("--recipients", str(tmp_path / "users.csv"), "--smtp", smtp(server), *FAST)
    first = notify(tmp_path, [revision], *args)
    assert first.code == 1
    assert "1 registered user not reached: 1 failed permanently" in said(first)
    assert "--retry-failed" in said(first)

    again = notify(tmp_path, [revision], *args)
    assert again.code == 1
    text = said(again)
    assert "nothing to send" in text and "the 1 whose notice failed permanently in an earlier run" in text
    assert "Rerun with --retry-failed" in text
    assert server.attempts["user3@users.example"] == 1
    assert server.counts() == everyone(6) - Counter({"user3@users.example": 1})


def test_users_left_unreached_make_the_exit_status_1_and_the_output_says_how_many_and_what_to_do(
    tmp_path: Path, revision, smtp_server
) -> None:
    server = smtp_server(
        on_data=lambda address, n: "451 4.3.0 Try again later" if address.startswith("user2@") else None
    )
    path = tmp_path / "users.csv"
    path.write_text(
        "email,id\n" + "".join(f"user{i}@users.example,{i}\n" for i in range(5)) + "not-an-address,99\n"
    )
    result = notify(
        tmp_path, [revision], "--recipients", str(path), "--smtp", smtp(server), "--retries", "0", *FAST
    )
    assert result.code == 1
    text = said(result)
    assert (
        "2 registered users not reached: 1 still to send, 1 with an unusable address or phone number in the source"
        in text
    )
    assert "Rerun the same command to send the rest" in text
    assert "users.csv line 7 (id 99)" in text  # the unusable one, by line and id
    assert server.counts() == everyone(5) - Counter({"user2@users.example": 1})


def test_an_empty_recipients_source_is_an_error_unless_allowed(tmp_path: Path, revision, smtp_server) -> None:
    server = smtp_server()
    empty = tmp_path / "users.csv"
    empty.write_text("email,name,id\n")
    refused = notify(tmp_path, [revision], "--recipients", str(empty), "--smtp", smtp(server))
    assert refused.code == 2
    assert "holds no record" in said(refused) and "--allow-empty" in said(refused)
    allowed = notify(
        tmp_path, [revision], "--recipients", str(empty), "--smtp", smtp(server), "--allow-empty"
    )
    assert allowed.code == 0 and "recipients source is empty" in said(allowed)
    assert server.counts() == Counter() and server.connections == 0


def test_no_recipient_address_reaches_the_console_or_the_json_report(
    tmp_path: Path, revision, smtp_server, capsys
) -> None:
    """Failures are named by their line and id in the source, and an SMTP reply that
    quotes the address has it replaced; only --report exports addresses."""
    server = smtp_server(
        on_rcpt=lambda address, n: (
            f"550 5.1.1 <{address}>: Recipient address rejected" if address.startswith("user1@") else None
        )
    )
    path = tmp_path / "users.csv"
    path.write_text(
        "email,id\n"
        + "".join(f"user{i}@users.example,{i}\n" for i in range(4))
        + "USER0@users.example,0\nbroken@@users.example,bad\n"  # the same account again, an unusable one
    )
    args = ("--recipients", str(path), "--smtp", smtp(server), *FAST)
    human = notify(tmp_path, [revision], *args)
    machine = notify(tmp_path, [revision], *args, "--retry-failed", "--json", capsys=capsys)
    for output in (human.out, machine.out, machine.stdout):
        assert "users.example" not in output, output
    assert "users.csv line 3 (id 1)" in human.out and "<recipient>: Recipient address rejected" in human.out
    report = json.loads(machine.stdout)["campaigns"][0]
    assert report["failures"] == [
        {
            "ref": "users.csv line 3 (id 1)",
            "reply": "550 5.1.1 <recipient>: Recipient address rejected",
            "status": "failed",
        }
    ]
    rows = {r["email"]: r for r in ledger_rows(sqlite_url(tmp_path))}
    assert rows["user1@users.example"]["last_reply"].startswith(
        "550 5.1.1 <user1@users.example>"
    )  # the evidence
    assert server.counts() == everyone(4) - Counter({"user1@users.example": 1})


def test_the_policy_folder_with_the_ledger_and_the_outbox_stays_out_of_git(tmp_path: Path, revision) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    write_csv(tmp_path / "users.csv", 3)
    assert notify(tmp_path, [revision], "--recipients", str(tmp_path / "users.csv")).code == 0
    assert (tmp_path / ".policy" / "ledger.sqlite3").is_file()
    assert len(list((tmp_path / ".policy" / "outbox").rglob("*.eml"))) == 3  # one message each
    assert (tmp_path / ".policy" / ".gitignore").read_text().splitlines()[-1] == "*"
    subprocess.run(["git", "-C", str(tmp_path), "add", "-A"], check=True)
    staged = subprocess.run(
        ["git", "-C", str(tmp_path), "diff", "--cached", "--name-only"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert staged == ["users.csv"]


@pytest.fixture
def read_only_disk(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of its own, to be remounted read-only by the test."""
    mount = tmp_path / "evidence"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def test_the_evidence_export_reads_a_ledger_on_a_read_only_file_system(
    tmp_path: Path, revision, read_only_disk: Path, capsys
) -> None:
    write_csv(tmp_path / "users.csv", 5)
    ledger = f"sqlite:///{read_only_disk / 'ledger.sqlite3'}"
    assert (
        notify(tmp_path, [revision], "--recipients", str(tmp_path / "users.csv"), "--ledger", ledger).code
        == 0
    )
    assert len(list((tmp_path / ".policy" / "outbox").rglob("*.eml"))) == 5  # one message each
    subprocess.run(["mount", "-o", "remount,ro", str(read_only_disk)], check=True)
    capsys.readouterr()
    report = notify(tmp_path, [revision], "--report", "--ledger", ledger, capsys=capsys)
    assert report.code == 0, report.out
    records = [json.loads(line) for line in report.stdout.splitlines()]
    assert sorted(r["email"] for r in records) == sorted(everyone(5))
    assert {r["status"] for r in records} == {"sent"}
    missing = notify(
        tmp_path, [revision], "--report", "--ledger", f"sqlite:///{tmp_path / 'nowhere.sqlite3'}"
    )
    assert missing.code == 2 and "no ledger at" in said(missing)
    assert not (tmp_path / "nowhere.sqlite3").exists()


def test_the_evidence_export_works_for_a_database_user_who_may_only_read(
    tmp_path: Path, revision, fresh_postgres: str, capsys
) -> None:
    write_csv(tmp_path / "users.csv", 4)
    assert (
        notify(
            tmp_path, [revision], "--recipients", str(tmp_path / "users.csv"), "--ledger", fresh_postgres
        ).code
        == 0
    )
    assert len(list((tmp_path / ".policy" / "outbox").rglob("*.eml"))) == 4  # one message each
    engine = sa.create_engine(fresh_postgres, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text("DROP ROLE IF EXISTS auditor"))
        conn.execute(sa.text("CREATE ROLE auditor LOGIN"))
        conn.execute(sa.text("GRANT SELECT ON ALL TABLES IN SCHEMA public TO auditor"))
    engine.dispose()
    reader = fresh_postgres.replace("postgres@", "auditor@", 1)
    capsys.readouterr()
    report = notify(tmp_path, [revision], "--report", "--csv", "--ledger", reader, capsys=capsys)
    assert report.code == 0, report.out
    assert len(report.stdout.splitlines()) == 1 + 4
    engine = sa.create_engine(fresh_postgres, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text("REASSIGN OWNED BY auditor TO postgres"))
        conn.execute(sa.text("DROP OWNED BY auditor"))
        conn.execute(sa.text("DROP ROLE auditor"))
    engine.dispose()
