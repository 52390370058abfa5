"""The webhook channel: one signed JSON POST per recipient (SMS gateway, in-app inbox).

Headers: ``Idempotency-Key`` (the notice's Message-ID from the ledger, derived from the
revision, the channel and the recipient: the same on every attempt and every run, so a
receiver drops a repeated key), ``X-Policy-Timestamp`` and, with a shared secret,
``X-Policy-Signature: sha256=<hex>`` = HMAC-SHA256(secret, timestamp + "." + body).

With an answer page (``answer_url``), the body's field ``answer_url`` is the recipient's
personal link to it (``<answer_url>?token=...``, see :mod:`notify.common.tokens`), and
``answer_expires`` when that link stops working: as in the email, the one way to object
and its one deadline (``rights_url`` is where to read one's rights). Without one, the
way is the rights section, before ``effective``.

The title, summary, core sections and links are in the language of the recipient's
notice (:meth:`Revision.language_for`: on a site with several languages the one matching
their ``locale``, else the source language), which the field ``language`` names.

What an answer means:

- 2xx: delivered.
- 3xx, 401, 403, 404, 405, 410: the ``--webhook`` setting is wrong (moved, no
  receiver there, not allowed): every recipient would get the same answer, so
  :class:`~notify.errors.ConfigurationError` halts the campaign with the rows left
  pending. Redirects are never followed: the signed body goes only where the operator
  said.
- 408, 425, 429, 5xx, timeouts and connection errors: temporary, retried.
- any other status (400, 422, ...): this recipient's notice was refused for good.

Sessions use httpx: one connection per session, kept alive and reused; every response
body is read to its end (up to ``MAX_BODY`` bytes; a longer one closes the connection)
so the next request never reads the rest of the previous answer. No proxy, netrc or
cookie from the environment or the receiver is used.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import ssl
import time
from urllib.parse import urljoin

import httpx

from notify.common.errors import ConfigurationError
from notify.common.secrets import WEBHOOK_SECRET_ENV
from notify.common.tokens import AnswerLinks
from notify.contract.revision import Revision
from notify.delivery.channels.base import PERMANENT, SENT, TEMPORARY, Attempt, RedlineChoice
from notify.delivery.channels.http import new_client, post_url, read_body, timeouts
from notify.delivery.ledger.ledger import Claimed

SETTING = "--webhook"
RETRY_STATUSES = frozenset({408, 425, 429})
# The receiver's URL is wrong or we may not post there: the same for every recipient.
CONFIGURATION_STATUSES = frozenset({401, 403, 404, 405, 410})
REPLY_CHARS = 200  # of the response body kept in the ledger's last reply


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class WebhookChannel:
    name = "webhook"

    def __init__(
        self,
        url: str,
        secret: str | None,
        revision: Revision,
        *,
        allow_insecure: bool,
        cafile: str | None = None,
        redlines: RedlineChoice | None = None,
    ) -> None:
        parts = post_url(
            url, SETTING, allow_insecure=allow_insecure, secret=f"--webhook-secret or {WEBHOOK_SECRET_ENV}"
        )
        self.url = url
        self.parts = parts
        self.secret = secret
        self.cafile = cafile
        # Where notices go, for messages: the query string may carry a token, so it is left out.
        self.description = f"webhook {parts.scheme}://{parts.netloc}{parts.path}"
        self.shown_url = f"{parts.scheme}://{parts.netloc}{parts.path or '/'}"
        self.revision = revision
        self.links = AnswerLinks.of(revision)  # the personal answer links, when notices carry them
        self.redlines = redlines
        """Who is governed by an older version (their body then names the redline from it)."""
        self._languages: dict[str, str] = {}  # recipient's locale -> language of their notice
        self._static: dict[str, str] = {}  # the body's revision fields, per language of the notice

    def _fields(self, locale: str) -> str:
        """The revision's fields of the body (without the closing brace) in the language
        of a recipient of ``locale``: serialised once per language, not per recipient."""
        language = self._languages.get(locale)
        if language is None:
            language = self._languages[locale] = self.revision.language_for(locale)
        static = self._static.get(language)
        if static is None:
            r = self.revision.in_language(language)
            fields: dict[str, object] = {
                "document": r.document,
                "title": r.title,
                "version": r.version,
                "sha256": r.sha256,
                "published": r.published.isoformat(),
                "effective": r.effective.isoformat(),
                "summary": r.summary,
                "core_sections": r.core_section_records(),
                "url": r.url,
                "changes_url": r.changes_url,
                "rights_url": r.rights_url,
                "late": r.late,
            }
            if r.language:
                fields["language"] = r.language
            if self.links is not None:  # the one deadline of the personal link (the answer page's)
                fields["answer_expires"] = self.links.expires.isoformat()
            static = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))[:-1]
            self._static[language] = static
        return static

    def body(self, item: Claimed) -> bytes:
        recipient = json.dumps(
            {"id": item.recipient_id, "email": item.email, "name": item.name, "locale": item.locale},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        link = ""
        if self.links is not None:
            link = f',"answer_url":{json.dumps(self.links.link(item.recipient_id, item.email, item.locale))}'
        since = self.redlines.since(item.recipient_id, item.email) if self.redlines is not None else ""
        if since:
            # Governed by an older version (a standing objection): the redline from it.
            language = self._languages.get(item.locale) or self.revision.language_for(item.locale)
            url = self.revision.changes_url_from(since, language)
            if url:
                link += f',"changes_from":{json.dumps(since)},"recipient_changes_url":{json.dumps(url)}'
        return f'{self._fields(item.locale)},"message_id":{json.dumps(item.message_id)}{link},"recipient":{recipient}}}'.encode()

    @staticmethod
    def idempotency_key(item: Claimed) -> str:
        """The notice's Message-ID, written into the ledger when the recipient was enqueued:
        a digest of (document, version, channel, recipient), never of the attempt or run."""
        return item.message_id

    def headers(self, item: Claimed, body: bytes, timestamp: str) -> dict[str, str]:
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Accept-Encoding": "identity",  # the reply is kept as text in the ledger
            "User-Agent": "policy-publisher-notify",
            "Idempotency-Key": self.idempotency_key(item),
            "X-Policy-Timestamp": timestamp,
        }
        if self.secret:
            headers["X-Policy-Signature"] = signature(self.secret, timestamp, body)
        return headers

    def verify(self) -> ssl.SSLContext:
        """The system's certificate authorities (as http.client used), or --cafile's."""
        return ssl.create_default_context(cafile=self.cafile)

    async def preflight(self) -> None:
        return None

    def session(self) -> WebhookSession:
        return WebhookSession(self)


class WebhookSession:
    """One keep-alive connection to the receiver, reused for every notice of this sender."""

    def __init__(self, channel: WebhookChannel) -> None:
        self.channel = channel
        self.client: httpx.AsyncClient | None = None

    def _client(self) -> httpx.AsyncClient:
        if self.client is None:
            ch = self.channel
            # Plain http:// has no certificate to verify (only loopback or --allow-insecure).
            self.client = new_client(ch.verify() if ch.parts.scheme == "https" else False)
        return self.client

    async def deliver(self, item: Claimed, timeout: float) -> Attempt:
        ch = self.channel
        timeout = max(timeout, 0.01)
        body = ch.body(item)
        headers = ch.headers(item, body, str(int(time.time())))
        limits = timeouts(timeout)
        client = self._client()
        try:
            async with asyncio.timeout(timeout):
                async with client.stream(
                    "POST", ch.url, content=body, headers=headers, timeout=limits
                ) as response:
                    status, reason = response.status_code, response.reason_phrase
                    location = response.headers.get("Location")
                    text = await _read_to_end(response)
        except (TimeoutError, httpx.TimeoutException):
            return Attempt(TEMPORARY, "connection lost: timeout")
        except httpx.HTTPError as exc:  # connection refused, reset, a malformed answer, ...
            return Attempt(TEMPORARY, f"connection lost: {exc.__class__.__name__}: {exc}")
        reply = f"HTTP {status} {reason}".rstrip() + (f": {text}" if text else "")
        if 200 <= status < 300:
            return Attempt(SENT, reply)
        if 300 <= status < 400:
            target = f" to {urljoin(ch.shown_url, location)}" if location else ""
            raise ConfigurationError(
                SETTING,
                f"the webhook {ch.shown_url} answered HTTP {status} {reason} (a redirect{target}, "
                "which is not followed): give the receiver's own URL",
            )
        if status in CONFIGURATION_STATUSES:
            raise ConfigurationError(
                SETTING,
                f"the webhook {ch.shown_url} answered HTTP {status} {reason}: "
                + _CONFIGURATION_ADVICE.get(status, "check the URL"),
            )
        if status >= 500 or status in RETRY_STATUSES:
            return Attempt(TEMPORARY, reply)
        return Attempt(PERMANENT, reply)

    async def close(self) -> None:
        if self.client is not None:
            client, self.client = self.client, None
            await client.aclose()


_CONFIGURATION_ADVICE = {
    401: "the receiver wants credentials; check the shared secret (--webhook-secret) and the URL",
    403: "the receiver refuses us; check the URL, the shared secret and the receiver's allow-list",
    404: "no receiver at this URL; check the URL",
    405: "this URL does not take POST; check the URL",
    410: "the receiver is gone from this URL; give its current URL",
}


async def _read_to_end(response: httpx.Response) -> str:
    """The body read to its end, its start as one line for the ledger."""
    kept = await read_body(response, REPLY_CHARS * 4)
    text = " ".join(kept.decode("utf-8", "replace").split())
    return text[:REPLY_CHARS]
