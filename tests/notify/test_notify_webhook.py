"""The webhook channel against a real HTTP receiver on loopback (http.server in a thread).

The receiver counts every POST per recipient, as a real gateway's log would, and
answers what each test tells it to: large 2xx bodies, retryable statuses, a refusal
for one recipient, or a wrong-URL answer (3xx, 401, 403, 404, 405, 410) for all.
"""

from __future__ import annotations

import json
import ssl
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from notify_support import SECRET, Post, ledger_rows, notify, sqlite_url, write_csv

FAST = ("--retry-base", "0.01")


def users(count: int) -> Counter[str]:
    return Counter({f"user{i}@users.example": 1 for i in range(count)})


def webhook(tmp_path: Path, revision: Any, url: str, *extra: str, capsys: Any = None) -> Any:
    return notify(
        tmp_path,
        [revision],
        "--recipients",
        str(tmp_path / "users.csv"),
        "--webhook",
        url,
        "--no-email",
        *FAST,
        *extra,
        capsys=capsys,
    )


@pytest.mark.parametrize(
    "size",
    [256 * 1024, 3 * 1024 * 1024],
    ids=["256KiB-body-read-on-a-kept-connection", "3MiB-body-connection-closed"],
)
def test_large_2xx_answers_one_post_per_recipient(
    tmp_path: Path, revision, receiver, monkeypatch, size
) -> None:
    """The old channel read 500 bytes of a 1 KB answer: every second POST was sent twice."""
    monkeypatch.setenv("POLICYCTL_WEBHOOK_SECRET", SECRET)
    big = json.dumps({"ok": True, "padding": "x" * size}).encode()
    receiver.answer = lambda post: (200, {}, big)
    count = 40 if size > 1024 * 1024 else 120
    write_csv(tmp_path / "users.csv", count)
    result = webhook(tmp_path, revision, receiver.url("/hook"), "--concurrency", "4")
    assert result.code == 0, result.out
    assert receiver.attempts() == users(count)
    assert all(p.signed for p in receiver.posts)
    rows = ledger_rows(sqlite_url(tmp_path))
    assert (
        len(rows) == count
        and {r["status"] for r in rows} == {"sent"}
        and {r["attempts"] for r in rows} == {1}
    )
    assert all(r["last_reply"].startswith('HTTP 200 OK: {"ok": true, "padding": "xxx') for r in rows)
    if size < 1024 * 1024:
        # Each of the 4 sessions keeps its one connection for all its notices.
        assert receiver.connections <= 4

    again = webhook(tmp_path, revision, receiver.url("/hook"), "--concurrency", "4")
    assert again.code == 0 and receiver.attempts() == users(count)


