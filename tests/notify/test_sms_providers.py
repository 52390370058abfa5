"""The Twilio and Alibaba Cloud SMS providers against a real HTTP server on loopback.

The server (http.server in a thread, in sms_providers_support.py, which the campaign
tests of test_notify_sms_providers.py share) plays the provider: it checks what the real
one checks (Twilio: HTTP Basic authentication, the account's Messages resource, the
form; Alibaba Cloud: the AccessKey ID and the request's signature, which it recomputes
with its own implementation of signature version 1.0, written from Alibaba Cloud's
documentation and not importing the provider's, a fresh nonce, the fixed parameters)
and answers what each test tells it to. Requests go through httpx, as the channel sends
them; the tests then read every request exactly as it arrived: method, path, content
type, credentials and each form parameter.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
from collections.abc import Callable, Iterator
from urllib.parse import quote

import httpx
import pytest
from sms_providers_support import (
    ACCESS_KEY_ID,
    FROM,
    SECRET,
    SERVICE,
    SID,
    SIGN_NAME,
    TEMPLATE_CODE,
    TOKEN,
    TWILIO_FORM,
    Gateway,
    Seen,
    aliyun_answer,
    aliyun_error,
    serve,
    spec_encode,
    spec_signature,
    twilio_answer,
    twilio_error,
)

from notify.common.errors import ConfigurationError, NotifyError
from notify.common.secrets import SMS_SECRET_ENV, SMS_TOKEN_ENV
from notify.delivery.channels.base import PERMANENT, SENT, TEMPORARY, Attempt
from notify.delivery.channels.sms import aliyun
from notify.delivery.channels.sms.aliyun import AliyunProvider
from notify.delivery.channels.sms.provider import Provider, TextMessage
from notify.delivery.channels.sms.twilio import TwilioProvider

NOW = 1_700_000_000.25  # 2023-11-14T22:13:20.25Z
KEY = "<policy.0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c@policy.example>"
TEXT = "Privacy policy 2.0 takes effect 2024-01-01 — read & object: https://s.example/a+b?x=1 • 隐私"
PARAMS = {
    "title": "隐私政策",
    "version": "2.0",
    "date": "2024年1月1日",
    "link": "https://s.example/Ab3",
    "code": "Ab3",
}
US_NUMBER, US_DIGITS = "+15005550001", "5005550001"
CN_NUMBER, CN_DIGITS = "+8613800138000", "13800138000"
HK_NUMBER = "+85251234567"


def text(to: str, key: str = KEY) -> TextMessage:
    return TextMessage(
        to=to,
        text=TEXT,
        language="en",
        document="privacy",
        version="2.0",
        recipient_id="u1",
        key=key,
        params=PARAMS,
    )


# --- the provider's side (sms_providers_support.py) ----------------------------------


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    with serve() as server:
        yield server


@functools.cache
def client() -> httpx.Client:
    """One client for the file (no proxy from the environment: the server is on loopback)."""
    return httpx.Client(trust_env=False, timeout=10)


def send(provider: Provider, message: TextMessage, now: float = NOW) -> Attempt:
    """One text as the channel sends it: the provider's request over httpx, its answer read."""
    req = provider.request(message, now)
    resp = client().request(req.method, req.url, headers=dict(req.headers), content=req.content)
    return provider.outcome(resp.status_code, resp.headers, resp.content)


# --- Twilio -------------------------------------------------------------------------


def twilio(gateway: Gateway, query: str = f"from={FROM}", token: str = TOKEN) -> TwilioProvider:
    return TwilioProvider.from_url(f"twilio://{SID}@{gateway.netloc}?{query}", token, allow_insecure=False)


def accepted_by_twilio(to: str) -> dict[str, object]:
    """Twilio's 201 answer, which echoes the number."""
    return {"sid": "SM" + "ab" * 16, "to": to, "from": FROM, "status": "queued", "body": TEXT}


