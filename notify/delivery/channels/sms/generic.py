"""The generic SMS provider: one signed JSON POST per text to the operator's gateway
(``--sms https://…``, or ``http://`` to a loopback host).

The body: ``{"to": "+8613800138000", "text": "…", "language": "zh", "document":
"privacy", "version": "2.0", "message_id": "<…>", "recipient": {"id": "42"}}``.
Headers as the webhook's (:mod:`notify.delivery.channels.webhook`): ``Idempotency-Key``
(the notice's Message-ID: the same on every attempt and run, so the gateway drops a
repeated one), ``X-Policy-Timestamp`` and, with ``POLICYCTL_SMS_SECRET`` set,
``X-Policy-Signature: sha256=<hex>`` = HMAC-SHA256(secret, timestamp + "." + body).

The answer: 2xx is accepted, and a JSON body's ``id`` (or ``message_id``) is the
gateway's id of the message; the statuses mean what they mean to the webhook (408,
425, 429 and 5xx: retried; 3xx, 401, 403, 404, 405, 410: the setting is wrong, the
campaign stops; any other: this number was refused). The reply kept names the status
and the body's ``error`` or ``message``, never the body itself (it may echo the number).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from notify.common.errors import ConfigurationError
from notify.common.secrets import SMS_SECRET_ENV
from notify.delivery.channels.base import PERMANENT, SENT, TEMPORARY, Attempt
from notify.delivery.channels.http import post_url
from notify.delivery.channels.sms.common import REPLY_CHARS, USER_AGENT, json_object
from notify.delivery.channels.sms.provider import SETTING, Request, TextMessage
from notify.delivery.channels.webhook import CONFIGURATION_STATUSES, RETRY_STATUSES, signature

ID_CHARS = 200


@dataclass(frozen=True)
class GenericProvider:
    url: str
    secret: str | None = None
    name: str = "https"
    free_text: bool = True
    template_fields: tuple[str, ...] = ()

    @classmethod
    def from_url(cls, url: str, secret: str | None, *, allow_insecure: bool) -> GenericProvider:
        post_url(
            url,
            SETTING,
            allow_insecure=allow_insecure,
            secret=SMS_SECRET_ENV,
            others=" (or twilio://, aliyun://)",
        )
        return cls(url, secret)

    @property
    def insecure(self) -> bool:
        return urlsplit(self.url).scheme == "http"

    @property
    def shown(self) -> str:
        """The URL without its query (which may carry a token)."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}{parts.path or '/'}"

    @property
    def description(self) -> str:
        return f"SMS gateway {self.shown}"

    def request(self, message: TextMessage, now: float) -> Request:
        body = json.dumps(
            {
                "to": message.to,
                "text": message.text,
                "language": message.language,
                "document": message.document,
                "version": message.version,
                "message_id": message.key,
                "recipient": {"id": message.recipient_id},
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode("utf-8")
        timestamp = str(int(now))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Accept-Encoding": "identity",
            "User-Agent": USER_AGENT,
            "Idempotency-Key": message.key,
            "X-Policy-Timestamp": timestamp,
        }
        if self.secret:
            headers["X-Policy-Signature"] = signature(self.secret, timestamp, body)
        return Request("POST", self.url, headers, body)

    def outcome(self, status: int, headers: Mapping[str, str], body: bytes) -> Attempt:
        data = json_object(body)
        said = _said(data)
        reply = f"HTTP {status}" + (f": {said}" if said else "")
        if 200 <= status < 300:
            return Attempt(SENT, reply, _provider_id(data))
        if 300 <= status < 400 or status in CONFIGURATION_STATUSES:
            raise ConfigurationError(
                SETTING,
                f"the SMS gateway {self.shown} answered HTTP {status}{f' ({said})' if said else ''}: "
                "check the URL and the shared secret " + SMS_SECRET_ENV,
            )
        if status >= 500 or status in RETRY_STATUSES:
            return Attempt(TEMPORARY, reply)
        return Attempt(PERMANENT, reply)


def _said(data: dict[str, Any]) -> str:
    """The gateway's own words (``error`` or ``message``), on one line."""
    for key in ("error", "message"):
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())[:REPLY_CHARS]
    return ""


def _provider_id(data: dict[str, Any]) -> str:
    for key in ("id", "message_id"):
        value = data.get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
            return " ".join(str(value).split())[:ID_CHARS]
    return ""
