"""Campaigns and the evidence export, as `policyctl notify` runs them.

`run_campaigns(revisions, options, ...)` announces revisions to the recipients of a
:class:`notify.delivery.options.DeliveryOptions`; `export_evidence(revisions, options,
...)` writes what the ledger proves (:class:`notify.delivery.options.ReportOptions`).
Both return the exit status (0, 1 or 2) and print for the operator; the command line
is the generator's (`generator/commands/notify.py`).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import signal
import sys
import threading
from collections.abc import Callable, Coroutine, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import sqlalchemy as sa
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import SQLAlchemyError

from notify.common import secrets
from notify.common.errors import ConfigurationError, NotifyError
from notify.common.i18n import OPERATOR_LOCALES
from notify.common.network import is_loopback
from notify.common.redaction import redact
from notify.common.resources import private_dir, private_file, private_folder
from notify.common.secrets import WEBHOOK_SECRET_ENV
from notify.common.shortlinks import save_codes
from notify.common.tokens import answer_url_problem
from notify.contract.revision import Revision
from notify.delivery.campaign.runner import LedgerFailed, Result, Runner, Settings, Source
from notify.delivery.channels.base import Channel, RedlineChoice
from notify.delivery.channels.message import Composer, Sender, Templates, message_id
from notify.delivery.channels.outbox import OutboxChannel
from notify.delivery.channels.sms.channel import OUTBOX as SMS_OUTBOX
from notify.delivery.channels.sms.channel import SmsChannel
from notify.delivery.channels.sms.providers import provider_for
from notify.delivery.channels.sms.quiet import QuietHours
from notify.delivery.channels.smtp import SmtpChannel, SmtpConfig
from notify.delivery.channels.webhook import WebhookChannel
from notify.delivery.ledger.ledger import Campaign, Claimed, Ledger, default_url, journal_place
from notify.delivery.options import DeliveryOptions, ReportOptions
from notify.delivery.recipients import sources as recipients_mod
from notify.delivery.recipients.enqueuer import use_child
from notify.delivery.recipients.routing import ALL, Route, routed
from notify.delivery.recipients.sources import Recipient, Skipped
from notify.delivery.report.evidence import export, print_evidence, print_result

T = TypeVar("T")
# The default sender's name on a site whose name is not known (a revision file from before
# revisions carried it).
DEFAULT_SENDER_NAME = "Policy notices"
# How a campaign learns which redline each recipient is sent: given the revision, the
# ledger's engine and the instant to judge at (None: when each batch is claimed).
# `notify.answers.governed.RecipientRedlines` is one; the caller wires it in.
RedlinesFor = Callable[[Revision, sa.Engine, datetime | None], RedlineChoice]


def _check_revision(r: Revision, *, allow_insecure: bool = False) -> None:
    for label, url in (("url", r.url), ("changes_url", r.changes_url), ("rights_url", r.rights_url)):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise NotifyError(
                f"{r.document} {r.version}: the notice needs absolute links but {label} is {url!r}; "
                "set site_url in mkdocs.yml or pass --site-url"
            )
    if r.answer_url:
        _check_answer_url(r, allow_insecure)
    if r.effective.tzinfo is None or r.published.tzinfo is None:
        raise NotifyError(f"{r.document} {r.version}: published/effective must be timezone-aware")


def _check_answer_url(r: Revision, allow_insecure: bool) -> None:
    """The answer page of the personal links: https, or http to this machine only (or with
    --allow-insecure): a link lets whoever reads it on the way answer for its user."""
    parts = urlsplit(r.answer_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise NotifyError(
            f"{r.document} {r.version}: the answer page {r.answer_url!r} is not an absolute http(s) URL; "
            "set answer_url in mkdocs.yml or pass --answer-url https://…"
        )
    if parts.scheme == "http" and not is_loopback(parts.hostname) and not allow_insecure:
        raise NotifyError(
            f"{r.document} {r.version}: the answer page {r.answer_url} is plain http to another machine: "
            "every personal link (with which its holder answers for the user) and every answer would cross "
            "the network in clear. Give an https:// answer_url (or --answer-url), or pass --allow-insecure "
            "if the network in between is yours"
        )
    problem = answer_url_problem(r.answer_url)
    if problem is not None:
        raise NotifyError(f"{r.document} {r.version}: {problem}")


def _site_host(revision: Revision) -> str:
    """The host the revision is published on (the domain of default senders and Message-IDs)."""
    return urlsplit(revision.url).hostname or "localhost"


def _default_sender(revisions: list[Revision]) -> Sender:
    """``<site name> <no-reply@<the site's domain>>``; NotifyError when the site's host is
    an IP address or a name without a dot (localhost): no mail domain to send from."""
    revision = revisions[0]
    host = _site_host(revision)
    if _is_ip(host) or "." not in host.strip("."):
        raise NotifyError(
            f"--from is needed: the site {_site_root(revision)} is on {host}, which is not a mail domain, "
            "so there is no default sender (no-reply@ the site's domain); give the address notices are "
            "sent from, e.g. --from 'Example Shop <privacy@shop.example>', or set site_url in mkdocs.yml "
            "to the site's public address"
        )
    return Sender.named(revision.site_name or DEFAULT_SENDER_NAME, f"no-reply@{host}", of_site=True)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _site_root(revision: Revision) -> str:
    """The site's address (scheme and host) as the revision's links name it."""
    parts = urlsplit(revision.url)
    return f"{parts.scheme}://{parts.netloc}/"


def run_campaigns(
    revisions: list[Revision],
    options: DeliveryOptions,
    *,
    repo: Path,
    console: Console,
    governing_at: datetime | None = None,
    redlines_for: RedlinesFor | None = None,
) -> int:
    """Announce ``revisions`` (every channel of ``options``, one campaign each); returns 0
    (all delivered), 1 (failed deliveries or stopped early) or 2.

    With ``redlines_for`` (:class:`notify.answers.governed.RecipientRedlines`), each
    recipient's redline starts from the version that governs them when each batch is
    sent, or at ``governing_at`` when the run is made as of another instant
    (``policyctl notify --as-of``); without it, everyone is sent the notice's own."""
    ledger_url = options.ledger or default_url(repo)
    try:
        if not revisions:
            console.print("Nothing to notify: no pending revision changes a core-rights section.")
            return 0
        for r in revisions:
            _check_revision(r, allow_insecure=options.allow_insecure)
            if not options.no_email and not options.sender:
                _default_sender([r])  # a site on an IP address or localhost: --from is needed
        if not _recipients_found(options, repo, console):
            return 0
        settings = _settings(options, ledger_url, repo)
        with closing(Ledger(ledger_url)) as ledger:
            results, error = _run_coroutine(
                lambda: _run_all(
                    options, revisions, repo, ledger, settings, console, governing_at, redlines_for
                )
            )
    except (SQLAlchemyError, NotifyError) as exc:
        return _stopped(console, ledger_url, exc, as_json=options.as_json)
    return _conclude(results, error, options.as_json, console)


