"""SMTP PIPELINING (RFC 2920) and the SMTP configuration faults, against real servers.

aiosmtpd reads a client's commands line by line from its stream, so it serves a
pipelined group correctly; it only does not advertise PIPELINING. ``ScriptedServer``
adds the keyword to its EHLO reply when asked, a hook for MAIL FROM, and notes for
every MAIL FROM whether the rest of the group (RCPT, DATA) was already waiting in its
input: that is how the tests see that the client pipelines against a server that
advertises it, and never against one that does not. Every test counts deliveries per
recipient at the server, and runs against both kinds of server where the reply
reading differs.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest
from aiosmtpd.controller import Controller
from notify_support import (
    SmtpServer,
    authenticator,
    ledger_rows,
    make_revision,
    notify,
    sqlite_url,
    write_csv,
)
from tests_support import free_port

from notify.common.errors import ConfigurationError
from notify.delivery.channels.message import Composer, Sender, Templates
from notify.delivery.channels.smtp import SmtpChannel, SmtpConfig, _Replies
from notify.delivery.ledger.ledger import Claimed

FAST = ("--retry-base", "0.01")
FROM = "Shop Privacy <privacy@shop.example>"

# the test servers offer AUTH without TLS on loopback, on purpose
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

MODES = pytest.mark.parametrize("pipelining", [True, False], ids=["pipelining", "no-pipelining"])


@dataclass
class ScriptedServer(SmtpServer):
    """The suite's aiosmtpd handler, plus PIPELINING in EHLO (if ``pipelining``) and
    ``on_mail(sender, n) -> reply`` for the n-th MAIL FROM of the server's life."""

    pipelining: bool = True
    on_mail: Callable[[str, int], str | None] | None = None
    mails: int = 0
    grouped: list[bool] = field(default_factory=list)  # per MAIL FROM: were RCPT/DATA already sent?

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        responses = await super().handle_EHLO(server, session, envelope, hostname, responses)
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, mail_options: list[str]
    ) -> str:
        # What the client wrote after MAIL FROM before it had our reply (StreamReader's buffer).
        waiting = bytes(getattr(server._reader, "_buffer", b""))
        with self.lock:
            self.mails += 1
            n = self.mails
            self.grouped.append(b"RCPT TO:" in waiting)
        reply = self.on_mail(address, n) if self.on_mail else None
        if reply:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"


@pytest.fixture
def scripted_server() -> Iterator[Callable[..., ScriptedServer]]:
    """Factory: scripted_server(pipelining=..., auth=..., tls=..., cert=..., **handler options)."""
    started: list[Controller] = []

    def start(
        auth: tuple[str, str] | None = None,
        auth_required: bool = False,
        tls: str | None = None,
        cert: tuple[Path, Path] | None = None,
        **options: Any,
    ) -> ScriptedServer:
        import ssl

        handler = ScriptedServer(**options)
        handler.port = free_port()
        kwargs: dict[str, Any] = {}
        if auth or auth_required:
            kwargs = {
                "authenticator": authenticator(*(auth or ("nobody", "nothing"))),
                "auth_require_tls": False,
                "auth_required": True,
            }
        if tls:
            assert cert is not None
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(cert[0]), str(cert[1]))
            if tls == "starttls":
                kwargs.update(tls_context=context, require_starttls=True)
            else:
                kwargs.update(ssl_context=context)
        controller = Controller(handler, hostname="127.0.0.1", port=handler.port, ready_timeout=10, **kwargs)
        controller.start()
        handler.controller = controller
        started.append(controller)
        return handler

    yield start
    for controller in started:
        try:
            controller.stop()
        except AssertionError:  # already stopped by the test
            pass


def url(server: ScriptedServer) -> str:
    return f"smtp://127.0.0.1:{server.port}"


def everyone(count: int) -> Counter[str]:
    return Counter({f"user{i}@users.example": 1 for i in range(count)})


# -- pipelined and step-by-step sessions ----------------------------------------------------------------


