"""Plain helpers of the notify tests: revisions, recipients files, the notify command
line run in-process or as a subprocess, the aiosmtpd handler behind the `smtp_server`
fixture, and readers of the delivery ledger. The fixtures are in conftest.py beside
this file; what the whole suite shares (free_port, git, policies) is in
tests/tests_support.py."""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import hashlib
import hmac
import io
import json
import os
import subprocess
import sys
import threading
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import AuthResult, LoginPassword
from rich.console import Console

from generator.commands.notify import add_delivery_arguments, deliver
from notify.answers.governed import RecipientRedlines
from notify.contract.revision import Revision

ROOT = Path(__file__).resolve().parents[2]
# `policyctl` in a child process, whatever the virtual environment's scripts.
POLICYCTL = "import sys; from generator.commands import main; sys.argv[0] = 'policyctl'; sys.exit(main())"
CST = timezone(timedelta(hours=8))


def make_revision(**changes: Any) -> Revision:
    fields: dict[str, Any] = dict(
        document="privacy",
        title="Privacy Policy",
        version="2.0",
        sha256="5" * 64,
        published=datetime(2026, 9, 30, tzinfo=CST),
        effective=datetime(2026, 10, 16, tzinfo=CST),
        summary="We now share order data with the courier <only> for delivery & returns.",
        core_sections=(("sharing", "V. How we share information"), ("rights", "VI. Your rights")),
        url="https://shop.example/privacy/versions/2.0/",
        changes_url="https://shop.example/privacy/changes/1.0-to-2.0/",
        rights_url="https://shop.example/privacy/#rights",
    )
    fields.update(changes)
    return Revision(**fields)


def revision_json(revision: Revision, path: Path) -> Path:
    data = {k: getattr(revision, k) for k in revision.__dataclass_fields__}
    data["published"] = revision.published.isoformat()
    data["effective"] = revision.effective.isoformat()
    data["core_sections"] = [list(pair) for pair in revision.core_sections]
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def write_csv(path: Path, count: int, *, start: int = 0, domain: str = "users.example") -> Path:
    with path.open("w", encoding="utf-8") as fh:
        fh.write("id,email,name,locale\n")
        for i in range(start, start + count):
            fh.write(f"{i},user{i}@{domain},User {i},en\n")
    return path


@dataclass
class Outcome:
    code: int
    out: str  # console output (human report)
    stdout: str  # --json / --report output


def notify(
    repo: Path, revisions: list[Revision], *argv: str, capsys: Any = None, region: str | None = None
) -> Outcome:
    """Deliver `revisions` in-process as `policyctl notify` does once it has chosen them:
    its delivery flags, turned into options, handed to notify.delivery.api (``region``:
    the calendar's country, as `policyctl notify` passes it)."""
    parser = argparse.ArgumentParser()
    add_delivery_arguments(parser)
    args = parser.parse_args(list(argv))
    buffer = io.StringIO()
    console = Console(file=buffer, width=200, force_terminal=False)
    code = deliver(args, revisions, repo=repo, console=console, redlines_for=RecipientRedlines, region=region)
    stdout = capsys.readouterr().out if capsys is not None else ""
    return Outcome(code, buffer.getvalue(), stdout)


def notify_process(
    repo: Path, revision: Revision, *argv: str, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    """Start `policyctl notify --revision-file` for one revision as a real subprocess
    (`repo` need not be a git repository: the revision comes from the file)."""
    rev = revision_json(revision, repo / f"revision-{revision.document}-{revision.version}.json")
    return subprocess.Popen(
        [sys.executable, "-c", POLICYCTL, "notify", "--repo", str(repo), "--revision-file", str(rev), *argv],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {}), "PYTHONPATH": str(ROOT)},
    )


# -- the real SMTP server's handler ---------------------------------------------------------------------


@dataclass
class Received:
    envelope_from: str
    rcpt: list[str]
    data: bytes

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)  # type: ignore[return-value]


@dataclass
class SmtpServer:
    """aiosmtpd on loopback. ``on_rcpt``/``on_data`` may return a reply string to
    override the default 250, or the string "DROP" to close the connection."""

    port: int = 0
    received: list[Received] = field(default_factory=list)
    connections: int = 0
    on_rcpt: Callable[[str, int], str | None] | None = None  # (address, attempt number) -> reply
    on_data: Callable[[str, int], str | None] | None = None
    stall: set[str] = field(default_factory=set)  # addresses whose DATA never gets a reply
    release: threading.Event = field(default_factory=threading.Event)
    attempts: Counter[str] = field(default_factory=Counter)
    data_attempts: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)
    after_data: Callable[[int], None] | None = None  # called with the count of accepted messages
    controller: Any = None

    def counts(self) -> Counter[str]:
        with self.lock:
            return Counter(r for m in self.received for r in m.rcpt)

    # aiosmtpd handler hooks
    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        with self.lock:
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        with self.lock:
            self.attempts[address] += 1
            n = self.attempts[address]
        reply = self.on_rcpt(address, n) if self.on_rcpt else None
        if reply == "DROP":
            server.transport.close()
            return "421 closing"
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        address = envelope.rcpt_tos[0]
        with self.lock:
            self.data_attempts[address] += 1
            n = self.data_attempts[address]
        if address in self.stall:
            while not self.release.is_set():
                await asyncio.sleep(0.02)
            return "451 released"
        reply = self.on_data(address, n) if self.on_data else None
        if reply == "DROP":
            server.transport.close()
            return "421 closing"
        if reply:
            return reply
        with self.lock:
            self.received.append(
                Received(
                    envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content
                )
            )
            accepted = len(self.received)
        if self.after_data is not None:
            self.after_data(accepted)
        return "250 2.0.0 Queued"


