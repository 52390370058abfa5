"""The webhook channel: one signed JSON POST per recipient (SMS gateway, in-app inbox).

Headers: ``Idempotency-Key`` (the stable Message-ID, so a receiver can drop a
duplicate after a crash), ``X-Policy-Timestamp`` and, with a shared secret,
``X-Policy-Signature: sha256=<hex>`` = HMAC-SHA256(secret, timestamp + "." + body).
2xx is delivered; 408, 425, 429, 5xx, timeouts and connection errors are retried;
any other status is a permanent failure.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import http.client
import json
import time
from urllib.parse import urlsplit

from notify.delivery import PERMANENT, SENT, TEMPORARY, Attempt
from notify.errors import NotifyError
from notify.ledger import Claimed
from notify.revision import Revision
from notify.smtp import is_loopback

SECRET_ENV = "POLICYCTL_WEBHOOK_SECRET"
RETRY_STATUSES = {408, 425, 429}


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class WebhookChannel:
    name = "webhook"

    def __init__(self, url: str, secret: str | None, revision: Revision, *, allow_insecure: bool) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise NotifyError(f"--webhook {url!r}: give an http:// or https:// URL")
        if parts.scheme == "http" and not is_loopback(parts.hostname) and not allow_insecure:
            raise NotifyError(
                f"--webhook {url!r}: plain HTTP to a host that is not loopback; use https:// or --allow-insecure"
            )
        if parts.username or parts.password:
            raise NotifyError(
                "--webhook: do not put credentials in the URL; use --webhook-secret or " + SECRET_ENV
            )
        self.url = url
        self.parts = parts
        self.secret = secret
        self.description = f"webhook {parts.scheme}://{parts.netloc}{parts.path}"
        self.revision = revision
        r = revision
        self._static = json.dumps(
            {
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
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )[:-1]

    def body(self, item: Claimed) -> bytes:
        recipient = json.dumps(
            {"id": item.recipient_id, "email": item.email, "name": item.name, "locale": item.locale},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        return f'{self._static},"message_id":{json.dumps(item.message_id)},"recipient":{recipient}}}'.encode()

    async def preflight(self) -> None:
        return None

    def session(self) -> WebhookSession:
        return WebhookSession(self)


class WebhookSession:
    def __init__(self, channel: WebhookChannel) -> None:
        self.channel = channel
        self.conn: http.client.HTTPConnection | None = None

    def _post(self, body: bytes, item: Claimed, timeout: float) -> Attempt:
        ch = self.channel
        parts = ch.parts
        if self.conn is None:
            cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
            self.conn = cls(parts.hostname or "", parts.port, timeout=timeout)
        conn = self.conn
        conn.timeout = timeout
        if conn.sock is not None:
            conn.sock.settimeout(timeout)
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "policy-publisher-notify",
            "Idempotency-Key": item.message_id,
            "X-Policy-Timestamp": timestamp,
        }
        if ch.secret:
            headers["X-Policy-Signature"] = signature(ch.secret, timestamp, body)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read(500).decode("utf-8", "replace").strip()
            if response.will_close:
                self._drop()
        except (OSError, http.client.HTTPException) as exc:
            self._drop()
            kind = "timeout" if isinstance(exc, TimeoutError) else f"{exc.__class__.__name__}: {exc}"
            return Attempt(TEMPORARY, f"connection lost: {kind}")
        reply = f"HTTP {response.status} {response.reason}" + (f": {text[:200]}" if text else "")
        if 200 <= response.status < 300:
            return Attempt(SENT, reply)
        if response.status >= 500 or response.status in RETRY_STATUSES:
            self._drop()
            return Attempt(TEMPORARY, reply)
        return Attempt(PERMANENT, reply)

    def _drop(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    async def deliver(self, item: Claimed, timeout: float) -> Attempt:
        body = self.channel.body(item)
        return await asyncio.to_thread(self._post, body, item, max(timeout, 0.01))

    async def close(self) -> None:
        self._drop()
