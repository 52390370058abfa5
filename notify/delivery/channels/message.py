"""Message composition: render each (revision, locale) once, fill recipients in cheaply.

Templates (Jinja2) live in ``site_templates/email/``, one file per kind for every
language (``notice.txt.j2``, ``notice.html.j2``, ``notice.subject.j2``): their words go
through gettext catalogues (:mod:`notify.common.i18n`: ``{% trans %}``, the reader's
``site_templates/locale/<tag>/LC_MESSAGES/notify.po``), their dates through Babel
(:func:`notify.common.dates.format_date`), and the HTML part carries the words'
``lang`` and, for a language written right to left, ``dir="rtl"``. An operator
overrides a template by putting a file of the same name in
``<repo>/site_templates/email/`` or a directory given with ``--templates``, and may keep
one per language there (``notice.<locale>.txt.j2``, then the bare language, win over
``notice.txt.j2``); a catalogue of theirs goes in ``<repo>/locale/`` (or
``<--templates>/locale/``).

The language of a recipient's notice is :meth:`Revision.language_for` their locale: on a
site with several languages (``languages: [en, zh]``) the matching one, else the source
language, and then the wording, the title, the summary, the section titles, the dates
and the links (``/zh/privacy/...``) are all in it; with one language, the words follow
the locale among the catalogues, as the templates did.

With a personal answer link, the notice offers one way to object, that link, and one
deadline, the day the link stops working (the answer service refuses it after that);
the rights section is linked as where to read one's rights. Without one, the rights
section is the way, before the change takes effect.

Per-recipient fields (``name``, ``email``, ``answer_link``) are rendered as placeholders; the
rendered text is split at them once per (language, with or without a name, redline), and a
message is built by joining the parts with the recipient's values: no template
rendering and no ``EmailMessage`` per recipient.

The redline (``changes_url``) is the notice's own, from the version in force, except for a
recipient governed by an older version (they objected to an earlier revision): theirs
starts from that version (``changes_from`` names it; :mod:`notify.answers.governed` picks it at
send time from the answers in the ledger). There are as many such texts as earlier
versions at most, each rendered once. Names are stripped of control
characters before they get here, so no field can start a new header; the HTML part
escapes every field.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import re
import time
import unicodedata
from dataclasses import dataclass
from email.header import Header
from email.utils import formatdate, parseaddr
from pathlib import Path
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError

from notify.common.dates import format_date
from notify.common.errors import NotifyError
from notify.common.i18n import Catalogues, Words, environment
from notify.common.resources import SITE_TEMPLATES
from notify.common.sandbox import REPEAT_LIMIT as REPEAT_LIMIT
from notify.common.sandbox import FolderLoader
from notify.common.sandbox import TemplateOutside as TemplateOutside
from notify.common.tokens import AnswerLinks
from notify.contract.revision import Revision
from notify.delivery.channels.base import RedlineChoice
from notify.delivery.recipients.sources import CONTROL_CHARACTERS, clean_name, normalize_address

BUILTIN_TEMPLATES = SITE_TEMPLATES / "email"

_NAME = "\ue000n\ue001"
_EMAIL = "\ue000e\ue001"
_LINK = "\ue000a\ue001"
_FIELD = re.compile("\ue000([nea])\ue001")
_ATOM = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]*$")


def message_id(revision: Revision, channel: str, recipient_key: str, domain: str) -> str:
    """A Message-ID that is the same for the same (revision, channel, recipient) on every run."""
    return message_id_of(revision.document, revision.version, channel, recipient_key, domain)


def message_id_of(document: str, version: str, channel: str, recipient_key: str, domain: str) -> str:
    """:func:`message_id` from the revision's names alone (the enqueueing child has no Revision)."""
    digest = hashlib.sha256(f"{document}\0{version}\0{channel}\0{recipient_key}".encode()).hexdigest()[:40]
    return f"<policy.{digest}@{domain}>"