def test_twilio_posts_one_form_with_basic_auth_and_keeps_the_sid(gateway: Gateway) -> None:
    gateway.answer = twilio_answer(201, accepted_by_twilio(US_NUMBER))
    provider = twilio(gateway)
    assert provider.insecure and provider.free_text and provider.name == "twilio"
    assert provider.description == f"SMS via Twilio at {gateway.netloc}"

    attempt = send(provider, text(US_NUMBER))

    assert attempt == Attempt(SENT, "HTTP 201 Created: queued SM" + "ab" * 16, "SM" + "ab" * 16)
    [seen] = gateway.seen
    assert seen.method == "POST"
    assert seen.path == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert seen.headers["content-type"] == TWILIO_FORM
    assert seen.headers["authorization"] == "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    assert seen.form() == {"To": US_NUMBER, "From": FROM, "Body": TEXT}
    assert US_DIGITS not in attempt.reply


def test_twilio_with_a_messaging_service_sends_its_sid_instead_of_from(gateway: Gateway) -> None:
    gateway.answer = twilio_answer(201, accepted_by_twilio(US_NUMBER))
    attempt = send(twilio(gateway, f"messaging_service={SERVICE}"), text(US_NUMBER))
    assert attempt.kind == SENT
    assert gateway.seen[0].form() == {"To": US_NUMBER, "MessagingServiceSid": SERVICE, "Body": TEXT}


def test_twilio_refused_credentials_name_the_token_variable_and_never_the_token(gateway: Gateway) -> None:
    gateway.answer = twilio_answer(201, accepted_by_twilio(US_NUMBER))
    provider = twilio(gateway, token="not-the-token")
    with pytest.raises(ConfigurationError) as refused:
        send(provider, text(US_NUMBER))
    assert refused.value.setting == SMS_TOKEN_ENV
    assert "20003" in str(refused.value) and "not-the-token" not in str(refused.value)
    assert "account SID" in str(refused.value)


@pytest.mark.parametrize(
    ("status", "reply", "kind"),
    [
        (429, twilio_error(20429, "Too Many Requests", 429), TEMPORARY),
        (400, twilio_error(20429, "Too Many Requests"), TEMPORARY),
        (503, b"<html>Service Unavailable</html>", TEMPORARY),
        (500, twilio_error(20500, "Internal Server Error", 500), TEMPORARY),
        (400, twilio_error(21211, f"The 'To' number {US_NUMBER} is not a valid phone number."), PERMANENT),
        (400, twilio_error(21610, "Attempt to send to unsubscribed recipient"), PERMANENT),
        (400, twilio_error(21614, f"'To' number {US_NUMBER} is not a valid mobile number"), PERMANENT),
        (
            400,
            twilio_error(21612, f"The 'To' phone number: {US_NUMBER}, is not currently reachable"),
            PERMANENT,
        ),
        (400, twilio_error(21999, "Some new refusal"), PERMANENT),
        (422, b"not json", PERMANENT),
    ],
    ids=[
        "429",
        "code-20429",
        "503-html",
        "500",
        "21211-invalid-to",
        "21610-unsubscribed",
        "21614-not-mobile",
        "21612-unreachable",
        "unknown-code",
        "422-not-json",
    ],
)
def test_twilio_temporary_and_permanent_answers(
    gateway: Gateway, status: int, reply: object, kind: str
) -> None:
    gateway.answer = twilio_answer(status, reply)
    attempt = send(twilio(gateway), text(US_NUMBER))
    assert attempt.kind == kind and attempt.provider_id == ""
    assert attempt.reply.startswith(f"HTTP {status} ")
    if isinstance(reply, dict):
        assert f"Twilio error {reply['code']}" in attempt.reply
    assert US_DIGITS not in attempt.reply
    if US_NUMBER in str(reply):
        assert "[number]" in attempt.reply  # Twilio quoted it; the reply blots it out


