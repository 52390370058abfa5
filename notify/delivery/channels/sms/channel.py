"""The SMS channel (``--sms``): one text per user with a phone number, through a provider
(:mod:`notify.delivery.channels.sms.providers`).

The ledger row of a text holds the E.164 number where an email's holds the address
(:func:`notify.delivery.recipients.routing.destination`). Each text carries a short
personal link (:mod:`notify.common.shortlinks`): a code the answer service resolves to
the same page as the signed token of an email, with the same expiry. The codes of a
claimed batch are saved in the ledger's database before any of it is sent
(:meth:`SmsChannel.prepare`, on the ledger's thread), so a link in a delivered text
always opens. Without an answer page the link is the redline: from the version that
governs the user when they objected to an earlier revision, as in their email.

A user's answer names them as their email's does (their id, else the keyed hash of
their address, else of their number): a user without an id who has both is one user,
whichever link they answer through.

``--sms outbox`` sends nothing: each text is written to a file of the outbox
(``<outbox>/sms/<document>/<version>/``), to read before a campaign goes out, as the
emails are without ``--smtp``.

The provider's answer becomes an :class:`~notify.delivery.channels.base.Attempt` with
its message id (kept in the ledger, shown by ``--report``); connection errors and
timeouts are temporary. No reply kept names the number.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin

import httpx

from notify.common.errors import ConfigurationError, NotifyError, Paused
from notify.common.shortlinks import CODE_LENGTH, short_url
from notify.common.tokens import AnswerLinks
from notify.contract.revision import Revision
from notify.delivery.channels.base import TEMPORARY, Attempt, RedlineChoice
from notify.delivery.channels.http import new_client, read_body, timeouts
from notify.delivery.channels.message import Templates
from notify.delivery.channels.outbox import create, file_name, revision_folder, write
from notify.delivery.channels.sms.provider import SETTING, Provider, TextMessage
from notify.delivery.channels.sms.quiet import QuietHours
from notify.delivery.channels.sms.text import Texts
from notify.delivery.ledger.ledger import Claimed
from notify.delivery.recipients.routing import SMS

BODY_KEPT = 64 * 1024  # bytes of a provider's answer read for its meaning
SaveCodes = Callable[[Sequence[tuple[str, str, str, str]]], Iterable[str]]
"""Saves (code, token, document, version) rows, returns the codes held by another token:
:func:`notify.common.shortlinks.save_codes`."""
SAMPLE_CODE = "0" * CODE_LENGTH  # a code's length, to measure a text before any code exists


OUTBOX = "outbox"
"""``--sms outbox``: the texts written to files, none sent."""


class SmsChannel:
    name = SMS

    def __init__(
        self,
        provider: Provider | None,
        revision: Revision,
        templates: Templates,
        *,
        save_codes: SaveCodes,
        cafile: str | None = None,
        redlines: RedlineChoice | None = None,
        outbox: Path | None = None,
        quiet: QuietHours | None = None,
    ) -> None:
        """``provider``: where texts go; None with ``outbox``, the folder they are written to."""
        self.provider = provider
        self.outbox = revision_folder(outbox, revision.document, revision.version) if outbox else None
        self.revision = revision
        self.links = AnswerLinks.of(revision)
        self.texts = Texts(revision, templates, answer=self.links is not None)
        self.redlines = redlines
        if self.links is None and provider is not None and "code" in provider.template_fields:
            raise NotifyError(
                f"{SETTING}: the template takes the short link's code (params=...,code), which only an "
                "answer page gives: set answer_url in mkdocs.yml (or --answer-url), or name link instead of code"
            )
        self.save_codes = save_codes
        self.description = provider.description if provider is not None else f"text outbox {self.outbox}"
        self.cafile = cafile
        self.quiet = quiet
        """The hours in which no text goes out (``--quiet-hours``); not for the outbox."""
        self.collided: set[str] = set()
        """Codes the database holds for another token (about one in 10**17 pairs): their
        users are sent the long link rather than another's page."""

    def check(self) -> None:
        """Refuse (TextTooLong) a language of the site whose text cannot fit in one
        segment, before any notice is sent (a provider of approved templates sends its
        own words)."""
        if not self.free_text:
            return
        for language in self.texts.site_languages:
            self.texts.check(language, self._sample_link(language))

    @property
    def free_text(self) -> bool:
        return self.provider is None or self.provider.free_text

    async def preflight(self) -> None:
        self.check()
        if self.outbox is not None:
            create(self.outbox, "--outbox")

    def _sample_link(self, language: str) -> str:
        if self.links is not None:
            return short_url(self.links.answer_url, SAMPLE_CODE)
        return self.revision.in_language(self.texts.language(language)).changes_url

    def _link(self, item: Claimed) -> tuple[str, str, str]:
        """(link, code, token) of ``item``'s text: the short link, else the redline (from
        the version that governs the user, when they objected to an earlier revision)."""
        address = user_address(item)
        if self.links is not None:
            short, code, token = self.links.short(item.recipient_id, address, item.locale)
            if code in self.collided:
                return self.links.link(item.recipient_id, address, item.locale), "", token
            return short, code, token
        language = self.texts.language(item.locale)
        since = self.redlines.since(item.recipient_id, address) if self.redlines is not None else ""
        url = self.revision.changes_url_from(since, language) if since else ""
        return url or self.revision.in_language(language).changes_url, "", ""

    def prepare(self, rows: Sequence[Claimed]) -> None:
        """Before a claimed batch is sent (on the ledger's thread): save its short codes;
        without an answer page, read who of it is governed by an older version (their
        redline starts there)."""
        if self.links is None:
            if self.redlines is not None:
                self.redlines.prepare([_as_user(item) for item in rows])
            return
        r = self.revision
        saved = []
        for item in rows:
            _short, code, token = self.links.short(item.recipient_id, user_address(item), item.locale)
            saved.append((code, token, r.document, r.version))
        if saved:
            self.collided.update(self.save_codes(saved))

    def message(self, item: Claimed) -> TextMessage:
        link, code, _token = self._link(item)
        text = self.texts.text(item.locale, link, code, whole=self.free_text)
        return TextMessage(
            to=item.email,
            text=text.text,
            language=text.language,
            document=self.revision.document,
            version=self.revision.version,
            recipient_id=item.recipient_id,
            key=item.message_id,
            params=text.params,
        )

    def session(self) -> SmsSession | SmsOutboxSession:
        return SmsSession(self) if self.provider is not None else SmsOutboxSession(self)


