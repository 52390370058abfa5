"""Issue 22, the answer service: hostile inputs against the real application.

The application runs under uvicorn on loopback (in a thread, on SQLite and PostgreSQL, or
as `policyctl answers serve` in its own process), and is spoken to over HTTP with httpx;
the commands run in-process. Privacy Policy 1.0 (published 25 August 2026), 1.1
(published 1 September, in force from 11 September) and 2.0 (published 30 September, in
force from 16 October); the service's clock stands at 3 October 2026, 12:00 in Shanghai.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from notify_support import ROOT
from tests_support import PolicyRepo, free_port, git, policy_file

from notify.answers.app import create_app
from notify.answers.rule import Catalogue, DocumentFacts, VersionFacts
from notify.answers.store import AnswerBook
from notify.common.errors import NotifyError
from notify.common.tokens import Claim, Signer, UserKeys, user_key

SECRET = "hostile-answer-secret-0123456789abcdef"
API_KEY = "hostile-api-key-for-the-shop"
KEY = {"Authorization": f"Bearer {API_KEY}"}
CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 10, 3, 12, tzinfo=CST)
PATH = "/policy/answer"
FAR = 2_000_000_000  # a token's expiry in 2033


def day(month: int, d: int, hour: int = 0) -> datetime:
    return datetime(2026, month, d, hour, tzinfo=CST)


CATALOGUE = Catalogue(
    (
        DocumentFacts(
            "privacy",
            "Privacy Policy",
            (
                VersionFacts("1.0", day(9, 1), day(8, 25), "Privacy Policy"),
                VersionFacts("1.1", day(9, 11), day(9, 1), "Privacy Policy", "A new contact address."),
                VersionFacts("2.0", day(10, 16), day(9, 30), "Privacy Policy", "Phone numbers."),
            ),
        ),
    ),
    languages=("en",),
)


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    return request.getfixturevalue("fresh_postgres")


@pytest.fixture(autouse=True)
def answer_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICYCTL_ANSWER_SECRET", SECRET)
    monkeypatch.delenv("POLICYCTL_ADDRESS_KEY", raising=False)


@contextmanager
def served(app: Any, port: int) -> Iterator[str]:
    """``app`` under uvicorn on 127.0.0.1:``port`` (a thread of this process), as behind a
    TLS proxy on loopback whose X-Forwarded-* headers are honoured; its base URL."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        proxy_headers=True,
        forwarded_allow_ips=["127.0.0.1"],
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture
def service(ledger_url: str) -> Iterator[dict[str, Any]]:
    """The application of `CATALOGUE` on a real server, its clock at `NOW`."""
    port = free_port()
    app = create_app(
        CATALOGUE,
        ledger_url=ledger_url,
        answer_url=f"http://127.0.0.1:{port}{PATH}",
        secret=SECRET,
        api_key=API_KEY,
        clock=NOW.timestamp,
    )
    with served(app, port) as base, httpx.Client(base_url=base, timeout=30, follow_redirects=False) as client:
        yield {"base": base, "client": client, "ledger": ledger_url}


def count(ledger: str) -> int:
    with AnswerBook(ledger) as book:
        return book.count()


def token(user: str = "u-1", expires: int = FAR, locale: str = "", version: str = "2.0") -> str:
    return Signer(SECRET).sign(Claim("privacy", version, user, expires, locale))


def api_answer(**fields: Any) -> dict[str, Any]:
    return {"user": "u-9", "document": "privacy", "version": "2.0", "answer": "object", **fields}


# -- item 1: one bound on an answer's time, for the API, `record` and `import` ------------