@MODES
def test_every_recipient_gets_one_message_and_the_group_is_pipelined_only_when_offered(
    tmp_path: Path, revision, scripted_server, pipelining: bool, capsys
) -> None:
    server = scripted_server(pipelining=pipelining)
    write_csv(tmp_path / "users.csv", 300)
    result = notify(
        tmp_path,
        [revision],
        "--recipients",
        str(tmp_path / "users.csv"),
        "--smtp",
        url(server),
        "--from",
        FROM,
        "--concurrency",
        "4",
        "--json",
        capsys=capsys,
    )
    assert result.code == 0, result.out
    report = json.loads(result.stdout)["campaigns"][0]
    assert report["sent"] == 300 and report["failed"] == 0 and report["remaining"] == 0
    assert server.counts() == everyone(300)
    assert server.connections <= 4 + 1  # sessions reused (the pool plus the pre-flight check)
    rows = ledger_rows(sqlite_url(tmp_path))
    assert {r["status"] for r in rows} == {"sent"} and {r["attempts"] for r in rows} == {1}
    assert {r["last_reply"] for r in rows} == {"250 2.0.0 Queued"}
    # Every transaction's MAIL FROM arrived with its RCPT and DATA behind it, or never.
    transactions = server.grouped[1:]  # the first is the pre-flight check of the sender
    assert len(transactions) == 300
    assert set(transactions) == {pipelining}
    # the messages are whole: the body after DATA, dot-stuffing undone by the server
    msg = server.received[0].message
    assert msg["Subject"] and msg["Message-ID"] in {r["message_id"] for r in rows}
    assert msg.get_body(("plain",)).get_content().strip()


@MODES
def test_per_recipient_answers_stay_per_recipient(
    tmp_path: Path, revision, scripted_server, pipelining: bool, capsys
) -> None:
    """5xx to RCPT: that recipient fails for good; 4xx to RCPT: retried; 5xx after the
    body: that recipient fails; everyone else gets exactly one message on the same sessions."""

    def on_rcpt(address: str, n: int) -> str | None:
        if address == "user3@users.example":
            return "550 5.1.1 No such user here"
        if address == "user5@users.example" and n == 1:
            return "450 4.2.1 Mailbox busy, try again"
        return None

    def on_data(address: str, n: int) -> str | None:
        return "554 5.7.1 Message refused for this mailbox" if address == "user7@users.example" else None

    server = scripted_server(pipelining=pipelining, on_rcpt=on_rcpt, on_data=on_data)
    write_csv(tmp_path / "users.csv", 40)
    result = notify(
        tmp_path,
        [revision],
        "--recipients",
        str(tmp_path / "users.csv"),
        "--smtp",
        url(server),
        "--concurrency",
        "2",
        *FAST,
        "--json",
        capsys=capsys,
    )
    assert result.code == 1, result.out
    report = json.loads(result.stdout)["campaigns"][0]
    assert report["sent"] == 38 and report["failed"] == 2 and report["deferred"] == 0
    expected = everyone(40)
    del expected["user3@users.example"], expected["user7@users.example"]
    assert server.counts() == expected
    rows = {r["email"]: r for r in ledger_rows(sqlite_url(tmp_path))}
    assert rows["user3@users.example"]["status"] == "failed"
    assert rows["user3@users.example"]["last_reply"] == "550 5.1.1 No such user here"
    assert rows["user7@users.example"]["status"] == "failed"
    assert rows["user7@users.example"]["last_reply"] == "554 5.7.1 Message refused for this mailbox"
    assert rows["user5@users.example"]["status"] == "sent" and rows["user5@users.example"]["attempts"] == 2
    assert server.attempts["user3@users.example"] == 1
    # a refused recipient is followed by RSET on the same session, not a new connection
    assert server.connections <= 2 + 1


@MODES
def test_a_4xx_to_mail_from_and_a_dropped_connection_are_retried_not_failed(
    tmp_path: Path, revision, scripted_server, pipelining: bool
) -> None:
    """451 to MAIL FROM is temporary (not a settings fault); a server that hangs up in the
    middle of a group gets the row again on a new connection; everyone once."""

    def on_mail(sender: str, n: int) -> str | None:
        return "451 4.3.0 Temporary local problem, try later" if n in (5, 6) else None

    def on_rcpt(address: str, n: int) -> str | None:
        return "DROP" if address == "user9@users.example" and n == 1 else None

    server = scripted_server(pipelining=pipelining, on_mail=on_mail, on_rcpt=on_rcpt)
    write_csv(tmp_path / "users.csv", 30)
    result = notify(
        tmp_path,
        [revision],
        "--recipients",
        str(tmp_path / "users.csv"),
        "--smtp",
        url(server),
        "--concurrency",
        "2",
        *FAST,
    )
    assert result.code == 0, result.out
    assert server.counts() == everyone(30)
    rows = ledger_rows(sqlite_url(tmp_path))
    assert {r["status"] for r in rows} == {"sent"}
    assert sum(r["attempts"] for r in rows) == 30 + 2 + 1  # two 451s, one hang-up
    assert server.connections >= 2 + 1 + 1  # the pool, the pre-flight check, one reconnection