class SmsOutboxSession:
    """Texts written to files: "To:", "Language:", a blank line, the text."""

    def __init__(self, channel: SmsChannel) -> None:
        self.channel = channel

    async def deliver(self, item: Claimed, timeout: float) -> Attempt:
        ch = self.channel
        assert ch.outbox is not None
        message = ch.message(item)
        data = f"To: {message.to}\nLanguage: {message.language}\n\n{message.text}\n".encode()
        return write(ch.outbox / file_name(item.message_id, ".txt"), data, "--outbox")

    async def close(self) -> None:
        return None


class SmsSession:
    """One keep-alive connection to the provider, reused for every text of this sender."""

    def __init__(self, channel: SmsChannel) -> None:
        self.channel = channel
        self.client: httpx.AsyncClient | None = None
        assert channel.provider is not None
        self.provider: Provider = channel.provider

    def _client(self) -> httpx.AsyncClient:
        if self.client is None:
            ch = self.channel
            # Plain http:// (a loopback host) has no certificate to verify.
            self.client = new_client(
                False if self.provider.insecure else ssl.create_default_context(cafile=ch.cafile)
            )
        return self.client

    async def deliver(self, item: Claimed, timeout: float) -> Attempt:
        ch = self.channel
        if ch.quiet is not None:
            until = ch.quiet.until(datetime.now(UTC))
            if until is not None:
                raise Paused(
                    f"quiet hours ({ch.quiet}): no text goes out before {until:%Y-%m-%d %H:%M %Z}; "
                    "the rest wait for the same command run then"
                )
        timeout = max(timeout, 0.01)
        message = ch.message(item)
        request = self.provider.request(message, time.time())
        client = self._client()
        try:
            async with asyncio.timeout(timeout):
                async with client.stream(
                    request.method,
                    request.url,
                    content=request.content,
                    headers=dict(request.headers),
                    timeout=timeouts(timeout),
                ) as response:
                    status, headers = response.status_code, response.headers
                    body = await read_body(response, BODY_KEPT)
        except (TimeoutError, httpx.TimeoutException):
            return Attempt(TEMPORARY, "connection lost: timeout")
        except httpx.HTTPError as exc:  # connection refused, reset, a malformed answer, ...
            return Attempt(TEMPORARY, f"connection lost: {exc.__class__.__name__}")
        if 300 <= status < 400:
            location = headers.get("Location")
            target = f" to {urljoin(request.url, location)}" if location else ""
            raise ConfigurationError(
                SETTING,
                f"{ch.description} answered HTTP {status} (a redirect{target}, which is not followed): "
                "give the provider's own address",
            )
        attempt = self.provider.outcome(status, headers, body)
        return Attempt(attempt.kind, _without(attempt.reply, message.to), attempt.provider_id)

    async def close(self) -> None:
        if self.client is not None:
            client, self.client = self.client, None
            await client.aclose()


def user_address(item: Claimed) -> str:
    """The address a user's answers are named by when they have no id: the address
    behind a text's row (its ledger key, for a user who has one), else the number."""
    return item.recipient if "@" in item.recipient else item.email


def _as_user(item: Claimed) -> Claimed:
    """``item`` as the answers read a recipient: named by :func:`user_address`."""
    return replace(item, email=user_address(item))


def _without(reply: str, number: str) -> str:
    """``reply`` with the number (with or without its ``+``) replaced by "recipient"."""
    for form in (number, number.lstrip("+")):
        if form:
            reply = reply.replace(form, "recipient")
    return reply
