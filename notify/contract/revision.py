"""The revision the generator asks us to announce (the contract with the generator).

A revision is written in the site's source language; with translations (`languages:
[en, zh]`, issue 14) it also carries, per other language, that language's title,
summary, changed core-rights section titles and links into that language's pages.
:meth:`Revision.language_for` says in which language a recipient's notice is written
(the one rule, :func:`notify.contract.tags.match_language`, for the email, the webhook and
the answer page) and :meth:`Revision.in_language` gives the revision as its readers see it.

The JSON form (``policyctl notify --revision-file FILE``, :func:`load_revision`) is
:meth:`Revision.to_json`; files written before translations existed (no ``language``,
``languages``, ``translations``), before a translation carried its text's hash (no
``sha256`` in a translation) or before revisions carried their earlier versions (no
``earlier``) or the site's name (no ``site_name``) still load and behave as before.

A revision also carries the document's versions before it (:class:`Earlier`): when each
took effect, and the absolute URL of the site's redline from it to the revision. A
recipient whose data is governed by an older version than the one the revision is
compared with (they objected to an earlier revision: :mod:`notify.answers.rule`) is sent the
redline from their own version (:meth:`Revision.changes_url_from`).

:meth:`Revision.texts` is what the ledger keeps of the words announced: the sha256 of
the revision's text in each language it is written in.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from notify.contract.tags import match_language as match_language  # the one rule, where it was


def notice_language(locale: str, languages: Sequence[str], written_in: Sequence[str] | None = None) -> str:
    """The language of what a reader of ``locale`` is sent or shown (email, webhook
    payload, answer page), given the site's ``languages`` (the source language first) and
    those the revision is ``written_in`` (default: all of them).

    On a site with several languages, the one matching the locale
    (:func:`match_language`) among those the revision is written in, else the source
    language: a notice is then wholly in one of the site's languages, never a mix. With
    one language (the default) or no language information (revision files from before),
    the locale itself, as before: the templates' wording follows it (en, zh), the
    policy's words and links are the only ones there are."""
    if len(languages) < 2:
        return locale
    return match_language(locale, languages if written_in is None else written_in) or languages[0]


@dataclass(frozen=True)
class Translation:
    """A revision (or a document) in one of the site's other languages: its own words,
    and absolute links into that language's pages (``/zh/privacy/...``)."""

    language: str  # as written in the settings' `languages`, e.g. "zh"
    title: str
    summary: str = ""
    core_sections: tuple[tuple[str, str], ...] = ()  # (section id, title in this language)
    url: str = ""
    changes_url: str = ""
    rights_url: str = ""
    sha256: str = ""  # of this language's policy file bytes of that version; "" when not known
    earlier: tuple[tuple[str, str], ...] = ()
    """(earlier version, absolute URL of this language's redline from it to the revision)
    for each earlier version this language's site compares with the revision."""
    site_name: str = ""  # the site's name in this language ("" : the revision's own)


def translation_in(translations: Sequence[Translation], language: str) -> Translation | None:
    """The one of ``translations`` in ``language``; None when none is."""
    return next((t for t in translations if t.language == language), None)


@dataclass(frozen=True)
class Earlier:
    """A version of the document before the revision, as the governing rule and the
    per-recipient redline need it."""

    version: str
    effective: datetime  # timezone-aware: when it took (or was to take) effect
    changes_url: str = ""
    """Absolute URL of the site's redline from this version to the revision; "" when the
    site has none (a version that never took effect governs nobody)."""