def test_pipelining_over_starttls_with_authentication(
    tmp_path: Path, revision, scripted_server, certificate, monkeypatch
) -> None:
    server = scripted_server(auth=("shop", "pw"), tls="starttls", cert=certificate)
    write_csv(tmp_path / "users.csv", 30)
    monkeypatch.setenv("POLICYCTL_SMTP_PASSWORD", "pw")
    result = notify(
        tmp_path,
        [revision],
        "--recipients",
        str(tmp_path / "users.csv"),
        "--smtp",
        f"smtp://shop@127.0.0.1:{server.port}",
        "--cafile",
        str(certificate[0]),
        "--concurrency",
        "3",
    )
    assert result.code == 0, result.out
    assert server.counts() == everyone(30)
    assert set(server.grouped[1:]) == {True}


# -- the session itself, on asyncio's own event loop (the command runs on uvloop) ----------------------


def _channel(port: int, *, implicit_tls: bool = False, cafile: str | None = None) -> SmtpChannel:
    config = SmtpConfig(
        "127.0.0.1", port, implicit_tls, False if implicit_tls else None, None, None, 10, cafile
    )
    revision = make_revision()
    composer = Composer(revision, Sender.parse(FROM), Templates([]))
    return SmtpChannel(config, composer)


def _claimed(i: int) -> Claimed:
    return Claimed(
        id=i,
        email=f"user{i}@users.example",
        name=f"User {i}",
        locale="en",
        recipient=f"user{i}@users.example",
        recipient_id=str(i),
        message_id=f"<m{i}@shop.example>",
    )


def _send_all(channel: SmtpChannel, items: list[Claimed]) -> list[Any]:
    async def go() -> list[Any]:
        session = channel.session()
        try:
            return [await session.deliver(item, 10) for item in items]
        finally:
            await session.close()

    return asyncio.run(go())


@pytest.mark.parametrize("tls", [None, "implicit"])
@MODES
def test_a_session_on_the_default_event_loop(
    scripted_server, certificate, pipelining: bool, tls: str | None
) -> None:
    server = scripted_server(pipelining=pipelining, tls=tls, cert=certificate if tls else None)
    channel = _channel(server.port, implicit_tls=tls is not None, cafile=str(certificate[0]))
    attempts = _send_all(channel, [_claimed(i) for i in range(20)])
    assert [a.kind for a in attempts] == ["sent"] * 20
    assert server.counts() == everyone(20)
    assert server.connections == 1
    assert set(server.grouped) == {pipelining}


def test_the_next_envelope_rides_with_the_body_and_is_never_a_delivery_on_its_own(scripted_server) -> None:
    """deliver(item, following=next): the next row's MAIL/RCPT/DATA go out behind this
    body. Only the call for that row writes its body; a call for another row, or closing
    the session, hangs up mid-transaction, and the server delivers nothing for it."""
    server = scripted_server()
    channel = _channel(server.port)
    items = [_claimed(i) for i in range(10)]

    async def go() -> list[Any]:
        session = channel.session()
        kinds = []
        try:
            for i in range(6):  # 0..5, each announcing the next
                kinds.append((await session.deliver(items[i], 10, items[i + 1])).kind)
            # the campaign skips row 6 (say its lease ran out) and sends row 7 instead
            kinds.append((await session.deliver(items[7], 10, items[8])).kind)
            kinds.append((await session.deliver(items[8], 10, items[9])).kind)
        finally:
            await session.close()  # row 9 announced, never sent
        return kinds

    assert asyncio.run(go()) == ["sent"] * 8
    delivered = Counter({f"user{i}@users.example": 1 for i in (0, 1, 2, 3, 4, 5, 7, 8)})
    assert server.counts() == delivered
    assert server.connections == 2  # one hang-up, for the skipped row
    assert set(server.grouped) == {True}
    # row 6's envelope reached the server (row 9's may have), their messages did not
    assert server.attempts["user6@users.example"] == 1


