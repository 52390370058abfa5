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
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any

from notify.common.redaction import redact
from notify.delivery.recipients.fields import COLUMNS

CHUNK = 500


def _emit(out, obj) -> None:
    out.write(json.dumps(obj, ensure_ascii=False, default=str).encode("utf-8") + b"\n")


def messages(url: str, query: str) -> Iterator[Any]:
    """The protocol's messages in order: ``{"columns": [...]}``, lists of rows,
    ``{"end": True}``, or ``{"error": message}`` as the last one. The child writes each
    as a line; a process that may hold the GIL as long as it likes (the enqueueing child,
    :mod:`notify.delivery.recipients.enqueuer`) reads them here directly."""
    try:
        import sqlalchemy as sa
        from sqlalchemy.exc import SQLAlchemyError
    except ImportError as exc:  # pragma: no cover - sqlalchemy is a dependency
        yield {"error": f"--recipients {redact(url)}: {exc}"}
        return
    try:
        engine = sa.create_engine(url)
    except (SQLAlchemyError, ValueError, ImportError) as exc:
        yield {"error": f"--recipients {redact(url)}: not a usable database URL ({exc})"}
        return
    try:
        with engine.connect() as conn:
            try:
                result = conn.execution_options(stream_results=True, yield_per=2000).execute(sa.text(query))
            except SQLAlchemyError as exc:
                yield {
                    "error": f"--query failed on {redact(url)}: {exc.__class__.__name__}: "
                    f"{exc.orig if hasattr(exc, 'orig') else exc}"
                }
                return
            columns = [c.lower() for c in result.keys()]
            if "email" not in columns:
                yield {
                    "error": f"--query must return a column named 'email' (it returned {', '.join(columns)}); use 'AS email'"
                }
                return
            index = [(c, columns.index(c)) for c in COLUMNS if c in columns]
            yield {"columns": [c for c, _ in index]}
            positions = [i for _, i in index]
            for part in result.partitions(CHUNK):
                yield [[row[i] for i in positions] for row in part]
        yield {"end": True}
    except SQLAlchemyError as exc:
        yield {"error": f"--recipients {redact(url)}: {exc.__class__.__name__}: {exc}"}
    finally:
        engine.dispose()


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
