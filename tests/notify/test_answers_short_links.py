"""Issue 25, item 4: the short personal link of a text message, ``<answer_url path>/<code>``.

The answer service runs under uvicorn on loopback as in test_answers_hostile.py (the same
history: Privacy Policy 1.0, 1.1 in force from 11 September 2026, 2.0 from 16 October;
its clock at 3 October 2026, 12:00 in Shanghai), on SQLite and PostgreSQL, behind a
proxy on loopback whose X-Forwarded-For names the client. The codes are saved as a
campaign saves them (`AnswerLinks.short`, `save_codes` on the ledger opened for
writing) and opened over HTTP with httpx, as a phone's browser opens them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from test_answers_hostile import API_KEY, CATALOGUE, FAR, KEY, NOW, PATH, SECRET, count, served
from tests_support import CORE_RIGHTS_REVISION, PolicyRepo, free_port, policy_file

from notify.answers.app import create_app
from notify.answers.guesses import Guesses, client_key
from notify.common.database import Database
from notify.common.schema import answers, short_links
from notify.common.shortlinks import CODE_LENGTH, code_for, is_code, save_codes, short_url, token_of
from notify.common.tokens import AnswerLinks, Claim, Signer, UserKeys

ANN = {"X-Forwarded-For": "203.0.113.7"}  # the phone of the user who opens her link
GUESSER = {"X-Forwarded-For": "198.51.100.66"}
OTHER = {"X-Forwarded-For": "192.0.2.10"}
CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9"}
BASE62 = re.compile(r"[0-9A-Za-z]+")


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    return request.getfixturevalue("fresh_postgres")


@pytest.fixture(autouse=True)
def answer_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICYCTL_ANSWER_SECRET", SECRET)
    monkeypatch.delenv("POLICYCTL_ADDRESS_KEY", raising=False)


class Clock:
    """The guess limiter's clock, moved by the test (the service's own clock stays at NOW)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@contextmanager
def start(ledger_url: str, clock: Clock, path: str = PATH) -> Iterator[dict[str, Any]]:
    """The application of `CATALOGUE` with its page at ``path`` on a real server, its clock
    at `NOW` (the guess limiter's: ``clock``); the personal links of its notices
    (`AnswerLinks`), an HTTP client."""
    port = free_port()
    answer_url = f"http://127.0.0.1:{port}{path}"
    app = create_app(
        CATALOGUE,
        ledger_url=ledger_url,
        answer_url=answer_url,
        secret=SECRET,
        api_key=API_KEY,
        clock=NOW.timestamp,
        guesses=Guesses(clock=clock),
    )
    links = AnswerLinks(
        Signer(SECRET),
        answer_url,
        "privacy",
        "2.0",
        datetime.fromtimestamp(FAR, NOW.tzinfo),
        UserKeys(SECRET),
    )
    with served(app, port) as base, httpx.Client(base_url=base, timeout=30, follow_redirects=False) as client:
        yield {"base": base, "client": client, "ledger": ledger_url, "links": links, "url": answer_url}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(ledger_url: str, clock: Clock) -> Iterator[dict[str, Any]]:
    """`start` at PATH."""
    with start(ledger_url, clock) as running:
        yield running


def save(ledger: str, *tokens: str) -> list[str]:
    """Save the codes of ``tokens`` as a campaign does (the ledger opened for writing)."""
    rows = [(code_for(SECRET, t), t, "privacy", "2.0") for t in tokens]
    database = Database(ledger)
    try:
        assert save_codes(database.engine, rows) == []
    finally:
        database.close()
    return [code for code, *_ in rows]


def answer_rows(ledger: str) -> list[tuple[str, ...]]:
    """(document, version, user, answer, source) of every answer recorded."""
    database = Database(ledger)
    try:
        with database.engine.connect() as conn:
            c = answers.c
            query = sa.select(c.document, c.version, c.user_key, c.answer, c.source).order_by(c.id)
            return [tuple(row) for row in conn.execute(query)]
    finally:
        database.close()


