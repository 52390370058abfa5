"""Email over SMTP with aiosmtplib: one session per connection, reused for many messages.

aiosmtplib connects, greets, upgrades to TLS and logs in. Then the session takes the
connection over with a reply reader of its own (``_Replies``): aiosmtplib's protocol
keeps one reply per command written and drops what arrives while no command is
waiting, so it cannot read the several replies of a pipelined group. When the server
advertises PIPELINING (RFC 2920), MAIL, RCPT and DATA go out in one write and their
three replies are read together, then the message body; otherwise each command waits
for its reply, as before.

A reply that says every recipient would fail the same way is a fault of the settings,
raised as :class:`~notify.errors.ConfigurationError` so that the campaign halts with
the rows pending: a server that refuses us at connect or in its greeting (``--smtp``),
authentication required or refused (``--smtp`` user, ``POLICYCTL_SMTP_PASSWORD``),
and a 5xx to MAIL FROM (``--from``). A 5xx to RCPT TO stays that recipient's
permanent failure, a 4xx anywhere a temporary one.
"""

from __future__ import annotations

import asyncio
import socket
from collections import deque
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import unquote, urlsplit

import aiosmtplib

from notify.common import secrets
from notify.common.errors import AuthenticationFailed, ConfigurationError, NotifyError
from notify.common.network import is_loopback
from notify.common.secrets import SMTP_PASSWORD_ENV as PASSWORD_ENV
from notify.delivery.channels.base import PERMANENT, SENT, TEMPORARY, Attempt
from notify.delivery.channels.message import Composer
from notify.delivery.ledger.ledger import Claimed

MAX_REPLY = 32 * 1024  # a reply (with its continuation lines) longer than this is garbage
MAX_UNREAD = 64  # more replies than any group of ours waits for: the server is talking nonsense


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    implicit_tls: bool
    start_tls: bool | None  # True: required; None: if offered (loopback / allowed insecure)
    username: str | None
    password: str | None
    timeout: float
    cafile: str | None = None

    @property
    def description(self) -> str:
        scheme = "smtps" if self.implicit_tls else "smtp"
        return f"{scheme}://{self.host}:{self.port}"

    @classmethod
    def parse(
        cls, url: str, *, allow_insecure: bool, timeout: float, cafile: str | None = None
    ) -> SmtpConfig:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise NotifyError(
                f"--smtp {url!r}: give smtp://host:port (plain or STARTTLS) or smtps://host:port (implicit TLS)"
            )
        if parts.password is not None:
            raise NotifyError(
                f"--smtp: do not put the password in the URL; set the environment variable {PASSWORD_ENV}"
            )
        try:
            port = parts.port or (465 if parts.scheme == "smtps" else 587)
        except ValueError as exc:
            raise NotifyError(f"--smtp {url!r}: bad port") from exc
        username = unquote(parts.username) if parts.username else None
        password = secrets.read(PASSWORD_ENV)
        if username and not password:
            raise NotifyError(
                f"--smtp names user {username!r} but {PASSWORD_ENV} is not set; export the password in it"
            )
        implicit = parts.scheme == "smtps"
        loopback = is_loopback(parts.hostname)
        if implicit:
            start_tls: bool | None = False
        elif loopback or allow_insecure:
            start_tls = None
        else:
            start_tls = True
        return cls(parts.hostname, port, implicit, start_tls, username, password, timeout, cafile)


def _classify(code: int, message: str) -> Attempt:
    reply = f"{code} {message}".strip()
    if 500 <= code < 600:
        return Attempt(PERMANENT, reply)
    return Attempt(TEMPORARY, reply)


# -- configuration faults -----------------------------------------------------------------


def _auth_required(description: str, reply: str) -> ConfigurationError:
    return ConfigurationError(
        "--smtp",
        f"the SMTP server {description} requires authentication ({reply}): give the user in --smtp "
        f"(smtp://USER@host:port) and the password in {PASSWORD_ENV}",
    )


