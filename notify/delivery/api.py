"""`policyctl notify` options and runner (the generator adds --repo/--as-of/--document/...)."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import threading
from collections.abc import Callable, Coroutine, Iterable
from concurrent.futures import ThreadPoolExecutor
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
from notify.common.redaction import redact
from notify.common.resources import PRIVATE_FOLDER, private_folder
from notify.common.secrets import WEBHOOK_SECRET_ENV
from notify.contract.revision import Revision
from notify.delivery.campaign.runner import LedgerFailed, Result, Runner, Settings, Source
from notify.delivery.channels.base import Channel, RedlineChoice
from notify.delivery.channels.message import Composer, Sender, Templates, message_id
from notify.delivery.channels.outbox import OutboxChannel
from notify.delivery.channels.smtp import SmtpChannel, SmtpConfig
from notify.delivery.channels.webhook import WebhookChannel
from notify.delivery.ledger.ledger import Campaign, Ledger, default_url, journal_place
from notify.delivery.recipients import sources as recipients_mod
from notify.delivery.recipients.enqueuer import use_child
from notify.delivery.recipients.sources import Recipient, Skipped
from notify.delivery.report.evidence import export, print_result

T = TypeVar("T")
# How a campaign learns which redline each recipient is sent: given the revision, the
# ledger's engine and the instant to judge at (None: when each batch is claimed).
# `notify.answers.governed.RecipientRedlines` is one; the caller wires it in.
RedlinesFor = Callable[[Revision, sa.Engine, datetime | None], RedlineChoice]


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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("recipients")
    g.add_argument(
        "--recipients",
        metavar="SOURCE",
        help="CSV file (header with email[,name,locale,id]), JSON-lines file, or a database URL with --query",
    )
    g.add_argument(
        "--query",
        metavar="SQL",
        help="SELECT returning email (and name, locale, id) when --recipients is a database URL",
    )
    g = parser.add_argument_group("delivery")
    g.add_argument(
        "--smtp",
        metavar="URL",
        help="smtp://[user@]host:port (STARTTLS) or smtps://...; password from $POLICYCTL_SMTP_PASSWORD. "
        "Without it, messages are written to --outbox",
    )
    g.add_argument(
        "--from",
        dest="sender",
        metavar="ADDRESS",
        help="From header, e.g. 'Shop Privacy <privacy@shop.example>' (default: no-reply@ the site's host)",
    )
    g.add_argument(
        "--outbox",
        metavar="DIR",
        help=f"where .eml files go without --smtp (default: <repo>/{PRIVATE_FOLDER}/outbox/)",
    )
    g.add_argument("--templates", metavar="DIR", help="email templates overriding site_templates/email/")
    g.add_argument(
        "--concurrency", type=_positive_int, default=8, metavar="N", help="parallel SMTP sessions (default 8)"
    )
    g.add_argument(
        "--rate", type=_positive_float, metavar="PER_SECOND", help="at most this many messages per second"
    )
    g.add_argument(
        "--deadline",
        type=_positive_float,
        default=60.0,
        metavar="SECONDS",
        help="per message, all retries included (default 60)",
    )
    g.add_argument(
        "--retries", type=int, default=5, metavar="N", help="retries after a temporary failure (default 5)"
    )
    g.add_argument(
        "--retry-base",
        type=_positive_float,
        default=1.0,
        metavar="SECONDS",
        help="first back-off delay (default 1)",
    )
    g.add_argument(
        "--max-error-rate",
        type=float,
        default=0.5,
        metavar="SHARE",
        help="stop when more than this share of recent deliveries fail (default 0.5)",
    )
    g.add_argument(
        "--allow-insecure",
        action="store_true",
        help="allow SMTP without TLS / webhook over plain HTTP to hosts that are not loopback",
    )
    g.add_argument("--cafile", metavar="PEM", help="CA bundle to verify the SMTP server's certificate")
    g.add_argument(
        "--webhook", metavar="URL", help="also POST a signed JSON notice per recipient to this URL"
    )
    g.add_argument(
        "--webhook-secret",
        metavar="SECRET",
        help=f"HMAC secret for the webhook signature (default ${WEBHOOK_SECRET_ENV})",
    )
    g.add_argument("--no-email", action="store_true", help="only the --webhook channel")
    g = parser.add_argument_group("ledger and reports")
    g.add_argument(
        "--ledger",
        metavar="URL",
        help=f"SQLAlchemy URL of the delivery ledger (default sqlite:///<repo>/{PRIVATE_FOLDER}/ledger.sqlite3)",
    )
    g.add_argument(
        "--lease",
        type=_positive_float,
        default=120.0,
        metavar="SECONDS",
        help="how long a worker holds the notices it took from the ledger (default 120); renewed while it "
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
        help="export the delivery evidence from the ledger instead of sending",
    )
    g.add_argument("--csv", action="store_true", help="with --report: CSV instead of JSON lines")
    g.add_argument("--output", metavar="FILE", help="with --report: write to FILE instead of standard output")
    g.add_argument("--json", action="store_true", help="print the campaign report as JSON")
    g.add_argument(
        "--allow-empty",
        action="store_true",
        help="an empty recipients source is not an error (without it: exit 2, since an empty list of "
        "registered users is usually a wrong file or query)",
    )


def _check_revision(r: Revision) -> None:
    for label, url in (("url", r.url), ("changes_url", r.changes_url), ("rights_url", r.rights_url)):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise NotifyError(
                f"{r.document} {r.version}: the notice needs absolute links but {label} is {url!r}; "
                "set site_url in mkdocs.yml or pass --site-url"
            )
    if r.effective.tzinfo is None or r.published.tzinfo is None:
        raise NotifyError(f"{r.document} {r.version}: published/effective must be timezone-aware")


def _site_host(revision: Revision) -> str:
    """The host the revision is published on (the domain of default senders and Message-IDs)."""
    return urlsplit(revision.url).hostname or "localhost"


def _default_sender(revisions: list[Revision]) -> str:
    host = _site_host(revisions[0])
    if "." not in host:
        host += ".invalid"
    return f"Policy notices <no-reply@{host}>"


def run(
    args: argparse.Namespace,
    revisions: list[Revision],
    *,
    repo: Path,
    console: Console,
    governing_at: datetime | None = None,
    redlines_for: RedlinesFor | None = None,
) -> int:
    """Run the notify command; returns 0 (all delivered), 1 (failed deliveries or stopped early) or 2.

    With ``redlines_for`` (:class:`notify.answers.governed.RecipientRedlines`), each
    recipient's redline starts from the version that governs them when each batch is
    sent, or at ``governing_at`` when the run is made as of another instant
    (``policyctl notify --as-of``); without it, everyone is sent the notice's own."""
    try:
        ledger_url = args.ledger or default_url(repo)
        if args.report:
            return _report(args, revisions, ledger_url, console)
        if not revisions:
            console.print("Nothing to notify: no pending revision changes a core-rights section.")
            return 0
        if not args.recipients:
            raise NotifyError("give --recipients (a CSV or JSON-lines file, or a database URL with --query)")
        if args.no_email and not args.webhook:
            raise NotifyError("--no-email needs --webhook")
        if not 0 < args.max_error_rate <= 1:
            raise NotifyError("--max-error-rate must be between 0 and 1")
        for r in revisions:
            _check_revision(r)
        # Fail on unreadable recipients input (no file, no 'email' column, bad SQL) before anything else.
        probe = recipients_mod.read(args.recipients, args.query, base=repo)
        first = next(probe, None)
        probe.close()
        if first is None:
            if not args.allow_empty:
                raise NotifyError(
                    f"the recipients source {redact(args.recipients)} holds no record: nobody would be notified. "
                    "Check the file or --query (an empty list of registered users is usually a mistake); "
                    "pass --allow-empty if it is really empty"
                )
            console.print("Nothing to send: the recipients source is empty (--allow-empty).")
            return 0
        private = private_folder(repo)
        journal_dir, journal_key = journal_place(ledger_url, private)
        default_outbox = args.outbox is None and not args.smtp and not args.no_email
        if args.ledger is None or default_outbox or journal_dir.is_relative_to(private):
            _keep_private(private)
        settings = Settings(
            concurrency=args.concurrency,
            rate=args.rate,
            deadline=args.deadline,
            retries=max(0, args.retries),
            retry_base=args.retry_base,
            lease=args.lease,
            max_error_rate=args.max_error_rate,
            retry_failed=args.retry_failed,
            journal=journal_dir,
            journal_key=journal_key,
        )
        ledger = Ledger(ledger_url)
        try:
            results, error = _run_coroutine(
                lambda: _run_all(args, revisions, repo, ledger, settings, console, governing_at, redlines_for)
            )
        finally:
            ledger.close()
    except SQLAlchemyError as exc:
        return _fail(
            args,
            console,
            NotifyError(
                f"the ledger {redact(args.ledger or default_url(repo))} failed: {exc.__class__.__name__}: {getattr(exc, 'orig', exc)}; "
                "nothing recorded is lost: rerun the same command when the database is reachable"
            ),
        )
    except NotifyError as exc:
        return _fail(args, console, exc)
    code = 2 if error is not None else (0 if all(r.ok for r in results) else 1)
    advice = [line for r in results for line in ending(r, error)]
    if isinstance(error, ConfigurationError):
        advice.append(configuration_advice(error, results))
    elif error is not None:
        advice.append(str(error))
    if args.json:
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
        r.enqueued == 0 and ran == 0 and r.remaining == 0 and failed and not r.stopped and not r.skipped_count
    ):
        lines.append(
            f"{name}: nothing to send: the only users not reached are the {failed} whose notice failed "
            "permanently in an earlier run. Rerun with --retry-failed to try them again "
            "(the replies are in --report --csv)."
        )
    else:
        parts = []
        if r.remaining:
            parts.append(f"{r.remaining} still to send")
        if failed:
            parts.append(f"{failed} failed permanently")
        if r.skipped_count:
            parts.append(f"{r.skipped_count} with an unusable address in the source")
        why = f" (stopped: {r.stopped})" if r.stopped else ""
        lines.append(f"{name}: {_users(r.unreached)} not reached: {', '.join(parts)}{why}.")
        if r.remaining and not isinstance(error, NotifyError):
            lines.append("  Rerun the same command to send the rest; nothing already sent goes again.")
        if failed:
            lines.append(
                "  For the permanent failures: correct the addresses in the source, then rerun with "
                "--retry-failed (the replies are in --report --csv)."
            )
        if r.skipped_count:
            lines.append("  Correct the unusable addresses listed above in the source and rerun.")
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
    out of git, whatever ``git add`` the operator runs."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        ignore = folder / ".gitignore"
        if not ignore.exists():
            ignore.write_text(
                "# Written by policyctl notify: the ledger and the outbox hold users' addresses.\n*\n",
                encoding="utf-8",
            )
    except OSError as exc:
        raise NotifyError(f"cannot create {folder}: {exc.strerror or exc}") from exc


