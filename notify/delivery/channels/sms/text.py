"""The words of a text message: the ``notice.sms.j2`` template (beside the email's, in
the reader's catalogue), in one segment (:mod:`notify.delivery.channels.sms.segments`).

The full text names the site, the document, the version, the day it applies from and
the link; when that does not fit in one segment (Chinese, with a long link), the compact
one leaves out the site's name. A language of the site in which neither fits is
refused before any text is sent (:meth:`Texts.check`), naming the language and the
length, so the operator shortens the link (``answer_url``), the title or the template.
A reader whose words are those of another catalogue (on a site of one language, the
reader's locale picks them) and whose text cannot fit is sent the site's own language
instead, which was checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from notify.common.dates import format_day
from notify.common.errors import NotifyError
from notify.common.i18n import SOURCE
from notify.contract.revision import Revision
from notify.delivery.channels.message import Templates
from notify.delivery.channels.sms.segments import Length, length

KIND = "sms"  # the template: notice.sms.j2 (or notice.<locale>.sms.j2)
LINK_MARK = "\ue000"  # a private-use character: where the link goes in a rendered text
SAMPLE_LINK = "https://shop.example/answer/0123456789"  # to tell whether a template keeps the link as it is


class TextTooLong(NotifyError):
    """No text of a language fits in one segment."""


@dataclass(frozen=True, slots=True)
class Text:
    text: str
    language: str  # the reader's words' tag
    params: dict[str, str]  # title, version, date, link, code


class Texts:
    """The texts of one revision's notices. ``answer``: the links go to the answer page
    (else to the redline)."""

    def __init__(self, revision: Revision, templates: Templates, *, answer: bool) -> None:
        self.revision = revision
        self.templates = templates
        self.answer = answer
        self.site_languages = tuple(revision.languages or [revision.language or SOURCE])
        """The languages the document is published in: their texts must fit."""
        # (language, link length) -> compact text or not; None: no text fits
        self._compact: dict[tuple[str, int], bool | None] = {}
        # (language, compact) -> the text with LINK_MARK; None: rendered for each link
        self._rendered: dict[tuple[str, bool], str | None] = {}

    def language(self, locale: str) -> str:
        """The language of the text to a reader of ``locale`` (that of their email)."""
        return self.revision.language_for(locale)

    def _render(self, language: str, link: str, compact: bool) -> str:
        """The text of ``language`` with ``link``: the template rendered once per language
        and variant, with a mark where the link goes (a template is the same for every
        reader of a language but for the link)."""
        key = (language, compact)
        if key not in self._rendered:
            marked = self._render_with(language, LINK_MARK, compact)
            # A template that does something with the link (shortens it, say) is rendered
            # for every text: the mark stands for the link only where it is put in as it is.
            verbatim = self._render_with(language, SAMPLE_LINK, compact) == marked.replace(
                LINK_MARK, SAMPLE_LINK
            )
            self._rendered[key] = marked if verbatim else None
        words = self._rendered[key]
        if words is None:
            return self._render_with(language, link, compact)
        return words.replace(LINK_MARK, link)

    def _render_with(self, language: str, link: str, compact: bool) -> str:
        words = self.templates.words(language)
        r = self.revision.in_language(language)
        ctx = {
            "site": r.site_name or self.revision.site_name or urlsplit(r.url).hostname or "",
            "title": r.title,
            "version": r.version,
            "date": format_day(r.effective, words.lang),
            "link": link,
            "answer": self.answer,
            "late": r.late,
            "compact": compact,
        }
        text = self.templates.render(self.templates.pick(KIND, language), ctx)
        return " ".join(text.split())

    def text(self, locale: str, link: str, code: str = "", *, whole: bool = True) -> Text:
        """The text to a reader of ``locale`` with ``link``: the full one when it fits in
        one segment, else the compact one, else the site's own language's. A text that
        cannot fit even so (a link longer than the one :meth:`check` measured: a redline
        from an older version, a short code that collided) is sent whole, in several
        segments, rather than not at all. Without ``whole`` (a provider of approved templates, which
        sends its own words), only the parameters are made."""
        language = self.language(locale)
        words = self.templates.words(language)
        text = ""
        if whole:
            compact = self._variant(language, link, strict=False)
            if compact is None:
                language = self.site_languages[0]
                words = self.templates.words(language)
                compact = self._variant(language, link, strict=False)
            text = self._render(language, link, bool(compact))
        r = self.revision.in_language(language)
        params = {
            "title": r.title,
            "version": r.version,
            "date": format_day(r.effective, words.lang),
            "link": link,
            "code": code,
        }
        return Text(text, words.lang, params)

    def _variant(self, language: str, link: str, *, strict: bool = True) -> bool | None:
        """Whether the text of ``language`` is the compact one; None when neither fits
        (``strict``: TextTooLong for a language of the site)."""
        key = (language, len(link))
        if key not in self._compact:
            compact: bool | None = None
            if length(self._render(language, link, compact=False)).fits:
                compact = False
            elif length(self._render(language, link, compact=True)).fits:
                compact = True
            self._compact[key] = compact
        found = self._compact[key]
        if found is None and strict and language in self.site_languages:
            raise self._too_long(language, link)
        return found

    def _too_long(self, language: str, link: str) -> TextTooLong:
        short = self._render(language, link, compact=True)
        size: Length = length(short)
        return TextTooLong(
            f"the text message in {language or 'the source language'} does not fit in one segment: "
            f"{size} even without the site's name ({short!r}). Shorten the link (a shorter answer_url), "
            "the document's title, or the template notice.sms.j2 (--templates)"
        )

    def check(self, language: str, link: str) -> None:
        """Refuse (TextTooLong) when the text of ``language``, a language of the site,
        cannot fit with a link as long as ``link``."""
        self._variant(language, link)
