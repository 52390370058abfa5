"""`policyctl notify`: pick the revisions owed a notice and hand them to `notify`.

The timeline decides what is owed (pending core-rights revisions), or `--revision-file`
names revisions computed elsewhere; the command line is read here and turned into
`notify.delivery.options` (`DeliveryOptions`, `ReportOptions`), and the `notify`
package delivers and keeps the ledger (`notify.delivery.api`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.commands.answers_support import answer_secret
from generator.commands.context import Context, add_common_arguments, only_document, sound_history
from generator.commands.ledger import DEFAULT_LEDGER, ledger_url, read_first_notices
from generator.core import urls
from generator.core.errors import EXIT_FAILED, EXIT_OK, PolicyError, SettingsError
from generator.core.history import Document, History, Version, redline_url
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
from generator.settings import DEFAULT_ANSWER_DAYS, PRIVATE_FOLDER
from generator.site.build import default_site_dir
from generator.site.templates import SITE_MARKER
from notify.common.redaction import redact
from notify.common.secrets import (
    ANSWER_SECRET_ENV,
    SMS_SECRET_ENV,
    SMS_TOKEN_ENV,
    SMTP_PASSWORD_ENV,
    WEBHOOK_SECRET_ENV,
)
from notify.delivery.options import DeliveryOptions, ReportOptions, default
from notify.delivery.recipients.routing import CHANNEL_RULES

if TYPE_CHECKING:
    from rich.console import Console

    from notify.contract.revision import Earlier, Revision
    from notify.delivery.api import RedlinesFor

NOTHING_TO_NOTIFY = "Nothing to notify: no pending revision changes a core-rights section."


def add_parser(subcommands: Any) -> argparse.ArgumentParser:
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
    parser.add_argument(
        "--revision-file",
        action="append",
        default=[],
        type=Path,
        metavar="REV.json",
        help="announce a revision computed elsewhere (JSON as Revision.to_json writes it) instead of "
        "those git holds; repeatable",
    )
    add_delivery_arguments(parser)
    return parser


def add_delivery_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags `delivery_options` and `report_options` read, in three groups."""
    _add_recipients_arguments(parser.add_argument_group("recipients"))
    _add_sending_arguments(parser.add_argument_group("delivery"))
    _add_ledger_arguments(parser.add_argument_group("ledger and reports"))


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def _default(name: str) -> Any:
    return default(DeliveryOptions, name)


def _add_recipients_arguments(g: argparse._ArgumentGroup) -> None:
    g.add_argument(
        "--recipients",
        metavar="SOURCE",
        help="CSV file (header with email and/or phone[,name,locale,id]), JSON-lines file, "
        "or a database URL with --query",
    )
    g.add_argument(
        "--query",
        metavar="SQL",
        help="SELECT returning email and/or phone (and name, locale, id) when --recipients is a database URL",
    )


