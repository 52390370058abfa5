"""Texts through Alibaba Cloud Short Message Service (``SendSms``, API version 2017-05-25).

``--sms aliyun://ACCESS_KEY_ID@dysmsapi.aliyuncs.com?sign_name=...&template_code=SMS_...``
with ``&region=`` (default ``cn-hangzhou``) and ``&params=`` (which of
:data:`~notify.delivery.channels.sms.provider.TEMPLATE_FIELDS` the template takes, default
``title,version,date,link``); the AccessKey secret is in ``POLICYCTL_SMS_SECRET``.

Texts to mainland China must use a signature (``SignName``) and a template approved in
the console, so this provider sends no free text: the template's variables are named
after the fields (``${title}``, ``${version}``, ``${date}``, ``${link}``, ``${code}``) and
filled from :attr:`TextMessage.params`.

One text is one ``POST {base}/`` whose form body holds the RPC-style request signed with
signature version 1.0 (HMAC-SHA1 over the sorted, RFC 3986 encoded parameters, keyed
with the secret and "&"), as Alibaba Cloud documents it
(https://help.aliyun.com/document_detail/56189.html; :func:`signature`). The answer is
JSON with a ``Code``: ``OK`` and a ``BizId`` when accepted, else one of the documented
error codes, each mapped by :data:`CODES` to temporary, permanent (this number) or a
:class:`Fault` of the settings (the campaign stops). ``SendSms`` is not idempotent on
Alibaba Cloud's side; ``OutId`` carries a digest of the notice's idempotency key so a
sent text can be matched to the ledger's row in the console's records.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from notify.common.errors import ConfigurationError, NotifyError
from notify.common.secrets import SMS_SECRET_ENV
from notify.delivery.channels.base import PERMANENT, SENT, TEMPORARY, Attempt
from notify.delivery.channels.sms.common import USER_AGENT, endpoint, json_object, redact, status_line
from notify.delivery.channels.sms.provider import SETTING, TEMPLATE_FIELDS, Request, TextMessage

if TYPE_CHECKING:
    from notify.delivery.channels.sms.provider import Provider

SCHEMES = ("aliyun", "aliyun+http")
"""The URL schemes of this provider (``aliyun+http`` is plain HTTP, see
:mod:`notify.delivery.channels.sms.common`)."""
ACTION = "SendSms"
API_VERSION = "2017-05-25"
DEFAULT_REGION = "cn-hangzhou"
DEFAULT_PARAMS = ("title", "version", "date", "link")
PARAMETERS = frozenset({"sign_name", "template_code", "region", "params"})
OUT_ID_CHARS = 32
"""``OutId`` is a digest of the idempotency key this long: the documentation gives the
field no length, and a Message-ID (``<policy.…@domain>``) is longer than needed."""

_ACCESS_KEY_ID = re.compile(r"[A-Za-z0-9]+")
_TEMPLATE_CODE = re.compile(r"SMS_[0-9]+")
_REGION = re.compile(r"[a-z]+(?:-[a-z0-9]+)+")


@dataclass(frozen=True, slots=True)
class Fault:
    """An error code every recipient would get alike: the setting to fix, what to check."""

    setting: str
    advice: str


_CONSOLE = "in the Alibaba Cloud SMS console"
_SECRET = Fault(
    SMS_SECRET_ENV,
    f"the signature does not match: check that {SMS_SECRET_ENV} holds the AccessKey secret of the "
    "AccessKey ID in --sms (RAM console, AccessKey)",
)
_SIGN = Fault(SETTING, f"check sign_name= in --sms: it must be a signature approved {_CONSOLE} (Signatures)")
_TEMPLATE = Fault(
    SETTING,
    f"check template_code= in --sms: it must be a template approved {_CONSOLE} (Templates) whose variables "
    "are the fields of params=",
)
_PARAMS = Fault(
    SETTING,
    "the template's variables do not take these values: check params= in --sms against the template's "
    "variables (a template that writes the link's address itself takes only its code: params=...,code)",
)
_ACCOUNT = Fault(
    SETTING, f"the Alibaba Cloud account cannot send: check its balance and SMS service {_CONSOLE}"
)
_CLOCK = Fault(
    SETTING,
    "the request's Timestamp is refused: set this machine's clock right (NTP); it must be within 15 minutes",
)

CODES: dict[str, str | Fault] = {
    # Alibaba Cloud's own faults and throttling: try again later.
    "isp.SYSTEM_ERROR": TEMPORARY,
    "isv.BUSINESS_LIMIT_CONTROL": TEMPORARY,  # per-number frequency limit (minute, hour, day)
    "Throttling": TEMPORARY,
    "Throttling.User": TEMPORARY,
    "Throttling.Api": TEMPORARY,
    "SignatureNonceUsed": TEMPORARY,  # the next attempt has a new nonce
    "ServiceUnavailable": TEMPORARY,
    "InternalError": TEMPORARY,
    # This number: the notice failed.
    "isv.MOBILE_NUMBER_ILLEGAL": PERMANENT,  # not a valid mobile number
    "isv.BLACK_KEY_CONTROL_LIMIT": PERMANENT,  # the number is on the blacklist (e.g. unsubscribed)
    "isv.MOBILE_COUNT_OVER_LIMIT": PERMANENT,  # more numbers than allowed in one request
    "isv.DOMESTIC_NUMBER_NOT_SUPPORTED": PERMANENT,  # an international template to a mainland number
    # The settings: every recipient would get the same answer.
    "InvalidAccessKeyId.NotFound": Fault(
        SETTING, "no such AccessKey ID: check the ID before the '@' in --sms (RAM console, AccessKey)"
    ),
    "InvalidAccessKeyId.Inactive": Fault(
        SETTING, "the AccessKey ID in --sms is disabled: enable it in the RAM console"
    ),
    "SignatureDoesNotMatch": _SECRET,
    "IncompleteSignature": _SECRET,
    "InvalidTimeStamp.Expired": _CLOCK,
    "InvalidTimeStamp.Format": _CLOCK,
    "Forbidden.RAM": Fault(
        SETTING,
        "the AccessKey's RAM user may not send SMS: grant it AliyunDysmsFullAccess in the RAM console",
    ),
    "isp.RAM_PERMISSION_DENY": Fault(
        SETTING,
        "the AccessKey's RAM user may not send SMS: grant it AliyunDysmsFullAccess in the RAM console",
    ),
    "isv.SMS_SIGNATURE_ILLEGAL": _SIGN,
    "isv.SMS_SIGN_ILLEGAL": _SIGN,
    "isv.SIGN_STATE_ILLEGAL": _SIGN,
    "isv.SMS_SIGNATURE_SCENE_ILLEGAL": Fault(
        SETTING,
        f"the signature's type does not allow this template's: use a general-purpose signature {_CONSOLE}",
    ),
    "isv.SMS_TEMPLATE_ILLEGAL": _TEMPLATE,
    "isv.TEMPLATE_MISSING_PARAMETERS": _TEMPLATE,
    "isv.TEMPLATE_PARAMS_ILLEGAL": _PARAMS,  # a variable's value holds a forbidden word
    "isv.PARAM_LENGTH_LIMIT": _PARAMS,  # a variable's value is too long (the link)
    "isv.PARAM_NOT_SUPPORT_URL": _PARAMS,  # a variable may not carry a URL
    "isv.INVALID_JSON_PARAM": _PARAMS,
    "isv.INVALID_PARAMETERS": Fault(SETTING, "Alibaba Cloud refused the request's parameters: check --sms"),
    "isv.SMS_CONTENT_ILLEGAL": Fault(
        SETTING, f"the text holds words SMS may not carry: change the template {_CONSOLE}"
    ),
    "isv.AMOUNT_NOT_ENOUGH": _ACCOUNT,
    "isv.OUT_OF_SERVICE": _ACCOUNT,
    "isv.ACCOUNT_NOT_EXISTS": Fault(
        SETTING, "no such account: check the AccessKey ID in --sms and its secret"
    ),
    "isv.ACCOUNT_ABNORMAL": _ACCOUNT,
    "isv.PRODUCT_UN_SUBSCRIPT": Fault(
        SETTING, "the account has not activated Short Message Service: activate it"
    ),
    "isv.PRODUCT_UNSUBSCRIBE": Fault(
        SETTING, "the account has not activated Short Message Service: activate it"
    ),
    "isv.DENY_IP_RANGE": Fault(
        SETTING,
        "Alibaba Cloud refuses texts to mainland China from this machine's IP region: send from the mainland",
    ),
    # A limit the operator set for the whole account: every text fails until it is raised
    # or the day (month) is over, so the campaign stops rather than retrying each one.
    "isv.DAY_LIMIT_CONTROL": Fault(
        SETTING,
        f"the account's daily limit is reached: raise it {_CONSOLE} (security settings) or run again tomorrow",
    ),
    "isv.MONTH_LIMIT_CONTROL": Fault(
        SETTING, f"the account's monthly limit is reached: raise it {_CONSOLE} (security settings)"
    ),
}
"""Alibaba Cloud's error codes (the SMS API's and the gateway's, as documented) by what
they mean here. A code not listed is temporary with a 5xx, else permanent."""


def percent_encode(text: str) -> str:
    """RFC 3986 percent-encoding of UTF-8, as the signature wants it: everything but
    letters, digits and ``-_.~`` is escaped (a space is %20, ``*`` is %2A, ``~`` stays)."""
    return quote(text, safe="~")


def canonical_query(params: Mapping[str, str]) -> str:
    """The parameters sorted by name, each ``name=value`` encoded, joined with "&"."""
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))


def string_to_sign(params: Mapping[str, str], method: str = "POST") -> str:
    """``method&%2F&encode(canonical query)``: the path is always "/" in the RPC style."""
    return f"{method}&{percent_encode('/')}&{percent_encode(canonical_query(params))}"


def signature(secret: str, params: Mapping[str, str], method: str = "POST") -> str:
    """Signature version 1.0: base64(HMAC-SHA1(secret + "&", :func:`string_to_sign`)).
    The parameters exclude ``Signature`` itself."""
    mac = hmac.new(f"{secret}&".encode(), string_to_sign(params, method).encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode("ascii")


def phone_numbers(number: str) -> str:
    """``PhoneNumbers`` of an E.164 number: a mainland number as its 11 digits
    (``+8613800138000`` -> ``13800138000``), any other with its country code and no "+"
    (``+85212345678`` -> ``85212345678``), as the SendSms documentation writes them."""
    if number.startswith("+86"):
        return number[3:]
    return number.removeprefix("+")


def timestamp(now: float) -> str:
    """``Timestamp``: UTC, ISO 8601 to the second (``2017-07-12T02:42:19Z``)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))


