"""Twilio and Alibaba Cloud on loopback, for the tests of the SMS providers alone
(test_sms_providers.py) and of whole campaigns through them (test_notify_sms_providers.py).

The server (http.server in a thread) plays the provider: it records every request as it
arrived and checks what the real one checks before it answers what the test says.

- Twilio (:func:`twilio_checked`): HTTP Basic authentication with the account SID and
  its Auth Token (401, error 20003), the Messages resource of that account (404, 20404),
  a form with ``To``, ``Body`` and ``From`` (a number of the account) or
  ``MessagingServiceSid``.
- Alibaba Cloud (:func:`aliyun_checked`): the AccessKey ID, the request's signature,
  which it recomputes with this file's own implementation of signature version 1.0
  (written from Alibaba Cloud's documentation, not importing the provider's), a nonce
  never used before, the Timestamp's shape (and, when asked, that it is within the 15
  minutes Alibaba Cloud allows), the action's fixed parameters, the approved signature
  name and template, and a TemplateParam that is a JSON object of strings.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import time
from calendar import timegm
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from tests_support import running

# Twilio: the account, its Auth Token, a Messaging Service and the account's numbers
# (FROM, and Twilio's magic test number that the campaign tests send from).
SID = "AC" + "0123456789abcdef" * 2
TOKEN = "f1e2d3c4b5a6978877665544332211ff"
SERVICE = "MG" + "fedcba9876543210" * 2
FROM = "+14155552671"
TEST_FROM = "+15005550006"
TWILIO_NUMBERS = frozenset({FROM, TEST_FROM})
FORM = "application/x-www-form-urlencoded"
TWILIO_FORM = FORM
TWILIO_PATH = f"/2010-04-01/Accounts/{SID}/Messages.json"

# Alibaba Cloud: the AccessKey, its secret, the approved signature name and template.
ACCESS_KEY_ID = "LTAI5tTestAccessKey01"
SECRET = "aliyun-test-secret-Zz9"
SIGN_NAME = "阿里云短信测试"
TEMPLATE_CODE = "SMS_154950909"
ALIYUN_FIXED = {
    "Action": "SendSms",
    "Version": "2017-05-25",
    "Format": "JSON",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureVersion": "1.0",
}
ALIYUN_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


@dataclass(frozen=True)
class Seen:
    """One request as it reached the server."""

    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes

    def form(self) -> dict[str, str]:
        """The form body, decoded as a provider decodes it; every name once."""
        fields = parse_qs(self.body.decode("ascii"), keep_blank_values=True, strict_parsing=True)
        assert all(len(values) == 1 for values in fields.values()), fields
        return {name: values[0] for name, values in fields.items()}


Answer = Callable[[Seen], tuple[int, bytes]]
"""(request) -> (status, body) of the whole server."""
Respond = Callable[[Seen], tuple[int, object]]
"""(a request the provider's checks let through) -> (status, JSON value or raw bytes)."""


class Gateway(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.seen: list[Seen] = []
        self.answer: Answer = lambda seen: (500, b"no answer set")

    @property
    def netloc(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"

    def requests(self) -> list[Seen]:
        with self.lock:
            return list(self.seen)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a campaign stopped mid-request drops its connection: expected


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Gateway

    def log_message(self, *args: Any) -> None:
        pass

    def _any(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        seen = Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        with self.server.lock:
            self.server.seen.append(seen)
        status, reply = self.server.answer(seen)
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    do_POST = do_GET = _any


def serve() -> AbstractContextManager[Gateway]:
    """A provider on 127.0.0.1 (its answer set by the test), stopped on leaving."""
    return running(Gateway())


def as_json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


def _reply(status: int, reply: object) -> tuple[int, bytes]:
    return status, reply if isinstance(reply, bytes) else as_json(reply)


# --- Twilio -------------------------------------------------------------------------


def twilio_error(code: int, message: str, status: int = 400) -> dict[str, object]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def twilio_authorized(seen: Seen) -> bool:
    """Whether the request's Basic authentication is the account SID and its Auth Token."""
    expected = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    return seen.headers.get("authorization") == expected


def twilio_checked(respond: Respond) -> Answer:
    """Twilio as it takes a Messages create: 401 with error 20003 unless the Basic
    authentication is the account SID and the token, 404 (20404) for anything but a POST
    of the account's Messages resource, 400 for a form without ``To`` (21604), without a
    ``Body`` (21602), without a sender (21603), or from a number not the account's
    (21659); else ``respond(seen)``."""

    def answer(seen: Seen) -> tuple[int, bytes]:
        if not twilio_authorized(seen):
            return _reply(401, {"code": 20003, "message": "Authenticate", "status": 401})
        if seen.method != "POST" or seen.path != TWILIO_PATH:
            return _reply(404, twilio_error(20404, f"The requested resource {seen.path} was not found", 404))
        form = seen.form() if seen.headers.get("content-type") == FORM else {}
        if not form.get("To"):
            return _reply(400, twilio_error(21604, "A 'To' phone number is required."))
        if not form.get("Body"):
            return _reply(400, twilio_error(21602, "Message body is required."))
        sender, service = form.get("From"), form.get("MessagingServiceSid")
        if not sender and not service:
            return _reply(
                400, twilio_error(21603, "The source 'From' phone number is required to send an SMS")
            )
        if sender and not service and sender not in TWILIO_NUMBERS:
            return _reply(400, twilio_error(21659, f"{sender} is not a Twilio phone number"))
        return _reply(*respond(seen))

    return answer


def twilio_answer(status: int, reply: object) -> Answer:
    """Twilio's checks, then always ``(status, reply)``."""
    return twilio_checked(lambda seen: (status, reply))


def twilio_sid(to: str) -> str:
    """The message sid this Twilio gives the text to ``to``: SM and 32 hexadecimal digits."""
    return "SM" + hashlib.sha256(to.encode()).hexdigest()[:32]


def twilio_queued(seen: Seen) -> tuple[int, object]:
    """Twilio's 201 for a text it took: the message resource, which echoes the number."""
    form = seen.form()
    return 201, {
        "sid": twilio_sid(form["To"]),
        "account_sid": SID,
        "to": form["To"],
        "from": form.get("From"),
        "messaging_service_sid": form.get("MessagingServiceSid"),
        "body": form["Body"],
        "num_segments": "1",
        "status": "queued",
        "uri": f"{TWILIO_PATH[:-5]}/{twilio_sid(form['To'])}.json",
    }


# --- Alibaba Cloud ------------------------------------------------------------------

_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


def spec_encode(value: str) -> str:
    """RFC 3986 as the signature documentation words it: each UTF-8 byte other than
    A-Z a-z 0-9 - _ . ~ as %XX in upper case (so a space is %20, '*' is %2A)."""
    return "".join(chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in value.encode("utf-8"))


def spec_signature(secret: str, params: dict[str, str], method: str) -> str:
    """Signature version 1.0, step by step: sort by name, encode each name and value,
    join with '=' and '&'; StringToSign = method & encode('/') & encode(that); sign
    with HMAC-SHA1 keyed by secret + '&'; base64."""
    canonical = "&".join(spec_encode(name) + "=" + spec_encode(params[name]) for name in sorted(params))
    to_sign = method + "&" + spec_encode("/") + "&" + spec_encode(canonical)
    return base64.b64encode(
        hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()
    ).decode()


def aliyun_error(code: str, message: str) -> dict[str, str]:
    return {"Message": message, "RequestId": "A7B8C9D0-0000-4000-8000-000000000000", "Code": code}


def aliyun_checked(respond: Respond, *, max_skew: float | None = None) -> Answer:
    """Alibaba Cloud as it takes a SendSms: InvalidAccessKeyId.NotFound for another
    AccessKey ID, SignatureDoesNotMatch unless the signature verifies (with this file's
    implementation), SignatureNonceUsed for a nonce it has seen, InvalidTimeStamp.Format
    or (with ``max_skew`` seconds) InvalidTimeStamp.Expired, a missing or wrong fixed
    parameter, isv.SMS_SIGNATURE_ILLEGAL / isv.SMS_TEMPLATE_ILLEGAL for a signature name
    or template that is not the approved one, isv.INVALID_JSON_PARAM for a TemplateParam
    that is not a JSON object of strings; else ``respond(seen)``."""
    nonces: set[str] = set()
    lock = threading.Lock()

    def answer(seen: Seen) -> tuple[int, bytes]:
        if seen.path.split("?")[0] != "/" or seen.headers.get("content-type") != FORM:
            return _reply(404, aliyun_error("InvalidAction.NotFound", "Specified api is not found"))
        params = seen.form()
        given = params.pop("Signature", "")
        if params.get("AccessKeyId") != ACCESS_KEY_ID:
            return _reply(
                404, aliyun_error("InvalidAccessKeyId.NotFound", "Specified access key is not found.")
            )
        if not hmac.compare_digest(given, spec_signature(SECRET, params, seen.method)):
            return _reply(
                400,
                aliyun_error(
                    "SignatureDoesNotMatch", "Specified signature is not matched with our calculation."
                ),
            )
        with lock:
            used = params.get("SignatureNonce", "") in nonces
            nonces.add(params.get("SignatureNonce", ""))
        if used or not params.get("SignatureNonce"):
            return _reply(
                400, aliyun_error("SignatureNonceUsed", "Specified signature nonce was used already.")
            )
        stamp = params.get("Timestamp", "")
        if not ALIYUN_TIME.fullmatch(stamp):
            return _reply(400, aliyun_error("InvalidTimeStamp.Format", "Specified time stamp is not valid."))
        if (
            max_skew is not None
            and abs(timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")) - time.time()) > max_skew
        ):
            return _reply(
                400,
                aliyun_error("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired."),
            )
        for name, value in ALIYUN_FIXED.items():
            if params.get(name) != value:
                return _reply(
                    400, aliyun_error("InvalidParameter", f"The specified parameter {name} is not valid.")
                )
        for name in ("PhoneNumbers", "SignName", "TemplateCode"):
            if not params.get(name):
                return _reply(400, aliyun_error(f"Missing{name}", f"{name} is mandatory for this action."))
        if params["SignName"] != SIGN_NAME:
            return _reply(200, aliyun_error("isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名"))
        if params["TemplateCode"] != TEMPLATE_CODE:
            return _reply(200, aliyun_error("isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板"))
        try:
            variables = json.loads(params.get("TemplateParam", "{}"))
        except ValueError:
            variables = None
        if not isinstance(variables, dict) or not all(isinstance(v, str) for v in variables.values()):
            return _reply(200, aliyun_error("isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值"))
        return _reply(*respond(seen))

    return answer


def aliyun_answer(status: int, reply: object) -> Answer:
    """Alibaba Cloud's checks, then always ``(status, reply)``."""
    return aliyun_checked(lambda seen: (status, reply))


def aliyun_biz_id(phone_numbers: str) -> str:
    """The BizId this Alibaba Cloud gives the text to ``phone_numbers``: 16 digits, ^0."""
    return f"{int(hashlib.sha256(phone_numbers.encode()).hexdigest(), 16) % 10**16:016d}^0"


def aliyun_accepted(seen: Seen) -> tuple[int, object]:
    """SendSms's answer to a text it took."""
    return 200, {
        "Message": "OK",
        "RequestId": "F655A8D5-B967-440B-8683-DAD6FF8DE990",
        "BizId": aliyun_biz_id(seen.form()["PhoneNumbers"]),
        "Code": "OK",
    }
