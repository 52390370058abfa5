"""The personal answer link in notices (webhook body, email) and the answer page's
languages, in-process against the real application and a SQLite ledger."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from notify_support import make_revision

from notify.answers.app import create_app
from notify.answers.rule import Catalogue, DocumentFacts, VersionFacts
from notify.common.errors import NotifyError
from notify.common.secrets import ANSWER_SECRET_ENV
from notify.common.tokens import Claim, Signer, user_key
from notify.delivery.channels.message import Composer, Sender, Templates
from notify.delivery.channels.webhook import WebhookChannel
from notify.delivery.ledger.ledger import Claimed

SECRET = "notices-test-secret-0123456789"
CST = timezone(timedelta(hours=8))
ANSWER_URL = "https://shop.example/policy/answer"


def claimed(recipient_id: str = "42", email: str = "ann@example.com", locale: str = "zh-CN") -> Claimed:
    return Claimed(1, email, "Ann", locale, email, recipient_id, "<m1@shop.example>")


def token_of(link: str) -> str:
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == ANSWER_URL
    return parse_qs(parts.query)["token"][0]


def test_the_webhook_body_carries_the_recipients_personal_link(monkeypatch):
    monkeypatch.setenv(ANSWER_SECRET_ENV, SECRET)
    revision = make_revision(answer_url=ANSWER_URL, answer_expires=datetime(2027, 1, 14, tzinfo=CST))
    channel = WebhookChannel("http://127.0.0.1:9/hook", None, revision, allow_insecure=False)
    body = json.loads(channel.body(claimed()))
    claim = Signer(SECRET).check(
        token_of(body["answer_url"]), now=datetime(2026, 10, 1, tzinfo=CST).timestamp()
    )
    assert claim == Claim("privacy", "2.0", "42", int(datetime(2027, 1, 14, tzinfo=CST).timestamp()), "zh-CN")
    # Without an id the recipient is named by a hash of the address, never the address.
    anonymous = json.loads(channel.body(claimed(recipient_id="")))["answer_url"]
    assert "ann@example.com" not in anonymous and "ann%40" not in anonymous
    assert Signer(SECRET).check(token_of(anonymous), now=0).user == user_key("", "Ann@Example.com")
    without = WebhookChannel("http://127.0.0.1:9/hook", None, make_revision(), allow_insecure=False)
    assert "answer_url" not in json.loads(without.body(claimed()))


def test_notices_with_an_answer_page_need_the_secret(monkeypatch):
    monkeypatch.delenv(ANSWER_SECRET_ENV, raising=False)
    revision = make_revision(answer_url=ANSWER_URL)
    with pytest.raises(NotifyError, match=ANSWER_SECRET_ENV):
        Composer(revision, Sender.parse("Shop <privacy@shop.example>"), Templates([]))


def test_policyctl_notify_with_answer_url_and_no_secret_stops_before_sending(history, policyctl, monkeypatch):
    monkeypatch.delenv(ANSWER_SECRET_ENV, raising=False)
    (history.path / "users.csv").write_text("email\nann@example.com\n")
    result = policyctl(
        "notify", "--repo", history.path, "--recipients", history.path / "users.csv", "--site-url",
        "https://shop.example/", "--as-of", "2026-10-01", "--answer-url", ANSWER_URL,
    )  # fmt: skip
    assert result.code == 2
    assert ANSWER_SECRET_ENV in result.err and "answer_url" in result.err
    assert not (history.path / ".policy" / "outbox").exists()


@pytest.fixture
def client(tmp_path):
    """The real application in-process (Starlette's TestClient runs its lifespan too)."""
    privacy = DocumentFacts(
        "privacy",
        "Privacy Policy",
        (
            VersionFacts(
                "1.0", datetime(2026, 9, 1, tzinfo=CST), datetime(2026, 9, 1, tzinfo=CST), "Privacy Policy"
            ),
            VersionFacts(
                "2.0",
                datetime(2026, 10, 16, tzinfo=CST),
                datetime(2026, 9, 30, tzinfo=CST),
                "Privacy Policy",
                "We share <b>addresses</b>.",
                (("sharing", "V. Sharing"),),
                "https://shop.example/privacy/versions/2.0/",
                "https://shop.example/privacy/changes/1.0-to-2.0/",
            ),
        ),
        url="https://shop.example/privacy/",
    )
    app = create_app(
        Catalogue((privacy,)),
        ledger_url=f"sqlite:///{tmp_path / 'ledger.sqlite3'}",
        answer_url=ANSWER_URL,
        secret=SECRET,
        clock=lambda: datetime(2026, 10, 3, 12, tzinfo=CST).timestamp(),
    )
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "install httpx2": the client works as it is
        from starlette.testclient import TestClient
    with TestClient(app) as test_client:
        yield test_client


def test_the_answer_page_speaks_the_recipients_language_and_escapes_the_summary(client):
    signer = Signer(SECRET)
    zh = signer.sign(Claim("privacy", "2.0", "42", 2_000_000_000, "zh-CN"))
    page = client.get("/policy/answer", params={"token": zh})
    assert page.status_code == 200
    assert "我反对：保留 1.0 版本" in page.text
    assert "We share &lt;b&gt;addresses&lt;/b&gt;." in page.text
    en = signer.sign(Claim("privacy", "2.0", "43", 2_000_000_000))
    assert "I object: keep version 1.0" in client.get("/policy/answer", params={"token": en}).text
    chinese_browser = client.get("/policy/answer", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert chinese_browser.status_code == 200 and "个人链接" in chinese_browser.text
    objected = client.post("/policy/answer", data={"token": zh, "answer": "object"}, follow_redirects=True)
    assert "自 <strong>2026年10月16日 00:00 (UTC+08:00)</strong> 起" in objected.text
    assert "<strong>1.0</strong> 版本适用于您的个人信息" in objected.text
    assert objected.headers["x-frame-options"] == "DENY"


def test_answers_serve_needs_an_answer_url_and_the_secret(history, policyctl, monkeypatch):
    monkeypatch.delenv(ANSWER_SECRET_ENV, raising=False)
    common = ("answers", "serve", "--repo", history.path, "--listen", "127.0.0.1:9")
    no_page = policyctl(*common)
    assert no_page.code == 2 and "answer_url is not set" in no_page.err
    no_secret = policyctl(*common, "--answer-url", ANSWER_URL)
    assert no_secret.code == 2 and f"{ANSWER_SECRET_ENV} is not set" in no_secret.err
    monkeypatch.setenv(ANSWER_SECRET_ENV, SECRET)
    bad_url = policyctl(*common, "--answer-url", "shop.example/answer")
    assert bad_url.code == 2 and "absolute http(s) URL" in bad_url.err
