"""`policyctl answers serve|record|import|report`: users' answers to a revision.

The history (read from git like every other command) says which documents and versions
exist, when each takes effect and what it changed; the `notify` package keeps the
answers in the ledger's database and serves the answer page. A shop that runs Python
can mount the same page in its own application::

    from generator.commands.answers import application
    app = application(repo="/srv/policies", ledger="postgresql+psycopg://notify@db/ledger")

(see docs/operators.md, "Users' answers").
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from generator.commands.answers_support import answer_secret, catalogue
from generator.commands.context import Context, add_common_arguments, context_of
from generator.commands.ledger import add_ledger_argument, ledger_url
from generator.core.dates import iso, parse_instant
from generator.core.errors import EXIT_OK, EXIT_USAGE, PolicyError, SettingsError
from generator.settings import Settings
from notify.delivery.recipients.sources import CONTROL_CHARACTERS

if TYPE_CHECKING:
    from starlette.applications import Starlette


def add_parser(subcommands: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subcommands.add_parser(
        "answers", help="users' answers to a revision: serve the answer page, record, import, report"
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    serve = actions.add_parser("serve", help="serve the answer page and the shop's API (ASGI, uvicorn)")
    _common(serve)
    serve.add_argument(
        "--listen", default="127.0.0.1:8000", metavar="HOST:PORT", help="default 127.0.0.1:8000"
    )
    serve.add_argument(
        "--answer-url", metavar="URL", help="the answer page's URL (default: answer_url setting)"
    )
    serve.add_argument(
        "--forwarded-allow-ips",
        metavar="IPS",
        help="comma-separated addresses or networks of the reverse proxies whose X-Forwarded-* "
        "headers are honoured (default: none, from nobody)",
    )

    record = actions.add_parser("record", help="record one user's answer (support staff)")
    _common(record)
    record.add_argument("--document", required=True)
    record.add_argument("--version", dest="answer_version", required=True, metavar="VERSION")
    record.add_argument("--user", required=True, metavar="ID")
    record.add_argument("--answer", required=True, choices=("accept", "object"))
    record.add_argument("--at", metavar="WHEN", help="when the user answered (default: now)")

    bulk = actions.add_parser("import", help="record answers from a CSV or JSON-lines file")
    _common(bulk)
    bulk.add_argument(
        "file", type=Path, metavar="FILE", help="columns/keys: document, version, user, answer, at"
    )

    report = actions.add_parser("report", help="per user: notified at, answer, answered at; totals")
    _common(report)
    report.add_argument("--document", required=True)
    report.add_argument("--version", dest="answer_version", required=True, metavar="VERSION")
    report.add_argument("--csv", action="store_true", help="CSV (totals on standard error)")
    return parser


def _common(parser: argparse.ArgumentParser) -> None:
    add_common_arguments(parser)
    add_ledger_argument(parser)


def _answer_url(flag: str | None, settings: Settings) -> str:
    answer_url = settings.with_overrides(answer_url=flag).answer_url if flag else settings.answer_url
    if not answer_url:
        raise SettingsError(
            "no answer page: answer_url is not set",
            remedy="set `answer_url: https://shop.example/policy/answer` under the policy plugin in "
            "mkdocs.yml, or pass --answer-url",
        )
    return answer_url


def application(
    repo: str | Path = ".",
    ledger: str | None = None,
    *,
    config: str | Path | None = None,
    answer_url: str | None = None,
) -> Starlette:
    """The answer page and the API as an ASGI application, for a shop to mount in its own
    Python application. Reads the policy history of ``repo`` and its settings; the secret
    and the API key come from POLICYCTL_ANSWER_SECRET and POLICYCTL_ANSWER_API_KEY."""
    from notify.answers.app import create_app
    from notify.common.secrets import ANSWER_API_KEY_ENV, read

    ctx = context_of(Path(repo), Path(config) if config else None)
    return create_app(
        catalogue(ctx.repo, ctx.settings),
        ledger_url=ledger_url(ledger, ctx.repo),
        answer_url=_answer_url(answer_url, ctx.settings),
        secret=answer_secret(),
        api_key=read(ANSWER_API_KEY_ENV),
        locales=[ctx.repo / "locale"],  # the operator's catalogues, beside the site's
    )


def run(args: argparse.Namespace, ctx: Context) -> int:
    from notify.common.errors import NotifyError

    try:
        if args.action == "serve":
            return _serve(args, ctx)
        if args.action == "record":
            return _record(args, ctx)
        if args.action == "import":
            return _import(args, ctx)
        return _report(args, ctx)
    except NotifyError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE


def _serve(args: argparse.Namespace, ctx: Context) -> int:
    import uvicorn

    from notify.answers.app import create_app
    from notify.common.secrets import ANSWER_API_KEY_ENV, read

    host, _, port_text = args.listen.rpartition(":")
    if not host or not port_text.isdigit():
        raise SettingsError(f"--listen {args.listen!r}", remedy="give HOST:PORT, e.g. 127.0.0.1:8000")
    proxies = _proxies(args.forwarded_allow_ips)
    api_key = read(ANSWER_API_KEY_ENV)
    clock = time.time
    if args.as_of:
        # The service's clock starts at --as-of and runs on: a past or future state, reproduced.
        offset = ctx.as_of.timestamp() - time.time()

        def clock() -> float:
            return time.time() + offset

    answer_url = _answer_url(args.answer_url, ctx.settings)
    app = create_app(
        catalogue(ctx.repo, ctx.settings),
        ledger_url=ledger_url(args.ledger, ctx.repo),
        answer_url=answer_url,
        secret=answer_secret(),
        api_key=api_key,
        clock=clock,
        locales=[ctx.repo / "locale"],  # the operator's catalogues, beside the site's
    )
    page = urlsplit(answer_url).path or "/"
    print(f"Serving the answer page at http://{args.listen}{page} (and /api/); Ctrl-C stops", file=sys.stderr)
    if api_key is None:
        print(
            f"note: {ANSWER_API_KEY_ENV} is not set: the /api/ endpoints refuse every request",
            file=sys.stderr,
        )
    # No access log: the personal links' tokens travel in the query string. X-Forwarded-*
    # only from the proxies named (uvicorn's ProxyHeadersMiddleware), else from nobody.
    uvicorn.run(
        app,
        host=host.strip("[]"),
        port=int(port_text),
        access_log=False,
        log_level="warning",
        server_header=False,
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or None,
    )
    return EXIT_OK


def _proxies(text: str | None) -> list[str]:
    """`--forwarded-allow-ips`: each an IP address or network (no "*": name the proxies)."""
    import ipaddress

    proxies = [p.strip() for p in (text or "").split(",") if p.strip()]
    for proxy in proxies:
        try:
            ipaddress.ip_network(proxy, strict=False)
        except ValueError:
            raise SettingsError(
                f"--forwarded-allow-ips: {proxy!r} is not an IP address or network",
                remedy="name the reverse proxies in front of the service, e.g. 127.0.0.1 or 10.0.0.0/24",
            ) from None
    return proxies


def _instant(text: str | None, ctx: Context, what: str) -> dt.datetime | None:
    if not text:
        return None
    try:
        return parse_instant(text, ctx.settings.zone)
    except ValueError as exc:
        raise SettingsError(f"{what}: {exc}") from None


def _record(args: argparse.Namespace, ctx: Context) -> int:
    from notify.answers.rule import answer_problem
    from notify.answers.store import AnswerBook

    facts = catalogue(ctx.repo, ctx.settings, pages=False)
    now = ctx.as_of  # now, unless --as-of says otherwise
    at = _instant(args.at, ctx, "--at")
    problem = answer_problem(
        facts, args.document, args.answer_version, args.user, args.answer, at or now, now
    )
    if problem is not None:
        raise PolicyError(problem[1], remedy="see `policyctl status` for the documents and their versions")
    with AnswerBook(ledger_url(args.ledger, ctx.repo)) as book:
        done = book.record(
            args.document, args.answer_version, args.user, args.answer, at=at, now=now, source="record"
        )
    when = iso(done.answer.at, ctx.settings.zone)
    if done.recorded:
        print(f"recorded: {args.document} {args.answer_version}: {args.answer} at {when}")
    else:
        print(f"nothing new: the latest answer is already {done.answer.answer} (at {when})")
    return EXIT_OK


_IMPORT_KEYS = ("document", "version", "user", "answer", "at")


def _import_rows(path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """(where, record) of every row of a CSV (header row) or JSON-lines file."""
    if not path.is_file():
        raise SettingsError(f"{path}: no such file", remedy="give a CSV or JSON-lines file of answers")
    try:
        if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
            with path.open("rb") as fh:
                for number, line in enumerate(fh, 1):
                    if not line.strip():
                        continue
                    try:
                        record = json.loads(line)
                    except (ValueError, RecursionError):
                        yield f"{path.name} line {number}", {"_error": "not a JSON object"}
                        continue
                    if not isinstance(record, dict):
                        yield f"{path.name} line {number}", {"_error": "not a JSON object"}
                        continue
                    yield (
                        f"{path.name} line {number}",
                        {k: "" if record.get(k) is None else str(record.get(k)) for k in _IMPORT_KEYS},
                    )
            return
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            missing = [k for k in _IMPORT_KEYS[:4] if k not in (reader.fieldnames or [])]
            if missing:
                raise SettingsError(
                    f"{path} line 1: the header row lacks {', '.join(missing)}",
                    remedy="start the file with the header row document,version,user,answer,at",
                )
            for row in reader:
                yield (
                    f"{path.name} line {reader.line_num}",
                    {k: (row.get(k) or "").strip() for k in _IMPORT_KEYS},
                )
    except UnicodeDecodeError as exc:
        raise SettingsError(f"{path}: not UTF-8 ({exc.reason})", remedy="save the file as UTF-8") from None
    except csv.Error as exc:
        raise SettingsError(f"{path}: unreadable CSV ({exc})", remedy="save the file as CSV") from None


_Row = tuple[str, str, str, str, dt.datetime]
"""An answer to import: document, version, user, answer, when it was given."""


def _checked_rows(path: Path, ctx: Context) -> tuple[list[_Row], list[str], int]:
    """The rows of ``path``, read once and each checked by the rule of every recorder
    (`answer_problem`): (the answers, the problems, how many rows were read)."""
    from notify.answers.rule import answer_problem

    facts = catalogue(ctx.repo, ctx.settings, pages=False)
    now = ctx.as_of  # now, unless --as-of says otherwise
    rows: list[_Row] = []
    problems: list[str] = []
    count = 0
    for where, row in _import_rows(path):
        count += 1
        if "_error" in row:
            problems.append(f"{where}: {row['_error']}")
            continue
        try:
            at = _instant(row["at"], ctx, "at") or now
        except SettingsError as error:
            problems.append(f"{where}: cannot take the time {row['at']!r} ({error.message})")
            continue
        problem = answer_problem(facts, row["document"], row["version"], row["user"], row["answer"], at, now)
        if problem is not None:
            problems.append(f"{where}: {problem[1]}")
            continue
        rows.append((row["document"], row["version"], row["user"], row["answer"], at))
    return rows, problems, count


def _import(args: argparse.Namespace, ctx: Context) -> int:
    """Every row is checked before anything is recorded: a file with a bad row records
    nothing, and a file recorded twice records nothing the second time. The file is read
    once: the rows recorded are the rows checked."""
    from notify.answers.store import AnswerBook

    rows, problems, count = _checked_rows(args.file, ctx)
    if problems:
        for line in problems[:50]:
            print(f"error: {line}", file=sys.stderr)
        if len(problems) > 50:
            print(f"error: ... and {len(problems) - 50} more", file=sys.stderr)
        raise PolicyError(
            f"{args.file}: {len(problems)} of {count} rows cannot be recorded; nothing was recorded",
            file=str(args.file),
            remedy="correct the rows listed above and import the file again",
        )
    recorded = 0
    with AnswerBook(ledger_url(args.ledger, ctx.repo)) as book:
        for document, version, user, answer, at in rows:
            recorded += book.record(document, version, user, answer, at=at, source="import").recorded
    print(f"{count} answers read, {recorded} recorded, {count - recorded} already there")
    return EXIT_OK


def _report(args: argparse.Namespace, ctx: Context) -> int:
    from notify.answers.rule import ACCEPT, OBJECT
    from notify.answers.store import AnswerBook
    from notify.delivery.report.evidence import neutralise

    facts = catalogue(ctx.repo, ctx.settings, pages=False)
    document = facts.document(args.document)
    if document is None or document.index(args.answer_version) is None:
        raise PolicyError(
            f"no version {args.answer_version!r} of document {args.document!r}",
            remedy="see `policyctl status` for the documents and their versions",
        )
    zone = ctx.settings.zone
    totals = {"users": 0, "notified": 0, ACCEPT: 0, OBJECT: 0, "no answer": 0}
    writer = csv.writer(sys.stdout, lineterminator="\n", quoting=csv.QUOTE_ALL) if args.csv else None
    header = ("user", "notified_at", "answer", "answered_at")
    if writer is not None:
        writer.writerow(header)
    else:
        print("\t".join(header))
    with AnswerBook(ledger_url(args.ledger, ctx.repo)) as book:
        latest = book.latest_per_user(args.document, args.answer_version)
        for user, sent in book.notified(args.document, args.answer_version):
            _report_line(writer, totals, user, sent, latest.pop(user, None), zone, neutralise)
        # Users who answered without a notice in this ledger (e.g. on the shop's account page).
        for user in sorted(latest):
            _report_line(writer, totals, user, None, latest[user], zone, neutralise)
    summary = (
        f"{totals['users']} users: {totals['notified']} notified, {totals[ACCEPT]} accepted, "
        f"{totals[OBJECT]} objected, {totals['no answer']} no answer"
    )
    print(summary, file=sys.stderr if writer is not None else sys.stdout)
    return EXIT_OK


def _report_line(
    writer: Any, totals: dict[str, int], user: str, sent: Any, answer: Any, zone: Any, clean: Any
) -> None:
    totals["users"] += 1
    totals["notified"] += sent is not None
    totals[answer.answer if answer is not None else "no answer"] += 1
    cells = (
        user,
        iso(sent, zone) or "",
        answer.answer if answer is not None else "",
        iso(answer.at, zone) if answer is not None else "",
    )
    if writer is not None:
        writer.writerow([clean(c) for c in cells])
    else:
        print("\t".join(CONTROL_CHARACTERS.sub(" ", str(c)) for c in cells))