@dataclass(frozen=True)
class Sender:
    header: str  # encoded From header value
    address: str  # envelope sender
    domain: str  # for Message-IDs
    name: str
    of_site: bool = False
    """The default sender: named after the site, in each reader's language (its ``site_name``)."""

    @classmethod
    def parse(cls, value: str) -> Sender:
        name, addr = parseaddr(value)
        address, reason = normalize_address(addr)
        if not address:
            raise NotifyError(
                f"--from {value!r}: {reason}; give e.g. --from 'Shop Privacy <privacy@shop.example>'"
            )
        return cls.named(name, address)

    @classmethod
    def named(cls, name: str, address: str, *, of_site: bool = False) -> Sender:
        """The sender ``name <address>`` (``address`` already normalised)."""
        name = clean_name(name)
        return cls(
            header=display(name, address, "From"),
            address=address,
            domain=address.rpartition("@")[2],
            name=name,
            of_site=of_site,
        )

    def in_language(self, site_name: str) -> Sender:
        """The sender as a reader sees it whose site name is ``site_name``: the default
        sender takes it as its name; one given with --from keeps its own."""
        if not self.of_site or not site_name or clean_name(site_name) == self.name:
            return self
        return Sender.named(site_name, self.address, of_site=True)


def display(name: str, address: str, header_name: str) -> str:
    """An address header value; ``name`` must already be free of control characters.

    A name that holds ``=?`` is encoded whole (RFC 2047), never written as it is: mail
    programs decode encoded words even inside quotes, and ``"=?utf-8?q?Admin?= <admin@evil>"``
    would be shown as the name and address of someone else."""
    if not name:
        return f"<{address}>"
    if name.isascii() and len(name) <= 60 and "=?" not in name:
        if _ATOM.match(name):
            return f"{name} <{address}>"
        quoted = name.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{quoted}" <{address}>'
    raw = name.encode("utf-8")
    if len(raw) <= 45:  # one RFC 2047 encoded word (at most 75 characters)
        return f"=?utf-8?b?{base64.b64encode(raw).decode('ascii')}?= <{address}>"
    encoded = Header(name, "utf-8", header_name=header_name).encode(linesep="\r\n")
    return f"{encoded} <{address}>"


_SPACES = re.compile(r"[ \t\r\n\f\v]+")
_REORDERING = re.compile("[\u202a-\u202e\u2066-\u2069]+")
"""The bidirectional embeddings, overrides and isolates: they reorder what follows them.
The marks (LRM, RLM, ALM) only give a neutral character a direction, as the catalogues'
dates use them, and are kept."""


def one_line(text: str) -> str:
    """A subject's words on one line: control characters and runs of plain white space
    made one space, the reordering bidi controls removed; no-break spaces (French
    punctuation) and the direction marks of right-to-left dates kept."""
    text = unicodedata.normalize("NFC", text)
    text = _REORDERING.sub("", CONTROL_CHARACTERS.sub(" ", text))
    return _SPACES.sub(" ", text).strip()


def _subject_value(value: str) -> str:
    return _encoded(one_line(value[:900]), "Subject")


def _header_value(value: str, header_name: str) -> str:
    return _encoded(clean_name(value) if len(value) <= 200 else clean_name(value[:900]), header_name)


def _encoded(value: str, header_name: str) -> str:
    """A cleaned header value as written: as it is when short ASCII, else RFC 2047."""
    if value.isascii() and len(value) + len(header_name) < 76:
        return value
    return Header(value, "utf-8", header_name=header_name).encode(linesep="\r\n")


@dataclass(frozen=True)
class _Filled:
    """A rendered part with the recipient's fields left open, quoted-printable encoded
    ahead of time except on the lines that hold a field.

    ``b2a_qp`` works line by line (soft breaks and trailing-space rules restart at
    each CRLF), so the encoding of the whole text is the encodings of its lines put
    together: the lines without a field are encoded once here, and only the few with
    a name or an address are filled and encoded per message. Such a line is kept as a
    format string (``"Dear {n},\r\n"``, its own braces doubled), filled by ``str.format``.
    """

    chunks: tuple[bytes | str, ...]  # encoded bytes, or the format string of one line with fields

    @classmethod
    def split(cls, rendered: str) -> _Filled:
        text = rendered.replace("\r\n", "\n").replace("\r", "\n")
        text = text.replace("\n", "\r\n")
        if not text.endswith("\r\n"):
            text += "\r\n"
        chunks: list[bytes | str] = []
        plain: list[str] = []
        for line in text.splitlines(keepends=True):
            parts = _FIELD.split(line)
            if len(parts) == 1:
                plain.append(line)
                continue
            if plain:
                chunks.append(_qp("".join(plain)))
                plain = []
            chunks.append(_format_string(parts))
        if plain:
            chunks.append(_qp("".join(plain)))
        return cls(tuple(chunks))

    def pieces(self, name: str, email: str, link: str = "") -> list[bytes]:
        """The part's bytes for one recipient, in pieces to be joined."""
        return [
            chunk if isinstance(chunk, bytes) else _qp(chunk.format(n=name, e=email, a=link))
            for chunk in self.chunks
        ]


