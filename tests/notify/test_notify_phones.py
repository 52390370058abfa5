"""Phone numbers as recipients (issue 25, item 1): read from CSV, JSON lines and SQL,
normalised to E.164 in the calendar's country, never printed; a user with a phone
number only, in a run without --sms, is reported apart, not as an unusable record."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import pytest
from notify_support import ledger_rows, notify, sqlite_url

from notify.delivery.recipients import sources as recipients
from notify.delivery.recipients.routing import EMAIL, Route, routed
from notify.delivery.recipients.sources import NO_CHANNEL, Recipient, Skipped, normalize_phone

CN_MOBILE = "13800138000"
UK_MOBILE = "+44 7911 123456"
GARBAGE = "12ab-not-a-number"


@pytest.mark.parametrize(
    "raw,region,e164",
    [
        (CN_MOBILE, "CN", "+8613800138000"),
        ("138 0013 8000", "cn", "+8613800138000"),
        (UK_MOBILE, "CN", "+447911123456"),
        ("+86 138-0013-8000", None, "+8613800138000"),
        (CN_MOBILE, None, ""),
        (GARBAGE, "CN", ""),
        ("555", "CN", ""),
        ("1" * 80, "CN", ""),
    ],
)
def test_phone_normalisation(raw: str, region: str | None, e164: str) -> None:
    number, reason = normalize_phone(raw, region)
    assert number == e164
    assert bool(reason) == (not e164)
    assert raw not in reason and "13800138000" not in reason


def test_no_phone_is_no_reason() -> None:
    assert normalize_phone(None, "CN") == ("", "")
    assert normalize_phone("  ", "CN") == ("", "")


def _by_email(records: Iterable[Recipient | Skipped]) -> list[Recipient | Skipped]:
    """The records as an email campaign of a run without --sms counts them."""
    return list(routed(records, Route(EMAIL)))


def _users_csv(path: Path) -> Path:
    path.write_text(
        "email,phone,name,id\n"
        f"ann@users.example,{CN_MOBILE},Ann,1\n"  # both
        f",{CN_MOBILE},Bo,2\n"  # a phone only
        f",{UK_MOBILE},Cy,3\n"  # a phone only, with its country code
        f",{GARBAGE},Di,4\n"  # neither usable
        f"eve@users.example,{GARBAGE},Eve,5\n"  # an address: the unusable number is ignored
        ",,Fay,6\n",  # nothing
        encoding="utf-8",
    )
    return path


def test_csv_with_phones(tmp_path: Path) -> None:
    items = _by_email(recipients.read(str(_users_csv(tmp_path / "users.csv")), region="CN"))
    assert isinstance(items[0], Recipient)
    assert (items[0].email, items[0].phone, items[0].key) == ("ann@users.example", "+8613800138000", "id:1")
    assert items[1] == Skipped("users.csv line 3 (id 2)", NO_CHANNEL)
    assert items[2] == Skipped("users.csv line 4 (id 3)", NO_CHANNEL)
    assert isinstance(items[3], Skipped) and items[3].ref == "users.csv line 5 (id 4)"
    assert items[3].reason.startswith("phone number") and GARBAGE not in items[3].reason
    assert isinstance(items[4], Recipient) and (items[4].email, items[4].phone) == ("eve@users.example", "")
    assert items[5] == Skipped("users.csv line 7 (id 6)", "empty address")


def test_csv_with_a_phone_column_and_no_email_column(tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_text(f"phone,id\n{CN_MOBILE},7\n")
    assert _by_email(recipients.read(str(path), region="CN")) == [
        Skipped("users.csv line 2 (id 7)", NO_CHANNEL)
    ]


def test_json_lines_with_phones(tmp_path: Path) -> None:
    path = tmp_path / "users.jsonl"
    records = [
        {"email": "ann@users.example", "phone": UK_MOBILE, "id": 1},
        {"phone": CN_MOBILE, "id": 2},
        {"phone": GARBAGE, "id": 3},
        {"Phone": 13800138000, "id": 4},  # a number, not a string; keys in any case
    ]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    items = _by_email(recipients.read(str(path), region="CN"))
    assert isinstance(items[0], Recipient) and items[0].phone == "+447911123456"
    assert items[1] == Skipped("users.jsonl line 2 (id 2)", NO_CHANNEL)
    assert isinstance(items[2], Skipped) and items[2].reason != NO_CHANNEL
    assert items[2].ref == "users.jsonl line 3 (id 3)" and GARBAGE not in items[2].reason
    assert items[3] == Skipped("users.jsonl line 4 (id 4)", NO_CHANNEL)


def test_sql_query_with_a_phone_column(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "shop.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE users (id INTEGER, mail TEXT, mobile TEXT)")
        conn.executemany(
            "INSERT INTO users VALUES (?, ?, ?)",
            [(1, "ann@users.example", CN_MOBILE), (2, None, CN_MOBILE), (3, None, GARBAGE)],
        )
    url = f"sqlite:///{db}"
    query = "SELECT id, mail AS email, mobile AS phone FROM users ORDER BY id"
    items = _by_email(recipients.read(url, query, here=True, region="CN"))
    assert isinstance(items[0], Recipient) and items[0].phone == "+8613800138000"
    assert items[1] == Skipped("row 2 (id 2)", NO_CHANNEL)
    assert isinstance(items[2], Skipped) and items[2].reason.startswith("phone number")
    only_phones = _by_email(recipients.read(url, "SELECT id, mobile AS phone FROM users", region="CN"))
    assert [i.reason == NO_CHANNEL for i in only_phones if isinstance(i, Skipped)] == [True, True, False]


def _campaign(tmp_path: Path, revision, capsys, path: Path, *extra: str):
    result = notify(tmp_path, [revision], "--recipients", str(path), *extra, capsys=capsys, region="CN")
    for text in (result.stdout, result.out):
        for shown in (CN_MOBILE, "8613800138000", "7911123456", "7911 123456", GARBAGE):
            assert shown not in text
    return result


def test_a_campaign_reports_phone_only_users_apart(tmp_path: Path, revision, capsys) -> None:
    path = _users_csv(tmp_path / "users.csv")
    result = _campaign(tmp_path, revision, capsys, path, "--json")
    report = json.loads(result.stdout)["campaigns"][0]
    assert report["sent"] == 2
    assert report["no_channel"] == 2
    assert report["no_channel_records"] == [
        {"ref": "users.csv line 3 (id 2)", "reason": NO_CHANNEL},
        {"ref": "users.csv line 4 (id 3)", "reason": NO_CHANNEL},
    ]
    assert report["skipped"] == 2
    assert {p["ref"] for p in report["skipped_records"]} == {
        "users.csv line 5 (id 4)",
        "users.csv line 7 (id 6)",
    }
    assert report["unreached"] == 4
    assert result.code == 1  # not everybody is told
    assert "2 whom no channel of this run reaches" in result.out
    assert "not at fault" in result.out
    assert len(ledger_rows(sqlite_url(tmp_path))) == 2


def test_the_table_lists_phone_only_users_by_line_and_id(tmp_path: Path, revision, capsys) -> None:
    result = _campaign(tmp_path, revision, capsys, _users_csv(tmp_path / "users.csv"))
    out = " ".join(result.out.split())
    assert "Not sent to (no channel of this run reaches them):" in out
    assert "users.csv line 3 (id 2)" in out and "users.csv line 4 (id 3)" in out
    assert "Skipped recipients:" in out and "users.csv line 5 (id 4): phone number" in out


def test_users_are_deduplicated_by_id_then_address(tmp_path: Path, revision, capsys) -> None:
    path = tmp_path / "users.csv"
    path.write_text(
        "email,phone,id\n"
        f"ann@users.example,{CN_MOBILE},1\n"
        f"ann.other@users.example,{UK_MOBILE},1\n"  # id 1 again: the same user
        f"bo@users.example,{CN_MOBILE},\n"
        f"BO@users.example,{UK_MOBILE},\n"  # no id: the same address, the same user
    )
    result = _campaign(tmp_path, revision, capsys, path, "--json")
    report = json.loads(result.stdout)["campaigns"][0]
    assert result.code == 0
    assert report["sent"] == 2 and report["duplicates"] == 2
    assert {d["ref"] for d in report["duplicate_records"]} == {"users.csv line 3 (id 1)", "users.csv line 5"}


def test_a_large_source_reports_phone_only_users_from_the_child(tmp_path: Path, revision, capsys) -> None:
    path = tmp_path / "users.csv"
    lines = ["email,phone,name,id"] + [f"user{i}@users.example,,{'x' * 40},{i}" for i in range(1500)]
    lines += [f",{CN_MOBILE},Bo,b", f",{GARBAGE},Cy,c"]
    path.write_text("\n".join(lines) + "\n")
    assert path.stat().st_size >= 64 * 1024  # enqueued by the child process
    report = json.loads(_campaign(tmp_path, revision, capsys, path, "--json").stdout)["campaigns"][0]
    assert report["sent"] == 1500 and report["no_channel"] == 1 and report["skipped"] == 1
    assert report["no_channel_records"] == [{"ref": "users.csv line 1502 (id b)", "reason": NO_CHANNEL}]