def _recipients_found(options: DeliveryOptions, repo: Path, console: Console) -> bool:
    """Whether the recipients source holds a record: fail on unreadable input (no file, no
    'email' column, bad SQL) before anything else, and on an empty source unless it may be."""
    probe = recipients_mod.read(options.recipients, options.query, base=repo, region=options.region)
    first = next(probe, None)
    probe.close()
    if first is not None:
        return True
    if not options.allow_empty:
        raise NotifyError(
            f"the recipients source {redact(options.recipients)} holds no record: nobody would be notified. "
            "Check the file or --query (an empty list of registered users is usually a mistake); "
            "pass --allow-empty if it is really empty"
        )
    console.print("Nothing to send: the recipients source is empty (--allow-empty).")
    return False


def _settings(options: DeliveryOptions, ledger_url: str, repo: Path) -> Settings:
    """The campaign runner's settings; the private folder made (and kept out of git) when
    the ledger, the outbox or the outcome journal is in it."""
    private = private_folder(repo)
    journal_dir, journal_key = journal_place(ledger_url, private)
    default_outbox = options.outbox is None and (
        (not options.smtp and not options.no_email) or options.sms == SMS_OUTBOX
    )
    if options.ledger is None or default_outbox or journal_dir.is_relative_to(private):
        _keep_private(private)
    return Settings(
        concurrency=options.concurrency,
        rate=options.rate,
        deadline=options.deadline,
        retries=max(0, options.retries),
        retry_base=options.retry_base,
        lease=options.lease,
        max_error_rate=options.max_error_rate,
        retry_failed=options.retry_failed,
        journal=journal_dir,
        journal_key=journal_key,
    )


