"""`policyctl applies`: which version governs a user's data at an instant.

The rule (docs/operators.md, "Which version governs a user's data") is the pure
function `notify.applies.governing`, fed with the history's effective instants and the
answers in the ledger. `--all` streams every user the ledger knows (notified or
answered): one line each, in memory only the answers, never the list of users.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from dataclasses import replace
from typing import Any

from generator.commands.answers import catalogue, ledger_url
from generator.commands.context import EXIT_OK, Context, add_common_arguments
from generator.core.errors import PolicyError, SettingsError

JSON_KEYS = ("document", "user", "version", "since", "because")
CSV_COLUMNS = ("document", "user", "version", "since", "because_answer", "because_version", "because_at")


def add_parser(subcommands: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subcommands.add_parser(
        "applies", help="which version of a policy governs a user's data at an instant"
    )
    add_common_arguments(parser)
    parser.add_argument(
        "--ledger",
        metavar="URL",
        help="SQLAlchemy URL of the ledger (default sqlite:///<repo>/.policy/ledger.sqlite3)",
    )
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--user", metavar="ID", help="the user's id (or email-sha256:<hex> for one without)")
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
    from notify.answers import AnswerBook
    from notify.answers_app import governing_json
    from notify.applies import governing, unanswered
    from notify.errors import NotifyError
    from notify.report import neutralise

    facts = catalogue(ctx.repo, ctx.settings, pages=False)
    documents = facts.documents
    if args.document:
        documents = tuple(d for d in documents if d.id == args.document)
        if not documents:
            known = ", ".join(d.id for d in facts.documents)
            raise PolicyError(f"no document {args.document!r}", remedy=f"use one of: {known}")
    if args.csv and not args.all:
        raise SettingsError("--csv goes with --all", remedy="use --json for one user")
    zone = ctx.settings.zone
    writer = csv.writer(sys.stdout, lineterminator="\n", quoting=csv.QUOTE_ALL) if args.csv else None

    def emit(result: Any) -> None:
        record = governing_json(result, zone)
        if writer is not None:
            writer.writerow([neutralise(c) for c in _csv_cells(record)])
        elif args.json:
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
        with AnswerBook(ledger_url(args, ctx)) as book:
            if not args.all:
                for document in documents:
                    emit(governing(document, args.user, book.of_user(document.id, args.user), ctx.as_of))
                return EXIT_OK
            if writer is not None:
                writer.writerow(CSV_COLUMNS)
            answers = book.all_answers(args.document)
            # Most users never answered: their line differs only in the user.
            silent = {d.id: unanswered(d, "", ctx.as_of) for d in documents}
            silent_rows = {
                doc_id: [neutralise(str(c)) for c in _csv_cells(governing_json(result, zone))]
                for doc_id, result in silent.items()
            }
            for user in book.known_users(args.document):
                for document in documents:
                    given = answers.get((document.id, user))
                    if given:
                        emit(governing(document, user, given, ctx.as_of))
                    elif writer is not None:
                        row = silent_rows[document.id]
                        row[1] = neutralise(user)
                        writer.writerow(row)
                    else:
                        emit(replace(silent[document.id], user=user))
    except NotifyError as error:
        raise PolicyError(str(error)) from None
    return EXIT_OK


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