def _fail(args: argparse.Namespace, console: Console, error: NotifyError) -> int:
    """Report an error that stopped the command before any campaign ran; exit status 2."""
    console.print(f"[red]error:[/] {escape(str(error))}")
    if getattr(args, "json", False):
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


def _report(args: argparse.Namespace, revisions: list[Revision], ledger_url: str, console: Console) -> int:
    ledger = Ledger(ledger_url, readonly=True)
    try:
        fmt = "csv" if args.csv else "json"
        if args.output:
            try:
                with open(args.output, "w", newline="", encoding="utf-8") as fh:
                    n = export(ledger, revisions, fh, fmt=fmt)
            except OSError as exc:
                raise NotifyError(f"cannot write the report to {args.output}: {exc}") from exc
            console.print(f"Wrote {n} ledger records to {escape(args.output)}.")
        else:
            export(ledger, revisions, sys.stdout, fmt=fmt)
            sys.stdout.flush()
    finally:
        ledger.close()
    return 0


def _channels(
    args: argparse.Namespace, revision: Revision, repo: Path, redlines: RedlineChoice | None = None
) -> list[Channel]:
    channels: list[Channel] = []
    if not args.no_email:
        sender = Sender.parse(args.sender or _default_sender([revision]))
        search = [Path(args.templates)] if args.templates else []
        if args.templates and not Path(args.templates).is_dir():
            raise NotifyError(f"--templates {args.templates}: no such directory")
        search.append(repo / "site_templates" / "email")
        composer = Composer(revision, sender, Templates(search), redlines=redlines)
        composer.build(
            "check@example.com", "Check", "", "<check@example.com>"
        )  # template errors now, not mid-campaign
        if args.smtp:
            config = SmtpConfig.parse(
                args.smtp, allow_insecure=args.allow_insecure, timeout=args.deadline, cafile=args.cafile
            )
            channels.append(SmtpChannel(config, composer))
        else:
            outbox = Path(args.outbox) if args.outbox else private_folder(repo) / "outbox"
            channels.append(OutboxChannel(outbox, composer))
    if args.webhook:
        secret = args.webhook_secret or secrets.read(WEBHOOK_SECRET_ENV)
        channels.append(
            WebhookChannel(
                args.webhook, secret, revision, allow_insecure=args.allow_insecure, redlines=redlines
            )
        )
    return channels