@pytest.mark.parametrize(
    ("status", "reply", "setting", "says"),
    [
        (404, twilio_error(20404, f"The requested resource /2010-04-01/Accounts/{SID}/Messages.json was not found", 404), "--sms", "account SID"),
        (404, b"", "--sms", "account SID"),
        (400, twilio_error(21212, f"The 'From' number {FROM} is not a valid phone number"), "--sms", "from="),
        (400, twilio_error(21606, f"The From phone number {FROM} is not a valid, SMS-capable inbound phone number"), "--sms", "from="),
        (400, twilio_error(21659, f"{FROM} is not a Twilio phone number"), "--sms", "from="),
        (400, twilio_error(21408, f"Permission to send an SMS has not been enabled for the region indicated by the 'To' number: {US_NUMBER}."), "--sms", "Geo permissions"),
        (400, twilio_error(21608, "The number is unverified. Trial accounts cannot send messages to unverified numbers"), "--sms", "trial"),
        (400, twilio_error(21703, "The Messaging Service does not have a phone number available"), "--sms", "Sender Pool"),
        (400, twilio_error(21705, "The Messaging Service is invalid"), "--sms", "messaging_service="),
        (401, b"", SMS_TOKEN_ENV, SMS_TOKEN_ENV),
        (200, b'{"ok": true}', "--sms", "api.twilio.com"),
    ],
    ids=[
        "20404",
        "404-empty",
        "21212-from",
        "21606-from",
        "21659-from",
        "21408-region",
        "21608-trial",
        "21703-service",
        "21705-service",
        "401-empty",
        "200-without-sid",
    ],
)  # fmt: skip
def test_twilio_configuration_answers_stop_the_campaign(
    gateway: Gateway, status: int, reply: object, setting: str, says: str
) -> None:
    gateway.answer = twilio_answer(status, reply)
    with pytest.raises(ConfigurationError) as refused:
        send(twilio(gateway), text(US_NUMBER))
    assert refused.value.setting == setting
    message = str(refused.value)
    assert says in message
    assert US_DIGITS not in message and "4155552671" not in message and TOKEN not in message


def url_error(make: Callable[[], object]) -> str:
    with pytest.raises(NotifyError) as error:
        make()
    assert not isinstance(error.value, ConfigurationError)
    assert TOKEN not in str(error.value) and SECRET not in str(error.value)
    return str(error.value)


def test_twilio_url_errors_say_what_to_write() -> None:
    def make(url: str, token: str | None = TOKEN, allow_insecure: bool = False) -> Callable[[], object]:
        return lambda: TwilioProvider.from_url(url, token, allow_insecure=allow_insecure)

    no_sender = url_error(make(f"twilio://{SID}@api.twilio.com"))
    assert "--sms" in no_sender and "from=" in no_sender and "messaging_service=" in no_sender
    for sid in ("AC0123", "XX" + SID[2:], SID + "0", ""):
        bad_sid = url_error(make(f"twilio://{sid}@api.twilio.com?from={FROM}".replace("//@", "//")))
        assert "--sms" in bad_sid and "account SID" in bad_sid and "32 hexadecimal" in bad_sid
    assert "from=" in url_error(make(f"twilio://{SID}@api.twilio.com?from=15005550006x"))
    assert "MG and 32" in url_error(make(f"twilio://{SID}@api.twilio.com?messaging_service=MG12"))
    assert "unknown parameter 'form'" in url_error(make(f"twilio://{SID}@api.twilio.com?form={FROM}"))
    assert "twice" in url_error(make(f"twilio://{SID}@api.twilio.com?from={FROM}&from={FROM}"))
    missing = url_error(make(f"twilio://{SID}@api.twilio.com?from={FROM}", token=None))
    assert SMS_TOKEN_ENV in missing
    in_url = url_error(make(f"twilio://{SID}:{TOKEN}@api.twilio.com?from={FROM}"))
    assert SMS_TOKEN_ENV in in_url  # and, checked by url_error, without the token
    plain = url_error(make(f"twilio+http://{SID}@sms.example.com?from={FROM}"))
    assert "--allow-insecure" in plain and "twilio://" in plain
    assert "no path" in url_error(make(f"twilio://{SID}@api.twilio.com/2010-04-01?from={FROM}"))
    assert "host" in url_error(make(f"twilio://{SID}@?from={FROM}"))