def test_a_refusal_of_the_announced_row_is_that_rows_answer(scripted_server) -> None:
    server = scripted_server(
        on_rcpt=lambda address, n: "550 5.1.1 No such user here" if address == "user1@users.example" else None
    )
    channel = _channel(server.port)
    items = [_claimed(i) for i in range(3)]

    async def go() -> list[Any]:
        session = channel.session()
        try:
            return [await session.deliver(items[i], 10, items[i + 1] if i < 2 else None) for i in range(3)]
        finally:
            await session.close()

    attempts = asyncio.run(go())
    assert [a.kind for a in attempts] == ["sent", "permanent", "sent"]
    assert attempts[1].reply == "550 5.1.1 No such user here"
    assert server.counts() == Counter({"user0@users.example": 1, "user2@users.example": 1})
    assert server.connections == 1


@MODES
def test_554_to_mail_from_raises_a_configuration_error_naming_from(scripted_server, pipelining: bool) -> None:
    server = scripted_server(
        pipelining=pipelining,
        on_mail=lambda sender, n: (
            "554 5.7.1 <privacy@shop.example>: Sender address rejected: not authorized" if n > 3 else None
        ),
    )
    channel = _channel(server.port)

    async def go() -> tuple[list[Any], ConfigurationError]:
        session = channel.session()
        sent = [await session.deliver(_claimed(i), 10) for i in range(3)]
        try:
            with pytest.raises(ConfigurationError) as caught:
                await session.deliver(_claimed(3), 10)
        finally:
            await session.close()
        return sent, caught.value

    sent, error = asyncio.run(go())
    assert [a.kind for a in sent] == ["sent"] * 3
    assert error.setting == "--from"  # "not authorized" is about the sender, not authentication
    assert "refuses the sender <privacy@shop.example>" in str(error)
    assert "554 5.7.1" in str(error) and "privacy@shop.example" in str(error)
    assert "user3@users.example" not in str(error)  # the campaign's message names no recipient
    assert server.counts() == everyone(3)


# -- configuration faults halt the run with everyone pending ------------------------------------------


@MODES
@pytest.mark.parametrize("refused_from", [1, 120], ids=["from-the-start", "mid-run"])
def test_a_refused_sender_halts_the_run_and_a_rerun_reaches_all_1000_once(
    tmp_path: Path, revision, scripted_server, pipelining: bool, refused_from: int, capsys
) -> None:
    """The issue's fault: 554 to MAIL FROM. No user is marked failed; exit 2 names
    --from; after the fix the same command reaches every user exactly once."""
    refusing = threading.Event()

    def on_mail(sender: str, n: int) -> str | None:
        if n >= refused_from:
            refusing.set()
        return "554 5.7.1 Sender address rejected: not owned by user" if refusing.is_set() else None

    server = scripted_server(pipelining=pipelining, on_mail=on_mail)
    write_csv(tmp_path / "users.csv", 1000)
    args = (
        "--recipients",
        str(tmp_path / "users.csv"),
        "--smtp",
        url(server),
        "--from",
        FROM,
        "--concurrency",
        "4",
    )
    first = notify(tmp_path, [revision], *args, *FAST, "--json", capsys=capsys)
    assert first.code == 2, first.out
    assert "--from" in first.out and "554 5.7.1" in first.out
    rows = ledger_rows(sqlite_url(tmp_path))
    statuses = Counter(r["status"] for r in rows)
    assert statuses["failed"] == 0 and statuses["sending"] == 0
    delivered = server.counts()
    assert statuses["sent"] == sum(delivered.values()) and set(delivered.values()) <= {1}
    if refused_from == 1:
        assert delivered == Counter()  # the pre-flight check refused before anything was claimed
    else:
        assert 0 < sum(delivered.values()) < 1000
    assert statuses["sent"] + statuses["pending"] + statuses["deferred"] == len(rows)

    refusing.clear()
    server.on_mail = None  # the operator fixed the sender
    second = notify(tmp_path, [revision], *args, *FAST, "--json", capsys=capsys)
    assert second.code == 0, second.out
    assert server.counts() == everyone(1000)
    assert Counter(r["status"] for r in ledger_rows(sqlite_url(tmp_path))) == Counter({"sent": 1000})