@dataclass(frozen=True)
class Revision:
    document: str  # document id / URL slug, e.g. "privacy"
    title: str  # "Privacy Policy"
    version: str  # "2.0"
    sha256: str  # of the policy file bytes of that version
    published: datetime  # timezone-aware
    effective: datetime  # timezone-aware (operator's zone)
    summary: str
    core_sections: tuple[tuple[str, str], ...]  # (section id, title) of changed core-rights sections
    url: str  # absolute URL of the new version text
    changes_url: str  # absolute URL of the redline
    rights_url: str  # absolute URL of the user-rights section (how to object / withdraw consent)
    late: bool = False  # already in effect (sent with --late)
    answer_url: str = ""  # the answer page (`answer_url` setting); "" when notices carry no answer link
    answer_expires: datetime | None = None  # when the personal answer links stop working
    language: str = ""  # the language of the words and links above; "" when not known
    languages: tuple[str, ...] = ()  # the site's languages, the source language first; () not known
    translations: tuple[Translation, ...] = ()  # the revision in the other languages that carry it
    earlier: tuple[Earlier, ...] = ()  # every version of the document before it, oldest first; () not known
    site_name: str = ""  # the site's name (mkdocs.yml `site_name`), e.g. "Example Shop"; "" not known

    @property
    def key(self) -> str:
        return f"{self.document}@{self.version}"

    @property
    def several_languages(self) -> bool:
        """The site speaks more than one language: each notice picks one of them."""
        return len(self.languages) > 1

    def texts(self) -> dict[str, str]:
        """language -> sha256 of the revision's text in it: the source language's (keyed
        ``""`` when the revision does not say which language it is in) and each
        translation's whose hash is known."""
        texts = {self.language: self.sha256}
        texts.update({t.language: t.sha256 for t in self.translations if t.sha256})
        return texts

    def core_section_records(self) -> list[dict[str, str]]:
        """The changed core-rights sections as notices list them (e-mail templates, webhook body)."""
        return [{"id": sid, "title": title} for sid, title in self.core_sections]

    def language_for(self, locale: str) -> str:
        """The language of the notice to a recipient of ``locale`` (:func:`notice_language`):
        one the revision is written in (a language without its translation of this
        version reads the source language)."""
        written_in = self.languages[:1] + tuple(t.language for t in self.translations)
        return notice_language(locale, self.languages, written_in)

    def in_language(self, language: str) -> Revision:
        """The revision as readers of ``language`` see it: that translation's title,
        summary, section titles and links; itself when it has no translation in it."""
        translation = translation_in(self.translations, language)
        if translation is None:
            return self
        return replace(
            self,
            language=translation.language,
            title=translation.title or self.title,
            summary=translation.summary,
            core_sections=translation.core_sections,
            url=translation.url or self.url,
            changes_url=translation.changes_url or self.changes_url,
            rights_url=translation.rights_url or self.rights_url,
            site_name=translation.site_name or self.site_name,
        )

    def for_locale(self, locale: str) -> Revision:
        """The revision as a recipient of ``locale`` reads it."""
        return self.in_language(self.language_for(locale))

    def changes_url_from(self, version: str, language: str = "") -> str:
        """The absolute URL of the redline from ``version`` (an earlier version) to the
        revision, for readers of ``language``: that language's page where its site has
        one, else the source language's (a version from before the translation existed
        is compared only in the language it was written in); "" when the site has none."""
        translation = translation_in(self.translations, language)
        if translation is not None:
            url = dict(translation.earlier).get(version)
            if url:
                return url
        earlier = next((e for e in self.earlier if e.version == version), None)
        return earlier.changes_url if earlier is not None else ""

    # -- the JSON form -------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The fields as JSON values (dates in ISO 8601 with their offsets)."""
        data: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        data["published"] = self.published.isoformat()
        data["effective"] = self.effective.isoformat()
        data["answer_expires"] = self.answer_expires.isoformat() if self.answer_expires else None
        data["core_sections"] = [list(pair) for pair in self.core_sections]
        data["languages"] = list(self.languages)
        data["translations"] = [
            {f.name: getattr(t, f.name) for f in fields(t)}
            | {"core_sections": [list(p) for p in t.core_sections], "earlier": [list(p) for p in t.earlier]}
            for t in self.translations
        ]
        data["earlier"] = [
            {"version": e.version, "effective": e.effective.isoformat(), "changes_url": e.changes_url}
            for e in self.earlier
        ]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Revision:
        """The revision of :meth:`to_json`'s form; ValueError, TypeError or KeyError when
        it is not one (an unknown field too)."""
        values = dict(data)
        values["published"] = datetime.fromisoformat(values["published"])
        values["effective"] = datetime.fromisoformat(values["effective"])
        if values.get("answer_expires"):
            values["answer_expires"] = datetime.fromisoformat(values["answer_expires"])
        values["core_sections"] = _pairs(values.get("core_sections", ()))
        values["languages"] = tuple(str(code) for code in values.get("languages") or ())
        values["translations"] = tuple(_translation(t) for t in values.get("translations") or ())
        values["earlier"] = tuple(_earlier(e) for e in values.get("earlier") or ())
        return cls(**values)


def load_revision(path: Path) -> Revision:
    """The revision in the file at ``path`` (UTF-8 JSON, :meth:`Revision.to_json`'s form);
    OSError when it cannot be read, ValueError, TypeError or KeyError when it is not one."""
    return Revision.from_json(json.loads(path.read_text(encoding="utf-8")))


def _translation(data: Any) -> Translation:
    if not isinstance(data, Mapping):
        raise TypeError(f"a translation is an object with language, title, ...; got {data!r}")
    return Translation(
        **(
            dict(data)
            | {
                "core_sections": _pairs(data.get("core_sections", ())),
                "earlier": _pairs(data.get("earlier", ())),
            }
        )
    )


def _earlier(data: Any) -> Earlier:
    if not isinstance(data, Mapping):
        raise TypeError(f"an earlier version is an object with version, effective, changes_url; got {data!r}")
    effective = datetime.fromisoformat(data["effective"])
    if effective.tzinfo is None:
        raise ValueError(f"earlier version {data.get('version')!r}: effective needs a time zone")
    return Earlier(**(dict(data) | {"effective": effective}))


def _pairs(items: Any) -> tuple[tuple[str, str], ...]:
    return tuple((str(a), str(b)) for a, b in items)
