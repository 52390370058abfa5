"""Users' answers to revisions, kept in the ledger's database beside the notices.

One row per answer given: nothing is ever updated or deleted, so the ledger shows every
answer with its time. A user's answers to one (document, version) are numbered
(``seq``) with a unique constraint: two requests that race to record the same answer
both try the same number, one of them wins, the other reads the winner's answer and
records nothing. So a repeated answer (a double click, a resent form, a retried API
call) is one record on SQLite and on PostgreSQL alike; a changed answer is a new record,
the earlier one kept.

Which answer counts last is the rule's (:func:`notify.answers.rule.latest`: by when it was
given, then as recorded, the row's id): every reader here hands the rule the row's id as
``Answer.seq`` and leaves the ordering to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from notify.answers.rule import ANSWERS, Answer, answer_order, latest
from notify.common.database import ANSWERS_LOCK, Database
from notify.common.errors import NotifyError
from notify.common.redaction import redact
from notify.common.schema import SENT, SOURCE_LIMIT, UTCDateTime, answers, answers_metadata, notices
from notify.common.tokens import USER_LIMIT, UserKeys, user_keys


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
        self._keys: UserKeys | None = None
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
        now: datetime | None = None,
        source: str,
    ) -> Recorded:
        """Record ``user``'s ``answer`` unless it changes nothing: the answer that counts
        last at its instant is already this one to this version, or this very answer was
        given at that instant (an import run twice records nothing the second time).

        ``at``: when an answer given earlier was given. Without it the answer is given now:
        at ``now``, the recorder's clock (the answer service's runs from its --as-of), else
        this machine's."""
        if answer not in ANSWERS:
            raise NotifyError(f"answer {answer!r}: use accept or object")
        if not user or len(user) > USER_LIMIT:
            raise NotifyError(f"user id must be 1 to {USER_LIMIT} characters")
        recorded_at = datetime.now(UTC)
        when = at if at is not None else (now or recorded_at)
        if when.tzinfo is None:
            raise NotifyError("the answer's time needs a time zone")
        for _ in range(20):
            try:
                with self.engine.begin() as conn:
                    return self._record(
                        conn, document, version, user, answer, when, at is None, recorded_at, source
                    )
            except IntegrityError:
                continue  # another request took this number first: read again
        raise NotifyError("the answer could not be recorded: too many concurrent answers for this user")

    def _record(
        self,
        conn: sa.Connection,
        document: str,
        version: str,
        user: str,
        answer: str,
        when: datetime,
        live: bool,
        recorded_at: datetime,
        source: str,
    ) -> Recorded:
        """`record`'s work in one transaction. A live answer (given now) is compared with the
        answer that counts last of all: one racing it, recorded a moment before and so
        stamped a moment after it, is the same answer."""
        c = answers.c
        rows = conn.execute(
            sa.select(c.id, c.version, c.seq, c.answer, c.answered_at).where(
                c.document == document, c.user_key == user
            )
        ).all()
        given = [Answer(r.version, r.answer, r.answered_at, r.id) for r in rows]
        before = latest(given, until=None if live else when)
        if before is not None and (before.version, before.answer) == (version, answer):
            return Recorded(False, before)
        same = [a for a in given if (a.version, a.answer, a.at) == (version, answer, when)]
        if same:
            return Recorded(False, same[0])
        seq = max((r.seq for r in rows if r.version == version), default=0) + 1
        inserted = conn.execute(
            answers.insert().values(
                document=document,
                version=version,
                user_key=user,
                seq=seq,
                answer=answer,
                answered_at=when,
                recorded_at=recorded_at,
                source=source[:SOURCE_LIMIT],
            )
        )
        key = inserted.inserted_primary_key
        assert key is not None
        return Recorded(True, Answer(version, answer, when, int(key[0])))

    def latest(self, document: str, version: str, user: str) -> Answer | None:
        """The user's answer to that version: the one that counts last (the rule's)."""
        return latest(self.of_user(document, user), version=version)

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
        the keyed hash of their address) and those who answered."""
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
            key = self._address_key(who) if anonymous else who
            if extra:
                extra.discard(key)
            yield key
        yield from sorted(extra)

    def _address_key(self, address: str) -> str:
        """The id of a user the ledger knows by address only (the keyed hash, `UserKeys`):
        the key is read when the first such user is met."""
        if self._keys is None:
            self._keys = user_keys()
        return self._keys("", address)

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
                yield (self._address_key(r.who) if r.anonymous else r.who), when

    def latest_per_user(self, document: str, version: str) -> dict[str, Answer]:
        """user -> their answer to that version: the one that counts last (the rule's order)."""
        c = answers.c
        out: dict[str, Answer] = {}
        with self.reading.connect() as conn:
            q = sa.select(c.user_key, c.version, c.answer, c.answered_at, c.id).where(
                c.document == document, c.version == version
            )
            for r in conn.execution_options(stream_results=True, yield_per=5000).execute(q):
                answer = Answer(r.version, r.answer, r.answered_at, r.id)
                held = out.get(r.user_key)
                if held is None or answer_order(answer) > answer_order(held):
                    out[r.user_key] = answer
        return out
