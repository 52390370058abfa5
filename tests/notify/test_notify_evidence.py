"""The proof-of-notice export (`policyctl notify --report`): what the operator opens in a
spreadsheet must not run formulas planted in recipients' data, and exporting needs no
site URL (it sends nothing)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from notify_support import make_revision, notify, sqlite_url
from tests_support import BASE_POLICY, CORE_RIGHTS_REVISION, policy_file

from notify.delivery.ledger.ledger import FAILED, SENT, Campaign, Ledger, Outcome
from notify.delivery.recipients.sources import Recipient

PRIVACY = "policy/privacy.md"
SITE = "https://shop.example/legal/"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# (id, email, name) as a hostile sign-up form leaves them in the user table.
HOSTILE = [
    (
        '=HYPERLINK("http://evil.example","x")',
        "=cmd@users.example",
        '=HYPERLINK("http://evil.example","Ann")',
    ),
    ("+1", "+tag@users.example", "+SUM(A1:A9)"),
    ("-2", "-x@users.example", "-1+1"),
    ("@SUM(1)", "bob@users.example", "@cmd"),
]


def repository(policy_repo) -> Path:
    """privacy 1.0 (1 September 2026) and 2.0 (30 September, changes core rights), no
    mkdocs.yml (so no site_url), and the hostile users file."""
    policy_repo.publish(
        PRIVACY,
        policy_file(BASE_POLICY, version="1.0", published="2026-09-01", summary="First."),
        "2026-09-01T10:00:00+08:00",
    )
    policy_repo.publish(
        PRIVACY,
        policy_file(CORE_RIGHTS_REVISION, version="2.0", published="2026-09-30", summary="Sharing."),
        "2026-09-30T10:00:00+08:00",
    )
    with (policy_repo.path / "users.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "email", "name"])
        writer.writerows(HOSTILE)
    assert not (policy_repo.path / "mkdocs.yml").exists()
    return policy_repo.path


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_proof_of_notice_csv_neutralises_formulas_and_needs_no_site_url(policy_repo, policyctl) -> None:
    repo = repository(policy_repo)
    sent = policyctl(
        "notify",
        "--repo",
        repo,
        "--recipients",
        repo / "users.csv",
        "--site-url",
        SITE,
        "--as-of",
        "2026-10-01",
    )
    assert sent.code == 0, sent.err

    # Sending needs the site's address for the links; exporting the evidence does not.
    no_site = policyctl("notify", "--repo", repo, "--recipients", repo / "users.csv", "--as-of", "2026-10-02")
    assert no_site.code == 2 and "site_url" in no_site.err
    evidence = repo / "evidence.csv"
    report = policyctl(
        "notify", "--repo", repo, "--report", "--csv", "--output", evidence, "--as-of", "2026-10-20"
    )
    assert report.code == 0, report.err
    assert "Wrote 4 ledger records" in report.err

    rows = read_csv(evidence)
    assert [(r["recipient_id"], r["email"], r["name"]) for r in rows] == [
        ("'" + rid, "'" + email if email.startswith(FORMULA_START) else email, "'" + name)
        for rid, email, name in HOSTILE
    ]
    assert {(r["document"], r["version"], r["status"], r["attempts"]) for r in rows} == {
        ("privacy", "2.0", "sent", "1")
    }
    # No cell of the file starts the way a spreadsheet formula does.
    cells = [cell for r in rows for cell in r.values()]
    assert not [c for c in cells if c.startswith(FORMULA_START)]

    # JSON lines are data for programs, not spreadsheets: the values as recorded.
    as_json = policyctl("notify", "--repo", repo, "--report", "--as-of", "2026-10-20")
    assert as_json.code == 0, as_json.err
    records = [json.loads(line) for line in as_json.out.splitlines()]
    assert [(r["recipient_id"], r["email"], r["name"]) for r in records] == HOSTILE


def test_tab_and_carriage_return_at_the_start_of_a_cell_are_neutralised(tmp_path: Path, capsys) -> None:
    """The recipients readers strip tabs and line breaks, but the ledger is a database
    other tools write to, and the last reply is the receiving server's text."""
    revision = make_revision()
    (tmp_path / ".policy").mkdir()
    ledger = Ledger(sqlite_url(tmp_path))
    try:
        campaign = Campaign.of(revision, "webhook")
        people = [
            Recipient("ann@users.example", "ann@users.example", "\t=1+1", "", "\r=cmd", "users.csv line 2"),
            Recipient("bob@users.example", "bob@users.example", "Bob", "", "7", "users.csv line 3"),
        ]
        ledger.enqueue(campaign, "run-1", people, lambda key: f"<policy.{key}@shop.example>")
        ann, bob = sorted(ledger.claim(campaign, "worker-1", limit=10, lease=60), key=lambda c: c.email)
        ledger.record(
            [
                Outcome(ann.id, SENT, '\t=HYPERLINK("http://evil.example")', 1, 1.0, 2.0),
                Outcome(bob.id, FAILED, "-1 refused", 1, 1.0, 2.0),
            ]
        )
    finally:
        ledger.close()

    result = notify(tmp_path, [revision], "--report", "--csv", capsys=capsys)
    assert result.code == 0, result.out
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["recipient_id"], r["name"], r["last_reply"]) for r in rows] == [
        ("'\r=cmd", "'\t=1+1", '\'\t=HYPERLINK("http://evil.example")'),
        ("7", "Bob", "'-1 refused"),
    ]
    assert [(r["email"], r["status"]) for r in rows] == [
        ("ann@users.example", "sent"),
        ("bob@users.example", "failed"),
    ]
