"""`policyctl notify`: pick the revisions owed a notice and hand them to `notify`.

The timeline decides what is owed (pending core-rights revisions); the `notify`
package delivers and keeps the ledger.
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import TYPE_CHECKING, Any

from generator.commands.answers_support import answer_secret
from generator.commands.context import Context, add_common_arguments, only_document, sound_history
from generator.core import urls
from generator.core.errors import PolicyError
from generator.core.history import Document, Version
from generator.core.notices import Notice, compared_with, notice_of
from generator.core.timeline import (
    IN_FORCE,
    NEVER_IN_FORCE,
    PENDING,
    SCHEDULED,
    SUPERSEDED,
    DocumentState,
    state_at,
)
from generator.settings import DEFAULT_ANSWER_DAYS

if TYPE_CHECKING:
    from notify.contract.revision import Earlier, Revision


def add_parser(subcommands: Any) -> argparse.ArgumentParser:
    from notify.common.secrets import ANSWER_SECRET_ENV
    from notify.delivery.api import add_arguments

    parser: argparse.ArgumentParser = subcommands.add_parser(
        "notify", help="deliver notices of pending core-rights revisions"
    )
    add_common_arguments(parser)
    parser.add_argument("--document", help="only this document")
    parser.add_argument("--version", dest="only_version", help="only this version")
    parser.add_argument("--late", action="store_true", help="also notify a revision already in effect")
    parser.add_argument("--site-url", help="absolute site URL for links (default: site_url of mkdocs.yml)")
    parser.add_argument(
        "--answer-url",
        metavar="URL",
        help="the answer page (`policyctl answers serve`); every notice then carries a personal signed link "
        f"(secret: ${ANSWER_SECRET_ENV}; default: answer_url of mkdocs.yml)",
    )
    add_arguments(parser)
    return parser


def to_revision(
    notice: Notice,
    site_url: str | None,
    answer_url: str | None = None,
    answer_days: int = DEFAULT_ANSWER_DAYS,
    *,
    translations: tuple[Notice, ...] = (),
    languages: tuple[str, ...] = (),
    earlier: tuple[Earlier, ...] = (),
    translated_earlier: dict[str, tuple[tuple[str, str], ...]] | None = None,
) -> Revision:
    """The notice as the `notify` package's contract: every link absolute, from the one
    URL module, so that it lands on the page and anchor the site build wrote. Without a
    site URL (only for `--report`, which sends nothing) the links stay site-relative.
    With an answer page, each notice carries a personal link to it that expires
    `answer_days` after the revision takes effect. `translations` are the same revision's
    notices in the site's other `languages` (see `translated_notices`): each recipient
    is then sent the one of their locale, with links into that language's pages. Each
    language's text is named by its sha256, which the ledger records with the campaign.
    `earlier` (see `earlier_versions`) and `translated_earlier` (language -> see
    `compared_urls`) name the site's redline from each earlier version to this one, so
    that a recipient governed by an older version is sent the redline from it."""
    from notify.contract.revision import Revision, Translation

    version = notice.version
    return Revision(
        document=notice.document,
        title=version.title,
        version=version.version,
        sha256=version.sha256,
        published=version.published,
        effective=version.effective,
        summary=version.summary or "",
        core_sections=_core_sections(notice),
        url=urls.absolute(notice.url, site_url),
        changes_url=urls.absolute(notice.changes_url or urls.archive(notice.document), site_url),
        rights_url=urls.absolute(notice.rights_url, site_url),
        late=notice.late,
        answer_url=answer_url or "",
        answer_expires=version.effective + dt.timedelta(days=answer_days) if answer_url else None,
        language=version.language,
        languages=languages,
        earlier=earlier,
        translations=tuple(
            Translation(
                language=t.version.language,
                title=t.version.title,
                summary=t.version.summary or "",
                core_sections=_core_sections(t),
                url=urls.absolute(t.url, site_url),
                changes_url=urls.absolute(
                    t.changes_url or urls.archive(t.document, language=t.language), site_url
                ),
                rights_url=urls.absolute(t.rights_url, site_url),
                sha256=t.version.sha256,
                earlier=(translated_earlier or {}).get(t.version.language, ()),
            )
            for t in translations
        ),
    )


def compared_urls(
    state: DocumentState, version: Version, site_url: str | None
) -> tuple[tuple[str, str], ...]:
    """(earlier version, absolute URL of the redline from it to `version`) for each earlier
    version the site compares with `version` (`compared_with`: the pages the site builds,
    in `version`'s language)."""
    language = version.translation_language
    return tuple(
        (
            old.version,
            urls.absolute(
                urls.changes(version.document, old.version, version.version, language=language), site_url
            ),
        )
        for old in compared_with(state, version)
    )


def earlier_versions(state: DocumentState, version: Version, site_url: str | None) -> tuple[Earlier, ...]:
    """Every published version before `version`, oldest first, with when it took effect
    (the governing rule needs them all) and the redline from it to `version` where the
    site has one."""
    from notify.contract.revision import Earlier

    compared = dict(compared_urls(state, version, site_url))
    earlier = []
    for old in state.published:
        if old == version:
            break
        earlier.append(Earlier(old.version, old.effective, compared.get(old.version, "")))
    return tuple(earlier)


def translated_compared_urls(
    document: Document, version: Version, as_of: dt.datetime, site_url: str | None
) -> dict[str, tuple[tuple[str, str], ...]]:
    """`compared_urls` in each of the document's other languages that carries `version`:
    the redlines of that language's pages (`/zh/privacy/changes/...`)."""
    result = {}
    for language in document.languages[1:]:
        translated = version.in_language(language)
        if translated is not None:
            state = state_at(document.in_language(language), as_of)
            result[language] = compared_urls(state, translated, site_url)
    return result


def _core_sections(notice: Notice) -> tuple[tuple[str, str], ...]:
    """(id, title) of the changed core-rights sections, each once, in the notice's language."""
    return tuple({c.id: (c.id, c.title) for c in notice.changes.core_rights_sections}.values())


def translated_notices(
    document: Document, version: Version, as_of: dt.datetime, *, late: bool
) -> tuple[Notice, ...]:
    """The notice of `version` in each of the document's other languages that carries it,
    as that language's readers see it on the site: compared with the version in force in
    their pages, linking their pages (`/zh/privacy/...`)."""
    notices = []
    for language in document.languages[1:]:
        translated = version.in_language(language)
        if translated is None:
            continue  # not translated (a version from before the language's file): the source's notice
        notices.append(notice_of(state_at(document.in_language(language), as_of), translated, late=late))
    return tuple(notices)


def select_revisions(args: argparse.Namespace, ctx: Context) -> list[Revision]:
    history = sound_history(
        ctx.repo,
        ctx.settings,
        "no notice is sent from a broken history",
        remedy="fix what `policyctl check` reports, then rerun notify",
    )
    report = getattr(args, "report", False)
    site_url = getattr(args, "site_url", None) or ctx.settings.site_url
    # --report exports the ledger and sends nothing: it needs the versions, not the links.
    if not site_url and not report:
        raise PolicyError(
            "notices need absolute links to the site, and no site URL is set",
            remedy="set `site_url:` in mkdocs.yml or pass --site-url https://…/",
        )
    answer_url = None if report else answer_url_of(args, ctx)
    documents = only_document(history.documents, args.document)

    revisions: list[Revision] = []
    for document in documents:
        state = state_at(document, ctx.as_of)
        if args.only_version:
            version = document.version(args.only_version)
            if version is None:
                if args.document:
                    raise PolicyError(
                        f"{document.id} has no version {args.only_version!r}",
                        remedy="see `policyctl status` for its versions",
                    )
                continue
            candidates = [version]
        else:
            candidates = list(state.pending)
            if report:
                candidates = list(state.published[1:])
            elif args.late and not candidates and state.in_force:
                candidates = [state.in_force]
        for version in candidates:
            status = state.status(version)
            if report:
                # Evidence of any revision that was notified, whatever its state now.
                revisions.append(to_revision(notice_of(state, version, late=status != PENDING), site_url))
                continue
            if status == SCHEDULED:
                raise PolicyError(
                    f"{document.id} {version.version} is scheduled for publication on "
                    f"{version.published.date().isoformat()}; notices go out once it is published",
                    file=version.path,
                    remedy=f"rerun notify on or after {version.published.date().isoformat()}",
                )
            if status == NEVER_IN_FORCE:
                replacement = state.replaced_by(version)
                raise PolicyError(
                    f"{document.id} {version.version} never took effect: version "
                    f"{replacement.version if replacement else '?'} replaced it before "
                    f"{version.effective.date().isoformat()}; there is nothing to notify of it",
                    file=version.path,
                    remedy="notify the version that replaced it (see `policyctl status`)",
                )
            late = status in (IN_FORCE, SUPERSEDED)
            if late and not args.late:
                raise PolicyError(
                    f"{document.id} {version.version} took effect on "
                    f"{version.effective.date().isoformat()}; a notice now comes after the fact",
                    file=version.path,
                    remedy="pass --late to send it anyway (it will say so)",
                )
            notice = notice_of(state, version, late=late)
            if not notice.core_rights:
                print(
                    f"{document.id} {version.version}: no core-rights section changed; "
                    "the site notice is enough, no message is sent."
                )
                continue
            revisions.append(
                to_revision(
                    notice,
                    site_url,
                    answer_url,
                    ctx.settings.answer_days,
                    translations=translated_notices(document, version, ctx.as_of, late=late),
                    languages=history.languages,
                    earlier=earlier_versions(state, version, site_url),
                    translated_earlier=translated_compared_urls(document, version, ctx.as_of, site_url),
                )
            )
    return revisions


def answer_url_of(args: argparse.Namespace, ctx: Context) -> str | None:
    """The answer page of the notices (`--answer-url`, else the setting), checked, with the
    signing secret in the environment; None when notices carry no answer link."""
    flag = getattr(args, "answer_url", None)
    answer_url = ctx.settings.with_overrides(answer_url=flag).answer_url if flag else ctx.settings.answer_url
    if answer_url:
        answer_secret(remedy=f"or remove answer_url ({answer_url}) to send notices without an answer link")
    return answer_url


def run(args: argparse.Namespace, ctx: Context) -> int:
    from rich.console import Console

    from notify.answers.governed import RecipientRedlines
    from notify.delivery.api import run

    revisions = select_revisions(args, ctx)
    if not revisions and not getattr(args, "report", False):
        print("Nothing to notify: no pending revision changes a core-rights section.")
        return 0
    # As of another instant (--as-of), each recipient's governing version is judged then.
    governing_at = ctx.as_of if getattr(args, "as_of", None) else None
    return run(
        args,
        revisions,
        repo=ctx.repo,
        console=Console(stderr=True),
        governing_at=governing_at,
        redlines_for=RecipientRedlines,
    )
