"""Whole campaigns of text messages through Twilio and Alibaba Cloud (issue 25).

`policyctl notify --sms twilio://ACCOUNT_SID@127.0.0.1:PORT?from=%2B15005550006` and
`--sms aliyun://ACCESS_KEY_ID@127.0.0.1:PORT?sign_name=…&template_code=SMS_…`, in-process
(`notify` of notify_support.py, as test_notify_sms.py runs the generic gateway) and as a
real `policyctl notify` subprocess, against the loopback providers of
sms_providers_support.py, which check every request as Twilio and Alibaba Cloud do
(credentials, path, form, signature, nonce, timestamp, approved signature and template)
and answer as each test says. The secrets come from the environment, as an operator
exports them. The tests read what an operator or user would notice: the requests that
reached the provider, the JSON ending, the ledger, the evidence of `--report`.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from notify_support import CST, ledger_rows, make_revision, notify, notify_process, sqlite_url
from sms_providers_support import (
    ACCESS_KEY_ID,
    SECRET,
    SID,
    SIGN_NAME,
    TEMPLATE_CODE,
    TEST_FROM,
    TOKEN,
    TWILIO_PATH,
    Gateway,
    Respond,
    Seen,
    aliyun_accepted,
    aliyun_biz_id,
    aliyun_checked,
    aliyun_error,
    serve,
    twilio_authorized,
    twilio_checked,
    twilio_error,
    twilio_queued,
    twilio_sid,
)

from notify.common.database import Database
from notify.common.dates import format_day
from notify.common.secrets import ANSWER_SECRET_ENV, SMS_SECRET_ENV, SMS_TOKEN_ENV
from notify.common.shortlinks import token_of
from notify.common.tokens import AnswerLinks
from notify.contract.revision import Revision
from notify.delivery.channels.sms.segments import length

CN = "13800138000"  # Bo, zh-CN: +8613800138000
CN_2 = "13912345678"  # Eve, en: +8613912345678
UK = "+44 7911 123456"  # Cy, who has an address too
BO, EVE, CY = "+8613800138000", "+8613912345678", "+447911123456"
ANSWER_SECRET = "answer-secret-for-the-short-links-0123"
ANSWER_URL = "https://shop.example/answer"
BASE62_CODE = re.compile(r"[0-9A-Za-z]{10}")
SHOWN = (CN, CN_2, "8613800138000", "8613912345678", "7911123456")  # never printed


@pytest.fixture
def provider() -> Iterator[Gateway]:
    with serve() as server:
        yield server


@pytest.fixture(autouse=True)
def no_provider_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test exports the secrets it means: none from the machine's environment."""
    for name in (SMS_TOKEN_ENV, SMS_SECRET_ENV, ANSWER_SECRET_ENV, "POLICYCTL_ADDRESS_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def twilio(provider: Gateway, monkeypatch: pytest.MonkeyPatch) -> Gateway:
    """Twilio that queues every text it takes; the account's Auth Token exported."""
    monkeypatch.setenv(SMS_TOKEN_ENV, TOKEN)
    provider.answer = twilio_checked(twilio_queued)
    return provider


@pytest.fixture
def aliyun(provider: Gateway, monkeypatch: pytest.MonkeyPatch) -> Gateway:
    """Alibaba Cloud that takes every text (its clock is this machine's: a Timestamp
    more than 15 minutes off is refused); the AccessKey secret exported."""
    monkeypatch.setenv(SMS_SECRET_ENV, SECRET)
    provider.answer = aliyun_checked(aliyun_accepted, max_skew=900)
    return provider


def twilio_url(server: Gateway) -> str:
    return f"twilio://{SID}@{server.netloc}?from=%2B15005550006"


def aliyun_url(server: Gateway, extra: str = "") -> str:
    return (
        f"aliyun://{ACCESS_KEY_ID}@{server.netloc}?sign_name={quote(SIGN_NAME)}"
        f"&template_code={TEMPLATE_CODE}{extra}"
    )


def users(path: Path) -> Path:
    path.write_text(
        "id,email,phone,name,locale\n"
        "1,ann@users.example,,Ann,en\n"  # an address only
        f"2,,{CN},Bo,zh-CN\n"  # a phone only, in Chinese
        f"3,cy@users.example,{UK},Cy,en\n"  # both: an email
        "4,,12ab-not-a-number,Di,en\n"  # neither usable
        f"5,,{CN_2},Eve,en\n",  # a phone only, in English
        encoding="utf-8",
    )
    return path


def campaign(repo: Path, revision: Revision, sms: str, capsys, *extra: str) -> tuple[int, dict, str]:
    """The campaign to the users of `users` with ``--sms sms --json``: the exit status,
    the JSON ending, what the console said. No number is ever printed."""
    result = notify(
        repo,
        [revision],
        "--recipients",
        str(users(repo / "users.csv")),
        "--sms",
        sms,
        "--json",
        *extra,
        capsys=capsys,
        region="CN",
    )
    for text in (result.out, result.stdout):
        for number in SHOWN:
            assert number not in text
    return result.code, json.loads(result.stdout), result.out


def sms_rows(repo: Path) -> dict[str, dict]:
    """The ledger's rows of texts, by user id."""
    return {r["recipient_id"]: r for r in ledger_rows(sqlite_url(repo)) if r["channel"] == "sms"}


def texts_campaign(report: dict) -> dict:
    [text] = [c for c in report["campaigns"] if c["channel"] == "sms"]
    return text


def twilio_texts(server: Gateway) -> list[dict[str, str]]:
    """Every form Twilio took, each checked as sent to the account's Messages resource."""
    forms = []
    for seen in server.requests():
        assert (seen.method, seen.path) == ("POST", TWILIO_PATH)
        forms.append(seen.form())
    return forms


def aliyun_texts(server: Gateway) -> list[dict[str, str]]:
    forms = []
    for seen in server.requests():
        assert (seen.method, seen.path) == ("POST", "/")
        forms.append(seen.form())
    return forms


def per_number(forms: list[dict[str, str]], field: str) -> Counter[str]:
    return Counter(form[field] for form in forms)


def by_number(field: str, answers: dict[str, Respond], otherwise: Respond) -> Respond:
    """The answer of the number in the form's ``field``, else ``otherwise``."""
    return lambda seen: answers.get(seen.form()[field], otherwise)(seen)


# --- Twilio -------------------------------------------------------------------------


def test_twilio_texts_each_phone_only_user_once_in_one_segment(tmp_path, revision, twilio, capsys) -> None:
    code, report, _ = campaign(tmp_path, revision, twilio_url(twilio), capsys)
    assert code == 1  # Di has nothing usable
    email, text = report["campaigns"]
    assert (email["channel"], email["sent"]) == ("email", 2)
    assert (text["channel"], text["sent"], text["failed"]) == ("sms", 2, 0)
    assert text["destination"] == f"SMS via Twilio at {twilio.netloc}"
    assert [p["ref"] for p in text["skipped_records"]] == ["users.csv line 5 (id 4)"]

    forms = twilio_texts(twilio)
    assert per_number(forms, "To") == {BO: 1, EVE: 1}  # not Cy: Cy has an address
    for form in forms:
        assert set(form) == {"To", "From", "Body"} and form["From"] == TEST_FROM
        assert length(form["Body"]).fits, form["Body"]
        assert revision.changes_url in form["Body"] and "2.0" in form["Body"]
    eve = next(f["Body"] for f in forms if f["To"] == EVE)
    assert eve == (
        "shop.example: we are changing our Privacy Policy. Version 2.0 applies from 16 Oct 2026. "
        f"What changed: {revision.changes_url}"
    )

    rows = sms_rows(tmp_path)
    assert set(rows) == {"2", "5"}
    for user, number in (("2", BO), ("5", EVE)):
        assert rows[user]["status"] == "sent" and rows[user]["attempts"] == 1
        assert rows[user]["provider_id"] == twilio_sid(number)

    evidence = notify(tmp_path, [revision], "--report", capsys=capsys)
    assert evidence.code == 0
    records = [json.loads(line) for line in evidence.stdout.splitlines()]
    shown = {r["recipient_id"]: r for r in records if r["channel"] == "sms"}
    assert set(shown) == {"2", "5"}
    assert (shown["2"]["phone"], shown["2"]["email"], shown["2"]["status"]) == ("+*********8000", "", "sent")
    assert shown["2"]["provider_id"] == twilio_sid(BO)
    assert (shown["5"]["phone"], shown["5"]["provider_id"]) == ("+*********5678", twilio_sid(EVE))
    for number in SHOWN:
        assert number not in evidence.stdout

    code, again, _ = campaign(tmp_path, revision, twilio_url(twilio), capsys)
    assert code == 1 and [c["sent"] for c in again["campaigns"]] == [0, 0]
    assert per_number(twilio_texts(twilio), "To") == {BO: 1, EVE: 1}  # nothing more


def test_twilio_throttling_is_retried_and_the_text_sent(tmp_path, revision, twilio, capsys) -> None:
    first = {BO: True}

    def throttled_once(seen: Seen) -> tuple[int, object]:
        if first.pop(seen.form()["To"], False):
            return 429, twilio_error(20429, "Too Many Requests", 429)
        return twilio_queued(seen)

    twilio.answer = twilio_checked(throttled_once)
    code, report, _ = campaign(tmp_path, revision, twilio_url(twilio), capsys, "--retry-base", "0.01")
    text = texts_campaign(report)
    assert code == 1 and (text["sent"], text["failed"], text["deferred"]) == (2, 0, 0)
    assert per_number(twilio_texts(twilio), "To") == {BO: 2, EVE: 1}
    rows = sms_rows(tmp_path)
    assert (rows["2"]["status"], rows["2"]["attempts"], rows["2"]["provider_id"]) == (
        "sent",
        2,
        twilio_sid(BO),
    )


def test_twilio_invalid_number_fails_that_text_alone(tmp_path, revision, twilio, capsys) -> None:
    def invalid(seen: Seen) -> tuple[int, object]:
        return 400, twilio_error(21211, f"The 'To' number {seen.form()['To']} is not a valid phone number.")

    twilio.answer = twilio_checked(by_number("To", {EVE: invalid}, twilio_queued))
    code, report, _ = campaign(tmp_path, revision, twilio_url(twilio), capsys)
    text = texts_campaign(report)
    assert code == 1 and (text["sent"], text["failed"]) == (1, 1)
    rows = sms_rows(tmp_path)
    assert rows["2"]["status"] == "sent"
    assert rows["5"]["status"] == "failed" and rows["5"]["attempts"] == 1 and not rows["5"]["provider_id"]
    reply = rows["5"]["last_reply"]
    assert (
        reply.startswith("HTTP 400 Bad Request: Twilio error 21211") and "not a valid phone number" in reply
    )
    assert CN_2 not in reply and "8613912345678" not in reply
    # A rerun leaves the failed text alone.
    campaign(tmp_path, revision, twilio_url(twilio), capsys)
    assert per_number(twilio_texts(twilio), "To") == {BO: 1, EVE: 1}


def test_twilio_refused_token_stops_with_every_text_pending_until_fixed(
    tmp_path, revision, twilio, capsys, monkeypatch
) -> None:
    monkeypatch.setenv(SMS_TOKEN_ENV, "0" * 32)  # not the account's Auth Token
    code, report, out = campaign(tmp_path, revision, twilio_url(twilio), capsys)
    assert code == 2 and report["exit"] == 2
    assert report["setting"] == SMS_TOKEN_ENV
    assert "20003" in report["error"] and SMS_TOKEN_ENV in report["error"]
    assert "0" * 32 not in report["error"] and "0" * 32 not in out
    rows = sms_rows(tmp_path)
    assert set(rows) == {"2", "5"} and {r["status"] for r in rows.values()} == {"pending"}
    assert all(r["provider_id"] in (None, "") for r in rows.values())
    refused = twilio.requests()
    assert refused and not any(twilio_authorized(seen) for seen in refused)  # Twilio was asked, and said no

    monkeypatch.setenv(SMS_TOKEN_ENV, TOKEN)  # the operator exports the right token
    code, again, _ = campaign(tmp_path, revision, twilio_url(twilio), capsys)
    assert code == 1 and texts_campaign(again)["sent"] == 2
    rows = sms_rows(tmp_path)
    assert {u: (r["status"], r["provider_id"]) for u, r in rows.items()} == {
        "2": ("sent", twilio_sid(BO)),
        "5": ("sent", twilio_sid(EVE)),
    }
    accepted = [seen.form()["To"] for seen in twilio.requests() if twilio_authorized(seen)]
    assert Counter(accepted) == {BO: 1, EVE: 1}


def test_twilio_without_its_token_exits_2_naming_the_variable(tmp_path, revision, provider, capsys) -> None:
    provider.answer = twilio_checked(twilio_queued)
    code, report, out = campaign(tmp_path, revision, twilio_url(provider), capsys)
    assert code == 2 and report["exit"] == 2
    assert SMS_TOKEN_ENV in report["error"] and SMS_TOKEN_ENV in out
    assert provider.requests() == []
    assert ledger_rows(sqlite_url(tmp_path)) == []  # nothing sent, by any channel


@pytest.mark.parametrize(
    "url",
    [f"twillio://{SID}@127.0.0.1:9?from=%2B15005550006", "sms://127.0.0.1:9/send", "127.0.0.1:9"],
    ids=["misspelt", "unknown", "no-scheme"],
)
def test_an_unknown_sms_scheme_exits_2_saying_what_to_write(tmp_path, revision, capsys, url) -> None:
    code, report, out = campaign(tmp_path, revision, url, capsys)
    assert code == 2 and report["exit"] == 2
    assert "--sms" in report["error"] and "twilio://ACCOUNT_SID@api.twilio.com" in report["error"]
    assert "aliyun://ACCESS_KEY_ID@dysmsapi.aliyuncs.com" in out
    assert ledger_rows(sqlite_url(tmp_path)) == []


# --- Alibaba Cloud ------------------------------------------------------------------


def template_params(forms: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    """TemplateParam of each text, by PhoneNumbers (each an object of strings, in order)."""
    return {form["PhoneNumbers"]: json.loads(form["TemplateParam"]) for form in forms}


def test_aliyun_fills_the_template_with_the_readers_fields(tmp_path, revision, aliyun, capsys) -> None:
    code, report, _ = campaign(tmp_path, revision, aliyun_url(aliyun), capsys)
    text = texts_campaign(report)
    assert code == 1 and (text["sent"], text["failed"]) == (2, 0)
    assert text["destination"] == f"SMS via Alibaba Cloud at {aliyun.netloc} (template {TEMPLATE_CODE})"

    forms = aliyun_texts(aliyun)
    assert per_number(forms, "PhoneNumbers") == {CN: 1, CN_2: 1}  # mainland numbers without +86
    for form in forms:
        assert (form["SignName"], form["TemplateCode"], form["RegionId"]) == (
            SIGN_NAME,
            TEMPLATE_CODE,
            "cn-hangzhou",
        )
    params = template_params(forms)
    assert [list(p) for p in params.values()] == [["title", "version", "date", "link"]] * 2
    assert params[CN] == {
        "title": "Privacy Policy",
        "version": "2.0",
        "date": "2026年10月16日",  # Bo reads Chinese
        "link": revision.changes_url,  # no answer page: the redline
    }
    assert params[CN_2] == {**params[CN], "date": "16 Oct 2026"}
    assert params[CN]["date"] == format_day(revision.effective, "zh-CN")
    assert params[CN_2]["date"] == format_day(revision.effective, "en")

    rows = sms_rows(tmp_path)
    assert {u: (r["status"], r["provider_id"]) for u, r in rows.items()} == {
        "2": ("sent", aliyun_biz_id(CN)),
        "5": ("sent", aliyun_biz_id(CN_2)),
    }
    evidence = notify(tmp_path, [revision], "--report", capsys=capsys)
    shown = {
        r["recipient_id"]: r for r in map(json.loads, evidence.stdout.splitlines()) if r["channel"] == "sms"
    }
    assert (shown["2"]["phone"], shown["2"]["provider_id"]) == ("+*********8000", aliyun_biz_id(CN))

    code, again, _ = campaign(tmp_path, revision, aliyun_url(aliyun), capsys)
    assert texts_campaign(again)["sent"] == 0 and len(aliyun.requests()) == 2


def test_aliyun_code_of_the_short_link_is_saved_for_the_answer_page(
    tmp_path, aliyun, capsys, monkeypatch
) -> None:
    monkeypatch.setenv(ANSWER_SECRET_ENV, ANSWER_SECRET)
    revision = make_revision(answer_url=ANSWER_URL, answer_expires=datetime(2027, 1, 14, tzinfo=CST))
    url = aliyun_url(aliyun, "&params=title,version,date,code")
    code, report, _ = campaign(tmp_path, revision, url, capsys)
    assert code == 1 and texts_campaign(report)["sent"] == 2

    params = template_params(aliyun_texts(aliyun))
    assert [list(p) for p in params.values()] == [["title", "version", "date", "code"]] * 2
    assert {k: params[CN][k] for k in ("title", "version", "date")} == {
        "title": "Privacy Policy",
        "version": "2.0",
        "date": "2026年10月16日",
    }
    links = AnswerLinks.of(revision)
    assert links is not None
    database = Database(sqlite_url(tmp_path))
    try:
        for number, user, locale in ((CN, "2", "zh-CN"), (CN_2, "5", "en")):
            short = params[number]["code"]
            assert BASE62_CODE.fullmatch(short), short
            # The answer page opens the user's own link from the code: it is saved.
            assert token_of(database.engine, short) == links.token(user, "+86" + number, locale)
        assert params[CN]["code"] != params[CN_2]["code"]
    finally:
        database.close()


def test_aliyun_illegal_number_fails_that_text_alone(tmp_path, revision, aliyun, capsys) -> None:
    def illegal(seen: Seen) -> tuple[int, object]:
        return 200, aliyun_error("isv.MOBILE_NUMBER_ILLEGAL", f"非法手机号 {seen.form()['PhoneNumbers']}")

    aliyun.answer = aliyun_checked(by_number("PhoneNumbers", {CN_2: illegal}, aliyun_accepted), max_skew=900)
    code, report, _ = campaign(tmp_path, revision, aliyun_url(aliyun), capsys)
    text = texts_campaign(report)
    assert code == 1 and (text["sent"], text["failed"]) == (1, 1)
    rows = sms_rows(tmp_path)
    assert (rows["2"]["status"], rows["5"]["status"]) == ("sent", "failed")
    assert "isv.MOBILE_NUMBER_ILLEGAL" in rows["5"]["last_reply"] and CN_2 not in rows["5"]["last_reply"]
    assert not rows["5"]["provider_id"]


def test_aliyun_wrong_secret_stops_with_every_text_pending(
    tmp_path, revision, aliyun, capsys, monkeypatch
) -> None:
    monkeypatch.setenv(SMS_SECRET_ENV, "not-the-accesskey-secret")
    code, report, out = campaign(tmp_path, revision, aliyun_url(aliyun), capsys)
    assert code == 2 and report["setting"] == SMS_SECRET_ENV
    assert "SignatureDoesNotMatch" in report["error"]
    assert "not-the-accesskey-secret" not in report["error"] + out
    rows = sms_rows(tmp_path)
    assert set(rows) == {"2", "5"} and {r["status"] for r in rows.values()} == {"pending"}
    monkeypatch.setenv(SMS_SECRET_ENV, SECRET)
    code, again, _ = campaign(tmp_path, revision, aliyun_url(aliyun), capsys)
    assert code == 1 and texts_campaign(again)["sent"] == 2
    assert {r["status"] for r in sms_rows(tmp_path).values()} == {"sent"}


def test_aliyun_frequency_limit_is_retried_with_a_new_nonce(tmp_path, revision, aliyun, capsys) -> None:
    first = {CN: True}

    def limited_once(seen: Seen) -> tuple[int, object]:
        if first.pop(seen.form()["PhoneNumbers"], False):
            return 200, aliyun_error("isv.BUSINESS_LIMIT_CONTROL", "触发号码分钟级流控Permits:1")
        return aliyun_accepted(seen)

    aliyun.answer = aliyun_checked(limited_once, max_skew=900)
    code, report, _ = campaign(tmp_path, revision, aliyun_url(aliyun), capsys, "--retry-base", "0.01")
    assert code == 1 and texts_campaign(report)["sent"] == 2
    forms = aliyun_texts(aliyun)
    bo = [f for f in forms if f["PhoneNumbers"] == CN]
    assert len(bo) == 2 and bo[0]["SignatureNonce"] != bo[1]["SignatureNonce"]
    assert bo[0]["OutId"] == bo[1]["OutId"]  # the same notice
    rows = sms_rows(tmp_path)
    assert (rows["2"]["status"], rows["2"]["attempts"], rows["2"]["provider_id"]) == (
        "sent",
        2,
        aliyun_biz_id(CN),
    )


def test_aliyun_without_its_secret_exits_2_naming_the_variable(tmp_path, revision, provider, capsys) -> None:
    provider.answer = aliyun_checked(aliyun_accepted)
    code, report, out = campaign(tmp_path, revision, aliyun_url(provider), capsys)
    assert code == 2 and SMS_SECRET_ENV in report["error"] and SMS_SECRET_ENV in out
    assert provider.requests() == [] and ledger_rows(sqlite_url(tmp_path)) == []


# --- policyctl notify, a process of its own -----------------------------------------


def test_policyctl_notify_texts_through_twilio_once(tmp_path, revision, twilio) -> None:
    args = ("--recipients", str(users(tmp_path / "users.csv")), "--sms", twilio_url(twilio), "--json")
    first = notify_process(tmp_path, revision, *args)
    out, err = first.communicate(timeout=120)
    assert first.returncode == 1, err  # Di has nothing usable
    report = json.loads(out)
    assert [(c["channel"], c["sent"]) for c in report["campaigns"]] == [("email", 2), ("sms", 2)]
    forms = twilio_texts(twilio)
    assert per_number(forms, "To") == {BO: 1, EVE: 1}
    assert all(length(f["Body"]).fits and f["From"] == TEST_FROM for f in forms)
    for number in SHOWN:
        assert number not in out + err
    assert {u: r["provider_id"] for u, r in sms_rows(tmp_path).items()} == {
        "2": twilio_sid(BO),
        "5": twilio_sid(EVE),
    }

    rerun = notify_process(tmp_path, revision, *args)
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 1, err
    assert [c["sent"] for c in json.loads(out)["campaigns"]] == [0, 0]
    assert len(twilio.requests()) == 2


def test_policyctl_notify_without_the_aliyun_secret_exits_2(tmp_path, revision, provider) -> None:
    provider.answer = aliyun_checked(aliyun_accepted)
    args = ("--recipients", str(users(tmp_path / "users.csv")), "--sms", aliyun_url(provider))
    process = notify_process(tmp_path, revision, *args)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 2, err
    assert f"{SMS_SECRET_ENV} is not set" in " ".join(err.split())
    assert provider.requests() == []
