"""Email over SMTP with aiosmtplib: one session per connection, reused for many messages.

aiosmtplib connects, greets, upgrades to TLS and logs in. Then the session hands the
connection to ``_Replies``, a small subclass of aiosmtplib's own ``SMTPProtocol``
that keeps every reply which arrives instead of only the one a waiting command asks
for: aiosmtplib's protocol drops what arrives while no command waits, so it cannot read
the several replies of a pipelined group. Every command goes through that protocol:
``execute_command`` (aiosmtplib's check against control characters, its lock) when the
session waits for each reply, and ``write`` of lines made by ``_command`` (the same
check, the same line) followed by ``read`` when it pipelines. When the server advertises
PIPELINING (RFC 2920), MAIL, RCPT and DATA go out in one write and their three replies
are read together, then the message body; otherwise each command waits for its reply.
What of aiosmtplib this relies on is pinned by
``tests/notify/test_notify_aiosmtplib_contract.py``.

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
from urllib.parse import unquote, urlsplit

import aiosmtplib
from aiosmtplib import SMTPResponse, SMTPStatus
from aiosmtplib.protocol import COMMAND_INJECTION_REGEX, MAX_RESPONSE_LENGTH, SMTPProtocol

from notify.common import secrets
from notify.common.errors import AuthenticationFailed, ConfigurationError, NotifyError
from notify.common.network import is_loopback
from notify.common.secrets import SMTP_PASSWORD_ENV as PASSWORD_ENV
from notify.delivery.channels.base import PERMANENT, SENT, TEMPORARY, Attempt
from notify.delivery.channels.message import Composer
from notify.delivery.ledger.ledger import Claimed

MAX_UNREAD = 64  # more replies than any group of ours waits for: the server is talking nonsense

# The replies a session tells apart (aiosmtplib's names, bound once: they are read per message).
COMPLETED = SMTPStatus.completed  # 250
ACCEPTED = (SMTPStatus.completed, SMTPStatus.will_forward)  # 250, 251: a recipient taken
START_INPUT = SMTPStatus.start_input  # 354: send the body
CLOSING = SMTPStatus.domain_unavailable  # 421: the server is closing the connection


def _permanent(code: int) -> bool:
    """A 5yz reply (RFC 5321, 4.2.1): the same command will fail again."""
    return code // 100 == 5


def _command(*args: bytes) -> bytes:
    """One command line as aiosmtplib's ``SMTPProtocol.execute_command`` writes it, after
    the same check: no control character in any argument (a CR or LF would smuggle in a
    command of its own). Addresses with such characters were refused when the recipients
    and --from were read, so aiosmtplib's ValueError here would mean a bug there; it is
    raised before anything of the line (or of its pipelined group) is written."""
    line = b" ".join(args)  # the spaces it adds are no control characters: one search for all
    if COMMAND_INJECTION_REGEX.search(line):
        raise ValueError("Command arg contains a prohibited control character")
    return line + b"\r\n"


DATA, RSET = _command(b"DATA"), _command(b"RSET")


def _content(data: bytes) -> list[bytes]:
    """A message as it follows DATA: every line-leading dot doubled, then the final dot.

    The composer writes 7-bit text with CRLF line ends only, so aiosmtplib's
    ``normalize_message_line_endings`` would leave it as it is, and doubling the dot
    after each CRLF (and at the start) is its ``PERIOD_REGEX`` (the contract test checks
    both), without two regular-expression passes over every message."""
    return [b"." if data[:1] == b"." else b"", data.replace(b"\r\n.", b"\r\n.."), b".\r\n"]


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
    if _permanent(code):
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
    if code == SMTPStatus.access_denied or "authentication required" in text or "auth required" in text:
        return _auth_required(description, reply)
    if code == SMTPStatus.storage_exceeded:
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
    if isinstance(exc, aiosmtplib.SMTPConnectResponseError) and _permanent(exc.code):
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


class _Replies(SMTPProtocol):
    """aiosmtplib's protocol, keeping every reply: what a pipelining session reads with.

    ``SMTPProtocol`` pairs each reply with the one command awaiting it and drops what
    arrives while none waits (its ``read_response`` says so), so the second and third
    replies of a pipelined group would be lost. This subclass changes only that:
    ``data_received`` parses each complete reply with aiosmtplib's parser
    (``_read_response_from_buffer``, with its limits on lines and replies) and queues
    it, however the replies are split across reads; ``read_response`` returns the
    oldest, ``read`` the next few at once (one wake-up for a group). Writing (``write``,
    ``execute_command`` with its check against control characters and its lock), flow
    control and the end of the connection are aiosmtplib's.

    The session takes the connection over from the protocol aiosmtplib connected with
    (``inner``) once it has greeted, upgraded to TLS and logged in (asyncio's
    ``transport.set_protocol``, then ``connection_made``: aiosmtplib's own set-up), and
    passes the end of the connection on to ``inner``, so that the ``aiosmtplib.SMTP``
    client knows it is gone.
    """

    def __init__(self, inner: asyncio.BaseProtocol, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(loop=loop)
        self.inner = inner
        self.replies: deque[SMTPResponse] = deque()
        self.error: BaseException | None = None  # why no more replies will come
        self.waiter: asyncio.Future[None] | None = None
        self.want = 0

    # asyncio.Protocol
    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer.extend(data)
        replies = self.replies
        try:
            while buffer and (reply := self._read_response_from_buffer()) is not None:
                replies.append(reply)
        except aiosmtplib.SMTPResponseException as exc:  # a malformed or overlong line
            self._fail(exc)
            return
        if len(buffer) > MAX_RESPONSE_LENGTH:
            self._fail(aiosmtplib.SMTPResponseException(SMTPStatus.invalid_response, "Response too long"))
            return
        if len(replies) > MAX_UNREAD:
            self._fail(
                aiosmtplib.SMTPResponseException(
                    SMTPStatus.invalid_response, "more SMTP replies than commands"
                )
            )
            return
        waiter = self.waiter
        if waiter is not None and len(replies) >= self.want and not waiter.done():
            waiter.set_result(None)

    def eof_received(self) -> bool:
        self._lost(aiosmtplib.SMTPServerDisconnected("the server closed the connection"))
        return False  # the transport closes itself

    def connection_lost(self, exc: Exception | None) -> None:
        lost = aiosmtplib.SMTPServerDisconnected("connection lost")
        lost.__cause__ = exc
        self._lost(lost)
        super().connection_lost(exc)
        self.inner.connection_lost(exc)

    # the session's side
    @property
    def idle(self) -> bool:
        """Nothing unread: no reply the server sent on its own (such as a 421 before closing)."""
        return not self.replies and not self._buffer and self.error is None

    async def read_response(self, timeout: float | None = None) -> SMTPResponse:
        """The oldest reply not yet read (what ``execute_command`` awaits)."""
        try:
            (reply,) = await asyncio.wait_for(self.read(1), timeout)
        except TimeoutError as exc:
            raise aiosmtplib.SMTPReadTimeoutError("Timed out waiting for server response") from exc
        return reply

    async def read(self, count: int) -> list[SMTPResponse]:
        """The next `count` replies, in order, woken once when all are here (the caller's
        deadline bounds the wait); why the connection ended, if it did first."""
        replies = self.replies
        while len(replies) < count:
            if self.error is not None:
                raise self.error
            self.want = count
            self.waiter = self._loop.create_future()
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
            waiter.set_result(None)  # read raises self.error once the replies run out

    def _fail(self, exc: BaseException) -> None:
        self._lost(exc)
        if self.transport is not None:
            self.transport.close()


class SmtpSession:
    # deliver() takes `following`, the row the caller will send next on this session
    lookahead = True

    def __init__(self, channel: SmtpChannel) -> None:
        self.channel = channel
        self.client: aiosmtplib.SMTP | None = None
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
            replies = _take_over(client)
        except BaseException:
            client.close()
            raise
        self.client = client
        self.replies = replies
        self.pipelining = client.supports_extension("pipelining")
        self.size_ok = client.supports_extension("size")

    @property
    def connected(self) -> bool:
        replies = self.replies
        return replies is not None and replies.is_connected

    async def probe_sender(self, sender: str) -> None:
        """MAIL FROM then RSET on the open session: a refused sender is a ConfigurationError."""
        replies = self.replies
        assert replies is not None
        mail = (b"MAIL", b"FROM:<" + sender.encode("ascii") + b">")
        if self.pipelining:
            replies.write(_command(*mail) + RSET)
            reply, _ = await replies.read(2)
        else:
            reply = await replies.execute_command(*mail)
            await replies.execute_command(b"RSET")
        if _permanent(reply.code):
            raise _sender_refused(self.channel.description, sender, reply.code, reply.message, 0)

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
                if ahead is None and (not self.connected or not self._idle()):
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

    def _idle(self) -> bool:
        replies = self.replies
        return replies is not None and replies.idle

    def _mail(self, data: bytes) -> tuple[bytes, ...]:
        """MAIL FROM of one message, with its size when the server takes SIZE (RFC 1870)."""
        sender = b"FROM:<" + self.channel.composer.sender.address.encode("ascii") + b">"
        return (b"MAIL", sender, b"SIZE=%d" % len(data)) if self.size_ok else (b"MAIL", sender)

    def _envelope(self, rcpt: str, data: bytes) -> list[bytes]:
        """The lines of MAIL, RCPT and DATA of one message, a pipelined group."""
        return [_command(*self._mail(data)), _command(b"RCPT", b"TO:<" + rcpt.encode("ascii") + b">"), DATA]

    async def _transaction(self, rcpt: str, data: bytes, written: bool, following: Claimed | None) -> Attempt:
        """MAIL, RCPT, DATA and the body on the open session (`written`: the envelope
        went out with the previous message's body); the reply to the final dot is the
        verdict. The caller's deadline bounds every wait (aiosmtplib's per-command timers
        are off). One coroutine for a pipelined message: two waits, each resuming it."""
        replies = self.replies
        assert replies is not None
        if self.pipelining:
            # RFC 2920: MAIL and RCPT may stand anywhere in a group, DATA last; the
            # three replies come back in order.
            if not written:
                replies.write(b"".join(self._envelope(rcpt, data)))
            mail, recipient, start = await replies.read(3)
            if mail.code != COMPLETED or recipient.code not in ACCEPTED or start.code != START_INPUT:
                return await self._group_refused(replies, mail, recipient, start, len(data))
        else:
            refused = await self._stepwise_envelope(replies, rcpt, data)
            if refused is not None:
                return refused
        replies.write(self._body(data, following))
        (reply,) = await replies.read(1)
        if reply.code == COMPLETED:
            return Attempt(SENT, str(reply))
        if reply.code == CLOSING:
            self._drop()
        return _classify(reply.code, reply.message)

    async def _group_refused(
        self, replies: _Replies, mail: SMTPResponse, recipient: SMTPResponse, start: SMTPResponse, size: int
    ) -> Attempt:
        """A pipelined group with a refusal in it: the first refused command is the answer."""
        if start.code == START_INPUT:
            # A server that took DATA after refusing the envelope gets an empty
            # message, which it cannot deliver to anyone (RFC 2920, 3.1).
            replies.write(b".\r\n")
            await replies.read(1)
        if mail.code != COMPLETED:
            return await self._sender_reply(mail, size)
        if recipient.code not in ACCEPTED:
            return await self._refused(recipient)
        return await self._refused(start)

    async def _stepwise_envelope(self, replies: _Replies, rcpt: str, data: bytes) -> Attempt | None:
        """MAIL, RCPT and DATA each waiting for its reply. None when the server waits for the body."""
        mail = await replies.execute_command(*self._mail(data))
        if mail.code != COMPLETED:
            return await self._sender_reply(mail, len(data))
        recipient = await replies.execute_command(b"RCPT", b"TO:<" + rcpt.encode("ascii") + b">")
        if recipient.code not in ACCEPTED:
            return await self._refused(recipient)
        start = await replies.execute_command(b"DATA")
        if start.code != START_INPUT:
            return await self._refused(start)
        return None

    async def _sender_reply(self, mail: SMTPResponse, size: int) -> Attempt:
        """MAIL FROM refused: a 4xx is this message's temporary failure, a 5xx a fault of the settings."""
        attempt = await self._refused(mail)
        if _permanent(mail.code):
            sender = self.channel.composer.sender.address
            raise _sender_refused(self.channel.description, sender, mail.code, mail.message, size)
        return attempt

    def _body(self, data: bytes, following: Claimed | None) -> bytes:
        """The message content, with the next row's envelope behind it when pipelining
        (that row's message is kept in ``ahead`` for the call that sends it)."""
        parts = _content(data)
        if following is not None and self.pipelining:
            next_data = self.channel.composer.build(
                following.email,
                following.name,
                following.locale,
                following.message_id,
                following.recipient_id,
            )
            parts += self._envelope(following.email, next_data)
            self.ahead = (following.id, next_data)
        return b"".join(parts)

    async def _refused(self, reply: SMTPResponse) -> Attempt:
        """A refused command: the transaction is over; RSET so the next MAIL starts clean,
        or hang up when the server says it is closing (421)."""
        replies = self.replies
        if reply.code == CLOSING or replies is None:
            self._drop()
        else:
            reset = await replies.execute_command(b"RSET")
            if reset.code != COMPLETED:
                self._drop()
        return _classify(reply.code, reply.message)

    def _drop(self) -> None:
        client = self.client
        self.client = self.replies = None
        self.ahead = None
        if client is not None:
            client.close()

    async def close(self) -> None:
        replies = self.replies
        if replies is not None and self.connected and replies.idle and not self.ahead:
            try:
                async with asyncio.timeout(5):
                    await replies.execute_command(b"QUIT")
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                pass
        self._drop()


def _take_over(client: aiosmtplib.SMTP) -> _Replies:
    """Hand the connection aiosmtplib opened (greeted, TLS, logged in) to a ``_Replies``
    protocol: asyncio's ``set_protocol``, then aiosmtplib's own ``connection_made``."""
    inner = client.protocol
    transport = inner.transport if inner is not None else None
    if inner is None or transport is None or transport.is_closing():
        raise aiosmtplib.SMTPServerDisconnected("connection lost")
    replies = _Replies(inner, asyncio.get_running_loop())
    transport.set_protocol(replies)
    replies.connection_made(transport)
    return replies