def authenticator(user: str, password: str) -> Callable[..., AuthResult]:
    """An aiosmtpd AUTH check that accepts one user name and password."""

    def check(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == user
            and auth_data.password.decode() == password
        )
        return AuthResult(success=ok, handled=False)

    return check


# -- the delivery ledger ----------------------------------------------------------------------


def ledger_rows(url: str) -> list[dict[str, Any]]:
    """Every row of the ledger at `url`, as the evidence export reads them."""
    from notify.delivery.ledger.ledger import Ledger

    ledger = Ledger(url)
    try:
        return list(ledger.iter_rows())
    finally:
        ledger.close()


def sqlite_url(repo: Path) -> str:
    """The default ledger of a repository (`.policy/ledger.sqlite3`)."""
    return f"sqlite:///{repo / '.policy' / 'ledger.sqlite3'}"


# -- a webhook receiver on loopback ---------------------------------------------------------------------

SECRET = "s3cret-shared"


@dataclass(frozen=True)
class Post:
    path: str
    email: str
    attempt: int  # this recipient's n-th POST at this receiver
    headers: dict[str, str]
    payload: dict[str, Any]
    signed: bool  # the signature verifies with SECRET


# (post) -> (status, extra headers, body)
Answer = Callable[[Post], tuple[int, dict[str, str], bytes]]


def accept(post: Post) -> tuple[int, dict[str, str], bytes]:
    return 202, {}, b'{"ok": true}'


class Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.lock = threading.Lock()
        self.answer: Answer = accept
        self.posts: list[Post] = []
        self.connections = 0
        self.release = threading.Event()  # lets a stalled answer go at the end of the test

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"

    def attempts(self, path: str | None = None) -> Counter[str]:
        """POSTs per recipient (at one path, or anywhere)."""
        with self.lock:
            return Counter(p.email for p in self.posts if path is None or p.path == path)

    def keys(self) -> dict[str, list[str]]:
        """The Idempotency-Key of every POST, per recipient, in order."""
        out: dict[str, list[str]] = defaultdict(list)
        with self.lock:
            for p in self.posts:
                out[p.email].append(p.headers["Idempotency-Key"])
        return out

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that stops reading a huge body closes the connection: expected


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Receiver

    def log_message(self, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        with self.server.lock:
            self.server.connections += 1

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        payload = json.loads(body)
        email = payload["recipient"]["email"]
        mac = hmac.new(
            SECRET.encode(), self.headers["X-Policy-Timestamp"].encode() + b"." + body, hashlib.sha256
        )
        with self.server.lock:
            attempt = 1 + sum(1 for p in self.server.posts if p.email == email)
            post = Post(
                self.path.split("?")[0],
                email,
                attempt,
                dict(self.headers),
                payload,
                self.headers.get("X-Policy-Signature") == "sha256=" + mac.hexdigest(),
            )
            self.server.posts.append(post)
        status, headers, reply = self.server.answer(post)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        if "Transfer-Encoding" not in headers and status != 204:
            self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)


def smtp_campaign(repo: Path, as_of: str, *argv: str, secret: str | None = None) -> tuple[int, str, dict]:
    """`policyctl notify --repo REPO --as-of AS_OF --recipients REPO/users.csv` in-process
    to a real SMTP server on loopback (aiosmtpd), with `argv` added and, when given, the
    answer secret in the environment: the exit status, what it printed, and the messages
    received by recipient."""
    import contextlib

    from aiosmtpd.controller import Controller
    from tests_support import free_port

    from generator.commands import main as policyctl_main
    from notify.common.secrets import ANSWER_SECRET_ENV

    smtp = SmtpServer()
    smtp.port = free_port()
    controller = Controller(smtp, hostname="127.0.0.1", port=smtp.port, ready_timeout=10)
    controller.start()
    out = io.StringIO()
    saved = os.environ.get(ANSWER_SECRET_ENV)
    try:
        if secret is not None:
            os.environ[ANSWER_SECRET_ENV] = secret
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            code = policyctl_main(
                [
                    "notify", "--repo", str(repo), "--as-of", as_of,
                    "--recipients", str(repo / "users.csv"),
                    "--smtp", f"smtp://127.0.0.1:{smtp.port}", *argv,
                ]
            )  # fmt: skip
    finally:
        controller.stop()
        if secret is not None:
            if saved is None:
                os.environ.pop(ANSWER_SECRET_ENV, None)
            else:
                os.environ[ANSWER_SECRET_ENV] = saved
    return code, out.getvalue(), {m.rcpt[0]: m.message for m in smtp.received}
