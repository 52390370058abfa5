"""Campaigns against a real aiosmtpd server on loopback."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import pytest
from notify_support import ledger_rows, notify, sqlite_url, write_csv
from tests_support import free_port

from notify.delivery.ledger.ledger import first_notice_times

FAST = ("--retry-base", "0.01")

# the test server offers AUTH without TLS on loopback, on purpose
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def smtp(server) -> str:
    return f"smtp://127.0.0.1:{server.port}"


def test_exact_counts_and_a_rerun_sends_nothing(tmp_path: Path, revision, smtp_server, capsys) -> None:
    server = smtp_server()
    recipients = write_csv(tmp_path / "users.csv", 250)
    first = notify(
        tmp_path,
        [revision],
        "--recipients",
        str(recipients),
        "--smtp",
        smtp(server),
        "--from",
        "Shop Privacy <privacy@shop.example>",
        "--concurrency",
        "4",
        "--json",
        capsys=capsys,
    )
    assert first.code == 0, first.out
    report = json.loads(first.stdout)["campaigns"][0]
    assert report["sent"] == 250 and report["failed"] == 0 and report["remaining"] == 0
    assert server.counts() == Counter({f"user{i}@users.example": 1 for i in range(250)})
    # sessions are reused: far fewer connections than messages
    assert server.connections <= 4 + 1  # the pool plus the pre-flight check
    rows = ledger_rows(sqlite_url(tmp_path))
    assert len(rows) == 250 and {r["status"] for r in rows} == {"sent"}
    # Each row is evidence of one delivery: the text notified, one attempt, and the
    # server's own acceptance (aiosmtpd's "250 2.0.0 Queued").
    assert {r["sha256"] for r in rows} == {revision.sha256}
    assert {r["attempts"] for r in rows} == {1}
    assert {r["last_reply"] for r in rows} == {"250 2.0.0 Queued"}
    msg = server.received[0].message
    assert msg["Message-ID"] in {r["message_id"] for r in rows}

    second = notify(
        tmp_path,
        [revision],
        "--recipients",
        str(recipients),
        "--smtp",
        smtp(server),
        "--from",
        "privacy@shop.example",
        "--json",
        capsys=capsys,
    )
    assert second.code == 0
    again = json.loads(second.stdout)["campaigns"][0]
    assert again["sent"] == 0 and again["enqueued"] == 0 and again["ledger"]["sent"] == 250
    assert len(server.received) == 250

    times = first_notice_times(sqlite_url(tmp_path), "privacy")
    assert set(times) == {"2.0"} and times["2.0"].tzinfo is not None
    assert times["2.0"] == min(r["sent_at"] for r in rows)


def test_new_users_on_a_rerun_get_the_notice_once(tmp_path: Path, revision, smtp_server) -> None:
    server = smtp_server()
    write_csv(tmp_path / "users.csv", 10)
    assert (
        notify(tmp_path, [revision], "--recipients", str(tmp_path / "users.csv"), "--smtp", smtp(server)).code
        == 0
    )
    write_csv(tmp_path / "users.csv", 15)
    assert (
        notify(tmp_path, [revision], "--recipients", str(tmp_path / "users.csv"), "--smtp", smtp(server)).code
        == 0
    )
    assert server.counts() == Counter({f"user{i}@users.example": 1 for i in range(15)})


def test_451_then_success_is_retried(tmp_path: Path, revision, smtp_server) -> None:
    server = smtp_server(on_data=lambda address, n: "451 4.7.1 Greylisted, try again" if n == 1 else None)
    write_csv(tmp_path / "users.csv", 5)
    result = notify(
        tmp_path, [revision], "--recipients", str(tmp_path / "users.csv"), "--smtp", smtp(server), *FAST
    )
    assert result.code == 0, result.out
    assert server.counts() == Counter({f"user{i}@users.example": 1 for i in range(5)})
    rows = ledger_rows(sqlite_url(tmp_path))
    assert {r["status"] for r in rows} == {"sent"} and {r["attempts"] for r in rows} == {2}


def test_550_is_recorded_and_not_retried_unless_asked(tmp_path: Path, revision, smtp_server, capsys) -> None:
    bad = "user3@users.example"
    server = smtp_server(on_rcpt=lambda address, n: "550 5.1.1 No such user here" if address == bad else None)
    write_csv(tmp_path / "users.csv", 6)
    args = ("--recipients", str(tmp_path / "users.csv"), "--smtp", smtp(server), *FAST)
    first = notify(tmp_path, [revision], *args, capsys=capsys)
    assert first.code == 1
    # the failure is named by its line and id in the source, never by address (CI logs)
    assert "users.csv line 5 (id 3)" in first.out and "550 5.1.1 No such user here" in first.out
    assert "user3@users.example" not in first.out
    rows = {r["email"]: r for r in ledger_rows(sqlite_url(tmp_path))}
    assert rows[bad]["status"] == "failed" and rows[bad]["attempts"] == 1
    assert rows[bad]["last_reply"] == "550 5.1.1 No such user here"
    assert server.attempts[bad] == 1
    assert sum(server.counts().values()) == 5

    # a rerun leaves the permanent failure alone ...
    second = notify(tmp_path, [revision], *args, "--json", capsys=capsys)
    report = json.loads(second.stdout)["campaigns"][0]
    assert report["sent"] == 0 and report["failed"] == 0 and report["ledger"]["failed"] == 1
    assert server.attempts[bad] == 1
    # ... unless --retry-failed
    third = notify(tmp_path, [revision], *args, "--retry-failed")
    assert third.code == 1
    assert server.attempts[bad] == 2


def test_dropped_connection_mid_session_is_retried_on_a_new_connection(
    tmp_path: Path, revision, smtp_server
) -> None:
    server = smtp_server(
        on_data=lambda address, n: (
            "DROP" if n == 1 and address.endswith(("1@users.example", "4@users.example")) else None
        )
    )
    write_csv(tmp_path / "users.csv", 8)
    result = notify(
        tmp_path,
        [revision],
        "--recipients",
        str(tmp_path / "users.csv"),
        "--smtp",
        smtp(server),
        "--concurrency",
        "2",
        *FAST,
    )
    assert result.code == 0, result.out
    assert server.counts() == Counter({f"user{i}@users.example": 1 for i in range(8)})
    assert server.connections >= 3  # preflight + 2 sessions, then reconnections
    rows = {r["email"]: r for r in ledger_rows(sqlite_url(tmp_path))}
    assert rows["user1@users.example"]["attempts"] == 2 and rows["user0@users.example"]["attempts"] == 1


def test_a_server_that_stalls_past_the_deadline(tmp_path: Path, revision, smtp_server, capsys) -> None:
    server = smtp_server(stall={"user2@users.example"})
    write_csv(tmp_path / "users.csv", 5)
    result = notify(
        tmp_path,
        [revision],
        "--recipients",
        str(tmp_path / "users.csv"),
        "--smtp",
        smtp(server),
        "--deadline",
        "1",
        *FAST,
        "--json",
        capsys=capsys,
    )
    assert result.code == 1
    report = json.loads(result.stdout)["campaigns"][0]
    assert report["sent"] == 4 and report["deferred"] == 1 and report["remaining"] == 1
    rows = {r["email"]: r for r in ledger_rows(sqlite_url(tmp_path))}
    stalled = rows["user2@users.example"]
    assert stalled["status"] == "deferred" and "deadline" in stalled["last_reply"]
    # the next run (server healthy again) delivers what was deferred
    server.stall.clear()
    server.release.set()
    again = notify(
        tmp_path, [revision], "--recipients", str(tmp_path / "users.csv"), "--smtp", smtp(server), *FAST
    )
    assert again.code == 0
    assert server.counts()["user2@users.example"] == 1
    assert {r["status"] for r in ledger_rows(sqlite_url(tmp_path))} == {"sent"}


def test_authentication_failure_stops_before_anything_is_sent(
    tmp_path: Path, revision, smtp_server, monkeypatch
) -> None:
    server = smtp_server(auth=("shop", "right-password"))
    write_csv(tmp_path / "users.csv", 5)
    monkeypatch.setenv("POLICYCTL_SMTP_PASSWORD", "wrong-password")
    result = notify(
        tmp_path,
        [revision],
        "--recipients",
        str(tmp_path / "users.csv"),
        "--smtp",
        f"smtp://shop@127.0.0.1:{server.port}",
    )
    assert result.code == 2
    assert "authentication" in result.out.lower() and "POLICYCTL_SMTP_PASSWORD" in result.out
    assert "wrong-password" not in result.out
    assert server.received == []
    rows = ledger_rows(sqlite_url(tmp_path))
    assert not any(r["status"] == "sent" for r in rows)

    monkeypatch.setenv("POLICYCTL_SMTP_PASSWORD", "right-password")
    ok = notify(
        tmp_path,
        [revision],
        "--recipients",
        str(tmp_path / "users.csv"),
        "--smtp",
        f"smtp://shop@127.0.0.1:{server.port}",
    )
    assert ok.code == 0, ok.out
    assert len(server.received) == 5


def test_error_rate_past_the_threshold_stops_early_and_leaves_the_rest_pending(
    tmp_path: Path, revision, smtp_server, capsys
) -> None:
    server = smtp_server(on_rcpt=lambda address, n: "554 5.7.1 Rejected by policy")
    write_csv(tmp_path / "users.csv", 300)
    result = notify(
        tmp_path,
        [revision],
        "--recipients",
        str(tmp_path / "users.csv"),
        "--smtp",
        smtp(server),
        "--concurrency",
        "2",
        "--json",
        capsys=capsys,
    )
    assert result.code == 1
    report = json.loads(result.stdout)["campaigns"][0]
    assert report["stopped"].startswith("error rate")
    assert report["failed"] < 300 and report["remaining"] == 300 - report["failed"]
    rows = ledger_rows(sqlite_url(tmp_path))
    assert Counter(r["status"] for r in rows) == Counter(
        {"failed": report["failed"], "pending": 300 - report["failed"]}
    )


def test_password_never_in_the_url_and_tls_required_for_remote_hosts(
    tmp_path: Path, revision, monkeypatch
) -> None:
    write_csv(tmp_path / "users.csv", 1)
    bad = notify(
        tmp_path,
        [revision],
        "--recipients",
        str(tmp_path / "users.csv"),
        "--smtp",
        "smtp://u:secret@127.0.0.1:25",
    )
    assert bad.code == 2 and "POLICYCTL_SMTP_PASSWORD" in bad.out and "secret" not in bad.out

    from notify.delivery.channels.smtp import SmtpConfig

    assert SmtpConfig.parse("smtp://mail.shop.example:587", allow_insecure=False, timeout=5).start_tls is True
    assert SmtpConfig.parse("smtp://mail.shop.example:587", allow_insecure=True, timeout=5).start_tls is None
    assert SmtpConfig.parse("smtp://127.0.0.1:2525", allow_insecure=False, timeout=5).start_tls is None
    implicit = SmtpConfig.parse("smtps://mail.shop.example", allow_insecure=False, timeout=5)
    assert implicit.implicit_tls and implicit.port == 465
    monkeypatch.delenv("POLICYCTL_SMTP_PASSWORD", raising=False)
    missing = notify(
        tmp_path,
        [revision],
        "--recipients",
        str(tmp_path / "users.csv"),
        "--smtp",
        "smtp://shop@127.0.0.1:25",
    )
    assert missing.code == 2 and "POLICYCTL_SMTP_PASSWORD" in missing.out


def test_rate_limit_spaces_the_messages_out(tmp_path: Path, revision, smtp_server) -> None:
    arrivals: list[float] = []
    server = smtp_server(after_data=lambda accepted: arrivals.append(time.monotonic()))
    write_csv(tmp_path / "users.csv", 6)
    started = time.monotonic()
    ok = notify(
        tmp_path,
        [revision],
        "--recipients",
        str(tmp_path / "users.csv"),
        "--smtp",
        smtp(server),
        "--concurrency",
        "4",
        "--rate",
        "20",
    )
    assert ok.code == 0 and len(server.received) == 6
    # At most 20 a second across all sessions: the sixth message cannot be sent before five
    # intervals of 50 ms after the first, which was not sent before the run started. (Measured
    # from the start, not from the first arrival: a slow first delivery on a loaded machine
    # would shorten the span between arrivals without any message leaving early.)
    assert arrivals[-1] - started >= 5 * 0.05, arrivals


def test_an_unreachable_server_stops_the_campaign_before_it_starts(tmp_path: Path, revision) -> None:
    write_csv(tmp_path / "users.csv", 6)
    down = notify(
        tmp_path,
        [revision],
        "--recipients",
        str(tmp_path / "users.csv"),
        "--smtp",
        f"smtp://127.0.0.1:{free_port()}",
    )
    assert down.code == 2 and "cannot reach the SMTP server" in down.out
    assert not any(r["status"] == "sent" for r in ledger_rows(sqlite_url(tmp_path)))


def test_a_server_that_goes_away_mid_campaign_stops_it_with_the_rest_pending(
    tmp_path: Path, revision, smtp_server, capsys
) -> None:
    import threading

    def after_data(accepted: int) -> None:
        if accepted == 20:
            threading.Thread(target=server.controller.stop).start()

    server = smtp_server(after_data=after_data)
    write_csv(tmp_path / "users.csv", 300)
    result = notify(
        tmp_path,
        [revision],
        "--recipients",
        str(tmp_path / "users.csv"),
        "--smtp",
        smtp(server),
        "--concurrency",
        "3",
        *FAST,
    )
    assert result.code == 2
    assert "could not be reached" in result.out and "rerun" in result.out
    rows = ledger_rows(sqlite_url(tmp_path))
    statuses = Counter(r["status"] for r in rows)
    assert statuses["sending"] == 0
    assert statuses["sent"] == sum(server.counts().values()) >= 20
    assert statuses["pending"] + statuses["deferred"] == 300 - statuses["sent"]