def _format_string(parts: list[str]) -> str:
    """A line split at its fields (literal, field, literal, ...) as a format string."""
    return "".join(
        "{" + part + "}" if i % 2 else part.replace("{", "{{").replace("}", "}}")
        for i, part in enumerate(parts)
    )


def _qp(text: str) -> bytes:
    return binascii.b2a_qp(text.encode("utf-8"), istext=True)


@dataclass(frozen=True)
class _Prepared:
    head: bytes  # headers after To/Message-ID/Date, and the text part's headers
    text: _Filled
    middle: bytes  # boundary and the HTML part's headers
    html: _Filled
    tail: bytes


class Templates:
    """The email templates over the search path (operator's directories first), rendered in
    Jinja's sandbox (they come from the policy repository, and are rendered in the process
    that holds the SMTP password, the database and the answer secret), with the words of
    the reader's catalogue (:mod:`notify.common.i18n`; operator's catalogue folders
    ``locales`` first)."""

    def __init__(self, search: list[Path], locales: list[Path] | None = None) -> None:
        self.search = [p for p in search if p.is_dir()] + [BUILTIN_TEMPLATES]
        self.loader = FolderLoader([str(p) for p in self.search])
        self.catalogues = Catalogues(locales or [])
        self._envs: dict[str, jinja2.Environment] = {}

    def words(self, language: str) -> Words:
        """The words of a reader of ``language``; NotifyError when its catalogue cannot be read."""
        return self.catalogues.words(language)

    def env(self, words: Words) -> jinja2.Environment:
        """The sandbox that says ``words``' messages (one per catalogue)."""
        env = self._envs.get(words.catalogue)
        if env is None:
            env = self._envs[words.catalogue] = environment(
                self.loader,
                words.translations,
                autoescape=lambda name: name is not None and name.endswith(".html.j2"),
                keep_trailing_newline=True,
            )
        return env

    def pick(self, kind: str, locale: str) -> jinja2.Template:
        """The template of ``kind`` (txt, html, subject) for a reader of ``locale``: the
        operator's ``notice.<locale>.<kind>.j2`` or ``notice.<language>.<kind>.j2`` when
        there is one, else ``notice.<kind>.j2`` (one for every language)."""
        candidates = []
        if locale:
            norm = locale.replace("_", "-").lower()
            candidates += [f"notice.{norm}.{kind}.j2", f"notice.{norm.split('-')[0]}.{kind}.j2"]
        candidates.append(f"notice.{kind}.j2")
        try:
            return self.env(self.words(locale)).select_template(candidates)
        except jinja2.TemplatesNotFound as exc:
            raise NotifyError(
                f"no email template {candidates[-1]} in {', '.join(map(str, self.search))}; "
                "restore site_templates/email/ or point --templates at a directory that has it"
            ) from exc
        except jinja2.TemplateSyntaxError as exc:
            raise NotifyError(
                f"email template {exc.filename} line {exc.lineno}: {exc.message}; fix the template"
            ) from exc
        except (jinja2.TemplateError, OSError, UnicodeDecodeError) as exc:
            raise NotifyError(f"email template {candidates[-1]}: {exc}; fix the template") from None

    def render(self, template: jinja2.Template, ctx: dict[str, Any]) -> str:
        """``template`` filled with ``ctx``; NotifyError naming the template file (and line)
        for whatever goes wrong in it: a field it names that does not exist, what the
        sandbox refuses, an error of its own."""
        try:
            return template.render(ctx)
        except Exception as exc:  # the template is the repository's: nothing in it may crash the run
            if isinstance(exc, SecurityError):
                what = f"the sandbox refused it: {exc}"
            elif isinstance(exc, jinja2.TemplateError):
                what = str(exc.message or exc)
            else:
                what = f"{exc.__class__.__name__}: {exc}"
            raise NotifyError(
                f"email template {self._place(exc, template)}: {what}; fix the template "
                f"(its fields: {', '.join(ctx)})"
            ) from None

    def _place(self, exc: BaseException, template: jinja2.Template) -> str:
        """The template file (and line) where ``exc`` was raised, ``template`` or one it
        includes: Jinja puts each template's lines in the traceback under its file name."""
        if isinstance(exc, jinja2.TemplateSyntaxError) and exc.filename:
            return f"{exc.filename} line {exc.lineno}"
        roots = tuple(str(p) for p in self.search)
        place = template.filename or template.name or "?"
        tb = exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename.startswith(roots):
                place = f"{tb.tb_frame.f_code.co_filename} line {tb.tb_lineno}"
            tb = tb.tb_next
        return place


