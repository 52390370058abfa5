"""The attempt log (issue 20, item 7): every delivery attempt is appended to
`policy_notice_attempts` with the outcome that ends it, the notice's row keeps its
count and last reply as before, a ledger made before the log gets it when it is opened,
and the evidence export keeps its columns."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from notify_support import notify, sqlite_url, write_csv

from notify.common.schema import UTCDateTime
from notify.delivery.ledger import journal
from notify.delivery.ledger.ledger import DEFERRED, SENT, Campaign, Ledger, Outcome
from notify.delivery.recipients.sources import Recipient
from notify.delivery.report.evidence import ATTEMPT_COLUMNS, EVIDENCE_COLUMNS, export, export_attempts

FAST = ("--retry-base", "0.01")


def smtp(server) -> str:
    return f"smtp://127.0.0.1:{server.port}"


def attempts_by_user(url: str) -> dict[str, list[tuple[int, str, str]]]:
    """user's address -> [(attempt, kind, reply)] in the order of the log."""
    ledger = Ledger(url, readonly=True)
    try:
        out: dict[str, list[tuple[int, str, str]]] = {}
        for row in ledger.iter_attempts():
            out.setdefault(row["email"], []).append((row["attempt"], row["kind"], row["reply"]))
        return out
    finally:
        ledger.close()


def test_every_attempt_is_logged_with_the_reply_that_ended_it_and_the_log_only_grows(
    tmp_path: Path, revision, smtp_server
) -> None:
    def on_rcpt(address: str, n: int) -> str | None:
        if address == "user1@users.example" and n == 1:
            return "451 4.7.1 Greylisted, try again"
        if address == "user2@users.example" and refuse:
            return "550 5.1.1 No such user"
        return None

    refuse = True
    server = smtp_server(on_rcpt=on_rcpt)
    users = write_csv(tmp_path / "users.csv", 3)
    args = ("--recipients", str(users), "--smtp", smtp(server), *FAST)
    first = notify(tmp_path, [revision], *args)
    assert first.code == 1, first.out  # user2 failed for good

    log = attempts_by_user(sqlite_url(tmp_path))
    assert [(n, kind) for n, kind, _ in log["user0@users.example"]] == [(1, "sent")]
    assert [(n, kind) for n, kind, _ in log["user1@users.example"]] == [(1, "temporary"), (2, "sent")]
    assert log["user1@users.example"][0][2].startswith("451")
    assert [(n, kind) for n, kind, _ in log["user2@users.example"]] == [(1, "permanent")]
    assert log["user2@users.example"][0][2].startswith("550")

    refuse = False  # the address exists now: the operator retries the failed ones
    again = notify(tmp_path, [revision], *args, "--retry-failed")
    assert again.code == 0, again.out
    log = attempts_by_user(sqlite_url(tmp_path))
    assert [(n, kind) for n, kind, _ in log["user2@users.example"]] == [(1, "permanent"), (2, "sent")]
    assert [(n, kind) for n, kind, _ in log["user0@users.example"]] == [(1, "sent")]  # not sent again

    # The notice rows sum the log up as before.
    ledger = Ledger(sqlite_url(tmp_path), readonly=True)
    try:
        rows = {r["email"]: r for r in ledger.iter_rows()}
        out = io.StringIO()
        assert export_attempts(ledger, [revision], out, fmt="csv") == 5
    finally:
        ledger.close()
    assert {email: r["attempts"] for email, r in rows.items()} == {
        "user0@users.example": 1,
        "user1@users.example": 2,
        "user2@users.example": 2,
    }
    assert rows["user2@users.example"]["status"] == SENT
    records = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert tuple(records[0]) == ATTEMPT_COLUMNS
    assert [(r["email"], r["attempt"], r["kind"]) for r in records][-2:] == [
        ("user2@users.example", "1", "permanent"),
        ("user2@users.example", "2", "sent"),
    ]


