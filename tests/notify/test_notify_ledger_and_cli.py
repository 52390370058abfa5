"""The ledger as proof of notice, the evidence export, the outbox default and usage errors."""

from __future__ import annotations

import argparse
import csv
import email
import email.policy
import io
import json
import re
import time
from datetime import UTC
from pathlib import Path

from notify_support import make_revision, notify, sqlite_url, write_csv
from rich.console import Console

from generator.commands.notify import add_delivery_arguments, deliver
from notify.delivery.ledger.ledger import first_notice_times


def test_outbox_is_the_default_and_a_rerun_rewrites_nothing_new(tmp_path: Path, revision) -> None:
    write_csv(tmp_path / "users.csv", 20)
    first = notify(tmp_path, [revision], "--recipients", str(tmp_path / "users.csv"))
    assert first.code == 0, first.out
    outbox = tmp_path / ".policy" / "outbox" / "privacy" / "2.0"
    files = sorted(outbox.glob("*.eml"))
    assert len(files) == 20
    assert "Dear User" in files[0].read_bytes().decode()
    assert (tmp_path / ".policy" / "ledger.sqlite3").is_file()
    second = notify(tmp_path, [revision], "--recipients", str(tmp_path / "users.csv"))
    assert second.code == 0 and sorted(outbox.glob("*.eml")) == files
    custom = notify(
        tmp_path,
        [make_revision(version="3.0", sha256="6" * 64)],
        "--recipients",
        str(tmp_path / "users.csv"),
        "--outbox",
        str(tmp_path / "out"),
    )
    assert custom.code == 0 and len(list((tmp_path / "out" / "privacy" / "3.0").glob("*.eml"))) == 20


def test_report_exports_the_evidence_as_json_lines_and_csv(tmp_path: Path, revision, capsys) -> None:
    write_csv(tmp_path / "users.csv", 3)
    assert notify(tmp_path, [revision], "--recipients", str(tmp_path / "users.csv")).code == 0
    capsys.readouterr()
    as_json = notify(tmp_path, [revision], "--report", capsys=capsys)
    assert as_json.code == 0
    records = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert len(records) == 3
    assert {r["status"] for r in records} == {"sent"}
    assert records[0]["sha256"] == revision.sha256 and records[0]["message_id"].startswith("<policy.")
    assert records[0]["sent_at"].endswith("+00:00")
    as_csv = notify(tmp_path, [revision], "--report", "--csv", capsys=capsys)
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [r["email"] for r in rows] == ["user0@users.example", "user1@users.example", "user2@users.example"]
    out = tmp_path / "evidence.csv"
    assert (
        notify(tmp_path, [], "--report", "--csv", "--output", str(out)).code == 0
    )  # no revision given: everything
    assert len(out.read_text().splitlines()) == 4


def test_first_notice_times_for_check(tmp_path: Path, revision) -> None:
    write_csv(tmp_path / "users.csv", 3)
    assert first_notice_times(sqlite_url(tmp_path), "privacy") == {}
    assert notify(tmp_path, [revision], "--recipients", str(tmp_path / "users.csv")).code == 0
    times = first_notice_times(sqlite_url(tmp_path), "privacy")
    assert list(times) == ["2.0"] and times["2.0"].tzinfo == UTC
    assert first_notice_times(sqlite_url(tmp_path), "terms") == {}


def test_a_version_whose_text_changed_after_notices_went_out_is_refused(tmp_path: Path, revision) -> None:
    write_csv(tmp_path / "users.csv", 2)
    assert notify(tmp_path, [revision], "--recipients", str(tmp_path / "users.csv")).code == 0
    changed = make_revision(sha256="7" * 64)
    result = notify(tmp_path, [changed], "--recipients", str(tmp_path / "users.csv"))
    assert result.code == 2 and "new version number" in result.out