def _add_sending_arguments(g: argparse._ArgumentGroup) -> None:
    g.add_argument(
        "--smtp",
        metavar="URL",
        help=f"smtp://[user@]host:port (STARTTLS) or smtps://...; password from ${SMTP_PASSWORD_ENV}. "
        "Without it, messages are written to --outbox",
    )
    g.add_argument(
        "--from",
        dest="sender",
        metavar="ADDRESS",
        help="From header, e.g. 'Shop Privacy <privacy@shop.example>' (default: the site's name "
        "<no-reply@ the site's domain>; needed when the site is on an IP address or localhost)",
    )
    g.add_argument(
        "--outbox",
        metavar="DIR",
        help=f"where .eml files go without --smtp (default: <repo>/{PRIVATE_FOLDER}/outbox/)",
    )
    g.add_argument("--templates", metavar="DIR", help="email templates overriding site_templates/email/")
    _add_pace_arguments(g)
    g.add_argument(
        "--allow-insecure",
        action="store_true",
        help="allow SMTP without TLS / a webhook or answer page over plain HTTP to hosts that are not loopback",
    )
    g.add_argument(
        "--cafile",
        metavar="PEM",
        help="CA bundle to verify the certificates of the SMTP server, the webhook and the SMS provider",
    )
    g.add_argument(
        "--webhook", metavar="URL", help="also POST a signed JSON notice per recipient to this URL"
    )
    g.add_argument(
        "--webhook-secret",
        metavar="SECRET",
        help=f"HMAC secret for the webhook signature (default ${WEBHOOK_SECRET_ENV})",
    )
    g.add_argument("--no-email", action="store_true", help="no email: only the --webhook and --sms channels")
    g.add_argument(
        "--sms",
        metavar="URL",
        help="also send text messages to users with a phone number: https://your-gateway/…, "
        "outbox (write them to files beside the emails' outbox, send none), "
        "twilio://ACCOUNT_SID@api.twilio.com?from=+1…, or "
        "aliyun://ACCESS_KEY_ID@dysmsapi.aliyuncs.com?sign_name=…&template_code=… "
        f"(secrets: ${SMS_TOKEN_ENV}, ${SMS_SECRET_ENV})",
    )
    g.add_argument(
        "--quiet-hours",
        metavar="HH:MM-HH:MM",
        help="with --sms: no text goes out in these hours of the calendar's time zone, e.g. 21:00-08:00; "
        "the run stops starting texts (exit 1) and a later run sends the rest",
    )
    g.add_argument(
        "--channels",
        choices=CHANNEL_RULES,
        default=default(DeliveryOptions, "channels"),
        help="with --sms: auto, a text to users without an email address (default); all, "
        "a text to every user with a phone number as well as their email",
    )


def _add_pace_arguments(g: argparse._ArgumentGroup) -> None:
    """How fast, how long and how often a campaign tries (defaults: `DeliveryOptions`')."""
    _add_option(
        g,
        "--concurrency",
        _positive_int,
        "N",
        "parallel sessions per channel (SMTP, webhook, SMS) (default %(default)s)",
    )
    _add_option(g, "--rate", _positive_float, "PER_SECOND", "at most this many messages per second")
    _add_option(
        g, "--deadline", _positive_float, "SECONDS", "per message, all retries included (default %(default)g)"
    )
    _add_option(g, "--retries", int, "N", "retries after a temporary failure (default %(default)s)")
    _add_option(g, "--retry-base", _positive_float, "SECONDS", "first back-off delay (default %(default)g)")
    _add_option(
        g,
        "--max-error-rate",
        float,
        "SHARE",
        "stop when more than this share of recent deliveries fail (default %(default)g)",
    )


def _add_option(
    g: argparse._ArgumentGroup, flag: str, kind: Callable[[str], Any], metavar: str, text: str
) -> None:
    """`flag` with the default of the `DeliveryOptions` field of its name; argparse puts
    that default in the help where it says `%(default)s` (`%(default)g`: 60.0 as 60)."""
    g.add_argument(flag, type=kind, default=_default(flag[2:].replace("-", "_")), metavar=metavar, help=text)


def _add_ledger_arguments(g: argparse._ArgumentGroup) -> None:
    g.add_argument(
        "--ledger", metavar="URL", help=f"SQLAlchemy URL of the delivery ledger (default {DEFAULT_LEDGER})"
    )
    _add_option(
        g,
        "--lease",
        _positive_float,
        "SECONDS",
        "how long a worker holds the notices it took from the ledger (default %(default)g); renewed while it "
        "works. Another worker takes over the rest of one that stalls or dies this long; a worker never "
        "sends a notice whose lease it cannot show is still its own",
    )
    g.add_argument(
        "--retry-failed",
        action="store_true",
        help="also retry notices that failed permanently in earlier runs",
    )
    g.add_argument(
        "--report",
        action="store_true",
        help="export the delivery evidence from the ledger instead of sending: a table on a terminal, "
        "else JSON lines (--json: JSON lines on a terminal too; --csv: CSV)",
    )
    g.add_argument("--csv", action="store_true", help="with --report: CSV instead of JSON lines")
    g.add_argument("--output", metavar="FILE", help="with --report: write to FILE instead of standard output")
    g.add_argument(
        "--json", action="store_true", help="print the campaign report as JSON (with --report: JSON lines)"
    )
    g.add_argument(
        "--allow-empty",
        action="store_true",
        help="an empty recipients source is not an error (without it: exit 2, since an empty list of "
        "registered users is usually a wrong file or query)",
    )


