"""Users' answers to revisions, kept in the ledger's database beside the notices.

One row per answer given: nothing is ever updated or deleted, so the ledger shows every
answer with its time. A user's answers to one (document, version) are numbered
(``seq``) with a unique constraint: two requests that race to record the same answer
both try the same number, one of them wins, the other reads the winner's answer and
records nothing. So a repeated answer (a double click, a resent form, a retried API
call) is one record on SQLite and on PostgreSQL alike; a changed answer is a new record,
the earlier one kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from notify.answers.rule import ANSWERS, Answer
from notify.common.database import ANSWERS_LOCK, Database
from notify.common.errors import NotifyError
from notify.common.redaction import redact
from notify.common.schema import SENT, SOURCE_LIMIT, UTCDateTime, answers, answers_metadata, notices
from notify.common.tokens import USER_LIMIT, user_key


@dataclass(frozen=True)
class Recorded:
    """What recording an answer did."""

    recorded: bool  # False: the same as the user's latest answer to that version, nothing new
    answer: Answer  # the user's latest answer to that version now


class AnswerBook:
    """The answers of the ledger at ``url`` (the same database as the notices)."""

    def __init__(self, url: str) -> None:
        self.ledger = Database(url)
        self.engine = self.ledger.engine
        self.dialect = self.ledger.dialect
        self._reader: Database | None = None
        try:
            with self.engine.begin() as conn:
                if self.dialect == "postgresql":
                    conn.execute(sa.text(f"SELECT pg_advisory_xact_lock({ANSWERS_LOCK})"))
                answers_metadata.create_all(conn, checkfirst=True)
        except SQLAlchemyError as exc:
            raise NotifyError(f"cannot open the answers in {redact(url)}: {exc.__class__.__name__}") from exc

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
        self.ledger.close()

    @property
    def reading(self) -> sa.Engine:
        """An engine for the long reads (`applies --all`, reports): read-only, so that on
        SQLite they run outside the write lock that every transaction of the ledger's own
        engine takes (BEGIN IMMEDIATE), at about twice the speed."""
        if self._reader is None:
            self._reader = Database(self.ledger.url, readonly=True)
        return self._reader.engine

    def __enter__(self) -> AnswerBook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def record(
        self,
        document: str,
        version: str,
        user: str,
        answer: str,
        *,
        at: datetime | None = None,
        source: str,
    ) -> Recorded:
        """Record ``user``'s ``answer`` (given at ``at``, default now) unless it repeats
        their latest answer to that version, or an identical answer at that instant (an
        import run twice records nothing the second time)."""
        if answer not in ANSWERS:
            raise NotifyError(f"answer {answer!r}: use accept or object")
        if not user or len(user) > USER_LIMIT:
            raise NotifyError(f"user id must be 1 to {USER_LIMIT} characters")
        now = datetime.now(UTC)
        when = at if at is not None else now
        if when.tzinfo is None:
            raise NotifyError("the answer's time needs a time zone")
        c = answers.c
        mine = sa.and_(c.document == document, c.version == version, c.user_key == user)
        for _ in range(20):
            try:
                with self.engine.begin() as conn:
                    latest = conn.execute(
                        sa.select(c.seq, c.answer, c.answered_at).where(mine).order_by(c.seq.desc()).limit(1)
                    ).first()
                    if latest is not None and latest.answer == answer:
                        return Recorded(False, Answer(version, answer, latest.answered_at, latest.seq))
                    if at is not None:
                        same = conn.execute(
                            sa.select(c.seq).where(mine, c.answer == answer, c.answered_at == when).limit(1)
                        ).first()
                        if same is not None:
                            return Recorded(False, Answer(version, answer, when, same.seq))
                    seq = (latest.seq if latest is not None else 0) + 1
                    conn.execute(
                        answers.insert().values(
                            document=document,
                            version=version,
                            user_key=user,
                            seq=seq,
                            answer=answer,
                            answered_at=when,
                            recorded_at=now,
                            source=source[:SOURCE_LIMIT],
                        )
                    )
                    return Recorded(True, Answer(version, answer, when, seq))
            except IntegrityError:
                continue  # another request took this number first: read again
        raise NotifyError("the answer could not be recorded: too many concurrent answers for this user")

    def latest(self, document: str, version: str, user: str) -> Answer | None:
        c = answers.c
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(c.version, c.answer, c.answered_at, c.seq)
                .where(c.document == document, c.version == version, c.user_key == user)
                .order_by(c.seq.desc())
                .limit(1)
            ).first()
        return None if row is None else Answer(row.version, row.answer, row.answered_at, row.seq)

    def of_user(self, document: str, user: str) -> list[Answer]:
        """Every answer of ``user`` to ``document``'s versions."""
        c = answers.c
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(c.version, c.answer, c.answered_at, c.id)
                .where(c.document == document, c.user_key == user)
                .order_by(c.id)
            ).all()
        return [Answer(r.version, r.answer, r.answered_at, r.id) for r in rows]

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(answers)).scalar_one())

    def all_answers(self, document: str | None = None) -> dict[tuple[str, str], list[Answer]]:
        """(document, user) -> answers: every answer, held in memory (one entry per
        answer, not per user, so `applies --all` stays flat in the number of users)."""
        c = answers.c
        q = sa.select(c.document, c.user_key, c.version, c.answer, c.answered_at, c.id)
        if document is not None:
            q = q.where(c.document == document)
        out: dict[tuple[str, str], list[Answer]] = {}
        with self.reading.connect() as conn:
            for r in conn.execution_options(stream_results=True, yield_per=5000).execute(q):
                out.setdefault((r.document, r.user_key), []).append(
                    Answer(r.version, r.answer, r.answered_at, r.id)
                )
        return out

    def known_users(self, document: str | None = None) -> Iterator[str]:
        """Every user the ledger knows, each once, in order: those notified (by id, else by
        the hash of their address) and those who answered."""
        mark = "%(document)s" if self.dialect == "postgresql" else ":document"
        where = f"WHERE document = {mark}" if document is not None else ""
        sql = (
            "SELECT DISTINCT recipient_id = '' AS anonymous, "
            "CASE WHEN recipient_id = '' THEN recipient ELSE recipient_id END AS who "
            f"FROM {notices.name} {where} ORDER BY 1, 2"
        )
        a = answers.c
        answered = sa.select(a.user_key).distinct()
        if document is not None:
            answered = answered.where(a.document == document)
        with self.reading.connect() as conn:
            extra = {r[0] for r in conn.execute(answered)}
        for anonymous, who in self._stream(sql, {"document": document} if document is not None else {}):
            key = user_key("", who) if anonymous else who
            if extra:
                extra.discard(key)
            yield key
        yield from sorted(extra)

    def _stream(self, sql: str, params: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
        """The rows of ``sql`` in blocks, straight from the driver: on PostgreSQL through a
        server-side cursor, so a million rows never sit in memory at once (measured: through
        SQLAlchemy's streaming of a text query, psycopg's rows piled up), and without
        SQLAlchemy's per-row work on either backend."""
        with self.reading.connect() as conn:
            raw: Any = conn.connection.dbapi_connection
            cursor = (
                raw.cursor(name="policy_answers_stream") if self.dialect == "postgresql" else raw.cursor()
            )
            try:
                cursor.execute(sql, params)
                while rows := cursor.fetchmany(10000):
                    yield from rows
            finally:
                cursor.close()

    def notified(self, document: str, version: str) -> Iterator[tuple[str, datetime | None]]:
        """(user, when their first notice of that version went out) for every recipient
        of that version, each once."""
        n = notices.c
        anonymous = n.recipient_id == ""
        who = sa.case((anonymous, n.recipient), else_=n.recipient_id)
        sent = sa.func.min(sa.case((n.status == SENT, n.sent_at), else_=None))
        q = (
            sa.select(anonymous.label("anonymous"), who.label("who"), sent.label("sent"))
            .where(n.document == document, n.version == version)
            .group_by(anonymous, who)
            .order_by(anonymous, who)
        )
        kind = UTCDateTime()
        with self.reading.connect() as conn:
            for r in conn.execution_options(stream_results=True, yield_per=5000).execute(q):
                when = kind.process_result_value(r.sent, self.engine.dialect)
                yield (user_key("", r.who) if r.anonymous else r.who), when

    def latest_per_user(self, document: str, version: str) -> dict[str, Answer]:
        """user -> their latest answer to that version."""
        c = answers.c
        out: dict[str, Answer] = {}
        with self.reading.connect() as conn:
            q = (
                sa.select(c.user_key, c.version, c.answer, c.answered_at, c.seq)
                .where(c.document == document, c.version == version)
                .order_by(c.user_key, c.seq)
            )
            for r in conn.execute(q):
                out[r.user_key] = Answer(r.version, r.answer, r.answered_at, r.seq)
        return out
