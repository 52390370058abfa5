"""What `policyctl answers`, `applies` and `notify` share about users' answers (a support
module, not a command: commands do not import each other)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.commands.context import sound_history
from generator.core import urls
from generator.core.errors import SettingsError
from generator.core.history import Document, redline_url
from generator.core.timeline import changes_between
from generator.settings import Settings

if TYPE_CHECKING:
    from notify.answers.rule import Catalogue


def answer_secret(remedy: str | None = None) -> str:
    """The secret of the personal answer links (`notify.common.secrets.answer_secret`, the
    one check); SettingsError (exit 2) with its message, and `remedy`, when it is not set."""
    from notify.common.errors import NotifyError
    from notify.common.secrets import answer_secret

    try:
        return answer_secret()
    except NotifyError as error:
        raise SettingsError(str(error), remedy=remedy) from None


def catalogue(repo: Path, settings: Settings, *, pages: bool = True) -> Catalogue:
    """The history's facts as the `notify` package needs them: every document and its
    versions with their effective instants (and, with ``pages``, their titles, summaries,
    changed core-rights sections and absolute page URLs, in every language of the site)."""
    from notify.answers.rule import Catalogue

    history = sound_history(
        repo,
        settings,
        "answers are not taken against a broken history",
        remedy="fix what `policyctl check` reports, then rerun",
    )
    return Catalogue(
        tuple(_document_facts(d, settings.site_url, pages) for d in history.documents),
        languages=history.languages,
    )


def _document_facts(document: Document, site_url: str | None, pages: bool) -> Any:
    from notify.answers.rule import DocumentFacts, VersionFacts
    from notify.contract.revision import Translation

    texts = _version_texts(document, site_url) if pages else {}
    # Each other language's words and pages, by version: that language's readers see the
    # versions it carries, each compared with the one before it in that language.
    others = [document.in_language(language) for language in (document.languages[1:] if pages else ())]
    translated = [(_version_texts(other, site_url), other) for other in others]
    versions = [v for v in document.versions if not v.draft]
    facts = []
    for version in versions:
        text = texts.get(version.version)
        facts.append(
            VersionFacts(
                version=version.version,
                effective=version.effective,
                published=version.published,
                title=version.title,
                summary=version.summary or "",
                core_sections=text.core_sections if text else (),
                url=text.url if text else "",
                changes_url=text.changes_url if text else "",
                translations=tuple(t[version.version] for t, _ in translated if version.version in t),
            )
        )
    return DocumentFacts(
        document.id,
        versions[-1].title if versions else document.title,
        tuple(facts),
        url=urls.absolute(urls.document(document.id), site_url) if pages else "",
        translations=tuple(
            Translation(
                language=other.language,
                title=other.title,
                url=urls.absolute(urls.document(document.id, language=other.language), site_url),
            )
            for texts_of, other in translated
            if texts_of
        ),
    )


def _version_texts(document: Document, site_url: str | None) -> dict[str, Any]:
    """Each version's words and absolute page URLs in the document's language (the source
    document, or `Document.in_language`), by version name, as `notify.revision.Translation`s:
    the changed core-rights sections and the redline against the version before it. A
    version that language has no text of is left out (its readers read the source's)."""
    from notify.contract.revision import Translation

    versions = [v for v in document.versions if not v.draft]
    texts = {}
    for before, version in zip([None, *versions], versions, strict=False):
        if document.untranslated(version):
            continue
        core: tuple[tuple[str, str], ...] = ()
        changes_url = ""
        if before is not None:
            summary = changes_between(before, version)
            core = tuple({c.id: (c.id, c.title) for c in summary.core_rights_sections}.values())
            changes_url = urls.absolute(redline_url(before, version), site_url)
        texts[version.version] = Translation(
            language=version.language,
            title=version.title,
            summary=version.summary or "",
            core_sections=core,
            url=urls.absolute(
                urls.version(document.id, version.version, language=version.translation_language), site_url
            ),
            changes_url=changes_url,
        )
    return texts