def _stopped(console: Console, ledger_url: str, exc: SQLAlchemyError | NotifyError, *, as_json: bool) -> int:
    """Report what stopped the command (`fail`): a NotifyError as it is, a failed ledger
    by its URL (redacted); exit status 2."""
    if isinstance(exc, SQLAlchemyError):
        exc = NotifyError(
            f"the ledger {redact(ledger_url)} failed: {exc.__class__.__name__}: {getattr(exc, 'orig', exc)}; "
            "nothing recorded is lost: rerun the same command when the database is reachable"
        )
    return fail(console, exc, as_json=as_json)


def _conclude(results: list[Result], error: BaseException | None, as_json: bool, console: Console) -> int:
    """Print how the campaigns ended (a table per campaign, or JSON) and what to do; the exit status."""
    code = 2 if error is not None else (0 if all(r.ok for r in results) else 1)
    advice = [line for r in results for line in ending(r, error)]
    if isinstance(error, ConfigurationError):
        advice.append(configuration_advice(error, results))
    elif error is not None:
        advice.append(str(error))
    if as_json:
        print(
            json.dumps(
                {
                    "campaigns": [r.as_dict() for r in results],
                    "error": str(error) if error else None,
                    "setting": error.setting if isinstance(error, ConfigurationError) else None,
                    "advice": advice,
                    "exit": code,
                },
                ensure_ascii=False,
            )
        )
    else:
        for result in results:
            print_result(console, result)
    if error is not None:
        console.print(f"[red]error:[/] {escape(advice.pop())}")
    for line in advice:
        console.print(escape(line))
    return code


def configuration_advice(error: ConfigurationError, results: list[Result]) -> str:
    """What the operator reads when a setting stopped the run: the setting, what the
    server said, and that nobody was marked failed for it."""
    left = sum(r.remaining for r in results if r.totals)
    what = str(error).rstrip()
    if not what.endswith((".", "!", "?")):
        what += "."
    pending = f"{left} notices are left pending" if left else "the notices not yet sent are left pending"
    return (
        f"stopped by a configuration fault; fix {error.setting}: {what} "
        f"Nobody was marked failed for it: {pending}, and the same command, rerun after the fix, "
        "reaches everyone (exit 2)."
    )


def _users(n: int) -> str:
    return f"{n} registered user{'' if n == 1 else 's'}"


def _not_reached(r: Result, name: str, failed: int, error: BaseException | None) -> list[str]:
    """Who of the campaign is not reached, why, and what to do about each kind."""
    parts = []
    if r.remaining:
        parts.append(f"{r.remaining} still to send")
    if failed:
        parts.append(f"{failed} failed permanently")
    if r.skipped_count:
        parts.append(f"{r.skipped_count} with an unusable address or phone number in the source")
    if r.no_channel_count:
        parts.append(f"{r.no_channel_count} whom no channel of this run reaches")
    why = f" (stopped: {r.stopped})" if r.stopped else ""
    lines = [f"{name}: {_users(r.unreached)} not reached: {', '.join(parts)}{why}."]
    if r.remaining and not isinstance(error, NotifyError):
        lines.append("  Rerun the same command to send the rest; nothing already sent goes again.")
    if failed:
        lines.append(
            "  For the permanent failures: correct the addresses in the source, then rerun with "
            "--retry-failed (the replies are in --report --csv)."
        )
    if r.skipped_count:
        lines.append(
            "  Correct the unusable addresses and phone numbers listed above in the source and rerun."
        )
    if r.no_channel_count:
        lines.append(
            "  The users no channel reaches are not at fault: rerun with the channel they need (--sms for "
            "those with a phone number only: docs/operators.md, Text messages); nothing already sent goes again."
        )
    return lines


def ending(r: Result, error: BaseException | None = None) -> list[str]:
    """The end of a campaign in plain words: who is not reached yet, and what to do."""
    name = f"{r.document} {r.version} ({r.channel})"
    lines: list[str] = []
    failed = r.totals.get("failed", 0)
    ran = r.sent + r.failed_count + r.deferred_count
    if isinstance(error, ConfigurationError) and r.setting:
        pass  # configuration_advice says it
    elif not r.totals or isinstance(error, LedgerFailed):
        pass  # the ledger could not be written (or read): the error says what is kept where
    elif r.unreached == 0:
        lines.append(f"{name}: every registered user in the source has the notice.")
    elif (
        r.enqueued == 0
        and ran == 0
        and r.remaining == 0
        and failed
        and not r.stopped
        and not r.skipped_count
        and not r.no_channel_count
    ):
        lines.append(
            f"{name}: nothing to send: the only users not reached are the {failed} whose notice failed "
            "permanently in an earlier run. Rerun with --retry-failed to try them again "
            "(the replies are in --report --csv)."
        )
    else:
        lines += _not_reached(r, name, failed, error)
    if r.lease_lost:
        lines.append(
            f"  {r.lease_lost} notices this worker had taken were left to another worker: it stalled past "
            "its lease (--lease), and it sent none of them."
        )
    if r.recovered:
        lines.append(
            f"  {r.recovered} deliveries of an interrupted run were recorded from its outcome journal."
        )
    return lines


