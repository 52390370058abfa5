"""The one database behind ``--ledger``: opened read-write or read-only, on SQLite or PostgreSQL.

The notices (:mod:`notify.delivery.ledger`) and the answers (:mod:`notify.answers.store`)
live in it side by side; each opens it here and creates only its own tables
(:mod:`notify.common.schema`).
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError

from notify.common.errors import NotifyError
from notify.common.redaction import redact
from notify.common.resources import private_dir, private_file
from notify.common.schema import ledger_metadata, notices

# Several workers may start at once: on PostgreSQL each set of tables is created under its
# own advisory lock, one process at a time.
LEDGER_LOCK, ANSWERS_LOCK = 72834611, 72834612


def _parse(url: str) -> sa.engine.URL:
    """``url`` as SQLAlchemy reads it, for a backend the ledger supports (psycopg for
    a bare ``postgresql://``); NotifyError otherwise."""
    try:
        parsed = sa.engine.make_url(url)
    except Exception as exc:
        raise NotifyError(
            f"--ledger {url!r} is not a database URL (e.g. sqlite:///path/ledger.sqlite3 or postgresql+psycopg://user@host/db)"
        ) from exc
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise NotifyError(f"--ledger {redact(url)}: only SQLite and PostgreSQL ledgers are supported")
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


class LedgerMissing(NotifyError):
    """A read-only open found no ledger there (no file, or no notices table)."""


class Database:
    """The database at ``url``. ``readonly=True`` (``--report``, ``check --ledger``) creates
    nothing and writes nothing: a SQLite file is opened with ``mode=ro`` (on a read-only
    file system, immutable), a PostgreSQL session is read-only, so a read-only file or
    database user is enough. Otherwise the tables of each ``(metadata, lock)`` in
    ``create`` are created when missing."""

    def __init__(
        self,
        url: str,
        *,
        readonly: bool = False,
        create: Sequence[tuple[sa.MetaData, int]] = ((ledger_metadata, LEDGER_LOCK),),
    ) -> None:
        self.url = url
        self.readonly = readonly
        parsed = _parse(url)
        self.dialect = parsed.get_backend_name()
        self.path: Path | None = None
        if self.dialect == "sqlite" and parsed.database and parsed.database != ":memory:":
            self.path = Path(parsed.database)
        try:
            self.engine = self._open_readonly(parsed) if readonly else self._open(parsed)
            if not readonly:
                self._create(create)
        except SQLAlchemyError as exc:
            raise NotifyError(
                f"cannot open the ledger {redact(url)}: {exc.__class__.__name__}: {getattr(exc, 'orig', exc)}"
            ) from exc
        except OSError as exc:
            raise NotifyError(f"cannot create the ledger {redact(url)}: {exc}") from exc

    def _open(self, parsed: sa.engine.URL) -> sa.Engine:
        if self.dialect != "sqlite":
            return sa.create_engine(parsed, pool_pre_ping=True)
        if self.path is not None:
            # Every registered user's address: the file (and SQLite's -wal and -shm
            # beside it, made with its mode) is its owner's alone.
            private_dir(self.path.parent, narrow=False)
            for path in (self.path, *(self.path.with_name(self.path.name + s) for s in ("-wal", "-shm"))):
                if path == self.path or path.exists():
                    private_file(path)
        engine = sa.create_engine(parsed, connect_args={"timeout": 60})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine

    def _create(self, create: Sequence[tuple[sa.MetaData, int]]) -> None:
        """The missing tables of each (metadata, lock); on PostgreSQL one process at a time."""
        for metadata, lock in create:
            with self.engine.begin() as conn:
                if self.dialect == "postgresql":
                    conn.execute(sa.text(f"SELECT pg_advisory_xact_lock({lock})"))
                metadata.create_all(conn, checkfirst=True)
                _add_missing_columns(conn, metadata)

    def _open_readonly(self, parsed: sa.engine.URL) -> sa.Engine:
        if self.dialect == "postgresql":
            engine = sa.create_engine(
                parsed,
                pool_pre_ping=True,
                connect_args={"options": "-c default_transaction_read_only=on"},
            )
        else:
            if self.path is None:
                raise NotifyError(f"--ledger {redact(self.url)}: an in-memory ledger holds no evidence")
            if not self.path.is_file():
                raise LedgerMissing(
                    f"no ledger at {self.path}: nothing was sent with it (give the --ledger the campaign used)"
                )
            uri = f"file:{quote(str(self.path.resolve()))}?mode=ro"
            wal = self.path.with_name(self.path.name + "-wal")
            if not os.access(self.path.parent, os.W_OK) and not (wal.exists() and wal.stat().st_size):
                # A read-only file system: SQLite cannot create the WAL index (-shm) beside
                # it, and nobody can be writing, so read the file as it is.
                uri += "&immutable=1"
            engine = sa.create_engine(
                "sqlite://", creator=lambda: sqlite3.connect(uri, uri=True, check_same_thread=False)
            )
        if notices.name not in sa.inspect(engine).get_table_names():
            engine.dispose()
            raise LedgerMissing(
                f"the ledger {redact(self.url)} has no {notices.name} table: nothing was sent with it "
                "(give the --ledger the campaign used)"
            )
        return engine

    def close(self) -> None:
        self.engine.dispose()


def _add_missing_columns(conn: sa.Connection, metadata: sa.MetaData) -> None:
    """Give a table made by an older release the nullable columns added since (the
    provider's message id): ``ALTER TABLE ... ADD COLUMN``, on SQLite and PostgreSQL."""
    inspector = sa.inspect(conn)
    for table in metadata.sorted_tables:
        present = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in present and column.nullable:
                kind = column.type.compile(dialect=conn.dialect)
                conn.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN {column.name} {kind}")


def present_columns(conn: sa.Connection, table: sa.Table) -> list[sa.Column[Any]]:
    """The columns of ``table`` the database has (a ledger opened read-only may be older
    than a column)."""
    present = {column["name"] for column in sa.inspect(conn).get_columns(table.name)}
    return [column for column in table.columns if column.name in present]


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    import sqlite3

    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    # Switching a new file to WAL takes an exclusive lock without waiting on the busy
    # handler, so two workers starting on a fresh ledger may collide here: retry.
    deadline = time.monotonic() + 60
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    cur.execute("PRAGMA synchronous=FULL")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")
