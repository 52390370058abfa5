"""Recipients from CSV, JSON lines and SQL: streamed, validated, de-duplicated."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from pathlib import Path

import pytest
from notify_support import ledger_rows, notify, sqlite_url

from notify.common.errors import NotifyError
from notify.delivery.recipients import sources as recipients
from notify.delivery.recipients.sources import Recipient, Skipped, normalize_address


@pytest.mark.parametrize(
    "raw,ok",
    [
        ("ann@users.example", "ann@users.example"),
        ("  Ann.Lee+tag@Users.EXAMPLE ", "Ann.Lee+tag@users.example"),
        ("zoë@users.example", ""),
        ("user@bücher.example", "user@xn--bcher-kva.example"),
        ("a@b", ""),
        ("a b@users.example", ""),
        ("a@users.example\r\nBcc: x@y.example", ""),
        ("@users.example", ""),
        ("a..b@users.example", ""),
        ("", ""),
    ],
)
def test_address_validation(raw: str, ok: str) -> None:
    address, reason = normalize_address(raw)
    assert address == ok
    assert bool(reason) == (not ok)


def test_csv_invalid_and_empty_rows_are_skipped_with_their_line(tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_text(
        'Email,Name,Locale,Id\nann@users.example,Ann,en,1\nnot-an-address,Bob,,2\n,,,3\n\nzoe@users.example,"Zoë\r\nX",zh_CN,4\n'
    )
    items = list(recipients.read(str(path)))
    assert [type(i).__name__ for i in items] == ["Recipient", "Skipped", "Skipped", "Recipient"]
    assert items[1] == Skipped("users.csv line 3 (id 2)", "address has no '@' with a local part and a domain")
    assert items[2].ref == "users.csv line 4 (id 3)" and items[2].reason == "empty address"
    zoe = items[3]
    assert isinstance(zoe, Recipient) and zoe.name == "Zoë X" and zoe.locale == "zh_CN" and zoe.id == "4"


def test_csv_without_an_email_column_is_unusable_input(tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_text("mail,name\na@b.example,A\n")
    with pytest.raises(
        NotifyError, match=r"users.csv line 1: the header row has no 'email' or 'phone' column"
    ):
        list(recipients.read(str(path)))
    with pytest.raises(NotifyError, match="not found"):
        recipients.read(str(tmp_path / "missing.csv"))


def test_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "users.jsonl"
    path.write_text(
        "\n".join(
            [
                json.dumps({"email": "ann@users.example", "name": "Ann", "id": 7}),
                "{broken",
                json.dumps(["not", "an", "object"]),
                json.dumps({"email": None, "id": 9}),
            ]
        )
        + "\n"
    )
    items = list(recipients.read(str(path)))
    assert (
        isinstance(items[0], Recipient) and items[0].id == "7" and items[0].ref == "users.jsonl line 1 (id 7)"
    )
    assert [i.ref for i in items[1:]] == [
        "users.jsonl line 2",
        "users.jsonl line 3",
        "users.jsonl line 4 (id 9)",
    ]


def test_sql_query_on_the_shops_user_table(tmp_path: Path) -> None:
    db = tmp_path / "shop.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE users (uid INTEGER, mail TEXT, full_name TEXT, lang TEXT, active INTEGER)")
        conn.executemany(
            "INSERT INTO users VALUES (?, ?, ?, ?, ?)",
            [
                (1, "ann@users.example", "Ann", "en", 1),
                (2, "bad", "Bob", "en", 1),
                (3, "cy@users.example", "Cy", "zh", 0),
            ],
        )
    url = f"sqlite:///{db}"
    items = list(
        recipients.read(
            url,
            "SELECT uid AS id, mail AS email, full_name AS name, lang AS locale FROM users WHERE active = 1",
        )
    )
    assert (
        isinstance(items[0], Recipient)
        and items[0].email == "ann@users.example"
        and items[0].ref == "row 1 (id 1)"
    )
    assert isinstance(items[1], Skipped) and items[1].ref == "row 2 (id 2)"
    with pytest.raises(NotifyError, match="--query"):
        recipients.read(url)
    with pytest.raises(NotifyError, match="column named 'email'"):
        list(recipients.read(url, "SELECT mail FROM users"))
    with pytest.raises(NotifyError, match="--query failed"):
        list(recipients.read(url, "SELECT * FROM no_such_table"))


def test_postgresql_query(tmp_path: Path, fresh_postgres: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(fresh_postgres)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE customers (id serial, email text, name text)"))
        conn.execute(
            sa.text(
                "INSERT INTO customers (email, name) SELECT 'c' || g || '@users.example', 'C ' || g FROM generate_series(1, 5000) g"
            )
        )
    engine.dispose()
    items = recipients.read(fresh_postgres, "SELECT id, email, name FROM customers ORDER BY id")
    count = sum(1 for i in items if isinstance(i, Recipient))
    assert count == 5000


def test_duplicates_get_one_message_and_are_reported(tmp_path: Path, revision, capsys) -> None:
    """A user is their id (the same id twice: one user, whatever the address), and a user
    without an id is their address in any case."""
    path = tmp_path / "users.csv"
    lines = (
        ["email,id"]
        + [f"user{i}@users.example,{i}" for i in range(1500)]
        + ["USER5@users.example,5", "other@users.example,1499"]
        + ["anon@users.example,", "ANON@users.example,"]
    )
    path.write_text("\n".join(lines) + "\n")
    result = notify(tmp_path, [revision], "--recipients", str(path), "--json", capsys=capsys)
    assert result.code == 0
    report = json.loads(result.stdout)["campaigns"][0]
    assert report["sent"] == 1501 and report["duplicates"] == 3
    assert {d["ref"] for d in report["duplicate_records"]} == {
        "users.csv line 1502 (id 5)",
        "users.csv line 1503 (id 1499)",
        "users.csv line 1505",
    }
    rows = ledger_rows(sqlite_url(tmp_path))
    assert len(rows) == 1501 and Counter(r["recipient"] for r in rows).most_common(1)[0][1] == 1
    eml = list((tmp_path / ".policy" / "outbox" / "privacy" / "2.0").glob("*.eml"))
    assert len(eml) == 1501


def test_a_line_longer_than_the_limit_is_read_past_and_reported(tmp_path: Path) -> None:
    """One line of gigabytes (a broken export) is never held whole: it is reported by its
    number and the lines after it are read as usual, in CSV and JSON lines."""
    from notify.delivery.recipients.sources import LINE_LIMIT, OVERLONG

    huge = "x" * (3 * LINE_LIMIT + 17)
    csv_path = tmp_path / "users.csv"
    csv_path.write_text(f"email,name\nann@users.example,Ann\nbo@users.example,{huge}\ncy@users.example,Cy\n")
    items = list(recipients.read(str(csv_path)))
    assert [getattr(i, "email", None) for i in items] == ["ann@users.example", None, "cy@users.example"]
    assert items[1] == Skipped("users.csv line 3", OVERLONG)

    jsonl = tmp_path / "users.jsonl"
    jsonl.write_text(
        '{"email": "ann@users.example"}\n' + '{"email": "bo@users.example", "name": "' + huge + '"}\n'
        '{"email": "cy@users.example"}\n'
    )
    items = list(recipients.read(str(jsonl)))
    assert [getattr(i, "email", None) for i in items] == ["ann@users.example", None, "cy@users.example"]
    assert items[1] == Skipped("users.jsonl line 2", OVERLONG)