def write_history(repo: PolicyRepo) -> None:
    """The history of `CATALOGUE` in git (1.0, 1.1, 2.0), as test_answers_hostile's `repo`."""
    repo.write(
        "mkdocs.yml",
        "site_name: Shop\nsite_url: https://shop.example/legal/\nplugins:\n  - policy:\n"
        "      answer_url: http://127.0.0.1:9/policy/answer\n",
    )
    repo.publish("policy/privacy.md", policy_file(published="2026-08-25"), "2026-08-25T10:00:00+08:00", "1.0")
    text = policy_file(version="1.1", published="2026-09-01", summary="A new contact address.")
    repo.publish("policy/privacy.md", text.replace("privacy@example.com", "dpo@example.com"),
                 "2026-09-01T10:00:00+08:00", "1.1")  # fmt: skip
    text = policy_file(CORE_RIGHTS_REVISION, version="2.0", published="2026-09-30", summary="Phones.")
    repo.publish("policy/privacy.md", text.replace("privacy@example.com", "dpo@example.com"),
                 "2026-09-30T10:00:00+08:00", "2.0")  # fmt: skip


def short_path(url: str) -> str:
    return httpx.URL(url).path


def signed(user: str = "u-1", expires: int = FAR, locale: str = "") -> str:
    return Signer(SECRET).sign(Claim("privacy", "2.0", user, expires, locale))


# -- the page ---------------------------------------------------------------------------


def test_a_short_link_opens_exactly_the_page_of_its_token_in_the_recipients_language(service):
    client, links = service["client"], service["links"]
    url, code, token = links.short("u-1", "ann@example.com", "zh-CN")
    assert len(url) < 60 and url == f"{service['url']}/{code}"
    save(service["ledger"], token)

    short = client.get(short_path(url), headers={**ANN, "Accept-Language": "en"})
    full = client.get(PATH, params={"token": token}, headers={**ANN, "Accept-Language": "en"})
    assert short.status_code == full.status_code == 200
    assert '<html lang="zh-CN">' in short.text and "您是否同意？" in short.text  # the token's locale
    # The same page, word for word; its form posts back to the short link it was opened at.
    action = f'<form method="post" action="{PATH}/{code}">'
    assert action in short.text
    assert short.text.replace(action, f'<form method="post" action="{PATH}">') == full.text
    assert f'name="token" value="{token}"' in short.text
    assert 'name="document" value="privacy"' in short.text and 'name="version" value="2.0"' in short.text
    for name in ("cache-control", "referrer-policy", "content-security-policy", "x-frame-options"):
        assert short.headers[name] == full.headers[name]
    assert short.headers["cache-control"] == "no-store"
    assert short.headers["referrer-policy"] == "no-referrer"

    # A recipient without a locale gets the page of the browser's language, as by the token.
    _, english_code, english_token = links.short("u-2", "bob@example.com")
    save(service["ledger"], english_token)
    page = client.get(f"{PATH}/{english_code}", headers={**ANN, **CHINESE})
    assert page.status_code == 200 and '<html lang="zh">' in page.text
    assert page.text.count(english_token) == 1


def test_an_objection_through_the_short_links_page_is_recorded_like_one_through_the_token(
    service, tmp_path, policyctl
):
    client, ledger, base = service["client"], service["ledger"], service["base"]
    url, code, token = service["links"].short("u-1", "ann@example.com")
    other = signed("u-2")
    save(ledger, token, other)
    page = client.get(short_path(url), headers=ANN)
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page.text))
    assert fields == {"token": token, "document": "privacy", "version": "2.0"}

    # The page's form posts to the short link, from the page itself (a browser says so).
    browser = {**ANN, "Origin": base, "Sec-Fetch-Site": "same-origin"}
    answered = client.post(short_path(url), data={**fields, "answer": "object"}, headers=browser)
    assert answered.status_code == 200, answered.text
    assert "Thank you: your answer is recorded" in answered.text
    assert "You object to version 2.0" in answered.text and "<strong>1.1</strong>" in answered.text
    assert count(ledger) == 1
    # The same answer through the token's page is the same answer: nothing new.
    again = client.post(PATH, data={**fields, "answer": "object"}, headers=browser)
    assert again.status_code == 200 and count(ledger) == 1
    assert answer_rows(ledger) == [("privacy", "2.0", "u-1", "object", "page")]

    # The short link's form takes its own token only; another site's post is refused.
    foreign = client.post(short_path(url), data={"token": other, "answer": "accept"}, headers=browser)
    assert foreign.status_code == 404 and "not published here" in foreign.text
    missing = client.post(short_path(url), data={"answer": "accept"}, headers=browser)
    assert missing.status_code == 400
    cross = client.post(short_path(url), data={**fields, "answer": "accept"},
                        headers={**ANN, "Origin": "https://evil.example"})  # fmt: skip
    assert cross.status_code == 403 and "another website" in cross.text
    assert count(ledger) == 1

    history = PolicyRepo.create(tmp_path / "repo")
    write_history(history)
    applies = policyctl(
        "applies", "--repo", history.path, "--ledger", ledger, "--user", "u-1", "--document", "privacy",
        "--as-of", "2026-10-20", "--json",
    )  # fmt: skip
    assert applies.code == 0, applies.err
    governing = json.loads(applies.out)
    assert governing["version"] == "1.1"
    assert governing["because"]["answer"] == "object" and governing["because"]["version"] == "2.0"
    api = client.get("/api/applies", params={"user": "u-1", "document": "privacy",
                                              "as_of": "2026-10-20T00:00:00+08:00"}, headers=KEY)  # fmt: skip
    assert api.json()["version"] == "1.1"


