"""`policyctl applies`: which version governs a user's data at an instant.

The rule (docs/operators.md, "Which version governs a user's data") is the pure
function `notify.answers.rule.governing`, fed with the history's effective instants and the
answers in the ledger. `--all` streams every user the ledger knows (notified or
answered): one line each, in memory only the answers, never the list of users.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from generator.commands.answers_support import catalogue
from generator.commands.context import Context, add_common_arguments, only_document
from generator.commands.ledger import add_ledger_argument, ledger_url
from generator.core.errors import EXIT_OK, PolicyError, SettingsError
from notify.common.redaction import redact

CSV_COLUMNS = ("document", "user", "version", "since", "because_answer", "because_version", "because_at")


def add_parser(subcommands: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subcommands.add_parser(
        "applies", help="which version of a policy governs a user's data at an instant"
    )
    add_common_arguments(parser)
    add_ledger_argument(parser)
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument(
        "--user", metavar="ID", help="the user's id (email-hmac:<hex> for one without, as --all lists them)"
    )
    who.add_argument("--all", action="store_true", help="every user the ledger knows")
    parser.add_argument("--document", help="only this document (default: every document)")
    output = parser.add_mutually_exclusive_group()
    output.add_argument(
        "--json", action="store_true", help='one JSON object per line: {"document", "user", ...}'
    )
    output.add_argument(
        "--csv", action="store_true", help="CSV with a header row (cells safe for spreadsheets)"
    )
    return parser


def run(args: argparse.Namespace, ctx: Context) -> int:
    from notify.answers.rule import governing, unanswered
    from notify.answers.serialise import governing_json
    from notify.answers.store import AnswerBook
    from notify.common.errors import NotifyError

    facts = catalogue(ctx.repo, ctx.settings, pages=False)
    documents = only_document(facts.documents, args.document)
    if args.csv and not args.all:
        raise SettingsError("--csv goes with --all", remedy="use --json for one user")
    zone = ctx.settings.zone

    def emit(result: Any) -> None:
        record = governing_json(result, zone)
        if args.json:
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            since = f" since {record['since']}" if record["since"] else ""
            because = record["because"]
            why = (
                f" (because of the answer {because['answer']} to {because['version']} at {because['at']})"
                if because
                else " (no answer: continued use)"
            )
            version = record["version"] or "no version in force"
            sys.stdout.write(f"{record['document']}: {_printable(record['user'])}: {version}{since}{why}\n")

    try:
        with AnswerBook(ledger_url(args.ledger, ctx.repo)) as book:
            if not args.all:
                for document in documents:
                    emit(governing(document, args.user, book.of_user(document.id, args.user), ctx.as_of))
                return EXIT_OK
            answers = book.all_answers(args.document)
            if args.csv:
                _all_csv(book, args.document, documents, answers, ctx, zone)
                return EXIT_OK
            users = 0
            for user in book.known_users(args.document):
                users += 1
                for document in documents:
                    given = answers.get((document.id, user))
                    emit(
                        governing(document, user, given, ctx.as_of)
                        if given
                        else unanswered(document, user, ctx.as_of)
                    )
            if not users:
                print(
                    f"No user in the ledger {redact(ledger_url(args.ledger, ctx.repo))}: nobody has been notified "
                    "or has answered yet, so the version in force governs every user (continued use).",
                    file=sys.stderr,
                )
    except NotifyError as error:
        raise PolicyError(str(error)) from None
    return EXIT_OK


def _all_csv(book: Any, only: str | None, documents: Any, answers: Any, ctx: Context, zone: Any) -> None:
    """Every known user as CSV, written in blocks: a million users in seconds.

    The cells are quoted as csv.QUOTE_ALL quotes them and neutralised against formulas;
    most users never answered, so their line is a prepared prefix and suffix around the
    user."""
    from notify.answers.rule import governing, unanswered
    from notify.answers.serialise import governing_json
    from notify.delivery.report.evidence import neutralise

    def line(cells: Any) -> str:
        return ",".join(_quoted(neutralise(c)) for c in cells) + "\n"

    silent = {}
    for document in documents:
        cells = [
            _quoted(neutralise(c))
            for c in _csv_cells(governing_json(unanswered(document, "", ctx.as_of), zone))
        ]
        silent[document.id] = (cells[0] + ",", "," + ",".join(cells[2:]) + "\n")
    out = sys.stdout
    out.write(line(CSV_COLUMNS))
    block: list[str] = []
    for user in book.known_users(only):
        for document in documents:
            given = answers.get((document.id, user))
            if given:
                block.append(
                    line(_csv_cells(governing_json(governing(document, user, given, ctx.as_of), zone)))
                )
            else:
                prefix, suffix = silent[document.id]
                block.append(prefix + _quoted(neutralise(user)) + suffix)
        if len(block) >= 4096:
            out.write("".join(block))
            block.clear()
    out.write("".join(block))


def _quoted(cell: str) -> str:
    return '"' + cell.replace('"', '""') + '"'


def _csv_cells(record: dict[str, Any]) -> tuple[str, ...]:
    because = record["because"] or {}
    return (
        record["document"],
        record["user"],
        record["version"] or "",
        record["since"] or "",
        because.get("answer", ""),
        because.get("version", ""),
        because.get("at", ""),
    )


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else " " for c in text)