def test_usage_errors_exit_2_with_a_clear_message(tmp_path: Path, revision) -> None:
    write_csv(tmp_path / "users.csv", 2)
    relative = make_revision(url="/privacy/versions/2.0/")
    no_site = notify(tmp_path, [relative], "--recipients", str(tmp_path / "users.csv"))
    assert no_site.code == 2 and "site_url" in no_site.out and "--site-url" in no_site.out
    no_recipients = notify(tmp_path, [revision])
    assert no_recipients.code == 2 and "give --recipients" in no_recipients.out
    missing = notify(tmp_path, [revision], "--recipients", str(tmp_path / "nobody.csv"))
    assert missing.code == 2 and "nobody.csv" in missing.out
    bad_ledger = notify(
        tmp_path, [revision], "--recipients", str(tmp_path / "users.csv"), "--ledger", "mysql://x/y"
    )
    assert bad_ledger.code == 2 and "SQLite and PostgreSQL" in bad_ledger.out
    bad_from = notify(tmp_path, [revision], "--recipients", str(tmp_path / "users.csv"), "--from", "nobody")
    assert bad_from.code == 2 and "--from" in bad_from.out
    bad_smtp = notify(tmp_path, [revision], "--recipients", str(tmp_path / "users.csv"), "--smtp", "http://x")
    assert bad_smtp.code == 2 and "smtp://" in bad_smtp.out


def test_nothing_to_notify(tmp_path: Path, capsys) -> None:
    result = notify(tmp_path, [], capsys=capsys)
    assert result.code == 0 and "Nothing to notify" in result.stdout


def test_late_notice_warns_and_says_so_in_the_message(tmp_path: Path) -> None:
    late = make_revision(late=True)
    write_csv(tmp_path / "users.csv", 1)
    result = notify(tmp_path, [late], "--recipients", str(tmp_path / "users.csv"))
    assert result.code == 0 and "after the fact" in result.out
    msg = email.message_from_bytes(
        next((tmp_path / ".policy" / "outbox").rglob("*.eml")).read_bytes(), policy=email.policy.default
    )
    assert msg["Subject"].startswith("Changed: Privacy Policy version 2.0")
    assert "took effect on" in msg.get_body(("plain",)).get_content()


def test_unusable_recipients_input_stops_before_anything_is_sent(
    tmp_path: Path, revision, smtp_server
) -> None:
    server = smtp_server()
    (tmp_path / "users.csv").write_text("mail,name\nann@users.example,Ann\n")
    result = notify(
        tmp_path,
        [revision],
        "--recipients",
        str(tmp_path / "users.csv"),
        "--smtp",
        f"smtp://127.0.0.1:{server.port}",
    )
    assert result.code == 2 and "users.csv line 1" in result.out and "'email'" in result.out
    assert server.connections == 0 and not (tmp_path / ".policy" / "ledger.sqlite3").exists()


def test_a_terminal_shows_the_campaign_progressing_while_it_runs(
    tmp_path: Path, revision, smtp_server
) -> None:
    """On a terminal the operator watches a progress bar: the campaign's name, how many
    of the notices went out so far, failures. Once done, the bar gives way to the report."""
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, color_system=None, width=120)
    during: list[str] = []

    def after_data(accepted: int) -> None:
        # Hold the server's reply to the 10th message until the bar shows the nine
        # before it: one sender, so exactly nine went out by then.
        if accepted == 10:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not re.search(r"\b9/30\b", screen.getvalue()):
                time.sleep(0.02)
            during.append(screen.getvalue())

    server = smtp_server(after_data=after_data)
    write_csv(tmp_path / "users.csv", 30)
    parser = argparse.ArgumentParser()
    add_delivery_arguments(parser)
    args = parser.parse_args(
        [
            "--recipients",
            str(tmp_path / "users.csv"),
            "--smtp",
            f"smtp://127.0.0.1:{server.port}",
            "--concurrency",
            "1",
        ]
    )
    code = deliver(args, [revision], repo=tmp_path, console=console)

    assert code == 0
    [frames] = during
    bar = re.search(r"privacy 2\.0 email ━+ *9/30 failed 0", frames)
    assert bar, f"no progress bar with 9 of 30 sent on the screen:\n{frames!r}"
    assert "remaining in the ledger" not in frames  # the report comes at the end
    report = screen.getvalue()[len(frames) :]
    assert re.search(r"sent\s+│\s+30\s", report), report


def test_run_works_when_the_caller_already_runs_an_event_loop(tmp_path: Path, revision) -> None:
    import asyncio

    write_csv(tmp_path / "users.csv", 5)

    async def caller() -> int:
        return notify(tmp_path, [revision], "--recipients", str(tmp_path / "users.csv")).code

    assert asyncio.run(caller()) == 0
    assert len(list((tmp_path / ".policy" / "outbox").rglob("*.eml"))) == 5