@pytest.fixture
def repo(tmp_path: Path) -> PolicyRepo:
    """The history of `CATALOGUE` in git (1.0, 1.1, 2.0), with an answer page."""
    path = tmp_path / "repo"
    path.mkdir()
    repo = PolicyRepo(path)
    git(path, "init", "-q", "-b", "main")
    repo.write(
        "mkdocs.yml",
        "site_name: Shop\nsite_url: https://shop.example/legal/\nplugins:\n  - policy:\n"
        "      answer_url: http://127.0.0.1:9/policy/answer\n",
    )
    repo.publish("policy/privacy.md", policy_file(published="2026-08-25"), "2026-08-25T10:00:00+08:00", "1.0")
    text = policy_file(version="1.1", published="2026-09-01", summary="A new contact address.")
    repo.publish("policy/privacy.md", text.replace("privacy@example.com", "dpo@example.com"),
                 "2026-09-01T10:00:00+08:00", "1.1")  # fmt: skip
    from tests_support import CORE_RIGHTS_REVISION

    text = policy_file(CORE_RIGHTS_REVISION, version="2.0", published="2026-09-30", summary="Phones.")
    repo.publish("policy/privacy.md", text.replace("privacy@example.com", "dpo@example.com"),
                 "2026-09-30T10:00:00+08:00", "2.0")  # fmt: skip
    return repo


def test_an_answer_dated_before_its_version_or_in_the_future_is_refused_by_the_api_record_and_import(
    service, repo, policyctl, tmp_path
):
    client, ledger = service["client"], service["ledger"]
    for at in ("1970-01-02T00:00:00+00:00", "2026-09-29T23:59:00+08:00", "2026-10-04T12:00:00+08:00"):
        refused = client.post("/api/answers", json=api_answer(at=at), headers=KEY)
        assert refused.status_code == 422, refused.text
        assert "lies before the version was published" in refused.text or "lies in the future" in refused.text
    assert (
        client.post("/api/answers", json=api_answer(at="2026-10-03T12:04:00+08:00"), headers=KEY).status_code
        == 201
    )
    assert count(ledger) == 1

    common = ("--repo", repo.path, "--ledger", ledger, "--as-of", "2026-10-03T12:00")
    for at in ("1970-01-02T00:00:00+00:00", "2026-10-04T12:00"):
        recorded = policyctl(
            "answers", "record", *common, "--document", "privacy", "--version", "2.0", "--user", "u-2",
            "--answer", "object", "--at", at,
        )  # fmt: skip
        assert recorded.code == 2 and "Traceback" not in recorded.err
        assert "lies before the version was published" in recorded.err or "lies in the future" in recorded.err
        rows = tmp_path / "answers.csv"
        rows.write_text(f"document,version,user,answer,at\nprivacy,2.0,u-2,object,{at}\n")
        imported = policyctl("answers", "import", *common, rows)
        assert imported.code == 2 and "nothing was recorded" in imported.err
        assert "lies before the version was published" in imported.err or "lies in the future" in imported.err
    assert count(ledger) == 1


# -- item 2: the latest answer by its time wins, for every reader --------------------------