def test_a_code_whose_link_has_expired_shows_the_expired_page_and_takes_no_answer(service):
    client, ledger = service["client"], service["ledger"]
    expired = signed(expires=int(NOW.timestamp()) - 60, locale="zh-CN")
    (code,) = save(ledger, expired)
    page = client.get(f"{PATH}/{code}", headers={**ANN, **CHINESE})
    by_token = client.get(PATH, params={"token": expired}, headers={**ANN, **CHINESE})
    assert page.status_code == by_token.status_code == 410
    assert page.text == by_token.text
    assert "此链接已过期" in page.text and expired not in page.text
    english = client.get(f"{PATH}/{code}", headers=ANN)
    assert english.status_code == 410 and "This link has expired" in english.text
    posted = client.post(f"{PATH}/{code}", data={"token": expired, "answer": "object"}, headers=ANN)
    assert posted.status_code == 410 and count(ledger) == 0


def test_an_unknown_or_malformed_code_is_a_404_page_in_the_readers_language(service):
    client, ledger = service["client"], service["ledger"]
    (code,) = save(ledger, signed())
    unknown = code_for(SECRET, signed("u-404"))  # well formed, never saved
    page = client.get(f"{PATH}/{unknown}", headers=ANN)
    assert page.status_code == 404 and "There is no page at this address" in page.text
    assert page.headers["cache-control"] == "no-store" and page.headers["referrer-policy"] == "no-referrer"
    chinese = client.get(f"{PATH}/{unknown}", headers={**ANN, **CHINESE})
    assert (
        chinese.status_code == 404 and '<html lang="zh">' in chinese.text and "此地址没有页面" in chinese.text
    )
    for path in (
        f"{PATH}/{code}/",  # a trailing slash
        f"{PATH}/{code[:-1]}",  # one character short
        f"{PATH}/{code}A",  # one too many
        f"{PATH}/{code[:-1]}-",  # not base 62
        f"{PATH}/{code.lower() if code != code.lower() else code.upper()}",  # codes are case-sensitive
        f"{PATH}/favicon.ico",
    ):
        refused = client.get(path, headers=ANN)
        assert refused.status_code == 404 and "There is no page at this address" in refused.text, path
        assert "location" not in refused.headers
    posted = client.post(f"{PATH}/{unknown}", data={"token": signed(), "answer": "object"}, headers=ANN)
    assert posted.status_code == 404 and count(ledger) == 0
    assert client.get(f"{PATH}/{code}", headers=ANN).status_code == 200