class Composer:
    """Builds the bytes of the notice for one revision and many recipients."""

    def __init__(
        self,
        revision: Revision,
        sender: Sender,
        templates: Templates,
        channel: str = "email",
        redlines: RedlineChoice | None = None,
    ) -> None:
        self.revision = revision
        self.redlines = redlines  # the redline of each recipient governed by an older version
        self.links = AnswerLinks.of(revision)  # the personal answer links, when the notices carry them
        self.sender = sender
        self.templates = templates
        self.channel = channel
        self.boundary = (
            "==policy-"
            + hashlib.sha256(f"{revision.document}\0{revision.version}".encode()).hexdigest()[:24]
            + "=="
        )
        self._cache: dict[tuple[str, bool, str], _Prepared] = {}
        self._languages: dict[str, str] = {}  # recipient's locale -> language of their notice
        self._date_second = -1
        self._date = b""
        # Every language the notices will be written in, rendered now: a template that
        # fails in one of them stops the campaign before its first message.
        if revision.several_languages:
            for language in revision.languages:
                self._prepared(language, True)
        else:  # the words follow the locale: every catalogue may be read
            for language in templates.catalogues.languages:
                self._prepared(language, True)
        # And the text for a recipient governed by an older version, in one language.
        own = sorted(redlines.own) if redlines is not None else []
        if own:
            self._prepared(revision.languages[0] if revision.languages else "", True, own[0])

    def message_id(self, recipient_key: str) -> str:
        return message_id(self.revision, self.channel, recipient_key, self.sender.domain)

    def language(self, locale: str) -> str:
        """The language of the notice to a recipient of ``locale`` (see :meth:`Revision.language_for`)."""
        language = self._languages.get(locale)
        if language is None:
            language = self._languages[locale] = self.revision.language_for(locale)
        return language

    def context(
        self, language: str, name: str, email: str, answer_link: str = "", since: str = ""
    ) -> dict[str, Any]:
        """The templates' fields for the notice written in ``language`` (one of the site's,
        or with one language the recipient's locale: see :meth:`language`), to a
        recipient governed by version ``since`` when it is older than the one the notice
        is compared with ("" otherwise). Its own words, dates and direction are those of
        the reader's catalogue (``lang``, ``dir``: :class:`notify.common.i18n.Words`);
        with an answer link, ``answer_expires_text`` is when that link stops working, the
        one deadline the notice states."""
        locale = language
        words = self.templates.words(language)
        r = self.revision.in_language(language)
        changes_url = self.revision.changes_url_from(since, language) if since else ""
        expires = self.links.expires if self.links is not None and answer_link else None
        return {
            "document": r.document,
            "title": r.title,
            "version": r.version,
            "summary": r.summary,
            "core_sections": r.core_section_records(),
            "url": r.url,
            "changes_url": changes_url or r.changes_url,
            # The version the redline starts from when it is the recipient's own (the one
            # that governs them: they objected to a later revision), else "".
            "changes_from": since if changes_url else "",
            "rights_url": r.rights_url,
            "published": r.published,
            "effective": r.effective,
            "effective_text": format_date(r.effective, words.lang),
            "published_text": format_date(r.published, words.lang),
            "late": r.late,
            "locale": locale,
            "lang": words.lang,
            "dir": words.dir,
            "sender_name": self.sender.in_language(r.site_name).name,
            "site_name": r.site_name,
            # The sign-off: the site's name in the reader's language, else the sender's.
            "signature": r.site_name or self.sender.name,
            "name": name,
            "email": email,
            "answer_link": answer_link,
            "answer_expires_text": format_date(expires, words.lang) if expires is not None else "",
        }

    def _prepare(self, language: str, has_name: bool, since: str = "") -> _Prepared:
        ctx = self.context(
            language, _NAME if has_name else "", _EMAIL, _LINK if self.links is not None else "", since
        )
        templates = self.templates
        subject = templates.render(templates.pick("subject", language), ctx)
        text = templates.render(templates.pick("txt", language), ctx)
        body = templates.render(templates.pick("html", language), ctx)
        subject = one_line(subject)
        if _FIELD.search(subject):
            raise NotifyError(
                "the subject template may not contain per-recipient fields (name, email, answer_link)"
            )
        lang = self.templates.words(language).lang
        r = self.revision
        sender = self.sender.in_language(ctx["site_name"])
        head = (
            f"From: {sender.header}\r\n"
            f"Subject: {_subject_value(subject)}\r\n"
            "MIME-Version: 1.0\r\n"
            "Auto-Submitted: auto-generated\r\n"
            "X-Auto-Response-Suppress: All\r\n"
            f"Content-Language: {lang}\r\n"
            f"X-Policy-Document: {_header_value(r.document, 'X-Policy-Document')}\r\n"
            f"X-Policy-Version: {_header_value(r.version, 'X-Policy-Version')}\r\n"
            f'Content-Type: multipart/alternative; boundary="{self.boundary}"\r\n'
            "\r\n"
            f"--{self.boundary}\r\n"
            'Content-Type: text/plain; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: quoted-printable\r\n"
            "\r\n"
        ).encode("ascii")
        middle = (
            f"\r\n--{self.boundary}\r\n"
            'Content-Type: text/html; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: quoted-printable\r\n"
            "\r\n"
        ).encode("ascii")
        tail = f"\r\n--{self.boundary}--\r\n".encode("ascii")
        return _Prepared(head, _Filled.split(text), middle, _Filled.split(body), tail)

    def subject(self, locale: str = "") -> str:
        language = self.language(locale)
        templates = self.templates
        return one_line(templates.render(templates.pick("subject", language), self.context(language, "", "")))

    def _prepared(self, language: str, has_name: bool, since: str = "") -> _Prepared:
        key = (language, has_name, since)
        prepared = self._cache.get(key)
        if prepared is None:
            prepared = self._cache[key] = self._prepare(language, has_name, since)
        return prepared

    def build(self, email: str, name: str, locale: str, msgid: str, recipient_id: str = "") -> bytes:
        """The message bytes (CRLF line endings, 7-bit clean) for one recipient; with
        answer links, ``recipient_id`` (else the address) names the recipient in theirs.
        A recipient governed by an older version is sent the redline from it."""
        if not name.isascii():
            name = clean_name(name)  # a row enqueued before names lost their bidi controls
        since = self.redlines.since(recipient_id, email) if self.redlines is not None else ""
        prepared = self._prepared(self.language(locale), bool(name), since)
        now = int(time.time())
        if now != self._date_second:
            self._date_second = now
            self._date = formatdate(now, usegmt=True).encode("ascii")
        to = display(name, email, "To").encode("ascii")
        link = self.links.link(recipient_id, email, locale) if self.links is not None else ""
        return b"".join(
            [
                b"To: ",
                to,
                b"\r\nMessage-ID: ",
                msgid.encode("ascii"),
                b"\r\nDate: ",
                self._date,
                b"\r\n",
                prepared.head,
                *prepared.text.pieces(name, email, link),
                prepared.middle,
                *prepared.html.pieces(html.escape(name), email, html.escape(link)),
                prepared.tail,
            ]
        )