def delivery_options(
    args: argparse.Namespace, region: str | None = None, timezone: str | None = None
) -> DeliveryOptions:
    """The campaign's options the flags give (and the calendar's country, ``region``, for
    phone numbers without +, and its ``timezone``, for --quiet-hours); OptionsError (a
    NotifyError) when they cannot be used (checked by `DeliveryOptions`, once)."""
    return DeliveryOptions(
        recipients=args.recipients or "",
        query=args.query,
        smtp=args.smtp,
        sender=args.sender,
        outbox=Path(args.outbox) if args.outbox else None,
        templates=Path(args.templates) if args.templates else None,
        concurrency=args.concurrency,
        rate=args.rate,
        deadline=args.deadline,
        retries=args.retries,
        retry_base=args.retry_base,
        max_error_rate=args.max_error_rate,
        allow_insecure=args.allow_insecure,
        cafile=args.cafile,
        webhook=args.webhook,
        webhook_secret=args.webhook_secret,
        no_email=args.no_email,
        sms=args.sms,
        channels=args.channels,
        ledger=args.ledger,
        lease=args.lease,
        retry_failed=args.retry_failed,
        allow_empty=args.allow_empty,
        as_json=args.json,
        region=region,
        quiet_hours=args.quiet_hours,
        timezone=timezone,
    )


def report_options(args: argparse.Namespace) -> ReportOptions:
    """The evidence export's options the flags give (`--report`)."""
    return ReportOptions(
        ledger=args.ledger,
        csv=args.csv,
        output=Path(args.output) if args.output else None,
        as_json=args.json,
    )


