"""Short personal links for text messages: ``<answer_url path>/<code>``.

A text message cannot carry a 200-character token, so it carries a code of `CODE_LENGTH`
base-62 characters that the answer service resolves to the token it stands for, and
shows what ``<answer_url>?token=<token>`` shows (the same page, the same expiry).

The code (`code_for`) is the HMAC-SHA256 of the token under the answer secret
(domain-separated from the tokens' own signatures), written in base 62: unguessable
without the secret, and deterministic, so that a campaign run again makes the same code
for the same token and saves no second row. About 59.5 bits: a guesser who tries a
million codes among ten million issued finds one with a chance near one in a hundred
thousand, and the answer service bounds guesses (:mod:`notify.answers.guesses`). The
codes and their URLs are made in :mod:`notify.common.tokens`, beside the tokens and
``AnswerLinks.short`` that uses them, and named here too: tokens must stay free of the
database (the pure rule, :mod:`notify.answers.rule`, imports it), this module is not.

The codes are kept in ``policy_short_links`` (:data:`notify.common.schema.short_links`),
among the ledger's tables: the campaign writes them (`save_codes`), the answer service
reads them (`token_of`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import OperationalError, ProgrammingError

from notify.common.errors import NotifyError
from notify.common.schema import short_links
from notify.common.tokens import CODE_ALPHABET as ALPHABET
from notify.common.tokens import CODE_LENGTH, code_for, is_code, short_url

__all__ = ["ALPHABET", "CODE_LENGTH", "code_for", "is_code", "save_codes", "short_url", "token_of"]

_BATCH = 500  # codes read back per query (well under SQLite's limit of parameters)


def _chunks(codes: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(codes), _BATCH):
        yield codes[start : start + _BATCH]


def save_codes(engine: sa.Engine, rows: Sequence[tuple[str, str, str, str]]) -> list[str]:
    """Save ``rows`` of (code, token, document, version) in one transaction; a code saved
    before is kept as it is (INSERT ... ON CONFLICT DO NOTHING, on SQLite and PostgreSQL),
    so a campaign run again adds nothing.

    Returns the codes that another token holds (two tokens whose codes coincide, a chance
    near N²/2⁶⁰ among N links): the first stays; the caller must not send those short
    links, which would open someone else's page, and sends the full link instead."""
    if not rows:
        return []
    for code, *_ in rows:
        if not is_code(code):
            raise NotifyError(f"not a short code: {code!r}")
    now = datetime.now(UTC)
    values = [
        {"code": code, "token": token, "document": document, "version": version, "created_at": now}
        for code, token, document, version in rows
    ]
    dialect = engine.dialect.name
    if dialect not in ("sqlite", "postgresql"):
        raise NotifyError(f"short links are kept on SQLite or PostgreSQL, not {dialect}")
    insert = (sqlite_insert if dialect == "sqlite" else postgresql_insert)(short_links)
    wanted = {code: token for code, token, _, _ in rows}
    taken: list[str] = []
    with engine.begin() as conn:
        conn.execute(insert.on_conflict_do_nothing(index_elements=["code"]), values)
        for chunk in _chunks(sorted(wanted)):
            held = conn.execute(
                sa.select(short_links.c.code, short_links.c.token).where(short_links.c.code.in_(chunk))
            )
            taken.extend(code for code, token in held if token != wanted[code])
    return sorted(taken)


def token_of(bind: sa.Engine | sa.Connection, code: str) -> str | None:
    """The token ``code`` stands for; None when the code is not one (`is_code`), is not
    saved, or the database has no table of codes yet (no campaign has written one)."""
    if not is_code(code):
        return None
    if isinstance(bind, sa.Engine):
        with bind.connect() as conn:
            return _token_of(conn, code)
    return _token_of(bind, code)


def _token_of(conn: sa.Connection, code: str) -> str | None:
    """`token_of` on ``conn``: the read runs in a transaction of its own, or a savepoint in
    the caller's, so that a missing table (an error that aborts a PostgreSQL transaction)
    leaves the caller's transaction usable."""
    query = sa.select(short_links.c.token).where(short_links.c.code == code)
    try:
        with conn.begin_nested() if conn.in_transaction() else conn.begin():
            token = conn.execute(query).scalar_one_or_none()
    except (OperationalError, ProgrammingError):
        if sa.inspect(conn).has_table(short_links.name):
            raise
        return None
    return None if token is None else str(token)
