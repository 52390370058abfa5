"""Email over SMTP with aiosmtplib: one session per connection, reused for many messages."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import aiosmtplib

from notify.delivery import PERMANENT, SENT, TEMPORARY, Attempt
from notify.errors import AuthenticationFailed, NotifyError
from notify.ledger import Claimed
from notify.message import Composer

PASSWORD_ENV = "POLICYCTL_SMTP_PASSWORD"


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
        password = os.environ.get(PASSWORD_ENV) or None
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


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _classify(code: int, message: str) -> Attempt:
    reply = f"{code} {message}".strip()
    if 500 <= code < 600:
        return Attempt(PERMANENT, reply)
    return Attempt(TEMPORARY, reply)


class SmtpChannel:
    name = "email"

    UNREACHABLE_AFTER = 10

    def __init__(self, config: SmtpConfig, composer: Composer) -> None:
        self.connect_failures = 0
        self.config = config
        self.composer = composer
        self.description = config.description

    async def preflight(self) -> None:
        """Connect (and log in) once, so a wrong host or password stops before anything is claimed."""
        session = SmtpSession(self)
        try:
            await session.connect()
        except AuthenticationFailed:
            raise
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            raise NotifyError(
                f"cannot reach the SMTP server {self.description}: {_describe(exc)}; check --smtp (and --allow-insecure for a server without TLS)"
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


class SmtpSession:
    def __init__(self, channel: SmtpChannel) -> None:
        self.channel = channel
        self.client: aiosmtplib.SMTP | None = None
        self.size_ok: bool | None = None

    async def connect(self) -> aiosmtplib.SMTP:
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
        except BaseException:
            client.close()
            raise
        try:
            if client.is_ehlo_or_helo_needed:  # aiosmtplib greets lazily, e.g. on implicit TLS
                try:
                    await client.ehlo()
                except aiosmtplib.SMTPHeloError:
                    await client.helo()
        except BaseException:
            client.close()
            raise
        self.client = client
        self.size_ok = None
        return client

    async def deliver(self, item: Claimed, timeout: float) -> Attempt:
        composer = self.channel.composer
        data = composer.build(item.email, item.name, item.locale, item.message_id)
        try:
            async with asyncio.timeout(timeout):
                client = self.client
                if client is None or not client.is_connected:
                    try:
                        client = await self.connect()
                    except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPConnectTimeoutError, OSError) as exc:
                        self.channel.unreachable(exc)  # raises once the server looks down
                        return Attempt(TEMPORARY, f"cannot connect: {_describe(exc)}")
                    self.channel.reached()
                return await self._transaction(client, composer.sender.address, item.email, data)
        except AuthenticationFailed:
            raise
        except aiosmtplib.SMTPResponseException as exc:
            if exc.code == 421 or exc.code < 200:
                self._drop()
            return _classify(exc.code, exc.message)
        except TimeoutError:
            self._drop()
            return Attempt(TEMPORARY, f"no reply within the {timeout:.1f}s deadline")
        except (aiosmtplib.SMTPException, OSError, asyncio.IncompleteReadError, EOFError) as exc:
            self._drop()
            return Attempt(TEMPORARY, f"connection lost: {_describe(exc)}")

    async def _transaction(self, client: aiosmtplib.SMTP, sender: str, rcpt: str, data: bytes) -> Attempt:
        """MAIL, RCPT, DATA on the open session, through aiosmtplib's protocol layer.

        Addresses were validated (ASCII, no control characters) when the recipients
        were read, so the per-command checks of ``SMTP.sendmail`` are skipped; the
        caller's deadline replaces per-command timers. For the same reason each command
        is written and its reply read directly (as for the message body below) rather
        than through ``execute_command``, whose per-argument regex, lock and join cost
        the event loop a few microseconds per command: nothing else uses this session's
        protocol while a transaction runs, and nothing yields between ``write()`` and
        ``read_response()``, which arms the reply reader.
        """
        protocol = client.protocol
        if protocol is None:
            raise aiosmtplib.SMTPServerDisconnected("not connected")
        mail = b"MAIL FROM:<" + sender.encode("ascii") + b">"
        if self.size_ok is None:
            self.size_ok = client.supports_extension("size")
        if self.size_ok:
            mail += b" SIZE=%d" % len(data)
        protocol.write(mail + b"\r\n")
        response = await protocol.read_response(timeout=None)
        if response.code != 250:
            await self._reset(protocol)
            return _classify(response.code, response.message)
        protocol.write(b"RCPT TO:<" + rcpt.encode("ascii") + b">\r\n")
        response = await protocol.read_response(timeout=None)
        if response.code not in (250, 251):
            await self._reset(protocol)
            return _classify(response.code, response.message)
        protocol.write(b"DATA\r\n")
        response = await protocol.read_response(timeout=None)
        if response.code != 354:
            await self._reset(protocol)
            return _classify(response.code, response.message)
        # The composer's output is CRLF-only and 7-bit, so aiosmtplib's per-message
        # regexes are not needed: dot-stuff and terminate it in one pass. Nothing
        # yields between write() and read_response(), which arms the reply reader.
        protocol.write(data.replace(b"\r\n.", b"\r\n..") + b".\r\n")
        response = await protocol.read_response(timeout=None)
        if response.code != 250:
            return _classify(response.code, response.message)
        return Attempt(SENT, f"{response.code} {response.message}")

    async def _reset(self, protocol: Any) -> None:
        try:
            await protocol.execute_command(b"RSET", timeout=None)
        except (aiosmtplib.SMTPException, OSError):
            self._drop()

    def _drop(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None

    async def close(self) -> None:
        client, self.client = self.client, None
        if client is not None and client.is_connected:
            try:
                async with asyncio.timeout(5):
                    await client.quit()
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                client.close()