def _message_domain(channel: Channel, revision: Revision) -> str:
    """The host of the channel's Message-IDs: the sender's domain for email, else the site's."""
    if isinstance(channel, (SmtpChannel, OutboxChannel)):
        return channel.composer.sender.domain
    return _site_host(revision)


def _recipients(
    args: argparse.Namespace, repo: Path, channel: Channel, revision: Revision
) -> Iterable[Recipient | Skipped] | Source:
    """A large source (or a query) is enqueued by a child process, a small one here."""
    if use_child(args.recipients, repo):
        return Source(args.recipients, args.query, repo, _message_domain(channel, revision))
    return recipients_mod.read(args.recipients, args.query, base=repo)


async def _run_all(
    args: argparse.Namespace,
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
        ThreadPoolExecutor(max_workers=args.concurrency + 4, thread_name_prefix="notify")
    )
    stop = asyncio.Event()
    interrupted: list[str] = []

    def on_signal(signum: int) -> None:
        interrupted.append(signal.Signals(signum).name)
        stop.set()

    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, on_signal, sig)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):
            pass
    results: list[Result] = []
    error: BaseException | None = None
    progress = _Progress(console) if console.is_terminal and not args.json else None
    try:
        for revision in revisions:
            if revision.late:
                console.print(
                    f"[yellow]warning:[/] {escape(revision.document)} {escape(revision.version)} already took effect on "
                    f"{revision.effective.isoformat()}: this notice comes after the fact"
                )
            own = redlines_for(revision, ledger.engine, governing_at) if redlines_for else None
            # None: every recipient is sent the notice's own redline.
            redlines = own if own is not None and own.useful else None
            for channel in _channels(args, revision, repo, redlines):
                if stop.is_set():
                    break
                runner = Runner(
                    ledger,
                    Campaign.of(revision, channel.name),
                    channel,
                    _recipients(args, repo, channel, revision),
                    partial(message_id, revision, channel.name, domain=_message_domain(channel, revision)),
                    settings,
                    late=revision.late,
                    stop=stop,
                    progress=progress.update if progress else None,
                    prepare=redlines.prepare if redlines is not None else None,
                )
                if progress:
                    progress.start(f"{revision.document} {revision.version} {channel.name}")
                try:
                    result = await runner.run()
                except NotifyError as exc:
                    results.append(runner.result)
                    error = exc
                    break
                finally:
                    if progress:
                        progress.stop()
                if interrupted and result.stopped in (None, "interrupted"):
                    result.stopped = f"interrupted by {interrupted[0]}"
                results.append(result)
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
    if error is not None and not isinstance(error, NotifyError):
        raise error
    return results, error


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