def test_twilio_url_schemes_hosts_and_senders() -> None:
    provider = TwilioProvider.from_url(
        f"twilio://{SID}@api.twilio.com?from={FROM}", TOKEN, allow_insecure=False
    )
    assert not provider.insecure and provider.sender == FROM
    assert (
        provider.request(text(US_NUMBER), NOW).url
        == f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages.json"
    )
    encoded = TwilioProvider.from_url(
        f"twilio://{SID}@api.twilio.com?from=%2B14155552671", TOKEN, allow_insecure=False
    )
    assert encoded.sender == FROM  # a written '+' and %2B are the same number
    both = TwilioProvider.from_url(
        f"twilio://{SID}@api.twilio.com?from=Policy&messaging_service={SERVICE}", TOKEN, allow_insecure=False
    )
    body = both.request(text(US_NUMBER), NOW).content.decode("ascii")
    assert [pair.partition("=")[0] for pair in body.split("&")] == [
        "To",
        "From",
        "MessagingServiceSid",
        "Body",
    ]
    assert Seen("POST", "/", {}, body.encode()).form() == {
        "To": US_NUMBER,
        "From": "Policy",
        "MessagingServiceSid": SERVICE,
        "Body": TEXT,
    }
    insecure = TwilioProvider.from_url(
        f"twilio+http://{SID}@sms.example.com:8080?from={FROM}", TOKEN, allow_insecure=True
    )
    assert insecure.insecure and insecure.request(text(US_NUMBER), NOW).url.startswith(
        "http://sms.example.com:8080/"
    )
    assert "f1e2d3" not in repr(provider)


# --- Alibaba Cloud ------------------------------------------------------------------


def aliyun_provider(gateway: Gateway, extra: str = "", secret: str = SECRET) -> AliyunProvider:
    url = f"aliyun://{ACCESS_KEY_ID}@{gateway.netloc}?sign_name={quote(SIGN_NAME)}&template_code={TEMPLATE_CODE}{extra}"
    return AliyunProvider.from_url(url, secret, allow_insecure=False)


ALIYUN_OK = {
    "Message": "OK",
    "RequestId": "F655A8D5-B967-440B-8683-DAD6FF8DE990",
    "BizId": "9006197469364984^0",
    "Code": "OK",
}