def test_a_client_that_tries_too_many_unknown_codes_is_refused_while_others_answer(service, clock):
    client, ledger = service["client"], service["ledger"]
    known = signed()
    (code,) = save(ledger, known)
    guesses = [code_for(SECRET, signed(f"u-guess-{n}")) for n in range(25)]
    statuses = []
    for guess in guesses[:20]:  # one a second, from 1000 to 1019 on the limiter's clock
        statuses.append(client.get(f"{PATH}/{guess}", headers={**GUESSER, **CHINESE}).status_code)
        clock.now += 1
    assert statuses == [404] * 20
    refused = client.get(f"{PATH}/{guesses[20]}", headers={**GUESSER, **CHINESE})
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "580"  # at 1600 the miss of 1000 leaves the window
    assert '<html lang="zh">' in refused.text and "不存在的链接" in refused.text
    assert (
        refused.headers["cache-control"] == "no-store" and refused.headers["referrer-policy"] == "no-referrer"
    )
    english = client.get(f"{PATH}/{guesses[21]}", headers=GUESSER)
    assert english.status_code == 429 and "Too many links that do not exist" in english.text
    # Every short link is refused to that client, its own among them, and its posts.
    assert client.get(f"{PATH}/{code}", headers=GUESSER).status_code == 429
    post = client.post(f"{PATH}/{code}", data={"token": known, "answer": "object"}, headers=GUESSER)
    assert post.status_code == 429 and count(ledger) == 0
    # Another client is not: the known code opens, again and again (it is not a guess).
    for _ in range(25):
        assert client.get(f"{PATH}/{code}", headers=OTHER).status_code == 200
    answered = client.post(f"{PATH}/{code}", data={"token": known, "answer": "object"}, headers=OTHER)
    assert answered.status_code == 200 and count(ledger) == 1
    # The token page is no short link: the guesser still reaches it.
    assert client.get(PATH, params={"token": known}, headers=GUESSER).status_code == 200

    # Ten minutes after its first miss the window frees, one miss at a time.
    clock.now = 1599.5
    assert client.get(f"{PATH}/{code}", headers=GUESSER).status_code == 429
    clock.now = 1600
    assert client.get(f"{PATH}/{code}", headers=GUESSER).status_code == 200
    assert client.get(f"{PATH}/{guesses[22]}", headers=GUESSER).status_code == 404
    assert client.get(f"{PATH}/{guesses[23]}", headers=GUESSER).status_code == 429


def test_a_page_at_the_root_has_its_short_links_at_the_root(ledger_url, clock):
    with start(ledger_url, clock, path="/") as service:
        client, links = service["client"], service["links"]
        url, code, token = links.short("u-1", "ann@example.com")
        assert url == f"{service['base']}/{code}"
        save(service["ledger"], token)
        assert client.get(f"/{code}", headers=ANN).status_code == 200
        posted = client.post(f"/{code}", data={"token": token, "answer": "accept"}, headers=ANN)
        assert posted.status_code == 200 and "You accept version 2.0" in posted.text
        # Paths that are no code are any unknown path, and do not count as guesses.
        for _ in range(25):
            assert client.get("/favicon.ico", headers=ANN).status_code == 404
        assert client.get("/api/nothing", headers=KEY).json()["error"]
        assert client.get("/api", headers=ANN).status_code == 404
        assert client.get(f"/{code}", headers=ANN).status_code == 200
        assert client.get("/", params={"token": token}, headers=ANN).status_code == 200


# -- the codes, their URLs and their rows ------------------------------------------------


def test_a_code_is_ten_base62_characters_fixed_by_the_secret_and_the_token():
    token = signed()
    code = code_for(SECRET, token)
    assert len(code) == CODE_LENGTH == 10 and BASE62.fullmatch(code) and is_code(code)
    assert code_for(SECRET, token) == code  # a campaign run again makes the same code
    assert code_for(SECRET, signed("u-2")) != code
    assert code_for(SECRET, signed(locale="fr")) != code
    assert code_for("another-shops-secret-0123456789", token) != code
    codes = {code_for(SECRET, signed(f"u-{n}")) for n in range(2000)}
    assert len(codes) == 2000 and all(is_code(c) for c in codes)
    # Every place takes every character (the first all but the last: 2²⁵⁶ < 62⁴³).
    assert [len({c[place] for c in codes}) for place in range(1, CODE_LENGTH)] == [62] * 9
    assert len({c[0] for c in codes}) >= 55 and "z" not in {c[0] for c in codes}
    for bad in ("", "short", code + "0", code[:-1] + "-", code[:-1] + "é", " " + code[1:]):
        assert not is_code(bad), bad