def test_an_answer_imported_late_with_an_earlier_time_counts_before_the_later_one_everywhere(
    ledger_url, repo, policyctl, tmp_path
):
    from generator.commands.answers_support import catalogue
    from generator.commands.context import context_of

    common = ("--repo", repo.path, "--ledger", ledger_url)
    rows = tmp_path / "answers.csv"
    rows.write_text(
        "document,version,user,answer,at\n"
        "privacy,2.0,u-1,accept,2026-10-04T10:00\n"
        "privacy,2.0,u-1,object,2026-10-03T10:00\n"
    )
    imported = policyctl("answers", "import", *common, "--as-of", "2026-10-05", rows)
    assert imported.code == 0 and "2 answers read, 2 recorded" in imported.out, imported.err

    applies = policyctl(
        "applies", *common, "--user", "u-1", "--document", "privacy", "--as-of", "2026-10-20", "--json"
    )
    assert json.loads(applies.out)["version"] == "2.0"
    assert json.loads(applies.out)["because"]["answer"] == "accept"
    report = policyctl("answers", "report", *common, "--document", "privacy", "--version", "2.0", "--csv")
    assert report.code == 0, report.err
    assert '"u-1","","accept","2026-10-04T10:00:00+08:00"' in report.out
    everyone = policyctl("applies", *common, "--all", "--csv", "--as-of", "2026-10-20")
    assert '"privacy","u-1","2.0"' in everyone.out and '"accept"' in everyone.out

    ctx = context_of(repo.path)
    port = free_port()
    app = create_app(
        catalogue(ctx.repo, ctx.settings),
        ledger_url=ledger_url,
        answer_url=f"http://127.0.0.1:{port}{PATH}",
        secret=SECRET,
        api_key=API_KEY,
        clock=day(10, 5).timestamp,
    )
    with served(app, port) as base, httpx.Client(base_url=base, timeout=30) as client:
        page = client.get(PATH, params={"token": token()})
        assert page.status_code == 200
        assert "You accept version 2.0" in page.text and "You object" not in page.text
        applied = client.get("/api/applies", params={"user": "u-1", "document": "privacy",
                                                     "as_of": "2026-10-20T00:00:00+08:00"}, headers=KEY)  # fmt: skip
        assert applied.json()["version"] == "2.0" and applied.json()["because"]["answer"] == "accept"

    # The same answer as the one before it changes nothing; one between two others does.
    again = tmp_path / "again.csv"
    again.write_text(
        "document,version,user,answer,at\n"
        "privacy,2.0,u-1,accept,2026-10-04T11:00\n"  # after the accept of 10:00: nothing new
        "privacy,2.0,u-1,accept,2026-10-02T10:00\n"  # before the objection: a state of its own
    )
    imported = policyctl("answers", "import", *common, "--as-of", "2026-10-05", again)
    assert "2 answers read, 1 recorded" in imported.out, imported.out + imported.err
    assert (
        "2 answers read, 0 recorded"
        in policyctl("answers", "import", *common, "--as-of", "2026-10-05", rows).out
    )


# -- item 3: no redirect; Host and forwarded headers change nothing -----------------------