def deliver(
    args: argparse.Namespace,
    revisions: list[Revision],
    *,
    repo: Path,
    console: Console,
    governing_at: dt.datetime | None = None,
    redlines_for: RedlinesFor | None = None,
    region: str | None = None,
    timezone: str | None = None,
) -> int:
    """Hand `revisions` to `notify` as the flags say: the evidence export with --report,
    else a campaign (exit 0, 1 or 2; see `notify.delivery.api`). ``region`` is the
    calendar's country, the default region of recipients' phone numbers; ``timezone``
    the calendar's, that of --quiet-hours."""
    from notify.common.errors import NotifyError
    from notify.delivery import api

    if args.report:
        return api.export_evidence(revisions, report_options(args), repo=repo, console=console)
    if not revisions:
        print(NOTHING_TO_NOTIFY)
        return EXIT_OK
    try:
        options = delivery_options(args, region, timezone)
    except NotifyError as error:
        return api.fail(console, error, as_json=args.json)
    return api.run_campaigns(
        revisions, options, repo=repo, console=console, governing_at=governing_at, redlines_for=redlines_for
    )


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
    site_name_in: Callable[[str], str | None] | None = None,
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
    that a recipient governed by an older version is sent the redline from it.
    `site_name_in` (`Settings.site_name_in`) names the site in each language: the
    default sender's name and the notices' sign-off."""
    from notify.contract.revision import Revision, Translation

    version = notice.version
    name_in = site_name_in or (lambda language: None)
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
        site_name=name_in(version.language) or "",
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
                site_name=name_in(t.version.language) or "",
            )
            for t in translations
        ),
    )


def compared_urls(
    state: DocumentState, version: Version, site_url: str | None
) -> tuple[tuple[str, str], ...]:
    """(earlier version, absolute URL of the redline from it to `version`) for each earlier
    version the site compares with `version` (`compared_with`: the pages the site builds,
    in `version`'s language, or in the source language when the earlier one has no text
    in it: `redline_url`)."""
    return tuple(
        (old.version, urls.absolute(redline_url(old, version), site_url))
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


def read_history(ctx: Context) -> History:
    """The history notices are chosen from; PolicyError (exit 2) when it is broken."""
    return sound_history(
        ctx.repo,
        ctx.settings,
        "no notice is sent from a broken history",
        remedy="fix what `policyctl check` reports, then rerun notify",
    )


def select_revisions(args: argparse.Namespace, ctx: Context, history: History) -> list[Revision]:
    """The revisions git holds that are owed a notice (with --report: every one that may
    have been notified), as the `notify` package's contract; PolicyError (exit 2) for one
    that cannot be notified now (scheduled, never in force, in effect without --late)."""
    site_url = args.site_url or ctx.settings.site_url
    # --report exports the ledger and sends nothing: it needs the versions, not the links.
    if not site_url and not args.report:
        raise PolicyError(
            "notices need absolute links to the site, and no site URL is set",
            remedy="set `site_url:` in mkdocs.yml or pass --site-url https://…/",
        )
    answer_url = None if args.report else answer_url_of(args, ctx)
    revisions: list[Revision] = []
    for document in only_document(history.documents, args.document):
        state = state_at(document, ctx.as_of)
        for version in _candidates(args, document, state):
            if args.report:
                # Evidence of any revision that was notified, whatever its state now.
                late = state.status(version) != PENDING
                revisions.append(to_revision(notice_of(state, version, late=late), site_url))
                continue
            late = _late(document, state, version, allowed=args.late)
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
                    site_name_in=ctx.settings.site_name_in,
                )
            )
    return revisions


def _candidates(args: argparse.Namespace, document: Document, state: DocumentState) -> list[Version]:
    """The versions of `document` to consider: --version, else the pending ones (with
    --report every published version after the first; with --late, the one in force
    when none is pending)."""
    if args.only_version:
        version = document.version(args.only_version)
        if version is None:
            if args.document:
                raise PolicyError(
                    f"{document.id} has no version {args.only_version!r}",
                    remedy="see `policyctl status` for its versions",
                )
            return []
        return [version]
    if args.report:
        return list(state.published[1:])
    if args.late and not state.pending and state.in_force:
        return [state.in_force]
    return list(state.pending)


def _late(document: Document, state: DocumentState, version: Version, *, allowed: bool) -> bool:
    """Whether the notice of `version` comes after it took effect (only with --late);
    PolicyError for a version that cannot be notified now."""
    status = state.status(version)
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
    if late and not allowed:
        raise PolicyError(
            f"{document.id} {version.version} took effect on "
            f"{version.effective.date().isoformat()}; a notice now comes after the fact",
            file=version.path,
            remedy="pass --late to send it anyway (it will say so)",
        )
    return late


def revision_files(args: argparse.Namespace) -> list[Revision]:
    """The revisions `--revision-file` names, computed elsewhere (git is not read);
    SettingsError (exit 2) for a file that is not one, or with a flag that chooses or
    links the revisions git holds."""
    from notify.contract.revision import load_revision

    chosen = [
        flag
        for flag, given in (
            ("--document", args.document),
            ("--version", args.only_version),
            ("--late", args.late),
            ("--site-url", args.site_url),
            ("--answer-url", args.answer_url),
        )
        if given
    ]
    if chosen:
        raise SettingsError(
            f"--revision-file names the revisions to announce; {', '.join(chosen)} choose or link "
            "those git holds",
            remedy="drop " + ", ".join(chosen) + ", or --revision-file",
        )
    revisions = []
    for path in args.revision_file:
        try:
            revisions.append(load_revision(path))
        except OSError as exc:
            raise SettingsError(f"cannot read --revision-file {path}: {exc.strerror or exc}") from None
        except (ValueError, TypeError, KeyError) as exc:
            raise SettingsError(
                f"cannot read --revision-file {path}: {exc}",
                remedy="give a revision as Revision.to_json writes it (notify/contract/revision.py)",
            ) from None
    return revisions


def answer_url_of(args: argparse.Namespace, ctx: Context) -> str | None:
    """The answer page of the notices (`--answer-url`, else the setting), checked, with the
    signing secret in the environment; None when notices carry no answer link."""
    flag = args.answer_url
    answer_url = ctx.settings.with_overrides(answer_url=flag).answer_url if flag else ctx.settings.answer_url
    if answer_url:
        answer_secret(remedy=f"or remove answer_url ({answer_url}) to send notices without an answer link")
    return answer_url


def missed_notices(args: argparse.Namespace, ctx: Context, history: History) -> list[str]:
    """What to tell when nothing is pending: each core-rights revision now in force of
    which the ledger holds no notice sent (its window was missed), and that `--late`
    sends it now. Nothing when the run chose its version or is `--late` already."""
    if args.late or args.only_version or args.report:
        return []
    url = ledger_url(args.ledger, ctx.repo)
    notified: dict[str, dict[str, dt.datetime]] | None = None
    lines = []
    for document in only_document(history.documents, args.document):
        state = state_at(document, ctx.as_of)
        version = state.in_force
        if version is None or state.pending or version == state.published[0]:
            continue
        if not notice_of(state, version, late=True).core_rights:
            continue
        if notified is None:
            notified = read_first_notices(url)
        if version.version in notified.get(document.id, {}):
            continue
        lines.append(
            f"{document.id} {version.version} changed a core-rights section and took effect on "
            f"{version.effective.date().isoformat()}, and the ledger {redact(url)} holds no notice of it "
            "sent: its notice window was missed. Send it now with `policyctl notify --late` and the same "
            "flags (each message says it comes after the fact)."
        )
    return lines


def outbox_outside_site(args: argparse.Namespace, ctx: Context) -> None:
    """SettingsError (exit 2) for an --outbox inside a built site (a folder that carries
    the site marker, or the configured site folder): its files hold every user's address
    and personal answer link, and whatever is in the site folder gets published."""
    if not args.outbox or args.report:
        return
    outbox = Path(args.outbox).resolve()
    site = default_site_dir(ctx.repo, ctx.config_file)
    marked = next((f for f in (outbox, *outbox.parents) if (f / SITE_MARKER).is_file()), None)
    if marked is None and not outbox.is_relative_to(site):
        return
    where = f"the built site {marked} (it holds {SITE_MARKER})" if marked else f"the site folder {site}"
    raise SettingsError(
        f"--outbox {args.outbox} is inside {where}: its messages hold every user's address and "
        "personal answer link, and the site folder is published",
        remedy="give an --outbox outside the site, or leave it out (the default, "
        f"<repo>/{PRIVATE_FOLDER}/outbox/, is private and kept out of git)",
    )


def run(args: argparse.Namespace, ctx: Context) -> int:
    from rich.console import Console

    from notify.answers.governed import RecipientRedlines

    outbox_outside_site(args, ctx)
    if args.revision_file:
        revisions = revision_files(args)
    else:
        history = read_history(ctx)
        revisions = select_revisions(args, ctx, history)
        missed = [] if revisions else missed_notices(args, ctx, history)
        if missed:
            print("Nothing is pending, but a notice is owed:\n  " + "\n  ".join(missed), file=sys.stderr)
            return EXIT_FAILED
    # As of another instant (--as-of), each recipient's governing version is judged then.
    governing_at = ctx.as_of if args.as_of else None
    return deliver(
        args,
        revisions,
        repo=ctx.repo,
        console=Console(stderr=True),
        governing_at=governing_at,
        redlines_for=RecipientRedlines,
        region=ctx.settings.country,
        timezone=ctx.settings.timezone,
    )
