"""Reads recipients from a database query in a child process (``python -m notify.delivery.recipients.sqlsource``).

Why a process: CPython's sqlite3 module releases the GIL around every
``sqlite3_step``, i.e. once per row. Read on a thread next to the sending event loop,
each row is a GIL hand-off (the reader waits up to the switch interval to get it
back, the event loop is forced off it), which cost a 100 000-row campaign about
5 CPU-seconds more than the same recipients read from CSV. In a child process the
query runs at its own pace; the parent reads the rows from a pipe in large
chunks (one GIL release per 64 KiB), and the pipe's back-pressure keeps memory flat.

Protocol: the parent writes ``{"url": ..., "query": ...}`` as JSON to stdin (not argv:
the URL may hold a password). The child writes JSON lines to stdout:
``{"columns": [...]}`` once, then lists of rows (each a list of the wanted columns'
values, in the order of ``columns``), then ``{"end": true}``; or ``{"error": message}``
at any point, after which it exits.

The query only reads: on SQLite the file is opened read-only and an authorizer refuses
every statement but a SELECT (no CREATE, no ATTACH, no PRAGMA); on PostgreSQL and MySQL
it runs in a read-only transaction; and nothing is ever committed.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import sys
from collections.abc import Iterator
from functools import partial
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from notify.common.redaction import redact
from notify.delivery.recipients.fields import COLUMNS

CHUNK = 500
# What a --query may do on SQLite: read (SELECT, its columns, functions, WITH RECURSIVE).
# Everything else is refused before it runs: writing, creating, ATTACH (another file,
# writable), PRAGMA.
_SQLITE_READS = frozenset(
    {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
)
_SQLALCHEMY_PRAGMA = "read_uncommitted"  # the one SQLAlchemy reads on connect (without a value)
# Elsewhere the transaction the query runs in is read-only (and never committed); the
# query is read through a server-side cursor, which holds one statement only.
_READ_ONLY = {dialect: "SET TRANSACTION READ ONLY" for dialect in ("postgresql", "mysql", "mariadb")}
_REFUSED_SQLSTATES = ("25006", "25P02")  # read_only_sql_transaction, and a transaction it broke
_SYNTAX_ERROR = "42601"
_FIRST_WORD = re.compile(r"\s*(\w+)")


def _emit(out: Any, obj: object) -> None:
    out.write(json.dumps(obj, ensure_ascii=False, default=str).encode("utf-8") + b"\n")


def _reads_only(action: int, name: str | None, value: str | None, *_where: str | None) -> int:
    if action in _SQLITE_READS or (
        action == sqlite3.SQLITE_PRAGMA and name == _SQLALCHEMY_PRAGMA and value is None
    ):
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


def _sqlite_reader(database: str | None) -> sqlite3.Connection:
    """A connection to the SQLite file ``database`` that can only read: opened read-only
    (``mode=ro``: a missing file is an error, not a new empty database), ``PRAGMA
    query_only``, and an authorizer that lets a statement read and do nothing else."""
    if database and database != ":memory:":
        uri = f"file:{quote(os.path.abspath(database))}?mode=ro"
    else:
        uri = "file::memory:"
    conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
    conn.execute("PRAGMA query_only = ON")
    conn.set_authorizer(_reads_only)
    return conn


def _engine(url: str) -> sa.Engine:
    """An engine on ``url``; on SQLite one that can only read (:func:`_sqlite_reader`)."""
    parsed = sa.engine.make_url(url)
    dialect = parsed.get_backend_name()
    if dialect == "sqlite":
        return sa.create_engine("sqlite://", creator=partial(_sqlite_reader, parsed.database))
    return sa.create_engine(parsed)


def _shown(query: str) -> str:
    """The query as messages quote it: on one line, cut to 120 characters."""
    text = " ".join(query.split())
    return repr(text if len(text) <= 120 else text[:119] + "…")


def _refused(exc: SQLAlchemyError, query: str) -> bool:
    """Whether the database refused the statement for writing (or doing anything but
    reading): SQLite's authorizer, a read-only transaction, or, on PostgreSQL, a cursor
    that cannot be declared for it (a syntax error at its first word: not a query)."""
    orig = getattr(exc, "orig", None)
    if isinstance(orig, sqlite3.DatabaseError):
        return "authoriz" in str(orig) or "readonly" in str(orig)
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    first = _FIRST_WORD.match(query)
    return state in _REFUSED_SQLSTATES or (
        state == _SYNTAX_ERROR and first is not None and f'at or near "{first[1]}"' in str(orig)
    )


def _failed(url: str, query: str, exc: SQLAlchemyError) -> dict[str, str]:
    cause = f"{exc.orig if hasattr(exc, 'orig') else exc}"
    if _refused(exc, query):
        return {
            "error": f"--query {_shown(query)} was refused on {redact(url)} ({cause}): --query only reads "
            "the registered users and must be a SELECT, e.g. 'SELECT email, name, locale, id FROM users'"
        }
    return {
        "error": f"--query failed on {redact(url)}: {exc.__class__.__name__}: {cause} (the query: {_shown(query)})"
    }


def messages(url: str, query: str) -> Iterator[Any]:
    """The protocol's messages in order: ``{"columns": [...]}``, lists of rows,
    ``{"end": True}``, or ``{"error": message}`` as the last one. The child writes each
    as a line; a process that may hold the GIL as long as it likes (the enqueueing child,
    :mod:`notify.delivery.recipients.enqueuer`) reads them here directly."""
    try:
        engine = _engine(url)
    except (SQLAlchemyError, ValueError, ImportError) as exc:
        yield {"error": f"--recipients {redact(url)}: not a usable database URL ({exc})"}
        return
    try:
        with engine.connect() as conn:
            try:
                if engine.dialect.name in _READ_ONLY:
                    conn.exec_driver_sql(_READ_ONLY[engine.dialect.name])  # the transaction's first statement
                result = conn.execution_options(stream_results=True, yield_per=2000).execute(sa.text(query))
            except SQLAlchemyError as exc:
                yield _failed(url, query, exc)
                return
            yield from _rows(result, query)
    except SQLAlchemyError as exc:
        yield {"error": f"--recipients {redact(url)}: {exc.__class__.__name__}: {getattr(exc, 'orig', exc)}"}
    finally:
        engine.dispose()


def _rows(result: sa.CursorResult[Any], query: str) -> Iterator[Any]:
    """The messages of a query's result: its columns, its rows in chunks, the end."""
    if not result.returns_rows:
        yield {
            "error": f"--query {_shown(query)} returns no rows: give a SELECT that returns email (or phone)"
        }
        return
    columns = [c.lower() for c in result.keys()]
    if "email" not in columns and "phone" not in columns:
        yield {
            "error": f"--query must return a column named 'email' or 'phone' (it returned {', '.join(columns)}); "
            "use 'AS email'"
        }
        return
    index = [(c, columns.index(c)) for c in COLUMNS if c in columns]
    yield {"columns": [c for c, _ in index]}
    positions = [i for _, i in index]
    for part in result.partitions(CHUNK):
        yield [[row[i] for i in positions] for row in part]
    yield {"end": True}


def main() -> int:
    out = sys.stdout.buffer
    spec = json.loads(sys.stdin.buffer.read())
    try:
        for message in messages(spec["url"], spec["query"]):
            _emit(out, message)
        out.flush()
    except BrokenPipeError:  # the parent stopped reading (campaign stopped)
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