def _sender_refused(description: str, sender: str, code: int, message: str, size: int) -> ConfigurationError:
    reply = f"{code} {message}".strip()
    text = message.lower()
    if code == 530 or "authentication required" in text or "auth required" in text:
        return _auth_required(description, reply)
    if code == 552:
        return ConfigurationError(
            "--smtp",
            f"the SMTP server {description} refuses a notice of {size} bytes ({reply}); use a server that "
            "accepts messages of that size, or shorten the email templates (--templates)",
        )
    return ConfigurationError(
        "--from",
        f"the SMTP server {description} refuses the sender <{sender}> in MAIL FROM ({reply}); "
        "use a sender address this server accepts for the account (--from), or fix the server's policy",
    )


def _refused_at_connect(description: str, exc: BaseException) -> ConfigurationError | None:
    """The server (or the host) answers, but refuses us: the same for every message."""
    if isinstance(exc, aiosmtplib.SMTPConnectResponseError) and 500 <= exc.code < 600:
        return ConfigurationError(
            "--smtp",
            f"the SMTP server {description} refuses connections: it greets with {exc.code} {exc.message}; "
            "check the host and port in --smtp, and that this machine may use that server",
        )
    if isinstance(exc, aiosmtplib.SMTPException) and "AUTH extension is not supported" in str(exc):
        return ConfigurationError(
            "--smtp",
            f"the SMTP server {description} offers no authentication (AUTH) here, but --smtp names a user: "
            "use the server's submission port with TLS (smtps://host:465 or STARTTLS on 587), or drop the user",
        )
    return None


class SmtpChannel:
    name = "email"

    UNREACHABLE_AFTER = 10

    def __init__(self, config: SmtpConfig, composer: Composer) -> None:
        self.connect_failures = 0
        self.config = config
        self.composer = composer
        self.description = config.description

    async def preflight(self) -> None:
        """Connect, log in and try MAIL FROM once, so a wrong host, password or sender
        stops the run before anything is claimed."""
        session = SmtpSession(self)
        try:
            try:
                async with asyncio.timeout(self.config.timeout):
                    await session.connect()
                    await session.probe_sender(self.composer.sender.address)
            except ConfigurationError:
                raise
            except (TimeoutError, aiosmtplib.SMTPException, OSError, EOFError) as exc:
                raise _refused_at_connect(self.description, exc) or ConfigurationError(
                    "--smtp",
                    f"cannot reach the SMTP server {self.description}: {_describe(exc)}; "
                    "check --smtp (and --allow-insecure for a server without TLS)",
                ) from exc
        finally:
            await session.close()

    def session(self) -> SmtpSession:
        return SmtpSession(self)

    def reached(self) -> None:
        self.connect_failures = 0

    def unreachable(self, exc: BaseException) -> None:
        """Count a failed connection; after several in a row the server is down and
        retrying message by message would only delay the stop."""
        self.connect_failures += 1
        if self.connect_failures >= self.UNREACHABLE_AFTER:
            raise NotifyError(
                f"the SMTP server {self.description} could not be reached {self.connect_failures} times in a row "
                f"(last: {_describe(exc)}); everything unsent is left pending: rerun the same command when it is back"
            )


def _describe(exc: BaseException) -> str:
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"{exc.code} {exc.message}"
    return f"{exc.__class__.__name__}: {exc}" if str(exc) else exc.__class__.__name__