def test_answer_links_make_the_short_link_of_the_same_token_as_the_long_one():
    links = AnswerLinks(Signer(SECRET), "https://shop.example/policy/answer?from=sms#top", "privacy", "2.0",
                        datetime.fromtimestamp(FAR, NOW.tzinfo), UserKeys(SECRET))  # fmt: skip
    url, code, token = links.short("", "Ann@Example.com", "zh-CN")
    assert links.token("", "Ann@Example.com", "zh-CN") == token
    assert links.link("", "Ann@Example.com", "zh-CN").endswith(f"token={token}")
    assert code == code_for(SECRET, token) and url == f"https://shop.example/policy/answer/{code}"
    claim = Signer(SECRET).check(token, NOW.timestamp())
    assert (claim.document, claim.version, claim.locale, claim.expires) == ("privacy", "2.0", "zh-CN", FAR)
    assert claim.user.startswith("email-hmac:") and "ann" not in url.lower()
    assert SECRET not in repr(links) and SECRET not in repr(links.signer)


def test_short_url_drops_the_query_and_a_trailing_slash():
    code = "Ab3dE5fG7h"
    assert short_url("https://a.example/answer", code) == "https://a.example/answer/Ab3dE5fG7h"
    assert short_url("https://a.example/answer/", code) == "https://a.example/answer/Ab3dE5fG7h"
    assert short_url("https://a.example/", code) == "https://a.example/Ab3dE5fG7h"
    assert short_url("https://a.example", code) == "https://a.example/Ab3dE5fG7h"
    assert (
        short_url("https://a.example:8443/p/answer?x=1#y", code)
        == "https://a.example:8443/p/answer/Ab3dE5fG7h"
    )
    with pytest.raises(ValueError):
        short_url("https://a.example/answer", "../admin")


def test_saved_codes_are_kept_once_and_a_code_held_by_another_token_is_reported(ledger_url):
    token, other = signed(), signed("u-2")
    code = code_for(SECRET, token)
    database = Database(ledger_url)
    try:
        engine = database.engine
        assert token_of(engine, code) is None
        assert save_codes(engine, [(code, token, "privacy", "2.0")]) == []
        assert save_codes(engine, [(code, token, "privacy", "2.0")]) == []  # a campaign run again
        assert save_codes(engine, []) == []
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(short_links.c.code, short_links.c.document, short_links.c.version)
            ).all()
            assert [tuple(r) for r in rows] == [(code, "privacy", "2.0")]
            assert token_of(conn, code) == token  # on a connection too
        # Two tokens with one code (a collision): the first keeps it, the caller is told.
        assert save_codes(engine, [(code, other, "privacy", "2.0")]) == [code]
        assert token_of(engine, code) == token
        assert token_of(engine, "not a code") is None
    finally:
        database.close()


def test_a_database_without_the_table_of_codes_knows_no_code(ledger_url):
    engine = sa.create_engine(ledger_url)  # a database no campaign has written to
    try:
        assert token_of(engine, code_for(SECRET, signed())) is None
        with engine.connect() as conn, conn.begin():
            assert token_of(conn, code_for(SECRET, signed())) is None
            assert conn.execute(sa.text("SELECT 1")).scalar_one() == 1  # the caller's transaction goes on
    finally:
        engine.dispose()


# -- the limiter's own bounds -------------------------------------------------------------


def test_the_guess_limiter_forgets_the_quietest_clients_beyond_its_bound_and_counts_ipv6_by_64(clock):
    guesses = Guesses(limit=3, window=60, clients=100, clock=clock)
    for n in range(250):
        assert guesses.attempt(f"10.0.{n // 250}.{n % 250}") == 0
    assert len(guesses) == 100
    for _ in range(3):
        assert guesses.attempt("2001:db8:1:2::1") == 0
    assert guesses.attempt("2001:db8:1:2:ffff::9") == 60  # the same /64
    assert guesses.attempt("2001:db8:1:3::1") == 0  # another
    assert client_key("::ffff:192.0.2.1") == "192.0.2.1" == client_key("192.0.2.1")
    guesses.found("2001:db8:1:2::1")  # a known code: its try is taken back
    assert guesses.attempt("2001:db8:1:2::7") == 0
    clock.now += 30
    assert guesses.attempt("2001:db8:1:2::7") == 30