def _keep_private(folder: Path) -> None:
    """The private folder holds every registered user's address (the ledger, the outbox): keep it
    out of git, whatever ``git add`` the operator runs, and its owner's alone (0700)."""
    try:
        private_dir(folder)
        ignore = folder / ".gitignore"
        if not ignore.exists():
            ignore.write_text(
                "# Written by policyctl notify: the ledger and the outbox hold users' addresses.\n*\n",
                encoding="utf-8",
            )
    except OSError as exc:
        raise NotifyError(f"cannot create {folder}: {exc.strerror or exc}") from exc


def fail(console: Console, error: NotifyError, *, as_json: bool = False) -> int:
    """Report an error that stopped the command before any campaign ran (also as a JSON
    line on standard output with ``as_json``); exit status 2."""
    console.print(f"[red]error:[/] {escape(str(error))}")
    if as_json:
        print(json.dumps({"error": str(error), "exit": 2}))
    return 2


def _run_coroutine(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """asyncio.run, or, when this thread already runs an event loop (an async caller,
    Playwright's sync API), the same on a thread of our own."""
    previous = sys.getswitchinterval()
    # The sending loop releases the GIL on every send(); take it back from the ledger
    # threads soon after, rather than after the default 5 ms.
    sys.setswitchinterval(0.0005)
    try:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return _run_fresh(make)
        return _run_in_thread(make)
    finally:
        sys.setswitchinterval(previous)


def _run_fresh(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run on a new event loop: uvloop's where installed (about twice the messages per
    CPU-second of the default loop in benchmarks/notify.py), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        factory = None
    else:
        factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(make())


def _run_in_thread(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = _run_fresh(make)
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, name="notify-campaign")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def export_evidence(
    revisions: list[Revision], options: ReportOptions, *, repo: Path, console: Console
) -> int:
    """Export what the ledger proves of ``revisions`` (every revision it holds when none
    is given), as JSON lines or CSV, to standard output or ``options.output`` (a table
    on a terminal without --csv or --json); 0, or 2."""
    ledger_url = options.ledger or default_url(repo)
    try:
        with closing(Ledger(ledger_url, readonly=True)) as ledger:
            _export(ledger, revisions, options, console)
    except (SQLAlchemyError, NotifyError) as exc:
        return _stopped(console, ledger_url, exc, as_json=options.as_json)
    return 0


def _export(ledger: Ledger, revisions: list[Revision], options: ReportOptions, console: Console) -> None:
    """To standard output: a table on a terminal (unless --csv or --json), else JSON lines
    (CSV with --csv), as scripts read it; to ``options.output``: JSON lines or CSV."""
    fmt = "csv" if options.csv else "json"
    if options.output is None:
        out = Console(file=sys.stdout)
        if out.is_terminal and not options.csv and not options.as_json:
            print_evidence(out, ledger, revisions)
            return
        export(ledger, revisions, sys.stdout, fmt=fmt)
        sys.stdout.flush()
        return
    try:
        private_file(options.output)  # every address: the file is its owner's alone
        with open(options.output, "w", newline="", encoding="utf-8") as fh:
            n = export(ledger, revisions, fh, fmt=fmt)
    except OSError as exc:
        raise NotifyError(f"cannot write the report to {options.output}: {exc}") from exc
    console.print(f"Wrote {n} ledger records to {escape(str(options.output))}.")


def _templates(options: DeliveryOptions, repo: Path) -> Templates:
    """The templates of emails and texts: --templates, the repository's
    site_templates/email/, the built-in ones; with the operator's catalogues (beside
    their --templates, <DIR>/locale/, and the repository's locale/, where the site's are)."""
    search = [options.templates] if options.templates else []
    if options.templates and not options.templates.is_dir():
        raise NotifyError(f"--templates {options.templates}: no such directory")
    search.append(repo / "site_templates" / "email")
    locales = [folder / "locale" for folder in search[:-1]] + [repo / OPERATOR_LOCALES]
    return Templates(search, locales)


def _channels(
    options: DeliveryOptions,
    revision: Revision,
    repo: Path,
    ledger: Ledger,
    redlines: RedlineChoice | None = None,
) -> list[Channel]:
    channels: list[Channel] = []
    templates = _templates(options, repo)
    if not options.no_email:
        sender = Sender.parse(options.sender) if options.sender else _default_sender([revision])
        composer = Composer(revision, sender, templates, redlines=redlines)
        composer.build(
            "check@example.com", "Check", "", "<check@example.com>"
        )  # template errors now, not mid-campaign
        if options.smtp:
            config = SmtpConfig.parse(
                options.smtp,
                allow_insecure=options.allow_insecure,
                timeout=options.deadline,
                cafile=options.cafile,
            )
            channels.append(SmtpChannel(config, composer))
        else:
            outbox = options.outbox or private_folder(repo) / "outbox"
            channels.append(OutboxChannel(outbox, composer))
    if options.webhook:
        secret = options.webhook_secret or secrets.read(WEBHOOK_SECRET_ENV)
        channels.append(
            WebhookChannel(
                options.webhook,
                secret,
                revision,
                allow_insecure=options.allow_insecure,
                cafile=options.cafile,
                redlines=redlines,
            )
        )
    if options.sms:
        channels.append(_sms_channel(options, revision, repo, ledger, templates, redlines))
    return channels


def _sms_channel(
    options: DeliveryOptions,
    revision: Revision,
    repo: Path,
    ledger: Ledger,
    templates: Templates,
    redlines: RedlineChoice | None,
) -> SmsChannel:
    """The texts' channel of ``--sms``: a provider, or with ``--sms outbox`` files beside
    the emails' outbox; measured before any campaign (a text that cannot fit in one segment)."""
    texts: Path | None = None
    provider = None
    assert options.sms is not None
    if options.sms == SMS_OUTBOX:
        texts = (options.outbox or private_folder(repo) / "outbox") / "sms"
    else:
        provider = provider_for(options.sms, allow_insecure=options.allow_insecure)
    sms = SmsChannel(
        provider,
        revision,
        templates,
        save_codes=partial(save_codes, ledger.engine),
        cafile=options.cafile,
        redlines=redlines,
        outbox=texts,
        quiet=QuietHours.parse(options.quiet_hours, options.timezone or "UTC")
        if options.quiet_hours
        else None,
    )
    sms.check()
    return sms


def _message_domain(channel: Channel, revision: Revision) -> str:
    """The host of the channel's Message-IDs: the sender's domain for email, else the site's."""
    if isinstance(channel, (SmtpChannel, OutboxChannel)):
        return channel.composer.sender.domain
    return _site_host(revision)


def _recipients(
    options: DeliveryOptions, repo: Path, channel: Channel, revision: Revision
) -> Iterable[Recipient | Skipped] | Source:
    """A large source (or a query) is enqueued by a child process, a small one here; each
    campaign takes the users its channel sends to (:mod:`notify.delivery.recipients.routing`)."""
    route = Route(
        channel.name,
        sms=bool(options.sms),
        every=options.channels == ALL,
        addresses=not options.no_email or bool(options.webhook),
    )
    if use_child(options.recipients, repo):
        domain = _message_domain(channel, revision)
        return Source(
            options.recipients,
            options.query,
            repo,
            domain,
            options.region,
            route.sms,
            route.every,
            route.addresses,
        )
    records = recipients_mod.read(options.recipients, options.query, base=repo, region=options.region)
    return routed(records, route)


async def _run_all(
    options: DeliveryOptions,
    revisions: list[Revision],
    repo: Path,
    ledger: Ledger,
    settings: Settings,
    console: Console,
    governing_at: datetime | None = None,
    redlines_for: RedlinesFor | None = None,
) -> tuple[list[Result], BaseException | None]:
    loop = asyncio.get_running_loop()
    loop.set_default_executor(
        ThreadPoolExecutor(max_workers=options.concurrency + 4, thread_name_prefix="notify")
    )
    stop = asyncio.Event()
    results: list[Result] = []
    error: BaseException | None = None
    progress = _Progress(console) if console.is_terminal and not options.as_json else None
    campaigns = _plan(options, revisions, repo, ledger, governing_at, redlines_for)
    for revision in revisions:
        if revision.late:
            console.print(
                f"[yellow]warning:[/] {escape(revision.document)} {escape(revision.version)} already took effect on "
                f"{revision.effective.isoformat()}: this notice comes after the fact"
            )
    with _Signals(loop, stop) as interrupted:
        for revision, redlines, channel in campaigns:
            if stop.is_set():
                break
            runner = Runner(
                ledger,
                Campaign.of(revision, channel.name),
                channel,
                _recipients(options, repo, channel, revision),
                partial(message_id, revision, channel.name, domain=_message_domain(channel, revision)),
                settings,
                late=revision.late,
                stop=stop,
                progress=progress.update if progress else None,
                prepare=_prepare(channel, redlines),
            )
            result, failure = await _run_one(
                runner, progress, f"{revision.document} {revision.version} {channel.name}"
            )
            if interrupted and failure is None and result.stopped in (None, "interrupted"):
                result.stopped = f"interrupted by {interrupted[0]}"
            results.append(result)
            if failure is not None:
                error = failure
                break
    return results, error


def _plan(
    options: DeliveryOptions,
    revisions: list[Revision],
    repo: Path,
    ledger: Ledger,
    governing_at: datetime | None,
    redlines_for: RedlinesFor | None,
) -> list[tuple[Revision, RedlineChoice | None, Channel]]:
    """The campaigns of the run, in order: every revision's emails and webhooks, then
    their texts (which quiet hours may hold back: the others go out first). Every
    channel is built first, so a template, a text too long for one segment or an SMS
    provider's setting is refused before any notice of any revision goes out."""
    first: list[tuple[Revision, RedlineChoice | None, Channel]] = []
    texts: list[tuple[Revision, RedlineChoice | None, Channel]] = []
    for revision in revisions:
        own = redlines_for(revision, ledger.engine, governing_at) if redlines_for else None
        # None: every recipient is sent the notice's own redline.
        redlines = own if own is not None and own.useful else None
        for channel in _channels(options, revision, repo, ledger, redlines):
            (texts if isinstance(channel, SmsChannel) else first).append((revision, redlines, channel))
    return first + texts


def _prepare(channel: Channel, redlines: RedlineChoice | None) -> Callable[[list[Claimed]], None] | None:
    """What to do with each claimed batch before any of it is sent: read the answers of
    its recipients (who is governed by an older version); for texts, save their short
    codes too."""
    if isinstance(channel, SmsChannel):
        return channel.prepare
    return redlines.prepare if redlines is not None else None


async def _run_one(
    runner: Runner, progress: _Progress | None, label: str
) -> tuple[Result, NotifyError | None]:
    """One campaign's result, or what it had done when a NotifyError stopped it, and that error."""
    if progress:
        progress.start(label)
    try:
        return await runner.run(), None
    except NotifyError as exc:
        return runner.result, exc
    finally:
        if progress:
            progress.stop()


class _Signals:
    """SIGINT and SIGTERM set ``stop`` (the campaign ends cleanly, the ledger kept) while
    the block runs; the block gets the list of the signals' names received."""

    def __init__(self, loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
        self.loop = loop
        self.stop = stop
        self.received: list[str] = []
        self.installed: list[signal.Signals] = []

    def _on_signal(self, signum: int) -> None:
        self.received.append(signal.Signals(signum).name)
        self.stop.set()

    def __enter__(self) -> list[str]:
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                self.loop.add_signal_handler(sig, self._on_signal, sig)
                self.installed.append(sig)
            except (NotImplementedError, RuntimeError, ValueError):
                pass
        return self.received

    def __exit__(self, *exc: object) -> None:
        for sig in self.installed:
            self.loop.remove_signal_handler(sig)


class _Progress:
    def __init__(self, console: Console) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self.task: Any = None

    def start(self, label: str) -> None:
        self.progress.start()
        self.task = self.progress.add_task(escape(label), total=None, detail="")

    def update(self, result: Result, total: int | None) -> None:
        done = result.sent + result.failed_count + result.deferred_count
        self.progress.update(
            self.task,
            completed=done,
            total=max(done, result.enqueued) or None,
            detail=f"failed {result.failed_count + result.deferred_count}",
        )

    def stop(self) -> None:
        self.progress.stop()