class _Replies(asyncio.Protocol):
    """The session's reader of server replies once aiosmtplib has connected.

    Every reply that arrives is parsed and queued, however the replies are split
    across reads, so a pipelined group's replies are taken in order. Flow control and
    the end of the connection are passed on to aiosmtplib's protocol, so the client
    object knows when the connection is gone.
    """

    def __init__(self, inner: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.inner = inner
        self.loop = loop
        self.buffer = bytearray()
        self.replies: deque[tuple[int, str]] = deque()
        self.lines: list[bytes] = []  # the lines of a multi-line reply read so far
        self.waiter: asyncio.Future[None] | None = None
        self.want = 0
        self.error: BaseException | None = None

    # asyncio.Protocol
    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        start = 0
        while True:
            end = buffer.find(b"\n", start)
            if end < 0:
                break
            line = bytes(buffer[start : end + 1])
            start = end + 1
            try:
                code = int(line[:3])
            except ValueError:
                self._fail(aiosmtplib.SMTPResponseException(-1, f"malformed SMTP reply: {line[:80]!r}"))
                return
            self.lines.append(line[4:].strip(b" \t\r\n"))
            if line[3:4] != b"-":
                message = b"\n".join(self.lines).decode("utf-8", "surrogateescape")
                self.lines = []
                self.replies.append((code, message))
        if start:
            del buffer[:start]
        if len(buffer) + sum(map(len, self.lines)) > MAX_REPLY:
            self._fail(aiosmtplib.SMTPResponseException(-1, "SMTP reply too long"))
            return
        if len(self.replies) > MAX_UNREAD:
            self._fail(aiosmtplib.SMTPResponseException(-1, "more SMTP replies than commands"))
            return
        waiter = self.waiter
        if waiter is not None and len(self.replies) >= self.want and not waiter.done():
            waiter.set_result(None)

    def eof_received(self) -> bool:
        self._lost(aiosmtplib.SMTPServerDisconnected("the server closed the connection"))
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        lost = aiosmtplib.SMTPServerDisconnected("connection lost")
        lost.__cause__ = exc
        self._lost(lost)
        self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()

    # the session's side
    @property
    def idle(self) -> bool:
        """Nothing unread: no reply the server sent on its own (such as a 421 before closing)."""
        return not self.replies and not self.buffer and not self.lines and self.error is None

    async def read(self, count: int) -> list[tuple[int, str]]:
        """The next `count` replies, in order (the caller's deadline bounds the wait)."""
        replies = self.replies
        while len(replies) < count:
            if self.error is not None:
                raise self.error
            self.want = count
            self.waiter = self.loop.create_future()
            try:
                await self.waiter
            finally:
                self.waiter = None
        return [replies.popleft() for _ in range(count)]

    def _lost(self, exc: BaseException) -> None:
        if self.error is None:
            self.error = exc
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)  # read() raises self.error once the replies run out

    def _fail(self, exc: BaseException) -> None:
        self._lost(exc)
        transport = self.inner.transport
        if transport is not None:
            transport.close()


