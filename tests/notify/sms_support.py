"""An SMS gateway on loopback for the tests of the text messages: a real HTTP server that
takes the generic provider's signed JSON POSTs (``--sms http://127.0.0.1:PORT/sms``),
checks each as a gateway would (path, content type, Idempotency-Key, timestamp and
signature), records it, and answers as the test says."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests_support import running

SMS_SECRET = "sms-gateway-shared-secret"


@dataclass(frozen=True)
class Text:
    """One text the gateway took."""

    to: str
    text: str
    payload: dict[str, Any]
    headers: dict[str, str]
    signed: bool  # the signature verifies with SMS_SECRET
    attempt: int  # this number's n-th POST


DROP = 0
"""An answer's status that closes the connection without answering."""
# (text) -> (status, JSON body)
Answer = Callable[[Text], tuple[int, dict[str, Any]]]


def accept(text: Text) -> tuple[int, dict[str, Any]]:
    return 200, {"id": f"gw-{text.to[-4:]}-{text.attempt}", "status": "queued"}


class Gateway(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.answer: Answer = accept
        self.texts: list[Text] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/sms"

    def per_number(self) -> Counter[str]:
        with self.lock:
            return Counter(t.to for t in self.texts)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a campaign killed mid-request drops its connection: expected


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Gateway

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        assert self.path == "/sms", self.path
        assert self.headers["Content-Type"] == "application/json; charset=utf-8"
        payload = json.loads(body)
        assert self.headers["Idempotency-Key"] == payload["message_id"]
        timestamp = self.headers["X-Policy-Timestamp"]
        mac = hmac.new(SMS_SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
        with self.server.lock:
            attempt = 1 + sum(1 for t in self.server.texts if t.to == payload["to"])
            text = Text(
                payload["to"],
                payload["text"],
                payload,
                dict(self.headers),
                self.headers.get("X-Policy-Signature") == "sha256=" + mac.hexdigest(),
                attempt,
            )
            self.server.texts.append(text)
        status, reply = self.server.answer(text)
        if status == DROP:  # the line dropped: no answer at all
            self.close_connection = True
            return
        data = json.dumps(reply).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def gateway() -> AbstractContextManager[Gateway]:
    """A gateway on 127.0.0.1 (its answer set by the test), stopped on leaving."""
    return running(Gateway())
