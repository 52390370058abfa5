"""What notify/delivery/channels/smtp.py relies on in aiosmtplib, pinned to the installed version.

The SMTP session pipelines (RFC 2920) through ``_Replies``, a subclass of
``aiosmtplib.protocol.SMTPProtocol`` that keeps every reply instead of only the one a
waiting command asks for. It leans on more of aiosmtplib than its documented API:
``SMTPProtocol.__init__``, ``connection_made`` (the transport, the command lock),
``write``, ``execute_command`` (its check against control characters, and that it
awaits ``self.read_response``), ``connection_lost`` and ``is_connected``; the parser
``_read_response_from_buffer`` over ``_buffer``; ``COMMAND_INJECTION_REGEX``,
``MAX_RESPONSE_LENGTH`` and ``PERIOD_REGEX``; and the ``aiosmtplib.SMTP`` client's
``protocol`` after ``connect()``. These tests run each of them against a real aiosmtpd
server on loopback, on asyncio's loop and on uvloop (the command's), so that an
upgrade which changes them fails here, loudly, before a campaign meets it. When the
version check fails: read the new aiosmtplib/protocol.py, run this module, and only
then widen ``CHECKED``.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import aiosmtplib
import aiosmtplib.protocol
import pytest
import uvloop
from aiosmtplib import SMTPResponse, SMTPStatus
from aiosmtplib.protocol import PERIOD_REGEX, SMTPProtocol, normalize_message_line_endings
from notify_support import SmtpServer, make_revision

from notify.delivery.channels.message import Composer, Sender, Templates
from notify.delivery.channels.smtp import DATA, _command, _content, _Replies, _take_over

CHECKED = ((5, 1), (5, 2))  # aiosmtplib 5.1.x: checked against 5.1.3
T = TypeVar("T")

LOOPS = pytest.mark.parametrize("loop", ["asyncio", "uvloop"])


def run(loop: str, coroutine: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        async with asyncio.timeout(20):  # a changed aiosmtplib may leave a reply unread: fail, not hang
            return await coroutine()

    if loop == "uvloop":
        return uvloop.run(main())
    return asyncio.run(main())


@pytest.fixture
def server(smtp_server: Callable[..., SmtpServer]) -> Iterator[SmtpServer]:
    yield smtp_server()


async def connected(port: int, **options: Any) -> tuple[aiosmtplib.SMTP, _Replies]:
    """An aiosmtplib client connected (greeted, EHLO) and its connection taken over, as SmtpSession.connect does."""
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=10, **options)
    await client.connect()
    if client.is_ehlo_or_helo_needed:
        await client.ehlo()
    return client, _take_over(client)


def test_the_installed_aiosmtplib_is_the_version_this_was_checked_against() -> None:
    version = tuple(int(part) for part in aiosmtplib.__version__.split(".")[:2])
    low, high = CHECKED
    assert low <= version < high, (
        f"aiosmtplib {aiosmtplib.__version__} is installed; notify/delivery/channels/smtp.py was checked "
        f"against {low[0]}.{low[1]}.x: read its aiosmtplib/protocol.py against _Replies, run this module, "
        "then widen CHECKED (and the pin in pyproject.toml)"
    )


def test_what_smtp_py_imports_from_aiosmtplib_is_there() -> None:
    for name in ("COMMAND_INJECTION_REGEX", "MAX_RESPONSE_LENGTH", "MAX_LINE_LENGTH", "PERIOD_REGEX"):
        assert hasattr(aiosmtplib.protocol, name), name
    for method in (
        "_read_response_from_buffer",
        "read_response",
        "execute_command",
        "write",
        "connection_made",
    ):
        assert callable(getattr(SMTPProtocol, method, None)), method
    assert (SMTPStatus.completed, SMTPStatus.will_forward, SMTPStatus.start_input) == (250, 251, 354)
    assert (SMTPStatus.domain_unavailable, SMTPStatus.access_denied, SMTPStatus.storage_exceeded) == (
        421,
        530,
        552,
    )


# -- why the subclass: aiosmtplib's own protocol loses pipelined replies -----------------------------------


async def _two_replies_in_one_read(protocol_factory: Callable[[], SMTPProtocol]) -> list[Any]:
    """Two replies arriving in one read, on a real socket: what each protocol makes of them."""
    ours, theirs = socket.socketpair()
    try:
        loop = asyncio.get_running_loop()
        protocol = protocol_factory()
        await loop.create_connection(lambda: protocol, sock=ours)
        theirs.sendall(b"250 first\r\n250 second\r\n")
        results: list[Any] = [await protocol.read_response(timeout=5)]
        try:
            results.append(await protocol.read_response(timeout=0.3))
        except aiosmtplib.SMTPReadTimeoutError as exc:
            results.append(exc)
        assert protocol.transport is not None
        protocol.transport.close()
        return results
    finally:
        theirs.close()


def test_aiosmtplibs_own_protocol_still_loses_the_second_reply_of_a_group() -> None:
    """If this fails, aiosmtplib reads pipelined replies itself: _Replies may go."""

    async def go() -> tuple[list[Any], list[Any]]:
        loop = asyncio.get_running_loop()
        stock = await _two_replies_in_one_read(lambda: SMTPProtocol(loop=loop))
        kept = await _two_replies_in_one_read(lambda: _Replies(_NoInner(), loop))
        return stock, kept

    stock, kept = asyncio.run(go())
    assert stock[0] == SMTPResponse(250, "first") and isinstance(stock[1], aiosmtplib.SMTPReadTimeoutError)
    assert kept == [SMTPResponse(250, "first"), SMTPResponse(250, "second")]


class _NoInner(asyncio.Protocol):
    """No aiosmtplib client behind the connection (the protocol was never its)."""


# -- the protocol methods the session uses, against aiosmtpd -------------------------------------------


@LOOPS
def test_a_taken_over_connection_runs_commands_and_a_pipelined_group(server: SmtpServer, loop: str) -> None:
    async def go() -> list[SMTPResponse]:
        client, replies = await connected(server.port)
        assert client.protocol is not replies and replies.is_connected and replies.idle
        seen = [await replies.execute_command(b"NOOP")]  # the lock and read_response of ours
        replies.write(
            _command(b"MAIL", b"FROM:<privacy@shop.example>")
            + _command(b"RCPT", b"TO:<user1@users.example>")
            + DATA
        )
        seen += await replies.read(3)
        replies.write(b"".join(_content(b"Subject: hi\r\n\r\n.hello\r\n")))
        seen.append(await replies.read_response())
        seen.append(await replies.execute_command(b"QUIT"))
        with pytest.raises(aiosmtplib.SMTPServerDisconnected):
            await replies.read_response(timeout=5)  # the server hung up after 221
        assert not replies.is_connected and not client.is_connected  # the client learnt it through `inner`
        return seen

    seen = run(loop, go)
    assert [r.code for r in seen] == [
        SMTPStatus.completed,
        SMTPStatus.completed,
        SMTPStatus.completed,
        SMTPStatus.start_input,
        SMTPStatus.completed,
        SMTPStatus.closing,
    ]
    assert seen[4] == SMTPResponse(250, "2.0.0 Queued")
    assert server.counts() == {"user1@users.example": 1}
    assert server.received[0].data.endswith(b".hello\r\n")  # the dot was doubled, and undone by the server


@LOOPS
def test_takeover_after_starttls_keeps_the_tls_transport(
    smtp_server, certificate: tuple[Path, Path], loop: str
) -> None:
    server = smtp_server(tls="starttls", cert=certificate)

    async def go() -> SMTPResponse:
        client, replies = await connected(server.port, start_tls=True, cert_bundle=str(certificate[0]))
        assert replies.transport is not None and replies.transport.get_extra_info("sslcontext") is not None
        reply = await replies.execute_command(b"NOOP")
        client.close()
        return reply

    assert run(loop, go).code == SMTPStatus.completed


@LOOPS
def test_closing_the_client_closes_the_taken_over_connection(server: SmtpServer, loop: str) -> None:
    async def go() -> None:
        client, replies = await connected(server.port)
        client.close()
        assert not replies.is_connected
        with pytest.raises(aiosmtplib.SMTPServerDisconnected):
            replies.write(b"NOOP\r\n")  # aiosmtplib's write refuses a closing transport
        with pytest.raises(aiosmtplib.SMTPServerDisconnected):
            await replies.read(1)

    run(loop, go)


@LOOPS
def test_read_response_times_out_as_aiosmtplib_does(server: SmtpServer, loop: str) -> None:
    async def go() -> None:
        client, replies = await connected(server.port)
        with pytest.raises(aiosmtplib.SMTPReadTimeoutError):
            await replies.read_response(timeout=0.2)
        client.close()

    run(loop, go)


@LOOPS
def test_control_characters_are_refused_by_execute_command_and_by_the_pipelined_lines(
    server: SmtpServer, loop: str
) -> None:
    """Every C0 control character and DEL, anywhere in an argument: ValueError from both,
    before anything is written; the session stays usable."""

    async def go() -> list[int]:
        client, replies = await connected(server.port)
        refused = []
        for code in [*range(0x20), 0x7F]:
            arg = b"TO:<user" + bytes([code]) + b"x@users.example>"
            with pytest.raises(ValueError):
                await replies.execute_command(b"RCPT", arg)
            with pytest.raises(ValueError):
                _command(b"RCPT", arg)
            refused.append(code)
        assert replies.idle and (await replies.execute_command(b"NOOP")).code == SMTPStatus.completed
        client.close()
        return refused

    assert len(run(loop, go)) == 33
    assert _command(b"MAIL", b"FROM:<a@b.example>", b"SIZE=12") == b"MAIL FROM:<a@b.example> SIZE=12\r\n"


# -- aiosmtplib's reply parser, as _Replies uses it ----------------------------------------------------


def _fed(*chunks: bytes) -> tuple[list[SMTPResponse], BaseException | None]:
    async def go() -> tuple[list[SMTPResponse], BaseException | None]:
        replies = _Replies(_NoInner(), asyncio.get_running_loop())
        for chunk in chunks:
            replies.data_received(chunk)
        return list(replies.replies), replies.error

    return asyncio.run(go())


def test_the_parser_joins_continuation_lines_and_decodes_like_aiosmtplib() -> None:
    replies, error = _fed(b"250-first\r\n250-se", b"cond\r\n250 \xff last \r\n", b"354 go")
    assert error is None
    assert replies == [SMTPResponse(250, "first\nsecond\n\udcff last")]  # the 354 is not whole yet


def test_the_parser_refuses_malformed_and_overlong_replies() -> None:
    _, malformed = _fed(b"hello\r\n")
    assert (
        isinstance(malformed, aiosmtplib.SMTPResponseException)
        and malformed.code == SMTPStatus.invalid_response
    )
    _, long_line = _fed(b"250 " + b"x" * aiosmtplib.protocol.MAX_LINE_LENGTH + b"\r\n")
    assert isinstance(long_line, aiosmtplib.SMTPResponseException)
    _, endless = _fed(
        *[b"250-" + b"y" * 1000 + b"\r\n"] * (aiosmtplib.protocol.MAX_RESPONSE_LENGTH // 1000 + 1)
    )
    assert isinstance(endless, aiosmtplib.SMTPResponseException) and "too long" in endless.message


# -- the message content is what aiosmtplib would send ------------------------------------------------


def test_the_content_is_what_aiosmtplibs_data_command_would_send() -> None:
    composer = Composer(make_revision(), Sender.parse("Shop Privacy <privacy@shop.example>"), Templates([]))
    data = composer.build("user1@users.example", "User 1", "en", "<m1@shop.example>", "1")
    for sample in (data, b".lead\r\n..two\r\nmid.dle\r\n.\r\nend\r\n", data + b".\r\n.x\r\n"):
        assert normalize_message_line_endings(sample) == sample  # CRLF only: nothing to normalise
        assert b"".join(_content(sample)) == PERIOD_REGEX.sub(b"..", sample) + b".\r\n"
