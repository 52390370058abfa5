"""The webhook channel against a real HTTP server on loopback."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from notify_support import ledger_rows, notify, sqlite_url, write_csv

SECRET = "s3cret-shared"


class Gateway(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self.attempts: Counter[str] = Counter()
        self.delivered: Counter[str] = Counter()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Gateway

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        payload = json.loads(body)
        email = payload["recipient"]["email"]
        expected = (
            "sha256="
            + hmac.new(
                SECRET.encode(), self.headers["X-Policy-Timestamp"].encode() + b"." + body, hashlib.sha256
            ).hexdigest()
        )
        with self.server.lock:
            self.server.attempts[email] += 1
            n = self.server.attempts[email]
            self.server.requests.append(
                {
                    "headers": dict(self.headers),
                    "payload": payload,
                    "signed": self.headers.get("X-Policy-Signature") == expected,
                }
            )
        if email.startswith("user1@"):
            status = 503 if n == 1 else 200
        elif email.startswith("user2@"):
            status = 410
        else:
            status = 202
        if status < 300:
            with self.server.lock:
                self.server.delivered[email] += 1
        reply = b'{"ok": true}' if status < 300 else b'{"error": "nope"}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)


@pytest.fixture
def gateway() -> Any:
    server = Gateway()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_webhook_campaign_signed_retried_and_recorded(
    tmp_path: Path, revision, gateway, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("POLICYCTL_WEBHOOK_SECRET", SECRET)
    write_csv(tmp_path / "users.csv", 6)
    url = f"http://127.0.0.1:{gateway.server_address[1]}/notify?src=policy"
    result = notify(
        tmp_path,
        [revision],
        "--recipients",
        str(tmp_path / "users.csv"),
        "--webhook",
        url,
        "--no-email",
        "--retry-base",
        "0.01",
        "--concurrency",
        "2",
        "--json",
        capsys=capsys,
    )
    assert result.code == 1  # user2 is refused permanently
    report = json.loads(result.stdout)["campaigns"]
    assert [c["channel"] for c in report] == ["webhook"]
    assert report[0]["sent"] == 5 and report[0]["failed"] == 1
    assert gateway.delivered == Counter({f"user{i}@users.example": 1 for i in range(6) if i != 2})
    assert gateway.attempts["user1@users.example"] == 2 and gateway.attempts["user2@users.example"] == 1
    assert all(r["signed"] for r in gateway.requests)
    first = gateway.requests[0]
    assert first["payload"]["document"] == "privacy" and first["payload"]["version"] == "2.0"
    assert first["payload"]["core_sections"][0] == {"id": "sharing", "title": "V. How we share information"}
    assert first["headers"]["Idempotency-Key"].startswith("<policy.")
    rows = {r["email"]: r for r in ledger_rows(sqlite_url(tmp_path))}
    assert {r["channel"] for r in rows.values()} == {"webhook"}
    assert rows["user2@users.example"]["status"] == "failed" and rows["user2@users.example"][
        "last_reply"
    ].startswith("HTTP 410")
    assert rows["user1@users.example"]["attempts"] == 2

    again = notify(
        tmp_path, [revision], "--recipients", str(tmp_path / "users.csv"), "--webhook", url, "--no-email"
    )
    assert again.code == 0 and sum(gateway.attempts.values()) == 7


def test_email_and_webhook_are_separate_channels_of_one_campaign(
    tmp_path: Path, revision, gateway, monkeypatch
) -> None:
    monkeypatch.setenv("POLICYCTL_WEBHOOK_SECRET", SECRET)
    path = tmp_path / "users.csv"
    path.write_text("email\nuser0@users.example\nuser3@users.example\n")
    url = f"http://127.0.0.1:{gateway.server_address[1]}/hook"
    assert notify(tmp_path, [revision], "--recipients", str(path), "--webhook", url).code == 0
    rows = ledger_rows(sqlite_url(tmp_path))
    assert Counter(r["channel"] for r in rows) == Counter({"email": 2, "webhook": 2})
    assert len(list((tmp_path / ".policy" / "outbox").rglob("*.eml"))) == 2


def test_webhook_url_rules(tmp_path: Path, revision) -> None:
    write_csv(tmp_path / "users.csv", 1)
    insecure = notify(
        tmp_path,
        [revision],
        "--recipients",
        str(tmp_path / "users.csv"),
        "--webhook",
        "http://gateway.example/hook",
    )
    assert insecure.code == 2 and "https://" in insecure.out
    creds = notify(
        tmp_path,
        [revision],
        "--recipients",
        str(tmp_path / "users.csv"),
        "--webhook",
        "https://u:p@gateway.example/hook",
    )
    assert creds.code == 2 and "credentials" in creds.out
