"""Issue 12 end to end: a real notice with a personal link, the answer page in Chromium,
the objection kept, `policyctl applies` and the shop's API.

Privacy Policy 1.0 (1 August 2026), 1.1 (published 1 September) and 2.0 (published 30
September, a core-rights change, effective 16 October 2026 in China). `policyctl
notify` sends 2.0's notice through a real SMTP server on loopback; `policyctl answers
serve` runs as its own process (uvicorn) on loopback; Ann objects in headless Chromium.
"""

from __future__ import annotations

import concurrent.futures
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from browser_support import chromium
from notify_support import ROOT
from tests_support import BASE_POLICY, CORE_RIGHTS_REVISION, PolicyRepo, free_port, git, policy_file

from notify.answers.store import AnswerBook
from notify.common.tokens import Claim, Signer

SECRET = "test-answer-secret-0123456789abcdef"
API_KEY = "test-api-key-for-the-shop"
SITE = "https://shop.example/legal/"
PRIVACY = "policy/privacy.md"


def policyctl_process(
    *args: str | Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`policyctl` as its own process, as an operator runs it."""
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "from generator.commands import main; raise SystemExit(main())",
            *map(str, args),
        ],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, smtp_server_module) -> Iterator[dict]:
    """The repository, the notices sent through SMTP, and the answer service running."""
    path = tmp_path_factory.mktemp("answers") / "repo"
    path.mkdir()
    repo = PolicyRepo(path)
    git(path, "init", "-q", "-b", "main")
    port = free_port()
    answer_url = f"http://127.0.0.1:{port}/policy/answer"
    repo.write(
        "mkdocs.yml",
        f"site_name: Shop\nsite_url: {SITE}\nplugins:\n  - policy:\n      answer_url: {answer_url}\n"
        "      answer_days: 36500\n",
    )
    repo.publish(PRIVACY, policy_file(published="2026-08-03"), "2026-08-03T10:00:00+08:00", "1.0")
    repo.publish(
        PRIVACY,
        policy_file(
            BASE_POLICY.replace("privacy@example.com", "dpo@example.com"),
            version="1.1",
            published="2026-09-01",
            summary="A new contact address.",
        ),
        "2026-09-01T10:00:00+08:00",
        "1.1",
    )
    repo.publish(
        PRIVACY,
        policy_file(
            CORE_RIGHTS_REVISION.replace("privacy@example.com", "dpo@example.com"),
            version="2.0",
            published="2026-09-30",
            summary="We now collect your phone number <for deliveries>.",
        ),
        "2026-09-30T10:00:00+08:00",
        "2.0",
    )
    (path / "users.csv").write_text(
        "email,name,locale,id\n"
        "ann@example.com,Ann,en,u-1\n"
        "bob@example.com,Bob,en,u-2\n"
        "chen@example.com,Chen,zh-CN,\n",
        encoding="utf-8",
    )
    ledger = f"sqlite:///{path / '.policy' / 'ledger.sqlite3'}"
    server = smtp_server_module
    env = {"POLICYCTL_ANSWER_SECRET": SECRET, "POLICYCTL_ANSWER_API_KEY": API_KEY}
    sent = policyctl_process(
        "notify",
        "--repo",
        path,
        "--recipients",
        path / "users.csv",
        "--smtp",
        f"smtp://127.0.0.1:{server.port}",
        "--as-of",
        "2026-10-01",
        env=env,
    )
    assert sent.returncode == 0, sent.stderr
    service = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from generator.commands import main; raise SystemExit(main())",
            "answers",
            "serve",
            "--repo",
            str(path),
            "--ledger",
            ledger,
            "--listen",
            f"127.0.0.1:{port}",
            "--as-of",
            "2026-10-03T12:00",  # the window is open: the service's clock runs on from here
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if service.poll() is not None or time.monotonic() > deadline:
                service.kill()
                raise AssertionError(f"answers serve did not start: {service.communicate()[1]}") from None
            time.sleep(0.1)
    try:
        yield {
            "repo": repo,
            "ledger": ledger,
            "answer_url": answer_url,
            "base": f"http://127.0.0.1:{port}",
            "messages": {m.rcpt[0]: m.message for m in server.received},
            "env": env,
        }
    finally:
        service.terminate()
        service.wait(timeout=30)


@pytest.fixture(scope="module")
def smtp_server_module() -> Iterator:
    """One real SMTP server (aiosmtpd) on loopback for the module."""
    from aiosmtpd.controller import Controller
    from notify_support import SmtpServer

    handler = SmtpServer()
    handler.port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port, ready_timeout=10)
    controller.start()
    yield handler
    controller.stop()


@pytest.fixture(autouse=True)
def answer_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """The secret in the environment of the in-process commands too (`applies` names a user
    without an id by the keyed hash of their address)."""
    monkeypatch.setenv("POLICYCTL_ANSWER_SECRET", SECRET)


def personal_link(world: dict, address: str) -> str:
    text = world["messages"][address].get_body(("plain",)).get_content()
    match = re.search(re.escape(world["answer_url"]) + r"\?token=[A-Za-z0-9_.%-]+", text)
    assert match, text
    return match.group(0)


def answers_count(world: dict) -> int:
    with AnswerBook(world["ledger"]) as book:
        return book.count()


def applies(run, world: dict, user: str, as_of: str = "2026-10-20") -> str:
    """`policyctl applies --json` for one user (in-process, through the `policyctl` fixture)."""
    result = run(
        "applies", "--repo", world["repo"].path, "--ledger", world["ledger"], "--user", user,
        "--document", "privacy", "--as-of", as_of, "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    return result.out


def test_every_notice_carries_a_personal_link_in_text_html_and_the_recipients_locale(world):
    ann = world["messages"]["ann@example.com"]
    link = personal_link(world, "ann@example.com")
    html = ann.get_body(("html",)).get_content()
    assert link.replace("&", "&amp;") in html or link in html
    chen = personal_link(world, "chen@example.com")
    assert chen != link
    assert "chen@example.com" not in chen  # no address in clear in the link
    assert (
        "请通过您的个人链接提出异议，该链接有效期至"
        in world["messages"]["chen@example.com"].get_body(("plain",)).get_content()
    )


def test_the_user_objects_in_chromium_and_keeps_version_1_1_while_everyone_else_moves_to_2_0(
    world, policyctl
):
    link = personal_link(world, "ann@example.com")
    with chromium() as browser:
        context = browser.new_context(locale="en-GB")
        context.route(lambda url: not url.startswith("http://127.0.0.1:"), lambda route: route.abort())
        page = context.new_page()
        response = page.goto(link)
        assert response is not None and response.status == 200
        assert "Privacy Policy, version 2.0" in page.inner_text("h1")
        body = page.inner_text("main")
        assert "We now collect your phone number <for deliveries>." in body  # escaped, shown as text
        assert "Information You Provide" in body  # the changed core-rights section
        assert page.get_attribute("a[href$='/privacy/changes/1.1-to-2.0/']", "href") == (
            f"{SITE}privacy/changes/1.1-to-2.0/"
        )
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        page.click("button[value=object]")
        page.wait_for_selector("#confirmation")
        confirmation = page.inner_text("#confirmation")
        # The page's own style passes its Content-Security-Policy (a green confirmation box).
        assert page.eval_on_selector("#confirmation", "e => getComputedStyle(e).borderTopColor") == (
            "rgb(46, 125, 50)"
        )
        context.close()
    assert "Thank you" in confirmation
    assert "From 16 October 2026" in confirmation and "version 1.1" in confirmation
    assert "You may stop using our services" in confirmation
    assert answers_count(world) == 1

    assert '"version": "1.1"' in applies(policyctl, world, "u-1")
    assert '"because": {"answer": "object", "version": "2.0"' in applies(policyctl, world, "u-1")
    assert '"version": "2.0"' in applies(policyctl, world, "u-2")
    before = applies(policyctl, world, "u-1", as_of="2026-10-10")  # 2.0 not yet in force: 1.1 for everyone
    assert '"version": "1.1"' in before and '"answer": "object"' in before
    everyone = policyctl(
        "applies", "--repo", world["repo"].path, "--ledger", world["ledger"], "--all", "--csv",
        "--as-of", "2026-10-20",
    )  # fmt: skip
    assert everyone.code == 0, everyone.err
    rows = {
        line.split(",")[1].strip('"'): line.split(",")[2].strip('"') for line in everyone.out.splitlines()[1:]
    }
    assert rows["u-1"] == "1.1" and rows["u-2"] == "2.0"
    assert [v for k, v in rows.items() if k.startswith("email-hmac:")] == ["2.0"]


def test_repeated_and_concurrent_posts_forged_expired_and_foreign_tokens_record_nothing(world, policyctl):
    link = personal_link(world, "bob@example.com")
    token = link.split("token=", 1)[1]
    url = world["answer_url"]
    before = answers_count(world)
    with httpx.Client(follow_redirects=False, timeout=30) as client:

        def post(fields: dict[str, str]) -> httpx.Response:
            return client.post(url, data=fields)

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            replies = list(pool.map(post, [{"token": token, "answer": "accept"}] * 4))
        assert {r.status_code for r in replies} == {
            200
        }  # the confirmation page itself: no redirect carries the token
        assert answers_count(world) == before + 1  # four identical answers: one record
        assert post({"token": token, "answer": "accept"}).status_code == 200
        assert answers_count(world) == before + 1

        forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
        assert post({"token": forged, "answer": "object"}).status_code == 403
        assert client.get(url, params={"token": forged}).status_code == 403
        assert post({"answer": "object"}).status_code == 400
        other = Signer("another-shops-secret-0123456789")
        assert (
            post(
                {"token": other.sign(Claim("privacy", "2.0", "u-2", 2_000_000_000)), "answer": "object"}
            ).status_code
            == 403
        )
        ours = Signer(SECRET)
        service_now = datetime(2026, 10, 3, 12, tzinfo=timezone(timedelta(hours=8))).timestamp()
        expired = ours.sign(Claim("privacy", "2.0", "u-2", int(service_now) - 60))
        assert post({"token": expired, "answer": "object"}).status_code == 410
        unknown = ours.sign(Claim("privacy", "9.9", "u-2", 2_000_000_000))
        assert post({"token": unknown, "answer": "object"}).status_code == 404
        terms = ours.sign(Claim("terms", "2.0", "u-2", 2_000_000_000))
        assert post({"token": terms, "answer": "object"}).status_code == 404
        foreign = post({"token": token, "answer": "object", "document": "terms"})
        assert foreign.status_code == 404
        assert post({"token": token, "answer": "maybe"}).status_code == 400
        huge = client.post(url, content=b"token=" + b"A" * 20000 + b"&answer=object",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
        assert huge.status_code == 413
        general = client.get(url)
        assert general.status_code == 200
        assert "personal link" in general.text and "account page" in general.text
    assert answers_count(world) == before + 1
    assert '"version": "2.0"' in applies(policyctl, world, "u-2")


def test_the_shops_api_records_and_answers_with_the_key_and_refuses_without_it(world):
    base = world["base"]
    key = {"Authorization": f"Bearer {API_KEY}"}
    answer = {"user": "u-9", "document": "privacy", "version": "2.0", "answer": "object",
              "at": "2026-10-02T09:00:00+08:00"}  # fmt: skip
    before = answers_count(world)
    with httpx.Client(timeout=30) as client:
        assert client.post(f"{base}/api/answers", json=answer).status_code == 401
        wrong = {"Authorization": "Bearer not-the-key"}
        assert client.post(f"{base}/api/answers", json=answer, headers=wrong).status_code == 401
        assert (
            client.get(f"{base}/api/applies", params={"user": "u-9", "document": "privacy"}).status_code
            == 401
        )
        assert answers_count(world) == before

        first = client.post(f"{base}/api/answers", json=answer, headers=key)
        assert first.status_code == 201 and first.json()["recorded"] is True
        again = client.post(f"{base}/api/answers", json=answer, headers=key)
        assert again.status_code == 200 and again.json()["recorded"] is False
        unknown = client.post(f"{base}/api/answers", json={**answer, "version": "7.0"}, headers=key)
        assert unknown.status_code == 422
        big = client.post(f"{base}/api/answers", content=b"{" + b" " * 40000 + b"}",
                          headers={**key, "Content-Type": "application/json"})  # fmt: skip
        assert big.status_code == 413
        assert answers_count(world) == before + 1

        applied = client.get(
            f"{base}/api/applies",
            params={"user": "u-9", "document": "privacy", "as_of": "2026-10-20T00:00:00+08:00"},
            headers=key,
        )
        assert applied.status_code == 200
        assert applied.json() == {
            "document": "privacy",
            "user": "u-9",
            "version": "1.1",
            "since": "2026-09-11T00:00:00+08:00",  # since 1.1 took effect: the objection keeps it
            "because": {"answer": "object", "version": "2.0", "at": "2026-10-02T09:00:00+08:00"},
        }