# The ledger's tables as they were before the attempt log (commit 794cff8).
OLD = sa.MetaData()
OLD_NOTICES = sa.Table(
    "policy_notices",
    OLD,
    sa.Column(
        "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
    ),
    sa.Column("document", sa.String(200), nullable=False),
    sa.Column("version", sa.String(100), nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("recipient", sa.String(320), nullable=False),
    sa.Column("email", sa.String(320), nullable=False),
    sa.Column("name", sa.Text, nullable=False, default=""),
    sa.Column("locale", sa.String(40), nullable=False, default=""),
    sa.Column("recipient_id", sa.Text, nullable=False, default=""),
    sa.Column("source", sa.Text, nullable=False, default=""),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("message_id", sa.String(200), nullable=False),
    sa.Column("status", sa.String(10), nullable=False, default="pending"),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("last_reply", sa.Text, nullable=True),
    sa.Column("lease_owner", sa.String(200), nullable=True),
    sa.Column("lease_until", sa.Float, nullable=True),
    sa.Column("run", sa.String(64), nullable=False),
    sa.Column("enqueued_at", UTCDateTime, nullable=False),
    sa.Column("first_attempt_at", UTCDateTime, nullable=True),
    sa.Column("last_attempt_at", UTCDateTime, nullable=True),
    sa.Column("sent_at", UTCDateTime, nullable=True),
    sa.UniqueConstraint("document", "version", "channel", "recipient", name="uq_policy_notice"),
    sa.Index("ix_policy_notice_queue", "document", "version", "channel", "status", "id"),
)
sa.Table(
    "policy_notice_runs",
    OLD,
    sa.Column("run", sa.String(64), primary_key=True),
    sa.Column("document", sa.String(200), nullable=False),
    sa.Column("version", sa.String(100), nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("host", sa.String(200), nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("late", sa.Boolean, nullable=False, default=False),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("finished_at", UTCDateTime, nullable=True),
    sa.Column("outcome", sa.Text, nullable=True),
)
sa.Table(
    "policy_notice_texts",
    OLD,
    sa.Column("document", sa.String(200), primary_key=True),
    sa.Column("version", sa.String(100), primary_key=True),
    sa.Column("language", sa.String(40), primary_key=True),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
)


def old_ledger(url: str, revision) -> list[dict]:
    """A ledger the previous schema made, with a notice sent and one deferred twice by
    an earlier run; its rows as they were."""
    from datetime import UTC, datetime

    engine = sa.create_engine(url)
    earlier = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)
    common = dict(
        document=revision.document,
        version=revision.version,
        channel="email",
        sha256=revision.sha256,
        name="",
        locale="en",
        source="",
        run="old-run",
        enqueued_at=earlier,
        first_attempt_at=earlier,
        last_attempt_at=earlier,
    )
    try:
        with engine.begin() as conn:
            OLD.create_all(conn)
            conn.execute(
                OLD_NOTICES.insert(),
                [
                    dict(
                        common,
                        recipient="user0@users.example",
                        email="user0@users.example",
                        recipient_id="0",
                        message_id="<old-0@shop.example>",
                        status=SENT,
                        attempts=1,
                        last_reply="250 2.0.0 Queued",
                        sent_at=earlier,
                    ),
                    dict(
                        common,
                        recipient="user1@users.example",
                        email="user1@users.example",
                        recipient_id="1",
                        message_id="<old-1@shop.example>",
                        status=DEFERRED,
                        attempts=2,
                        last_reply="451 4.3.0 Try later",
                        sent_at=None,
                    ),
                ],
            )
            assert "policy_notice_attempts" not in sa.inspect(conn).get_table_names()
            return [dict(r._mapping) for r in conn.execute(sa.select(OLD_NOTICES).order_by(OLD_NOTICES.c.id))]
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_ledger_from_before_the_attempt_log_keeps_its_rows_and_logs_the_attempts_after_it(
    tmp_path: Path, revision, smtp_server, backend: str, request: pytest.FixtureRequest
) -> None:
    if backend == "sqlite":
        (tmp_path / ".policy").mkdir()
        url = sqlite_url(tmp_path)
    else:
        url = request.getfixturevalue("fresh_postgres")
    before = old_ledger(url, revision)
    server = smtp_server()
    users = write_csv(tmp_path / "users.csv", 3)
    result = notify(tmp_path, [revision], "--recipients", str(users), "--smtp", smtp(server), "--ledger", url)
    assert result.code == 0, result.out
    assert sorted(server.counts()) == ["user1@users.example", "user2@users.example"]  # user0 had it

    ledger = Ledger(url, readonly=True)
    try:
        rows = list(ledger.iter_rows())
        out, history = io.StringIO(), io.StringIO()
        export(ledger, [revision], out, fmt="csv")
        assert export_attempts(ledger, [revision], history, fmt="json") == 2
    finally:
        ledger.close()
    # The sent notice, untouched; the provider's message id, a column added since, is empty.
    assert {k: v for k, v in rows[0].items() if k != "provider_id"} == before[0]
    assert rows[0]["provider_id"] is None
    assert {k: rows[1][k] for k in ("message_id", "enqueued_at", "first_attempt_at")} == {
        k: before[1][k] for k in ("message_id", "enqueued_at", "first_attempt_at")
    }
    assert (rows[1]["status"], rows[1]["attempts"]) == (SENT, 3)
    assert tuple(next(csv.reader(io.StringIO(out.getvalue())))) == EVIDENCE_COLUMNS  # the same columns
    log = attempts_by_user(url)
    # The deferred notice goes on from its two attempts before the log; the new one starts at 1.
    assert [(n, kind) for n, kind, _ in log["user1@users.example"]] == [(3, "sent")]
    assert [(n, kind) for n, kind, _ in log["user2@users.example"]] == [(1, "sent")]
    assert "user0@users.example" not in log
    assert [tuple(json.loads(line)) for line in history.getvalue().splitlines()] == [ATTEMPT_COLUMNS] * 2


def test_a_journal_keeps_the_earlier_attempts_and_an_outcome_recorded_twice_is_logged_once(
    tmp_path: Path, revision
) -> None:
    (tmp_path / ".policy").mkdir()
    url = sqlite_url(tmp_path)
    ledger = Ledger(url)
    try:
        campaign = Campaign.of(revision, "email")
        user = Recipient("ann@users.example", "ann@users.example", "Ann", "en", "7", "users.csv line 2")
        ledger.enqueue(campaign, "run-1", [user], lambda key: f"<{key}>")
        [row] = ledger.claim(campaign, "host:1:run", limit=1, lease=60)
        now = time.time()
        outcome = Outcome(
            row.id,
            SENT,
            "250 2.0.0 Queued",
            3,
            now - 2,
            now,
            earlier=((now - 2, "421 4.3.2 Busy\tnow"), (now - 1, "451 Try\nlater")),
        )
        # A run that was killed after journaling the outcome and before the ledger had it.
        written = journal.Journal(tmp_path / "outcomes", "sqlite", "dead-run", "host:1:run", reserve=0)
        written.open()
        written.append(outcome)
        assert written.close(folded=False) == 1
        [(_, [read])] = journal.written(tmp_path / "outcomes")
        assert read.earlier == tuple((round(at, 6), reply) for at, reply in outcome.earlier)
        assert journal.replay(tmp_path / "outcomes", "sqlite", ledger, own_run="new-run").outcomes == 1
        ledger.record([outcome], owner="host:1:run")  # the same outcome again (its run had committed it)
        [notice] = ledger.iter_rows()
    finally:
        ledger.close()
    assert (notice["status"], notice["attempts"]) == (SENT, 3)
    assert attempts_by_user(url)["ann@users.example"] == [
        (1, "temporary", "421 4.3.2 Busy\tnow"),
        (2, "temporary", "451 Try\nlater"),
        (3, "sent", "250 2.0.0 Queued"),
    ]