class SmtpSession:
    # deliver() takes `following`, the row the caller will send next on this session
    lookahead = True

    def __init__(self, channel: SmtpChannel) -> None:
        self.channel = channel
        self.client: aiosmtplib.SMTP | None = None
        self.transport: asyncio.WriteTransport | None = None
        self.replies: _Replies | None = None
        self.pipelining = False
        self.size_ok = False
        self.ahead: tuple[int, bytes] | None = None  # (row id, message) whose envelope is written

    async def connect(self) -> None:
        cfg = self.channel.config
        client = aiosmtplib.SMTP(
            hostname=cfg.host,
            port=cfg.port,
            use_tls=cfg.implicit_tls,
            start_tls=cfg.start_tls,
            username=cfg.username,
            password=cfg.password,
            timeout=cfg.timeout,
            local_hostname=socket.getfqdn() or "localhost",
            cert_bundle=cfg.cafile,
        )
        try:
            await client.connect()
        except aiosmtplib.SMTPAuthenticationError as exc:
            client.close()
            raise AuthenticationFailed(
                f"SMTP authentication as {cfg.username!r} failed at {cfg.description}: {exc.code} {exc.message}; "
                f"check the user in --smtp and {PASSWORD_ENV}. Nothing more was sent; rerun after fixing it"
            ) from exc
        except BaseException as exc:
            client.close()
            refused = _refused_at_connect(cfg.description, exc)
            if refused is not None:
                raise refused from exc
            raise
        try:
            if client.is_ehlo_or_helo_needed:  # aiosmtplib greets lazily, e.g. on implicit TLS
                try:
                    await client.ehlo()
                except aiosmtplib.SMTPHeloError:
                    await client.helo()
            protocol = client.protocol
            if protocol is None or protocol.transport is None:
                raise aiosmtplib.SMTPServerDisconnected("connection lost")
            transport = cast(asyncio.WriteTransport, protocol.transport)
            replies = _Replies(protocol, asyncio.get_running_loop())
            transport.set_protocol(replies)
        except BaseException:
            client.close()
            raise
        self.client = client
        self.transport = transport
        self.replies = replies
        self.pipelining = client.supports_extension("pipelining")
        self.size_ok = client.supports_extension("size")

    @property
    def connected(self) -> bool:
        transport = self.transport
        return transport is not None and not transport.is_closing() and self.replies is not None

    async def probe_sender(self, sender: str) -> None:
        """MAIL FROM then RSET on the open session: a refused sender is a ConfigurationError."""
        transport, replies = self.transport, self.replies
        assert transport is not None and replies is not None
        mail = b"MAIL FROM:<" + sender.encode("ascii") + b">\r\n"
        if self.pipelining:
            transport.write(mail + b"RSET\r\n")
            (code, message), _ = await replies.read(2)
        else:
            transport.write(mail)
            ((code, message),) = await replies.read(1)
            transport.write(b"RSET\r\n")
            await replies.read(1)
        if code >= 500:
            raise _sender_refused(self.channel.description, sender, code, message, 0)

    async def deliver(self, item: Claimed, timeout: float, following: Claimed | None = None) -> Attempt:
        """Send `item`'s message; the Attempt is the server's verdict on it.

        `following`, when given, is the row this session will be asked to send next:
        on a PIPELINING server its MAIL, RCPT and DATA go out in the same write as this
        message's body (RFC 2920 lets message content open a group), so that each
        message costs one write and one wait for replies. That envelope is not a
        delivery: nothing reaches anyone before the body's final dot, which is only
        written in the call for that row. If the next call is for another row, or the
        session is closed first, the connection is dropped mid-transaction, which
        the server discards.
        """
        composer = self.channel.composer
        ahead, self.ahead = self.ahead, None
        if ahead is not None and (ahead[0] != item.id or not self.connected):
            self._drop()  # the server is inside another row's transaction (or gone)
            ahead = None
        data = (
            ahead[1]
            if ahead is not None
            else composer.build(item.email, item.name, item.locale, item.message_id, item.recipient_id)
        )
        try:
            async with asyncio.timeout(timeout):
                if ahead is None and (not self.connected or not cast(_Replies, self.replies).idle):
                    self._drop()  # lost, or the server spoke unasked (a 421 before closing)
                    try:
                        await self.connect()
                    except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPConnectTimeoutError, OSError) as exc:
                        self.channel.unreachable(exc)  # raises once the server looks down
                        return Attempt(TEMPORARY, f"cannot connect: {_describe(exc)}")
                    self.channel.reached()
                return await self._transaction(item.email, data, ahead is not None, following)
        except ConfigurationError:
            self._drop()
            raise
        except aiosmtplib.SMTPResponseException as exc:
            self._drop()
            return _classify(exc.code, exc.message)
        except TimeoutError:
            self._drop()
            return Attempt(TEMPORARY, f"no reply within the {timeout:.1f}s deadline")
        except (aiosmtplib.SMTPException, OSError, asyncio.IncompleteReadError, EOFError) as exc:
            self._drop()
            return Attempt(TEMPORARY, f"connection lost: {_describe(exc)}")

    def _envelope(self, rcpt: str, data: bytes) -> tuple[bytes, bytes]:
        """MAIL FROM and RCPT TO lines of one message."""
        mail = b"MAIL FROM:<" + self.channel.composer.sender.address.encode("ascii") + b">"
        if self.size_ok:
            mail += b" SIZE=%d" % len(data)
        return mail + b"\r\n", b"RCPT TO:<" + rcpt.encode("ascii") + b">\r\n"

    async def _transaction(self, rcpt: str, data: bytes, written: bool, following: Claimed | None) -> Attempt:
        """MAIL, RCPT, DATA and the body on the open session (`written`: the envelope
        went out with the previous message's body).

        Addresses were validated (ASCII, no control characters) when the recipients
        were read, and the composer's output is CRLF-only and 7-bit, so the commands and
        the body are written as bytes without aiosmtplib's per-command and per-message
        checks; the caller's deadline replaces per-command timers.
        """
        transport, replies = self.transport, self.replies
        assert transport is not None and replies is not None
        if self.pipelining:
            # RFC 2920: MAIL and RCPT may stand anywhere in a group, DATA last; the
            # three replies come back in order.
            if not written:
                mail, rcpt_to = self._envelope(rcpt, data)
                transport.write(mail + rcpt_to + b"DATA\r\n")
            (m_code, m_msg), (r_code, r_msg), (d_code, d_msg) = await replies.read(3)
            if d_code == 354 and (m_code != 250 or r_code not in (250, 251)):
                # A server that took DATA after refusing the envelope gets an empty
                # message, which it cannot deliver to anyone (RFC 2920, 3.1).
                transport.write(b".\r\n")
                await replies.read(1)
        else:
            mail, rcpt_to = self._envelope(rcpt, data)
            transport.write(mail)
            ((m_code, m_msg),) = await replies.read(1)
            r_code = d_code = 0
            r_msg = d_msg = ""
            if m_code == 250:
                transport.write(rcpt_to)
                ((r_code, r_msg),) = await replies.read(1)
                if r_code in (250, 251):
                    transport.write(b"DATA\r\n")
                    ((d_code, d_msg),) = await replies.read(1)
        if m_code != 250:
            attempt = await self._refused(m_code, m_msg)
            if m_code >= 500:
                sender = self.channel.composer.sender.address
                raise _sender_refused(self.channel.description, sender, m_code, m_msg, len(data))
            return attempt
        if r_code not in (250, 251):
            return await self._refused(r_code, r_msg)
        if d_code != 354:
            return await self._refused(d_code, d_msg)
        # Dot-stuff and terminate in one pass; the reply to the final dot is the verdict.
        body = data.replace(b"\r\n.", b"\r\n..") + b".\r\n"
        if following is not None and self.pipelining:
            composer = self.channel.composer
            next_data = composer.build(
                following.email,
                following.name,
                following.locale,
                following.message_id,
                following.recipient_id,
            )
            mail, rcpt_to = self._envelope(following.email, next_data)
            transport.write(b"".join((body, mail, rcpt_to, b"DATA\r\n")))
            self.ahead = (following.id, next_data)
        else:
            transport.write(body)
        ((code, message),) = await replies.read(1)
        if code == 250:
            return Attempt(SENT, f"{code} {message}")
        if code == 421:
            self._drop()
        return _classify(code, message)

    async def _refused(self, code: int, message: str) -> Attempt:
        """A refused command: the transaction is over; RSET so the next MAIL starts clean,
        or hang up when the server says it is closing (421)."""
        if code == 421:
            self._drop()
        else:
            transport, replies = self.transport, self.replies
            if transport is None or replies is None:
                self._drop()
            else:
                transport.write(b"RSET\r\n")
                ((reset, _),) = await replies.read(1)
                if reset != 250:
                    self._drop()
        return _classify(code, message)

    def _drop(self) -> None:
        client = self.client
        self.client = self.transport = self.replies = None
        self.ahead = None
        if client is not None:
            client.close()

    async def close(self) -> None:
        transport, replies = self.transport, self.replies
        if (
            transport is not None
            and replies is not None
            and self.connected
            and replies.idle
            and not self.ahead
        ):
            try:
                async with asyncio.timeout(5):
                    transport.write(b"QUIT\r\n")
                    await replies.read(1)
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                pass
        self._drop()
