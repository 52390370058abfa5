"""Issue 22: `--as-of` outside the calendar's range is refused by every command (exit 2,
a message, no traceback), not an OverflowError on the first date computed from it."""

from __future__ import annotations

import pytest
import uvicorn
from tests_support import free_port

from generator.core.dates import parse_instant

OUT_OF_RANGE = ("0001-01-01T00:00:00+14:00", "9999-12-31T23:00:00-12:00", "9999-12-31", "0001-01-01")


@pytest.mark.parametrize("as_of", OUT_OF_RANGE)
def test_every_command_refuses_an_as_of_outside_the_calendar(
    as_of, history, policyctl, tmp_path, monkeypatch
):
    monkeypatch.setenv("POLICYCTL_ANSWER_SECRET", "as-of-range-secret-0123456789")
    served: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.append(app))  # never blocks
    (history.path / "users.csv").write_text("email\nann@example.com\n")
    ledger = ("--ledger", f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    commands = [
        ("build", "--site-dir", tmp_path / "site"),
        ("check",),
        ("status",),
        ("applies", "--all", *ledger),
        ("answers", "serve", *ledger, "--answer-url", "http://127.0.0.1:9/policy/answer",
         "--listen", f"127.0.0.1:{free_port()}"),
        ("answers", "record", *ledger, "--document", "privacy", "--version", "2.0", "--user", "u-1",
         "--answer", "object"),
        ("notify", "--recipients", history.path / "users.csv", "--outbox", tmp_path / "outbox", *ledger),
    ]  # fmt: skip
    for command in commands:
        result = policyctl(*command, "--repo", history.path, "--as-of", as_of)
        assert result.code == 2, (command[0], result.err)
        assert "--as-of" in result.err and "lies outside 0002-01-01 to 9998-12-31 (UTC)" in result.err
        assert "Traceback" not in result.err and "OverflowError" not in result.err
    assert not (tmp_path / "site").exists() and not (tmp_path / "outbox").exists() and not served


def test_record_at_outside_the_calendar_is_refused_like_as_of(history, policyctl, tmp_path):
    recorded = policyctl(
        "answers", "record", "--repo", history.path, "--ledger", f"sqlite:///{tmp_path / 'l.sqlite3'}",
        "--document", "privacy", "--version", "2.0", "--user", "u-1", "--answer", "object",
        "--at", "0001-01-01T00:00:00+14:00",
    )  # fmt: skip
    assert recorded.code == 2 and "--at" in recorded.err and "lies outside" in recorded.err


def test_the_edges_of_the_range_are_taken():
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Asia/Shanghai")
    utc = ZoneInfo("UTC")
    assert parse_instant("0002-01-01T00:00Z", zone).astimezone(utc).isoformat() == "0002-01-01T00:00:00+00:00"
    assert parse_instant("9998-12-31T23:59:59Z", zone).isoformat() == "9999-01-01T07:59:59+08:00"
    for text in OUT_OF_RANGE + ("0001-12-31T23:59:59Z", "9999-01-01T00:00:00Z"):
        with pytest.raises(ValueError, match="lies outside"):
            parse_instant(text, zone)
