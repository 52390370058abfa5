"""The one way notify translates its own words (the emails' and the answer pages'):
gettext catalogues of the domain ``notify``, read from their ``.po`` files with Babel
when they are first needed (no build step, no ``.mo`` file), and templates that say
their words with ``{% trans %}`` and ``_()`` (Jinja's i18n extension), rendered in
Jinja's sandbox with the reader's catalogue.

The templates are written in English: their English is the messages' ids, so English
needs no catalogue. ``site_templates/locale/notify.pot`` lists every message (the tests
keep it in step with the templates: ``scripts/notify_catalogues.py`` extracts it and
updates each language's file), and each language has
``site_templates/locale/<tag>/LC_MESSAGES/notify.po`` (built in: zh, fr, ar).

An operator adds or rewords a language with a file of the same name in
``<repo>/locale/<tag>/LC_MESSAGES/notify.po`` (beside the site's ``site.po``; for the
emails also ``<--templates DIR>/locale/...``): its messages win over the built-in file's
of that language, the others stay as built in.

A reader's words are the catalogue their tag reads (:func:`notify.contract.tags.match_language`
among the catalogues: ``zh-Hant-TW`` reads ``zh-Hant``, else ``zh-TW``, and ``zh`` only
when no Traditional one is there); a tag that reads none gets the English of the
templates.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po
from babel.support import Translations

from notify.common.errors import NotifyError
from notify.common.resources import SITE_TEMPLATES
from notify.common.sandbox import Sandbox, inside
from notify.contract.tags import canonical, direction, match_language, script

DOMAIN = "notify"
BUILTIN_LOCALES = SITE_TEMPLATES / "locale"
"""The built-in catalogues: ``<tag>/LC_MESSAGES/notify.po``, and ``notify.pot``."""
TEMPLATE_POT = BUILTIN_LOCALES / f"{DOMAIN}.pot"
OPERATOR_LOCALES = "locale"
"""The operator's catalogues, in the policy repository: ``<repo>/locale/<tag>/LC_MESSAGES/notify.po``
(beside the site's ``site.po``)."""
SOURCE = "en"
"""The language the templates are written in (their messages' ids)."""


@dataclass(frozen=True)
class Words:
    """The words of a reader: the translations of their catalogue, and the language
    tag (``lang``) and direction (``dir``) of the text they are given."""

    lang: str
    """The reader's own tag when a catalogue of its language and script serves it
    (``zh-CN``, ``ar-EG``, ``fr-CA``), else the catalogue's (``en`` for the templates'
    English)."""
    catalogue: str
    """The catalogue's tag (``zh``, ``fr``, ``ar``; ``en``: the templates' English)."""
    translations: gettext.NullTranslations

    @property
    def dir(self) -> str:
        """``rtl`` or ``ltr`` (``notify.contract.tags.direction`` of ``lang``)."""
        return direction(self.lang)


class Catalogues:
    """The catalogues in ``folders`` (each ``<tag>/LC_MESSAGES/notify.po``), the first
    folder's messages winning, and the built-in ones under them all."""

    def __init__(self, folders: Sequence[Path] = ()) -> None:
        self.folders = [f for f in folders if f.is_dir() and f.resolve() != BUILTIN_LOCALES.resolve()]
        self.folders.append(BUILTIN_LOCALES)
        self.files: dict[str, list[Path]] = {}
        """catalogue tag -> its .po files, the built-in one first (the others merged over it)."""
        for folder in reversed(self.folders):
            for po in sorted(folder.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
                self.files.setdefault(canonical(po.parents[1].name), []).append(po)
        self._words: dict[str, Words] = {}
        self._translations: dict[str, gettext.NullTranslations] = {}

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages there are words for: English (the templates') and each catalogue's."""
        return tuple(dict.fromkeys((SOURCE, *sorted(self.files))))

    def words(self, language: str) -> Words:
        """The words of a reader of ``language`` (NotifyError when its catalogue cannot be read)."""
        found = self._words.get(language)
        if found is None:
            catalogue = match_language(language, self.languages) or SOURCE
            own = canonical(language)
            serves = own.split("-")[0].lower() == catalogue.split("-")[0].lower() and script(own) == script(
                catalogue
            )
            found = self._words[language] = Words(
                own if serves and own else catalogue, catalogue, self.translations(catalogue)
            )
        return found

    def translations(self, catalogue: str) -> gettext.NullTranslations:
        """The messages of ``catalogue``: its files merged, the operator's over the built-in one."""
        known = self._translations.get(catalogue)
        if known is not None:
            return known
        merged: Translations | None = None
        for path in self.files.get(catalogue, []):
            translations = read_catalogue(path, self.folders)
            if merged is None:
                merged = translations
            else:
                merged.merge(translations)
        result = self._translations[catalogue] = merged if merged is not None else gettext.NullTranslations()
        return result

    def check(self) -> None:
        """Read every catalogue now: NotifyError naming the file that cannot be used."""
        for catalogue in self.files:
            self.translations(catalogue)


def read_catalogue(path: Path, folders: Sequence[Path]) -> Translations:
    """The messages of the ``.po`` file at ``path`` (fuzzy and untranslated ones left out:
    their English is said); NotifyError when it is not one, is a link out of ``folders``,
    or a message's placeholders are not its id's (``%(name)s``)."""
    if not inside(path, list(folders)):
        raise NotifyError(f"catalogue {path} is a link to {path.resolve()}, outside its folder; copy it in")
    try:
        with path.open("rb") as fh:
            catalog = read_po(fh, domain=DOMAIN, abort_invalid=True)
    except (OSError, UnicodeDecodeError, PoFileError, ValueError) as exc:
        raise NotifyError(f"catalogue {path}: {exc}; fix the file") from None
    problems = [f"{message.id!r}: {'; '.join(map(str, errors))}" for message, errors in catalog.check()]
    if problems:
        raise NotifyError(f"catalogue {path}: {problems[0]}; fix the translation")
    return _compiled(catalog)


def _compiled(catalog: Catalog) -> Translations:
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def environment(
    loader: jinja2.BaseLoader,
    translations: gettext.NullTranslations,
    autoescape: bool | Callable[[str | None], bool],
    **options: Any,
) -> Sandbox:
    """The sandbox with Jinja's i18n extension, saying ``translations``' words
    (``{% trans %}`` blocks trimmed: a message's id is its words on one line)."""
    env = Sandbox(
        loader=loader,
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        **options,
    )
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    return env