def test_aliyun_posts_a_signed_sendsms_and_keeps_the_bizid(gateway: Gateway) -> None:
    gateway.answer = aliyun_answer(200, ALIYUN_OK)
    provider = aliyun_provider(gateway)
    assert provider.insecure and not provider.free_text and provider.name == "aliyun"

    attempt = send(provider, text(CN_NUMBER))

    assert attempt == Attempt(SENT, "HTTP 200 OK: OK 9006197469364984^0", "9006197469364984^0")
    [seen] = gateway.seen
    assert seen.method == "POST" and seen.path == "/"
    assert seen.headers["content-type"] == "application/x-www-form-urlencoded"
    form = seen.form()
    signature = form.pop("Signature")
    assert signature == spec_signature(SECRET, form, "POST")
    out_id, nonce = form.pop("OutId"), form.pop("SignatureNonce")
    assert form == {
        "AccessKeyId": ACCESS_KEY_ID,
        "Action": "SendSms",
        "Format": "JSON",
        "PhoneNumbers": CN_DIGITS,  # a mainland number without +86
        "RegionId": "cn-hangzhou",
        "SignName": SIGN_NAME,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "TemplateCode": TEMPLATE_CODE,
        "TemplateParam": '{"title":"隐私政策","version":"2.0","date":"2024年1月1日","link":"https://s.example/Ab3"}',
        "Timestamp": "2023-11-14T22:13:20Z",
        "Version": "2017-05-25",
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", form["Timestamp"])
    assert re.fullmatch(r"[0-9a-f]{32}", out_id) and re.fullmatch(r"[0-9a-f]{32}", nonce)
    # The body is the canonical query itself: every byte percent-encoded, a space as %20.
    assert b"+" not in seen.body and b" " not in seen.body


def test_aliyun_nonce_is_new_for_every_request_and_outid_stays_the_notices(gateway: Gateway) -> None:
    gateway.answer = aliyun_answer(200, ALIYUN_OK)
    provider = aliyun_provider(gateway)
    send(provider, text(CN_NUMBER), NOW)
    send(provider, text(CN_NUMBER), NOW + 30.5)  # the retry of the same text
    send(provider, text(HK_NUMBER, key=KEY.replace("0f1e", "9f1e")), NOW + 30.5)  # another text, same instant
    forms = [seen.form() for seen in gateway.seen]
    assert len({f["SignatureNonce"] for f in forms}) == 3
    assert forms[0]["OutId"] == forms[1]["OutId"] != forms[2]["OutId"]
    assert [f["Timestamp"] for f in forms] == [
        "2023-11-14T22:13:20Z",
        "2023-11-14T22:13:50Z",
        "2023-11-14T22:13:50Z",
    ]
    assert forms[2]["PhoneNumbers"] == "85251234567"  # international: the country code, no '+'


def test_aliyun_params_choose_the_template_variables(gateway: Gateway) -> None:
    gateway.answer = aliyun_answer(200, ALIYUN_OK)
    provider = aliyun_provider(gateway, "&params=title,code&region=cn-shanghai")
    assert send(provider, text(CN_NUMBER)).kind == SENT
    form = gateway.seen[0].form()
    assert form["TemplateParam"] == '{"title":"隐私政策","code":"Ab3"}' and form["RegionId"] == "cn-shanghai"


def test_aliyun_a_wrong_secret_is_refused_by_the_signature_check(gateway: Gateway) -> None:
    gateway.answer = aliyun_answer(200, ALIYUN_OK)
    with pytest.raises(ConfigurationError) as refused:
        send(aliyun_provider(gateway, secret="not-the-secret"), text(CN_NUMBER))
    assert refused.value.setting == SMS_SECRET_ENV
    assert "SignatureDoesNotMatch" in str(refused.value) and "not-the-secret" not in str(refused.value)


@pytest.mark.parametrize(
    ("status", "reply", "kind"),
    [
        (200, aliyun_error("isv.BUSINESS_LIMIT_CONTROL", "触发号码天级流控Permits:10"), TEMPORARY),
        (200, aliyun_error("isp.SYSTEM_ERROR", "isp.SYSTEM_ERROR"), TEMPORARY),
        (400, aliyun_error("Throttling.User", "Request was denied due to user flow control."), TEMPORARY),
        (400, aliyun_error("SignatureNonceUsed", "Specified signature nonce was used already."), TEMPORARY),
        (
            500,
            aliyun_error("InternalError", "The request processing has failed due to some unknown error."),
            TEMPORARY,
        ),
        (503, b"<html>503 Service Temporarily Unavailable</html>", TEMPORARY),
        (200, aliyun_error("isv.MOBILE_NUMBER_ILLEGAL", f"非法手机号 {CN_DIGITS}"), PERMANENT),
        (200, aliyun_error("isv.BLACK_KEY_CONTROL_LIMIT", "黑名单管控"), PERMANENT),
        (200, aliyun_error("isv.MOBILE_COUNT_OVER_LIMIT", "手机号码数量超过限制"), PERMANENT),
        (200, aliyun_error("isv.SOMETHING_NEW", f"号码 86{CN_DIGITS} 不可用"), PERMANENT),
    ],
    ids=[
        "business-limit",
        "system-error",
        "throttling",
        "nonce-used",
        "500",
        "503-html",
        "number-illegal",
        "blacklisted",
        "count-over-limit",
        "unknown-code",
    ],
)
def test_aliyun_temporary_and_permanent_answers(
    gateway: Gateway, status: int, reply: object, kind: str
) -> None:
    gateway.answer = aliyun_answer(status, reply)
    attempt = send(aliyun_provider(gateway), text(CN_NUMBER))
    assert attempt.kind == kind and attempt.provider_id == ""
    assert attempt.reply.startswith(f"HTTP {status} ")
    if isinstance(reply, dict):
        assert reply["Code"] in attempt.reply
    assert CN_DIGITS not in attempt.reply


@pytest.mark.parametrize(
    ("status", "reply", "setting", "says"),
    [
        (404, aliyun_error("InvalidAccessKeyId.NotFound", "Specified access key is not found."), "--sms", "AccessKey ID"),
        (400, aliyun_error("SignatureDoesNotMatch", f"Specified signature is not matched with our calculation. server string to sign is:POST&%2F&AccessKeyId%3D{ACCESS_KEY_ID}%26PhoneNumbers%3D{CN_DIGITS}"), SMS_SECRET_ENV, SMS_SECRET_ENV),
        (400, aliyun_error("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired."), "--sms", "clock"),
        (200, aliyun_error("isv.SMS_SIGNATURE_ILLEGAL", "签名不合法"), "--sms", "sign_name="),
        (200, aliyun_error("isv.SMS_TEMPLATE_ILLEGAL", "模板不合法"), "--sms", "template_code="),
        (200, aliyun_error("isv.TEMPLATE_MISSING_PARAMETERS", "模板缺少变量"), "--sms", "params="),
        (200, aliyun_error("isv.PARAM_LENGTH_LIMIT", "参数超出长度限制"), "--sms", "params="),
        (200, aliyun_error("isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值"), "--sms", "params="),
        (200, aliyun_error("isv.AMOUNT_NOT_ENOUGH", "账户余额不足"), "--sms", "balance"),
        (200, aliyun_error("isv.OUT_OF_SERVICE", "业务停机"), "--sms", "balance"),
        (200, aliyun_error("isv.ACCOUNT_NOT_EXISTS", "账户不存在"), "--sms", "AccessKey ID"),
        (200, aliyun_error("isv.DAY_LIMIT_CONTROL", "触发日发送限额"), "--sms", "daily limit"),
        (200, b"<html>a captive portal</html>", "--sms", "dysmsapi.aliyuncs.com"),
    ],
    ids=[
        "access-key-not-found",
        "signature-does-not-match",
        "timestamp-expired",
        "sign-name",
        "template",
        "template-missing-parameters",
        "param-length",
        "invalid-json-param",
        "amount-not-enough",
        "out-of-service",
        "account-not-exists",
        "day-limit",
        "not-the-api",
    ],
)  # fmt: skip
def test_aliyun_configuration_answers_stop_the_campaign(
    gateway: Gateway, status: int, reply: object, setting: str, says: str
) -> None:
    gateway.answer = aliyun_answer(status, reply)
    with pytest.raises(ConfigurationError) as refused:
        send(aliyun_provider(gateway), text(CN_NUMBER))
    assert refused.value.setting == setting
    message = str(refused.value)
    assert says in message
    assert CN_DIGITS not in message and SECRET not in message and "string to sign" not in message


def test_aliyun_url_errors_say_what_to_write() -> None:
    base = f"aliyun://{ACCESS_KEY_ID}@dysmsapi.aliyuncs.com"

    def make(url: str, secret: str | None = SECRET, allow_insecure: bool = False) -> Callable[[], object]:
        return lambda: AliyunProvider.from_url(url, secret, allow_insecure=allow_insecure)

    assert "sign_name=" in url_error(make(f"{base}?template_code={TEMPLATE_CODE}"))
    assert "template_code=SMS_" in url_error(make(f"{base}?sign_name=Policy"))
    assert "template_code=SMS_" in url_error(make(f"{base}?sign_name=Policy&template_code=154950909"))
    unknown = url_error(make(f"{base}?sign_name=Policy&template_code={TEMPLATE_CODE}&params=title,url"))
    assert "params=" in unknown and "'url'" in unknown and "title,version,date,link,code" in unknown
    assert "each once" in url_error(
        make(f"{base}?sign_name=P&template_code={TEMPLATE_CODE}&params=title,title")
    )
    assert "region ID" in url_error(
        make(f"{base}?sign_name=P&template_code={TEMPLATE_CODE}&region=Hangzhou!")
    )
    assert "unknown parameter 'sign'" in url_error(make(f"{base}?sign=P&template_code={TEMPLATE_CODE}"))
    assert "AccessKey ID" in url_error(
        make(f"aliyun://dysmsapi.aliyuncs.com?sign_name=P&template_code={TEMPLATE_CODE}")
    )
    assert SMS_SECRET_ENV in url_error(make(f"{base}?sign_name=P&template_code={TEMPLATE_CODE}", secret=None))
    in_url = url_error(
        make(
            f"aliyun://{ACCESS_KEY_ID}:{SECRET}@dysmsapi.aliyuncs.com?sign_name=P&template_code={TEMPLATE_CODE}"
        )
    )
    assert SMS_SECRET_ENV in in_url
    plain = url_error(
        make(f"aliyun+http://{ACCESS_KEY_ID}@sms.example.com?sign_name=P&template_code={TEMPLATE_CODE}")
    )
    assert "--allow-insecure" in plain
    assert "starts with aliyun://" in url_error(
        make(f"https://{ACCESS_KEY_ID}@dysmsapi.aliyuncs.com?sign_name=P")
    )


def test_aliyun_url_defaults_and_https() -> None:
    provider = AliyunProvider.from_url(
        f"aliyun://{ACCESS_KEY_ID}@dysmsapi.aliyuncs.com?sign_name={quote(SIGN_NAME)}&template_code={TEMPLATE_CODE}",
        SECRET,
        allow_insecure=False,
    )
    assert not provider.insecure and provider.sign_name == SIGN_NAME and provider.region == "cn-hangzhou"
    assert provider.params == ("title", "version", "date", "link")
    assert provider.request(text(CN_NUMBER), NOW).url == "https://dysmsapi.aliyuncs.com/"
    assert (
        provider.description == f"SMS via Alibaba Cloud at dysmsapi.aliyuncs.com (template {TEMPLATE_CODE})"
    )
    assert SECRET not in repr(provider)
    insecure = AliyunProvider.from_url(
        f"aliyun+http://{ACCESS_KEY_ID}@sms.example.com?sign_name=P&template_code={TEMPLATE_CODE}",
        SECRET,
        allow_insecure=True,
    )
    assert insecure.insecure and insecure.request(text(CN_NUMBER), NOW).url == "http://sms.example.com/"


# --- the documented examples of signature version 1.0 --------------------------------

# Alibaba Cloud's SMS "HTTP protocol and signature" example (a GET of SendSms): its
# parameters, the AccessKey secret "testSecret", and the signature it documents.
SMS_EXAMPLE = {
    "AccessKeyId": "testId",
    "Action": "SendSms",
    "Format": "XML",
    "OutId": "123",
    "PhoneNumbers": "15300000001",
    "RegionId": "cn-hangzhou",
    "SignName": "阿里云短信测试专用",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    "SignatureVersion": "1.0",
    "TemplateCode": "SMS_71390007",
    "TemplateParam": '{"customer":"test"}',
    "Timestamp": "2017-07-12T02:42:19Z",
    "Version": "2017-05-25",
}
# Step 1, by hand: sorted by name, each name and value percent-encoded (the signature
# name's UTF-8 bytes, '{', '"', ':' escaped), joined with '=' and '&'.
SMS_EXAMPLE_CANONICAL = (
    "AccessKeyId=testId&Action=SendSms&Format=XML&OutId=123&PhoneNumbers=15300000001"
    "&RegionId=cn-hangzhou"
    "&SignName=%E9%98%BF%E9%87%8C%E4%BA%91%E7%9F%AD%E4%BF%A1%E6%B5%8B%E8%AF%95%E4%B8%93%E7%94%A8"
    "&SignatureMethod=HMAC-SHA1&SignatureNonce=45e25e9b-0a6f-4070-8c85-2956eda1b466"
    "&SignatureVersion=1.0&TemplateCode=SMS_71390007&TemplateParam=%7B%22customer%22%3A%22test%22%7D"
    "&Timestamp=2017-07-12T02%3A42%3A19Z&Version=2017-05-25"
)
# Step 2: "GET&%2F&" and that string encoded once more ('&' -> %26, '=' -> %3D, '%' -> %25).
SMS_EXAMPLE_TO_SIGN = (
    "GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123"
    "%26PhoneNumbers%3D15300000001%26RegionId%3Dcn-hangzhou"
    "%26SignName%3D%25E9%2598%25BF%25E9%2587%258C%25E4%25BA%2591%25E7%259F%25AD%25E4%25BF%25A1"
    "%25E6%25B5%258B%25E8%25AF%2595%25E4%25B8%2593%25E7%2594%25A8"
    "%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D45e25e9b-0a6f-4070-8c85-2956eda1b466"
    "%26SignatureVersion%3D1.0%26TemplateCode%3DSMS_71390007"
    "%26TemplateParam%3D%257B%2522customer%2522%253A%2522test%2522%257D"
    "%26Timestamp%3D2017-07-12T02%253A42%253A19Z%26Version%3D2017-05-25"
)
SMS_EXAMPLE_SIGNATURE = (
    "zJDF+Lrzhj/ThnlvIToysFRq6t4="  # as documented (URL-encoded there: zJDF%2BLrzhj%2FThnlvIToysFRq6t4%3D)
)

# The signature-mechanism page's example (ECS DescribeRegions, secret "testsecret").
ECS_EXAMPLE = {
    "AccessKeyId": "testid",
    "Action": "DescribeRegions",
    "Format": "XML",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
    "SignatureVersion": "1.0",
    "TimeStamp": "2016-02-23T12:46:24Z",
    "Version": "2014-05-26",
}
ECS_EXAMPLE_TO_SIGN = (
    "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML"
    "%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"
    "%26SignatureVersion%3D1.0%26TimeStamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
)
ECS_EXAMPLE_SIGNATURE = "CT9X0VtwR86fNWSnsc6v8YGOjuE="


def test_signature_of_the_documented_sendsms_example() -> None:
    by_hand = base64.b64encode(hmac.new(b"testSecret&", SMS_EXAMPLE_TO_SIGN.encode(), hashlib.sha1).digest())
    assert by_hand.decode() == SMS_EXAMPLE_SIGNATURE
    assert aliyun.canonical_query(SMS_EXAMPLE) == SMS_EXAMPLE_CANONICAL
    assert aliyun.string_to_sign(SMS_EXAMPLE, "GET") == SMS_EXAMPLE_TO_SIGN
    assert aliyun.signature("testSecret", SMS_EXAMPLE, "GET") == SMS_EXAMPLE_SIGNATURE
    assert spec_signature("testSecret", SMS_EXAMPLE, "GET") == SMS_EXAMPLE_SIGNATURE
    # POST signs the same string but for its first word.
    post = base64.b64encode(
        hmac.new(b"testSecret&", ("POST" + SMS_EXAMPLE_TO_SIGN[3:]).encode(), hashlib.sha1).digest()
    ).decode()
    assert aliyun.signature("testSecret", SMS_EXAMPLE) == post


def test_signature_of_the_documented_describeregions_example() -> None:
    assert aliyun.string_to_sign(ECS_EXAMPLE, "GET") == ECS_EXAMPLE_TO_SIGN
    assert aliyun.signature("testsecret", ECS_EXAMPLE, "GET") == ECS_EXAMPLE_SIGNATURE
    assert spec_signature("testsecret", ECS_EXAMPLE, "GET") == ECS_EXAMPLE_SIGNATURE


def test_percent_encoding_follows_rfc_3986() -> None:
    for value in ("a b", "a*b", "a~b", "a+b", "é/é", "-_.", "100%", '{"k":"v"}'):
        assert aliyun.percent_encode(value) == spec_encode(value)
    assert aliyun.percent_encode("a b*c~d") == "a%20b%2Ac~d"