def nonce(key: str, now: float) -> str:
    """``SignatureNonce``: unique per request (Alibaba Cloud refuses one used before):
    a digest of the notice's idempotency key and the attempt's exact time, so a retry of
    the same text has a new one and two texts at the same instant differ."""
    return hashlib.sha256(f"{key}\0{now!r}".encode()).hexdigest()[:32]


def out_id(key: str) -> str:
    """``OutId``: the notice's idempotency key as a digest (see :data:`OUT_ID_CHARS`)."""
    return hashlib.sha256(key.encode()).hexdigest()[:OUT_ID_CHARS]


@dataclass(frozen=True, slots=True)
class AliyunProvider:
    """Sends an approved template filled with the text's parameters from one AccessKey."""

    access_key_id: str
    secret: str = field(repr=False)
    sign_name: str
    template_code: str
    region: str
    params: tuple[str, ...]
    base: str
    host: str
    insecure: bool
    name: str = field(default="aliyun", init=False)
    free_text: bool = field(default=False, init=False)

    @property
    def template_fields(self) -> tuple[str, ...]:
        """The template's parameters (``params=``)."""
        return self.params

    @property
    def description(self) -> str:
        return f"SMS via Alibaba Cloud at {self.host} (template {self.template_code})"

    @classmethod
    def from_url(cls, url: str, secret: str | None, *, allow_insecure: bool) -> AliyunProvider:
        """The provider of ``--sms aliyun://ACCESS_KEY_ID@host?sign_name=...&template_code=...``
        with the AccessKey secret from the environment (``secret``): NotifyError naming
        ``--sms`` or the secret's variable and what to write."""
        ep = endpoint(
            url, "aliyun", allow_insecure=allow_insecure, known=PARAMETERS, secret_env=SMS_SECRET_ENV
        )
        if not _ACCESS_KEY_ID.fullmatch(ep.user):
            raise NotifyError(
                f"{SETTING} {url!r}: put the AccessKey ID before the host, "
                "aliyun://ACCESS_KEY_ID@dysmsapi.aliyuncs.com (letters and digits, from the RAM console)"
            )
        sign_name, template_code = ep.query.get("sign_name", ""), ep.query.get("template_code", "")
        if not sign_name:
            raise NotifyError(
                f"{SETTING} {url!r}: add ?sign_name=... (the approved signature, as the SMS console writes it; "
                "percent-encode it in the URL)"
            )
        if not _TEMPLATE_CODE.fullmatch(template_code):
            raise NotifyError(
                f"{SETTING} {url!r}: add &template_code=SMS_... (the approved template's code, on the SMS console)"
            )
        region = ep.query.get("region") or DEFAULT_REGION
        if not _REGION.fullmatch(region):
            raise NotifyError(f"{SETTING} {url!r}: region= is a region ID such as {DEFAULT_REGION}")
        params = _params(url, ep.query.get("params"))
        if not secret:
            raise NotifyError(
                f"{SMS_SECRET_ENV} is not set: export the AccessKey secret of {ep.user} (RAM console) "
                "in the environment of `policyctl notify`"
            )
        return cls(ep.user, secret, sign_name, template_code, region, params, ep.base, ep.host, ep.insecure)

    def template_param(self, message: TextMessage) -> str:
        """``TemplateParam``: the chosen fields as compact JSON, in the order of params=."""
        missing = [name for name in self.params if name not in message.params]
        if missing:
            raise ValueError(f"the text's params lack {', '.join(missing)} (the channel fills every field)")
        values = {name: message.params[name] for name in self.params}
        return json.dumps(values, ensure_ascii=False, separators=(",", ":"))

    def parameters(self, message: TextMessage, now: float) -> dict[str, str]:
        """Every parameter of the request but ``Signature``."""
        return {
            "AccessKeyId": self.access_key_id,
            "Action": ACTION,
            "Format": "JSON",
            "OutId": out_id(message.key),
            "PhoneNumbers": phone_numbers(message.to),
            "RegionId": self.region,
            "SignName": self.sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce(message.key, now),
            "SignatureVersion": "1.0",
            "TemplateCode": self.template_code,
            "TemplateParam": self.template_param(message),
            "Timestamp": timestamp(now),
            "Version": API_VERSION,
        }

    def request(self, message: TextMessage, now: float) -> Request:
        params = self.parameters(message, now)
        body = f"{canonical_query(params)}&Signature={percent_encode(signature(self.secret, params))}"
        return Request(
            method="POST",
            url=f"{self.base}/",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
                "Accept-Encoding": "identity",
                "User-Agent": USER_AGENT,
            },
            content=body.encode("ascii"),
        )

    def outcome(self, status: int, headers: Mapping[str, str], body: bytes) -> Attempt:
        data = json_object(body)
        code = data.get("Code")
        if not isinstance(code, str) or not code:
            return self._without_code(status)
        if code == "OK":
            biz_id = str(data.get("BizId") or "")
            return Attempt(SENT, f"{status_line(status)}: OK {biz_id}".rstrip(), biz_id)
        message = _message(data)
        reply = f"{status_line(status)}: {code}" + (f": {message}" if message else "")
        meaning = CODES.get(code, TEMPORARY if status >= 500 or status == 429 else PERMANENT)
        if isinstance(meaning, Fault):
            raise ConfigurationError(
                meaning.setting, f"Alibaba Cloud at {self.host} answered {reply}; {meaning.advice}"
            )
        return Attempt(meaning, reply)

    def _without_code(self, status: int) -> Attempt:
        """An answer without a Code is not the SMS API's: a 5xx or 429 of something on the
        way is temporary; anything else would meet every text (a wrong host)."""
        if status >= 500 or status == 429:
            return Attempt(TEMPORARY, status_line(status))
        raise ConfigurationError(
            SETTING,
            f"{self.host} answered {status_line(status)} without an SMS API Code: check the host in --sms "
            "(dysmsapi.aliyuncs.com)",
        )


def _params(url: str, given: str | None) -> tuple[str, ...]:
    """The fields named by params= (default :data:`DEFAULT_PARAMS`), each known and once."""
    if given is None:
        return DEFAULT_PARAMS
    names = tuple(name.strip() for name in given.split(","))
    unknown = [name for name in names if name not in TEMPLATE_FIELDS]
    if unknown or not names or len(set(names)) != len(names):
        raise NotifyError(
            f"{SETTING} {url!r}: params= names the template's variables, each once, among "
            + ",".join(TEMPLATE_FIELDS)
            + (f" (not {', '.join(map(repr, unknown))})" if unknown else "")
        )
    return names


def _message(data: dict[str, Any]) -> str:
    """The answer's Message for the ledger. SignatureDoesNotMatch quotes the server's
    string to sign, which holds every parameter (the number too): only what comes before
    it is kept."""
    message = str(data.get("Message") or "")
    message = message.split("server string to sign is", 1)[0].rstrip(" :.")
    return redact(message)


if TYPE_CHECKING:

    def _is_a_provider(provider: AliyunProvider) -> Provider:
        """mypy checks here that the class satisfies the Provider protocol."""
        return provider