def chunked(data: bytes, size: int = 4096) -> bytes:
    parts = [data[i : i + size] for i in range(0, len(data), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"


def test_every_kind_of_2xx_answer_is_read_to_its_end_on_one_connection(
    tmp_path: Path, revision, receiver
) -> None:
    """Chunked, empty, and mislabelled (gzip that is not) answers: each read to its end,
    so one connection carries every notice and each recipient is posted once."""
    answers = [
        (200, {"Transfer-Encoding": "chunked"}, chunked(b"y" * 100_000)),
        (204, {}, b""),
        (200, {"Content-Encoding": "gzip"}, b"not gzip at all" * 100),
        (201, {}, b""),
    ]
    receiver.answer = lambda post: answers[int(post.payload["recipient"]["id"]) % len(answers)]
    write_csv(tmp_path / "users.csv", 40)
    result = webhook(tmp_path, revision, receiver.url("/hook"), "--concurrency", "1")
    assert result.code == 0, result.out
    assert receiver.attempts() == users(40)
    assert receiver.connections == 1
    replies = {r["recipient_id"]: r["last_reply"] for r in ledger_rows(sqlite_url(tmp_path))}
    assert replies["0"].startswith("HTTP 200 OK: yyyy") and replies["1"] == "HTTP 204 No Content"
    assert replies["2"].startswith("HTTP 200 OK: not gzip at all") and replies["3"] == "HTTP 201 Created"


def test_retried_refused_and_recorded_with_one_idempotency_key_per_recipient(
    tmp_path: Path, revision, receiver, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("POLICYCTL_WEBHOOK_SECRET", SECRET)

    def answer(post: Post) -> tuple[int, dict[str, str], bytes]:
        if post.email == "user1@users.example" and post.attempt <= 2:
            return 503, {"Retry-After": "0"}, b'{"error": "busy"}'
        if post.email == "user3@users.example" and post.attempt == 1:
            return 429, {}, b'{"error": "slow down"}'
        if post.email == "user2@users.example":
            return 422, {}, b'{"error": "no phone number for this user"}'
        return 202, {}, b'{"ok": true}'

    receiver.answer = answer
    write_csv(tmp_path / "users.csv", 6)
    url = receiver.url("/notify?src=policy")
    first = webhook(tmp_path, revision, url, "--retries", "1", "--concurrency", "2", "--json", capsys=capsys)
    assert first.code == 1  # user2 refused, user1 still deferred
    report = json.loads(first.stdout)["campaigns"]
    assert [c["channel"] for c in report] == ["webhook"]
    assert (report[0]["sent"], report[0]["failed"], report[0]["deferred"]) == (4, 1, 1)
    # named by their line and id in the source, never by address (the output lands in CI logs)
    failures = {f["ref"]: f for f in report[0]["failures"]}
    assert failures["users.csv line 4 (id 2)"]["status"] == "failed"
    assert failures["users.csv line 4 (id 2)"]["reply"] == (
        'HTTP 422 Unprocessable Entity: {"error": "no phone number for this user"}'
    )
    assert failures["users.csv line 3 (id 1)"]["status"] == "deferred"
    assert receiver.attempts() == Counter(
        {
            "user0@users.example": 1,
            "user1@users.example": 2,
            "user2@users.example": 1,
            "user3@users.example": 2,
            "user4@users.example": 1,
            "user5@users.example": 1,
        }
    )
    assert all(p.signed for p in receiver.posts)
    body = receiver.posts[0].payload
    assert body["document"] == "privacy" and body["version"] == "2.0"
    assert body["core_sections"][0] == {"id": "sharing", "title": "V. How we share information"}

    again = webhook(tmp_path, revision, url, "--retries", "1")
    assert again.code == 1  # user2 is still not reached, and the output says what to do
    assert "--retry-failed" in again.out
    # user1 reached by the rerun; user2's refusal is not retried; nobody else is posted again.
    assert receiver.attempts()["user1@users.example"] == 3
    assert receiver.attempts()["user2@users.example"] == 1
    assert sum(receiver.attempts().values()) == 9, again.out
    rows = {r["email"]: r for r in ledger_rows(sqlite_url(tmp_path))}
    assert {e: r["status"] for e, r in rows.items()} == {
        **{e: "sent" for e in users(6)},
        "user2@users.example": "failed",
    }

    # One Idempotency-Key per recipient: the same on the retry, on the next run, and the
    # ledger's Message-ID for that recipient (the proof of notice names what was sent).
    keys = receiver.keys()
    assert keys["user1@users.example"] == [rows["user1@users.example"]["message_id"]] * 3
    assert keys["user3@users.example"] == [rows["user3@users.example"]["message_id"]] * 2
    assert len({k[0] for k in keys.values()}) == 6
    assert all(k[0].startswith("<policy.") for k in keys.values())


def test_a_receiver_that_does_not_answer_is_a_timeout_retried_by_the_next_run(
    tmp_path: Path, revision, receiver, monkeypatch
) -> None:
    def answer(post: Post) -> tuple[int, dict[str, str], bytes]:
        if post.email == "user1@users.example" and post.attempt == 1:
            receiver.release.wait(60)  # answers only after the test
        return 200, {}, b"{}"

    receiver.answer = answer
    write_csv(tmp_path / "users.csv", 4)
    first = webhook(tmp_path, revision, receiver.url("/hook"), "--deadline", "1", "--concurrency", "2")
    assert first.code == 1
    assert "connection lost: timeout" in first.out
    rows = {r["email"]: r for r in ledger_rows(sqlite_url(tmp_path))}
    assert rows["user1@users.example"]["status"] == "deferred"
    assert sum(r["status"] == "sent" for r in rows.values()) == 3

    again = webhook(tmp_path, revision, receiver.url("/hook"))
    assert again.code == 0, again.out
    assert receiver.attempts() == users(4) + Counter({"user1@users.example": 1})
    keys = receiver.keys()["user1@users.example"]
    assert keys[0] == keys[1]  # the receiver can drop the late first one


WRONG_URL_ANSWERS = [301, 302, 307, 308, 401, 403, 404, 405, 410]


@pytest.mark.parametrize("status", WRONG_URL_ANSWERS)
def test_a_wrong_webhook_url_halts_the_run_and_the_fixed_rerun_reaches_everyone(
    tmp_path: Path, revision, receiver, monkeypatch, status
) -> None:
    monkeypatch.setenv("POLICYCTL_WEBHOOK_SECRET", SECRET)
    fixed = receiver.url("/hook")

    def answer(post: Post) -> tuple[int, dict[str, str], bytes]:
        if post.path == "/old-hook":
            headers = {"Location": "/hook"} if status < 400 else {}  # relative, as many servers send
            return status, headers, b'{"error": "not here"}' * 100
        return 200, {}, b"{}"

    receiver.answer = answer
    write_csv(tmp_path / "users.csv", 30)
    wrong = receiver.url("/old-hook")
    first = webhook(tmp_path, revision, wrong, "--concurrency", "2")

    assert first.code == 2, first.out
    text = " ".join(first.out.split())
    assert f"fix --webhook: the webhook {wrong} answered HTTP {status}" in text
    if status < 400:
        assert f"(a redirect to {fixed}, which is not followed)" in text
    # The run stopped at once: at most one POST per session, and a redirect is not followed.
    assert 1 <= sum(receiver.attempts("/old-hook").values()) <= 2
    assert receiver.attempts("/hook") == Counter()
    # Nobody is marked failed: every notice waits for the fixed URL.
    rows = ledger_rows(sqlite_url(tmp_path))
    assert {r["status"] for r in rows} == {"pending"}

    second = webhook(tmp_path, revision, fixed, "--concurrency", "2")
    assert second.code == 0, second.out
    assert receiver.attempts("/hook") == users(30)
    assert {r["status"] for r in ledger_rows(sqlite_url(tmp_path))} == {"sent"}


def test_https_receiver_is_verified_against_the_system_trust_store(
    tmp_path: Path, revision, receiver, certificate, monkeypatch
) -> None:
    """The certificate is checked with the system's authorities (OpenSSL's default
    paths, here pointed at the test's own authority), not a bundle shipped with httpx."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(certificate[0]), str(certificate[1]))
    receiver.socket = context.wrap_socket(receiver.socket, server_side=True)
    url = f"https://127.0.0.1:{receiver.server_address[1]}/hook"
    write_csv(tmp_path / "users.csv", 5)

    untrusted = webhook(tmp_path, revision, url, "--deadline", "1")
    assert untrusted.code == 1 and "CERTIFICATE_VERIFY_FAILED" in untrusted.out
    assert receiver.attempts() == Counter()

    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    trusted = webhook(tmp_path, revision, url)
    assert trusted.code == 0, trusted.out
    assert receiver.attempts() == users(5)


def test_email_and_webhook_are_separate_channels_of_one_campaign(
    tmp_path: Path, revision, receiver, monkeypatch
) -> None:
    monkeypatch.setenv("POLICYCTL_WEBHOOK_SECRET", SECRET)
    path = tmp_path / "users.csv"
    path.write_text("email\nuser0@users.example\nuser3@users.example\n")
    assert (
        notify(tmp_path, [revision], "--recipients", str(path), "--webhook", receiver.url("/hook")).code == 0
    )
    rows = ledger_rows(sqlite_url(tmp_path))
    assert Counter(r["channel"] for r in rows) == Counter({"email": 2, "webhook": 2})
    assert len(list((tmp_path / ".policy" / "outbox").rglob("*.eml"))) == 2
    assert receiver.attempts() == Counter({"user0@users.example": 1, "user3@users.example": 1})


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