def test_a_trailing_slash_is_404_without_a_redirect_whatever_the_host_says(service):
    client = service["client"]
    tricks = {"Host": "evil.example", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"}
    page = client.get(f"{PATH}/", params={"token": token()}, headers=tricks)
    assert page.status_code == 404 and "location" not in page.headers
    assert "evil.example" not in page.text and token() not in page.text
    api = client.post("/api/answers/", json=api_answer(), headers={**KEY, **tricks})
    assert api.status_code == 404 and "location" not in api.headers and api.json()["error"]
    for method, path in (("GET", "/api/applies/"), ("GET", "/api"), ("GET", "/"), ("PUT", PATH)):
        response = client.request(method, path, headers=tricks)
        assert 400 <= response.status_code < 500 and "location" not in response.headers, (method, path)
    # The form answers with the confirmation itself: no redirect carries the token.
    answered = client.post(PATH, data={"token": token(), "answer": "object"}, headers=tricks)
    assert answered.status_code == 200 and "location" not in answered.headers
    assert 'id="confirmation"' in answered.text
    assert count(service["ledger"]) == 1


# -- item 4: malformed input is a 4xx page in the reader's language, never a 5xx -----------


def test_malformed_tokens_bodies_and_instants_are_4xx_never_5xx(service):
    client, ledger = service["client"], service["ledger"]
    chinese = {"Accept-Language": "zh-CN,zh;q=0.9"}
    huge = client.get(PATH, params={"token": token(expires=10**300)}, headers=chinese)
    assert huge.status_code == 400 and '<html lang="zh">' in huge.text and "此链接已损坏" in huge.text
    floating = Signer(SECRET)
    payload = base64.urlsafe_b64encode(b'{"d":"privacy","v":"2.0","u":"u-1","x":1e300}').rstrip(b"=").decode()
    forged_float = f"{payload}.{base64.urlsafe_b64encode(floating._mac(payload)).rstrip(b'=').decode()}"
    assert client.get(PATH, params={"token": forged_float}).status_code == 400
    long_user = client.post(PATH, data={"token": token(user="u" * 201), "answer": "object"}, headers=chinese)
    assert long_user.status_code == 400 and '<html lang="zh">' in long_user.text
    control = client.post(PATH, data={"token": token(user="u\x00-1"), "answer": "object"})
    assert control.status_code == 422 and '<html lang="en">' in control.text

    deep = client.post("/api/answers", content=b"[" * 8000 + b"]" * 8000,
                       headers={**KEY, "Content-Type": "application/json"})  # fmt: skip
    assert deep.status_code == 400
    for at in ("0001-01-01T00:00+14:00", "9999-12-31T23:59:59-12:00", "soon", 20261003, "2026-10-03T12:00"):
        refused = client.post("/api/answers", json=api_answer(at=at), headers=KEY)
        assert refused.status_code == 422, (at, refused.text)
    for user in ("u\x00-9", "u\ud800", "u" * 201):
        body = json.dumps(api_answer(user=user)).encode()  # "\ud800" travels as a JSON escape
        refused = client.post(
            "/api/answers", content=body, headers={**KEY, "Content-Type": "application/json"}
        )
        assert refused.status_code == 422, (user[:5], refused.text)
    for as_of in ("0001-01-01T00:00+14:00", "9999-12-31T23:00:00-12:00", "tomorrow"):
        applies = client.get("/api/applies", params={"user": "u-1", "document": "privacy", "as_of": as_of},
                             headers=KEY)  # fmt: skip
        assert applies.status_code == 422, (as_of, applies.text)
    nul = client.get("/api/applies", params={"user": "u\x00", "document": "privacy"}, headers=KEY)
    assert nul.status_code == 422
    assert count(ledger) == 0


# -- item 5: the signature's base64 is read strictly -------------------------------------


def test_a_token_altered_in_any_character_does_not_count(service):
    client, ledger = service["client"], service["ledger"]
    good = token()
    last = good[-1]
    # The last of 43 characters carries 2 bits of the signature and 4 unused ones: a
    # character with the same 2 bits decodes to the same bytes unless the text is checked.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    sibling = next(c for c in alphabet if c != last and alphabet.index(c) >> 4 == alphabet.index(last) >> 4)
    payload, _, signature = good.partition(".")
    altered = [good + "!!!!", good + "====", good + "%%", good + "=", good[:-1] + sibling,
               f"{payload}=.{signature}", f"{payload}.{signature}A", " " + good]  # fmt: skip
    for bad in altered:
        page = client.get(PATH, params={"token": bad})
        assert page.status_code in (400, 403), (bad[-6:], page.status_code)
        posted = client.post(PATH, data={"token": bad, "answer": "object"})
        assert posted.status_code in (400, 403), (bad[-6:], posted.status_code)
    assert count(ledger) == 0
    assert client.get(PATH, params={"token": good}).status_code == 200


# -- item 6: a cross-site POST is refused -----------------------------------------------


def test_a_post_from_another_site_is_refused_and_the_pages_own_form_and_api_clients_are_not(service):
    client, ledger, base = service["client"], service["ledger"], service["base"]
    form = {"token": token(), "answer": "object"}
    for headers in (
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://evil.example"},
        {"Origin": base.replace("127.0.0.1", "localhost")},
    ):
        refused = client.post(PATH, data=form, headers=headers)
        assert refused.status_code == 403, headers
        assert "another website" in refused.text
        api = client.post("/api/answers", json=api_answer(), headers={**KEY, **headers})
        assert api.status_code == 403, headers
    assert count(ledger) == 0
    assert (
        client.post(PATH, data=form, headers={"Sec-Fetch-Site": "same-origin", "Origin": "null"}).status_code
        == 200
    )
    assert client.post(PATH, data=form, headers={"Origin": base}).status_code == 200
    assert (
        client.post("/api/answers", json=api_answer(), headers=KEY).status_code == 201
    )  # no browser headers
    assert count(ledger) == 2


# -- item 7: nothing is cached ----------------------------------------------------------


def test_every_response_of_the_api_and_the_pages_is_no_store_without_a_referrer(service):
    client = service["client"]
    responses = [
        client.post("/api/answers", json=api_answer(), headers=KEY),  # 201
        client.post("/api/answers", json=api_answer(), headers=KEY),  # 200
        client.post("/api/answers", json=api_answer()),  # 401
        client.post("/api/answers", json=api_answer(version="9.9"), headers=KEY),  # 422
        client.get("/api/applies", params={"user": "u-9", "document": "privacy"}, headers=KEY),  # 200
        client.get("/api/applies", params={"user": "u-9", "document": "terms"}, headers=KEY),  # 404
        client.get("/api/nothing", headers=KEY),  # 404
        client.get(PATH, params={"token": token()}),  # 200
        client.get(PATH, params={"token": "x.y"}),  # 400
        client.get(PATH),  # 200
        client.get("/elsewhere"),  # 404
    ]
    assert [r.status_code for r in responses] == [201, 200, 401, 422, 200, 404, 404, 200, 400, 200, 404]
    for response in responses:
        assert response.headers["cache-control"] == "no-store", response.request.url
        assert response.headers["referrer-policy"] == "no-referrer", response.request.url


# -- item 8: a user without an id is named by a keyed hash -------------------------------


def test_a_user_without_an_id_is_named_by_a_keyed_hash_that_a_guess_cannot_confirm(
    monkeypatch, ledger_url, repo, policyctl
):
    address = "Ann@Example.com"
    unsalted = hashlib.sha256(b"ann@example.com").hexdigest()
    named = user_key("", address)
    assert named.startswith("email-hmac:") and unsalted not in named
    assert named == user_key("", " ann@example.COM ")  # the normalised address
    assert named != UserKeys("another-key-0123456789abcdef")("", address)
    assert user_key("42", address) == "42"
    monkeypatch.setenv("POLICYCTL_ADDRESS_KEY", "a-dedicated-address-key-0123456789")
    assert user_key("", address) != named  # a dedicated key, when set, keys it instead
    monkeypatch.delenv("POLICYCTL_ADDRESS_KEY")
    monkeypatch.delenv("POLICYCTL_ANSWER_SECRET")
    with pytest.raises(NotifyError, match="POLICYCTL_ANSWER_SECRET"):
        user_key("", address)
    assert user_key("42", address) == "42"  # an id needs no key
    with pytest.raises(NotifyError, match="shorter than"):
        UserKeys("short")

    # An answer recorded under the old unsalted id stays readable under that id.
    old = f"email-sha256:{unsalted}"
    with AnswerBook(ledger_url) as book:
        book.record("privacy", "2.0", old, "object", at=day(10, 2), source="page")
    applies = policyctl("applies", "--repo", repo.path, "--ledger", ledger_url, "--user", old,
                        "--document", "privacy", "--as-of", "2026-10-20", "--json")  # fmt: skip
    assert applies.code == 0 and json.loads(applies.out)["version"] == "1.1"


# -- item 9: an answer_url that would shadow the API or match other paths ------------------


@pytest.fixture
def uvicorn_runs(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """`uvicorn.run` in-process records how it was asked to serve instead of serving."""
    runs: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: runs.append(options))
    return runs


@pytest.mark.parametrize(
    "answer_url",
    [
        "https://shop.example/api/answers",
        "https://shop.example/api/applies",
        "https://shop.example/api/answers/mine",
        "https://shop.example/api",
        "https://shop.example/policy/{rest:path}",
        "https://shop.example/policy/answer}",
        "https://shop.example:99999/policy/answer",
    ],
)
def test_an_answer_url_on_the_api_or_with_braces_is_refused_at_start(
    answer_url, repo, policyctl, tmp_path, uvicorn_runs
):
    started = policyctl("answers", "serve", "--repo", repo.path, "--ledger", f"sqlite:///{tmp_path / 'l.db'}",
                        "--answer-url", answer_url)  # fmt: skip
    assert started.code == 2 and "Traceback" not in started.err and not uvicorn_runs
    assert "answer_url" in started.err and any(why in started.err for why in ("API", "{ or }", "port"))
    with pytest.raises(NotifyError):
        create_app(
            CATALOGUE, ledger_url=f"sqlite:///{tmp_path / 'l.db'}", answer_url=answer_url, secret=SECRET
        )


# -- items 3 and 10: `answers serve` itself: --as-of and --forwarded-allow-ips -----------------


@contextmanager
def answers_serve(repo: PolicyRepo, ledger: str, *extra: str) -> Iterator[str]:
    """`policyctl answers serve` in its own process, as an operator runs it; its base URL."""
    port = free_port()
    service = subprocess.Popen(
        [sys.executable, "-c", "from generator.commands import main; raise SystemExit(main())",
         "answers", "serve", "--repo", str(repo.path), "--ledger", ledger, "--listen", f"127.0.0.1:{port}",
         "--answer-url", f"http://127.0.0.1:{port}{PATH}", *extra],
        cwd=ROOT,
        env={**os.environ, "POLICYCTL_ANSWER_SECRET": SECRET, "POLICYCTL_ANSWER_API_KEY": API_KEY},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
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
        yield f"http://127.0.0.1:{port}"
    finally:
        service.terminate()
        service.wait(timeout=30)


def test_answers_serve_stamps_api_answers_without_a_time_at_its_as_of_instant(repo, tmp_path):
    ledger = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    with answers_serve(repo, ledger, "--as-of", "2026-10-03T12:00") as base:
        with httpx.Client(base_url=base, timeout=30, follow_redirects=False) as client:
            recorded = client.post("/api/answers", json=api_answer(), headers=KEY)
            assert recorded.status_code == 201, recorded.text
            at = datetime.fromisoformat(recorded.json()["at"])
            assert timedelta(0) <= at - NOW < timedelta(minutes=2)  # the service's clock, not today's
            slash = client.get(f"{PATH}/", params={"token": token()}, headers={"Host": "evil.example"})
            assert slash.status_code == 404 and "location" not in slash.headers
    with AnswerBook(ledger) as book:
        [answer] = book.of_user("privacy", "u-9")
    assert answer.at == at


def test_answers_serve_honours_forwarded_headers_only_from_the_proxies_named(
    repo, policyctl, tmp_path, uvicorn_runs
):
    common = ("answers", "serve", "--repo", repo.path, "--ledger", f"sqlite:///{tmp_path / 'l.db'}")
    assert policyctl(*common).code == 0
    assert policyctl(*common, "--forwarded-allow-ips", "127.0.0.1, 10.0.0.0/8").code == 0
    assert [(run["proxy_headers"], run["forwarded_allow_ips"]) for run in uvicorn_runs] == [
        (False, None),  # by default X-Forwarded-* is honoured from nobody
        (True, ["127.0.0.1", "10.0.0.0/8"]),
    ]
    for value in ("*", "proxy.example", "10.0.0.0/40"):
        started = policyctl(*common, "--forwarded-allow-ips", value)
        assert started.code == 2 and "is not an IP address or network" in started.err, value
    assert len(uvicorn_runs) == 2


# -- item 11: import checks and records the same rows ------------------------------------


def test_import_records_the_rows_it_checked_even_when_the_file_changes_meanwhile(
    ledger_url, repo, policyctl, tmp_path, monkeypatch
):
    rows = tmp_path / "answers.csv"
    rows.write_text("document,version,user,answer,at\nprivacy,2.0,u-1,object,2026-10-02T10:00\n")
    opened = AnswerBook.__init__

    def open_and_change_the_file(self: AnswerBook, url: str) -> None:
        # Between the check and the writing: the file now holds a row no check would pass.
        rows.write_text("document,version,user,answer,at\nprivacy,1.0,u-1,object,1970-01-02T00:00\n")
        opened(self, url)

    monkeypatch.setattr(AnswerBook, "__init__", open_and_change_the_file)
    imported = policyctl(
        "answers", "import", "--repo", repo.path, "--ledger", ledger_url, "--as-of", "2026-10-05", rows
    )
    assert imported.code == 0 and "1 answers read, 1 recorded" in imported.out, imported.err
    monkeypatch.setattr(AnswerBook, "__init__", opened)
    with AnswerBook(ledger_url) as book:
        [answer] = book.of_user("privacy", "u-1")
    assert (answer.version, answer.answer, answer.at) == ("2.0", "object", day(10, 2, 10))