@MODES
def test_authentication_required_but_no_user_given(
    tmp_path: Path, revision, scripted_server, pipelining: bool
) -> None:
    server = scripted_server(pipelining=pipelining, auth_required=True)
    write_csv(tmp_path / "users.csv", 5)
    result = notify(tmp_path, [revision], "--recipients", str(tmp_path / "users.csv"), "--smtp", url(server))
    assert result.code == 2, result.out
    assert "requires authentication" in result.out and "POLICYCTL_SMTP_PASSWORD" in result.out
    assert "530" in result.out
    assert server.received == []
    assert not any(r["status"] in ("sent", "failed") for r in ledger_rows(sqlite_url(tmp_path)))


class RefusingServer:
    """A real TCP server on loopback that greets every connection with 554, then hangs up after QUIT."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                conn.sendall(b"554 5.7.1 No SMTP service for you here\r\n")
                conn.settimeout(2)
                try:
                    while data := conn.recv(1024):
                        if b"QUIT" in data.upper():
                            conn.sendall(b"221 Bye\r\n")
                            break
                        conn.sendall(b"503 5.5.1 No service\r\n")
                except OSError:
                    pass

    def close(self) -> None:
        self.sock.close()


def test_a_server_refusing_us_in_its_greeting_is_a_configuration_fault(tmp_path: Path, revision) -> None:
    server = RefusingServer()
    try:
        write_csv(tmp_path / "users.csv", 5)
        result = notify(
            tmp_path,
            [revision],
            "--recipients",
            str(tmp_path / "users.csv"),
            "--smtp",
            f"smtp://127.0.0.1:{server.port}",
        )
        assert result.code == 2, result.out
        assert "--smtp" in result.out and "554 5.7.1 No SMTP service" in result.out
        assert not any(r["status"] in ("sent", "failed") for r in ledger_rows(sqlite_url(tmp_path)))

        # and from the send path, when the server starts refusing after the run began
        with pytest.raises(ConfigurationError) as caught:
            _send_all(_channel(server.port), [_claimed(0)])
        assert caught.value.setting == "--smtp" and "554" in str(caught.value)
    finally:
        server.close()


def test_connection_refused_at_the_start_names_smtp(tmp_path: Path, revision) -> None:
    write_csv(tmp_path / "users.csv", 3)
    result = notify(
        tmp_path,
        [revision],
        "--recipients",
        str(tmp_path / "users.csv"),
        "--smtp",
        f"smtp://127.0.0.1:{free_port()}",
    )
    assert result.code == 2
    assert "cannot reach the SMTP server" in result.out and "--smtp" in result.out


# -- the reply reader ----------------------------------------------------------------------------------


class _Inner:
    transport = None

    def connection_lost(self, exc: BaseException | None) -> None:
        pass


def test_replies_are_read_however_the_bytes_are_split() -> None:
    async def go() -> None:
        replies = _Replies(_Inner(), asyncio.get_running_loop())
        stream = (
            b"250 2.1.0 Sender ok\r\n"
            b"250-2.1.5 Recipient ok\r\n250-second line\r\n250 last line\r\n"
            b"354 End data with <CR><LF>.<CR><LF>\r\n"
            b"250 2.0.0 Queued as ABC\r\n"
        )
        for size in (1, 2, 3, 7, len(stream)):
            reader = asyncio.ensure_future(replies.read(3))
            for start in range(0, len(stream), size):
                replies.data_received(stream[start : start + size])
                await asyncio.sleep(0)
            assert await reader == [
                (250, "2.1.0 Sender ok"),
                (250, "2.1.5 Recipient ok\nsecond line\nlast line"),
                (354, "End data with <CR><LF>.<CR><LF>"),
            ]
            assert await replies.read(1) == [(250, "2.0.0 Queued as ABC")]
            assert replies.idle

        waiting = asyncio.ensure_future(replies.read(2))
        replies.data_received(b"250 ok\r\n")
        await asyncio.sleep(0)
        assert not waiting.done()
        replies.connection_lost(None)
        with pytest.raises(aiosmtplib.SMTPServerDisconnected):
            await waiting

    asyncio.run(go())


def test_a_malformed_reply_is_an_error_not_a_hang() -> None:
    async def go() -> None:
        replies = _Replies(_Inner(), asyncio.get_running_loop())
        waiting = asyncio.ensure_future(replies.read(1))
        replies.data_received(b"hello there\r\n")
        with pytest.raises(aiosmtplib.SMTPResponseException):
            await waiting

    asyncio.run(go())
