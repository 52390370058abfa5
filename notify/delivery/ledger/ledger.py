"""The delivery ledger: one row per (document, version, channel, recipient).

It is the proof of notice and the work queue of a campaign. A row goes
``pending`` -> ``sending`` (leased to one worker until ``lease_until``) ->
``sent`` | ``failed`` (permanent, 5xx) | ``deferred`` (temporary failure,
retried by the next run). A worker that dies leaves its rows ``sending``; they are
taken again once the lease expires (or at once, when the owner was a process on
this host that no longer exists), after its outcome journal
(:mod:`notify.delivery.ledger.journal`) has been folded in. So a crash duplicates at most the
messages that were in flight. Every attempt of a recorded outcome is also appended to the
attempt log (``policy_notice_attempts``), which is never updated.

SQLite (default, one file) claims rows in ``BEGIN IMMEDIATE`` transactions;
PostgreSQL with ``FOR UPDATE SKIP LOCKED``, so several workers on several machines
can share one campaign.
"""

from __future__ import annotations

import functools
import hashlib
import math
import os
import socket
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from notify.common.database import Database, LedgerMissing, present_columns
from notify.common.errors import NotifyError
from notify.common.redaction import redact
from notify.common.resources import default_url
from notify.common.schema import (
    DEFERRED,
    FAILED,
    PENDING,
    PERMANENT,
    SENDING,
    SENT,
    TEMPORARY,
    UTCDateTime,
    notice_attempts,
    notices,
    runs,
    texts,
)
from notify.contract.revision import Revision
from notify.delivery.recipients.routing import destination
from notify.delivery.recipients.sources import ID_KEY, Recipient

__all__ = ["DEFERRED", "FAILED", "PENDING", "SENDING", "SENT", "Ledger", "LedgerMissing", "default_url"]

# A row given back to the queue: pending again, leased to no one.
_REQUEUED = {"status": PENDING, "lease_owner": None, "lease_until": None}
# The kind of an outcome's last attempt, by the status it leaves the notice in.
_LAST_KIND = {SENT: SENT, FAILED: PERMANENT, DEFERRED: TEMPORARY}
REPLY_LIMIT = 1000  # characters of a reply kept in the ledger


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    email: str  # where the notice goes: the address, or on the sms channel the E.164 number
    name: str
    locale: str
    recipient: str
    recipient_id: str
    message_id: str
    source: str = ""  # where the recipient came from ("users.csv line 12 (id 42)"), for messages


@dataclass(frozen=True, slots=True)
class Outcome:
    id: int
    status: str  # SENT, FAILED or DEFERRED
    reply: str
    attempts: int
    first_attempt: float  # epoch seconds
    finished: float  # when the last attempt ended (epoch seconds)
    # (when it ended, reply) of each attempt before the last, all temporary failures
    earlier: tuple[tuple[float, str], ...] = ()
    provider_id: str = ""  # the provider's id of the message it accepted ("" when none)


@dataclass(frozen=True)
class Campaign:
    document: str
    version: str
    channel: str
    sha256: str
    # (language, sha256) of the revision's text in each language it is written in
    # (`Revision.texts`); () when not known (the enqueuer's child needs none)
    texts: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, revision: Revision, channel: str) -> Campaign:
        announced = tuple(sorted(revision.texts().items()))
        return cls(revision.document, revision.version, channel, revision.sha256, announced)

    def where(self) -> sa.ColumnElement[bool]:
        c = notices.c
        return sa.and_(c.document == self.document, c.version == self.version, c.channel == self.channel)


def journal_place(url: str, policy_dir: Path) -> tuple[Path, str]:
    """Where the outcome journal of the ledger at ``url`` lives, and the key that ties a
    journal to that ledger: beside a SQLite file (``ledger.sqlite3.outcomes/``), else in
    ``policy_dir/outcomes/`` (one folder per database)."""
    try:
        parsed = sa.engine.make_url(url)
    except Exception:
        return policy_dir / "outcomes" / "unknown", url
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        path = Path(parsed.database)
        return path.with_name(path.name + ".outcomes"), "sqlite"
    key = f"{parsed.get_backend_name()}://{parsed.host or ''}:{parsed.port or ''}/{parsed.database or ''}"
    return policy_dir / "outcomes" / hashlib.sha256(key.encode()).hexdigest()[:16], key


class Ledger(Database):
    """The delivery ledger at ``url`` (see :class:`notify.common.database.Database` for
    ``readonly``)."""

    # -- campaign set-up ------------------------------------------------------------

    def check_revision(self, campaign: Campaign) -> None:
        """Refuse when this version was already notified with different text."""
        c = notices.c
        with self.engine.begin() as conn:
            other = conn.execute(
                sa.select(c.sha256, sa.func.count())
                .where(
                    c.document == campaign.document,
                    c.version == campaign.version,
                    c.sha256 != campaign.sha256,
                )
                .group_by(c.sha256)
            ).first()
            changed = self._changed_texts(conn, campaign)
        if other is not None:
            raise NotifyError(
                f"ledger {redact(self.url)}: {other[1]} notices of {campaign.document} version {campaign.version} "
                f"were for text sha256 {other[0][:12]}…, but that version's text is now {campaign.sha256[:12]}…. "
                "A published version must not change: give the new text a new version number"
            )
        if changed:
            raise self._texts_changed(campaign, changed)

    def _changed_texts(self, conn: sa.Connection, campaign: Campaign) -> list[tuple[str, str, str]]:
        """(language, recorded sha256, sha256 now) of each of the campaign's texts that the
        ledger recorded for this version with other words."""
        t = texts.c
        recorded = dict(
            conn.execute(
                sa.select(t.language, t.sha256).where(
                    t.document == campaign.document, t.version == campaign.version
                )
            ).all()
        )
        return [
            (language, recorded[language], sha256)
            for language, sha256 in campaign.texts
            if language in recorded and recorded[language] != sha256
        ]

    def _texts_changed(self, campaign: Campaign, changed: list[tuple[str, str, str]]) -> NotifyError:
        described = "; ".join(
            f"{language or 'source language'}: announced {before[:12]}…, now {now[:12]}…"
            for language, before, now in changed
        )
        return NotifyError(
            f"ledger {redact(self.url)}: the text of {campaign.document} version {campaign.version} was "
            f"announced with other words than it has now ({described}). "
            "A published version must not change: give the new text a new version number"
        )

    def start_run(self, campaign: Campaign, run: str, late: bool) -> None:
        """Record the run, and the texts the campaign announces (each language's sha256,
        once per version: the first record stands), before its first message."""
        with self.engine.begin() as conn:
            if campaign.texts:
                now = datetime.now(UTC)
                rows = [
                    {
                        "document": campaign.document,
                        "version": campaign.version,
                        "language": language,
                        "sha256": sha256,
                        "recorded_at": now,
                    }
                    for language, sha256 in campaign.texts
                ]
                insert = (sqlite_insert if self.dialect == "sqlite" else postgresql_insert)(texts)
                conn.execute(insert.on_conflict_do_nothing(), rows)
                changed = self._changed_texts(conn, campaign)
                if changed:  # another worker recorded other words in the meantime
                    raise self._texts_changed(campaign, changed)
            conn.execute(
                runs.insert().values(
                    run=run,
                    document=campaign.document,
                    version=campaign.version,
                    channel=campaign.channel,
                    sha256=campaign.sha256,
                    host=socket.gethostname(),
                    pid=os.getpid(),
                    late=late,
                    started_at=datetime.now(UTC),
                )
            )

    def finish_run(self, run: str, outcome: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                runs.update().where(runs.c.run == run).values(finished_at=datetime.now(UTC), outcome=outcome)
            )

    def enqueue(
        self, campaign: Campaign, run: str, batch: Sequence[Recipient], message_id: Any
    ) -> tuple[int, list[Recipient]]:
        """Insert new recipients as pending; return (inserted, duplicates seen in this run).
        A recipient is a user (:func:`notify.delivery.recipients.sources.identity`): one row
        per id, or per address for users without one."""
        unique: dict[str, Recipient] = {}
        duplicates: list[Recipient] = []
        for r in batch:
            if r.key in unique:
                duplicates.append(r)
            else:
                unique[r.key] = r
        if not unique:
            return 0, duplicates
        stamp = self._stamp(datetime.now(UTC).timestamp())
        with self.engine.begin() as conn:
            for key, by_run in self._enqueued(conn, campaign, unique):
                r = unique.pop(key)
                if by_run == run:
                    duplicates.append(r)
            if unique:
                conn.exec_driver_sql(
                    self._insert_sql(),
                    [
                        (
                            campaign.document,
                            campaign.version,
                            campaign.channel,
                            r.key,
                            destination(campaign.channel, r),
                            r.name,
                            r.locale,
                            r.id,
                            r.ref,
                            campaign.sha256,
                            message_id(r.key),
                            PENDING,
                            0,
                            run,
                            stamp,
                        )
                        for r in unique.values()
                    ],
                )
        return len(unique), duplicates

    def _enqueued(
        self, conn: sa.Connection, campaign: Campaign, unique: dict[str, Recipient]
    ) -> list[tuple[str, str]]:
        """(key, run that enqueued it) of each of ``unique``'s recipients the campaign's
        ledger already holds: by their key, or, in a ledger written when every row was
        keyed by its address, by the row of that address that names their id."""
        c = notices.c
        found = [
            (key, by_run)
            for key, by_run in conn.execute(
                sa.select(c.recipient, c.run).where(campaign.where(), c.recipient.in_(list(unique)))
            )
        ]
        if not self._keyed_by_address(conn, campaign):
            return found
        seen = {key for key, _ in found}
        wanted = {
            (r.email.casefold(), r.id): r.key
            for r in unique.values()
            if r.id and r.email and r.key not in seen
        }
        if wanted:
            rows = conn.execute(
                sa.select(c.recipient, c.recipient_id, c.run).where(
                    campaign.where(),
                    c.recipient.in_({address for address, _ in wanted}),
                    c.recipient_id.in_({rid for _, rid in wanted}),
                )
            )
            for address, rid, by_run in rows:
                key = wanted.pop((address, rid), None)
                if key is not None:
                    found.append((key, by_run))
        return found

    def _keyed_by_address(self, conn: sa.Connection, campaign: Campaign) -> bool:
        """Whether the campaign has rows of users with an id keyed by their address (a
        ledger written before users were told apart by id); looked up once per campaign."""
        known: dict[Campaign, bool] = self.__dict__.setdefault("_keyed_by_address_of", {})
        if campaign not in known:
            c = notices.c
            row = conn.execute(
                sa.select(c.id)
                .where(campaign.where(), c.recipient_id != "", sa.not_(c.recipient.startswith(ID_KEY)))
                .limit(1)
            ).first()
            known[campaign] = row is not None
        return known[campaign]

    _COLUMNS = (
        "document",
        "version",
        "channel",
        "recipient",
        "email",
        "name",
        "locale",
        "recipient_id",
        "source",
        "sha256",
        "message_id",
        "status",
        "attempts",
        "run",
        "enqueued_at",
    )

    @property
    def _mark(self) -> str:
        """The driver's parameter placeholder (sqlite3: qmark, psycopg: format)."""
        return "?" if self.dialect == "sqlite" else "%s"

    def _insert_sql(self) -> str:
        """Plain driver-level INSERT for bulk enqueueing (executemany in C for sqlite3,
        pipelined by psycopg); rows already in the ledger are left alone."""
        mark = self._mark
        return (
            f"INSERT INTO {notices.name} ({', '.join(self._COLUMNS)}) VALUES ({', '.join([mark] * len(self._COLUMNS))}) "
            "ON CONFLICT (document, version, channel, recipient) DO NOTHING"
        )

    def retry_failed(self, campaign: Campaign) -> int:
        c = notices.c
        with self.engine.begin() as conn:
            return conn.execute(
                notices.update().where(campaign.where(), c.status == FAILED).values(_REQUEUED)
            ).rowcount

    def local_dead_owners(self, campaign: Campaign) -> list[str]:
        """Owners of ``sending`` rows that were processes of this host and no longer exist."""
        c = notices.c
        host = socket.gethostname()
        with self.engine.begin() as conn:
            owners = (
                conn.execute(sa.select(c.lease_owner).where(campaign.where(), c.status == SENDING).distinct())
                .scalars()
                .all()
            )
        return [o for o in owners if o and _dead_local_owner(o, host)]

    def release_owners(self, campaign: Campaign, owners: Sequence[str]) -> int:
        """Give the ``sending`` rows of these (dead) owners back to the queue. Fold their
        outcome journals first: what they delivered is then ``sent``, not ``sending``."""
        c = notices.c
        released = 0
        with self.engine.begin() as conn:
            for owner in owners:
                released += conn.execute(
                    notices.update()
                    .where(campaign.where(), c.status == SENDING, c.lease_owner == owner)
                    .values(_REQUEUED)
                ).rowcount
        return released

    # -- the work queue --------------------------------------------------------------

    def claim(
        self,
        campaign: Campaign,
        owner: str,
        limit: int,
        lease: float,
        *,
        kinds: Sequence[str] = (PENDING, SENDING, DEFERRED),
        deferred_before: datetime | None = None,
    ) -> list[Claimed]:
        """Lease up to ``limit`` rows to ``owner``, of the first of ``kinds`` that has any:
        ``pending`` rows; ``sending`` rows whose lease expired; ``deferred`` rows that
        another run deferred (before ``deferred_before``, so that two workers running
        at once do not hand a temporary failure back and forth). Each kind is an index
        range scan on (campaign, status), so a claim costs the same at row 10 and at row
        1,000,000."""
        now = time.time()
        params = {"owner": owner, "now": now, "until": now + lease, "limit": limit, "before": deferred_before}
        with self.engine.begin() as conn:
            for kind in kinds:
                stmt = self._claim_statement(campaign, kind, deferred_before is not None)
                rows = conn.execute(stmt, params).all()
                if rows:
                    return [Claimed(*row) for row in sorted(rows, key=itemgetter(0))]
        return []

    def _claim_statement(self, campaign: Campaign, kind: str, before: bool) -> sa.Update:
        """The claim of one kind of rows, its values bound at execution (owner, now,
        until, limit, before): built once per campaign and kind, since building and
        keying the statement cost more than running it."""
        statements: dict[tuple[Campaign, str, bool], sa.Update] = self.__dict__.setdefault("_claims", {})
        stmt = statements.get((campaign, kind, before))
        if stmt is not None:
            return stmt
        c = notices.c
        conditions = {
            PENDING: c.status == PENDING,
            SENDING: sa.and_(c.status == SENDING, c.lease_until < sa.bindparam("now")),
            DEFERRED: sa.and_(
                c.status == DEFERRED,
                sa.or_(c.lease_owner.is_(None), c.lease_owner != sa.bindparam("owner")),
                *([c.last_attempt_at < sa.bindparam("before")] if before else []),
            ),
        }
        sub = (
            sa.select(c.id)
            .where(campaign.where(), conditions[kind])
            .order_by(c.id)
            .limit(sa.bindparam("limit", type_=sa.Integer))
        )
        if self.dialect == "postgresql":
            sub = sub.with_for_update(skip_locked=True)
        stmt = (
            notices.update()
            .where(c.id.in_(sub.scalar_subquery()))
            .values(status=SENDING, lease_owner=sa.bindparam("owner"), lease_until=sa.bindparam("until"))
            .returning(c.id, c.email, c.name, c.locale, c.recipient, c.recipient_id, c.message_id, c.source)
        )
        statements[(campaign, kind, before)] = stmt
        return stmt

    def renew(self, owner: str, lease: float) -> set[int]:
        """Extend the lease of every row ``owner`` still holds; return their ids. A row
        missing from the answer was taken by another worker (after our lease expired):
        it must not be sent by us any more."""
        c = notices.c
        with self.engine.begin() as conn:
            return set(
                conn.execute(
                    notices.update()
                    .where(c.lease_owner == owner, c.status == SENDING)
                    .values(lease_until=time.time() + lease)
                    .returning(c.id)
                )
                .scalars()
                .all()
            )

    def others_sending(self, campaign: Campaign, owner: str) -> int:
        """Rows of the campaign that other workers hold right now (their lease may have expired)."""
        c = notices.c
        with self.engine.begin() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count()).where(
                        campaign.where(),
                        c.status == SENDING,
                        sa.or_(c.lease_owner.is_(None), c.lease_owner != owner),
                    )
                ).scalar_one()
            )

    def expired_leases(self, campaign: Campaign) -> int:
        """Rows of the campaign whose lease ran out while they were being sent."""
        c = notices.c
        with self.engine.begin() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count()).where(
                        campaign.where(), c.status == SENDING, c.lease_until < time.time()
                    )
                ).scalar_one()
            )

    def record(self, outcomes: Sequence[Outcome], owner: str | None = None) -> None:
        """Write a batch of delivery outcomes in one transaction (driver-level executemany).

        A delivery is a fact whoever holds the row now: ``sent`` is written unless the
        row is already ``sent``. A failure is only written while ``owner`` (when given)
        still holds the row: once another worker took it over, its outcome is the one
        that counts.

        Each attempt of an outcome written is appended to the attempt log
        (``policy_notice_attempts``) in the same transaction and under the same
        conditions, before the notice's count grows: an outcome recorded twice (a
        journal folded in after its run had committed it) is logged once.
        """
        if not outcomes:
            return
        sent: list[tuple[Any, ...]] = []
        other: list[tuple[Any, ...]] = []
        sent_log: list[tuple[Any, ...]] = []
        other_log: list[tuple[Any, ...]] = []
        for o in outcomes:
            params, log = self._outcome_params(o)
            if o.status == SENT:
                sent.append(params)
                sent_log.extend(log)
            elif owner is None:
                other.append(params)
                other_log.extend(log)
            else:
                other.append((*params, owner))
                other_log.extend((*row, owner) for row in log)
        update, fenced = self._record_sql(), owner is not None
        with self.engine.begin() as conn:
            if sent_log:
                conn.exec_driver_sql(self._log_sql(fenced=False), sent_log)
            if other_log:
                conn.exec_driver_sql(self._log_sql(fenced=fenced), other_log)
            if sent:
                conn.exec_driver_sql(update, sent)
            if other:
                conn.exec_driver_sql(self._fenced(update) if fenced else update, other)

    def _outcome_params(self, o: Outcome) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
        """The notice's update of one outcome, and its rows of the attempt log (at, kind,
        reply, notice id): its earlier temporary failures, then its last attempt; none when
        it made no attempt. Each instant is turned into the driver's value once."""
        stamp = self._stamp
        last = stamp(o.finished)
        reply = o.reply[:REPLY_LIMIT]
        update = (
            o.status,
            reply,
            o.attempts,
            stamp(o.first_attempt),
            last,
            last if o.status == SENT else None,
            o.provider_id or None,
            o.id,
        )
        if o.attempts < 1:
            return update, []
        log = [(stamp(at), TEMPORARY, text[:REPLY_LIMIT], o.id) for at, text in o.earlier]
        log.append((last, _LAST_KIND[o.status], reply, o.id))
        return update, log

    def _record_sql(self) -> str:
        mark = self._mark
        return (
            f"UPDATE {notices.name} SET status = {mark}, last_reply = {mark}, attempts = attempts + {mark}, "
            f"first_attempt_at = COALESCE(first_attempt_at, {mark}), last_attempt_at = {mark}, sent_at = {mark}, "
            f"provider_id = COALESCE({mark}, provider_id), lease_until = NULL WHERE id = {mark} AND status <> '{SENT}'"
        )

    def _fenced(self, sql: str) -> str:
        """Only while the owner (the statement's last parameter) still holds the row."""
        return f"{sql} AND status = '{SENDING}' AND lease_owner = {self._mark}"

    def _log_sql(self, fenced: bool) -> str:
        """Append one attempt, numbered after the notice's last logged attempt (or, for a
        notice attempted before the log existed, after its ``attempts``), where the
        notice's update will apply. On PostgreSQL the notice row is locked from here to
        the commit, so that two workers recording the same row log it once."""
        mark, log = self._mark, notice_attempts.name
        sql = (
            f"INSERT INTO {log} (notice_id, attempt, at, kind, reply) "
            f"SELECT n.id, COALESCE((SELECT MAX(a.attempt) FROM {log} AS a WHERE a.notice_id = n.id), "
            f"n.attempts) + 1, {mark}, {mark}, {mark} FROM {notices.name} AS n "
            f"WHERE n.id = {mark} AND n.status <> '{SENT}'"
        )
        if fenced:
            sql += f" AND n.status = '{SENDING}' AND n.lease_owner = {mark}"
        if self.dialect == "postgresql":
            sql += " FOR UPDATE OF n"
        return sql

    def _stamp(self, epoch: float) -> Any:
        """A UTC instant as the driver stores it (what ``UTCDateTime`` would bind)."""
        if self.dialect == "sqlite":
            return sqlite_stamp(epoch)
        return datetime.fromtimestamp(epoch, UTC)

    def release(self, owner: str, ids: Iterable[int] | None = None) -> int:
        """Give rows this worker holds but did not attempt back to the queue."""
        c = notices.c
        cond = sa.and_(c.lease_owner == owner, c.status == SENDING)
        with self.engine.begin() as conn:
            if ids is None:
                return conn.execute(notices.update().where(cond).values(_REQUEUED)).rowcount
            total = 0
            id_list = list(ids)
            for i in range(0, len(id_list), 500):
                total += conn.execute(
                    notices.update().where(cond, c.id.in_(id_list[i : i + 500])).values(_REQUEUED)
                ).rowcount
            return total

    # -- reading -----------------------------------------------------------------------

    def counts(self, campaign: Campaign) -> dict[str, int]:
        c = notices.c
        with self.engine.begin() as conn:
            rows = conn.execute(
                sa.select(c.status, sa.func.count()).where(campaign.where()).group_by(c.status)
            ).all()
        out = {s: 0 for s in (PENDING, SENDING, SENT, FAILED, DEFERRED)}
        out.update({status: n for status, n in rows})
        return out

    def rows(
        self, campaign: Campaign, statuses: Sequence[str] | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        c = notices.c
        with self.engine.begin() as conn:
            columns = present_columns(conn, notices)
        q = sa.select(*columns).where(campaign.where())
        if statuses:
            q = q.where(c.status.in_(list(statuses)))
        q = q.order_by(c.id)
        if limit is not None:
            q = q.limit(limit)
        with self.engine.begin() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    def iter_rows(self, document: str | None = None, version: str | None = None) -> Iterator[dict[str, Any]]:
        c = notices.c
        with self.engine.connect() as conn:
            q = sa.select(*present_columns(conn, notices))
            if document is not None:
                q = q.where(c.document == document)
            if version is not None:
                q = q.where(c.version == version)
            q = q.order_by(c.document, c.version, c.channel, c.id)
            for r in conn.execution_options(stream_results=True, yield_per=2000).execute(q):
                yield dict(r._mapping)

    def iter_attempts(
        self, document: str | None = None, version: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every logged attempt (of one revision, or all), with its notice's document,
        version, channel, recipient and Message-ID, in the order of ``iter_rows`` and then
        of the attempts. A ledger written before the attempt log has none."""
        c, a = notices.c, notice_attempts.c
        q = sa.select(
            c.document,
            c.version,
            c.channel,
            c.recipient_id,
            c.email,
            c.message_id,
            a.attempt,
            a.at,
            a.kind,
            a.reply,
        ).join_from(notice_attempts, notices, a.notice_id == c.id)
        if document is not None:
            q = q.where(c.document == document)
        if version is not None:
            q = q.where(c.version == version)
        q = q.order_by(c.document, c.version, c.channel, c.id, a.attempt, a.id)
        with self.engine.connect() as conn:
            if notice_attempts.name not in sa.inspect(conn).get_table_names():
                return
            for r in conn.execution_options(stream_results=True, yield_per=2000).execute(q):
                yield dict(r._mapping)


def sqlite_stamp(epoch: float) -> str:
    """``datetime.fromtimestamp(epoch, UTC)`` as SQLite stores it, naive
    (``YYYY-MM-DD HH:MM:SS.ffffff``), in a fifth of the time: two of them per outcome.

    The microseconds are rounded as ``fromtimestamp`` rounds them (the fraction of
    ``math.modf`` times 10**6, half to even, a carry into the next second), and the
    date and time of the whole second are ``fromtimestamp``'s own, kept for the
    seconds seen last."""
    fraction, whole = math.modf(epoch)
    micro = round(fraction * 1e6)
    second = int(whole)
    if micro >= 1_000_000:
        micro -= 1_000_000
        second += 1
    elif micro < 0:
        micro += 1_000_000
        second -= 1
    return f"{_whole_second(second)}.{micro:06d}"


@functools.lru_cache(maxsize=64)
def _whole_second(second: int) -> str:
    return datetime.fromtimestamp(second, UTC).isoformat(" ", "seconds")[:-6]


def _dead_local_owner(owner: str, host: str) -> bool:
    """Whether ``owner`` ("host:pid:run") was a process of this host that has exited
    (a zombie waiting for its parent has exited too: it holds no row any more)."""
    parts = owner.rsplit(":", 2)
    if len(parts) != 3 or parts[0] != host:
        return False
    try:
        pid = int(parts[1])
    except ValueError:
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] == ["Z"]


def notified_versions(ledger_url: str) -> dict[str, dict[str, datetime]]:
    """document -> version -> when the first notice of that revision went out (any
    channel), UTC: every revision the ledger holds evidence of."""
    try:
        ledger = Ledger(ledger_url, readonly=True)
    except LedgerMissing:
        return {}  # no ledger yet: nobody was notified through it
    try:
        c = notices.c
        with ledger.engine.begin() as conn:
            rows = conn.execute(
                sa.select(c.document, c.version, sa.func.min(c.sent_at))
                .where(c.status == SENT)
                .group_by(c.document, c.version)
            ).all()
        out: dict[str, dict[str, datetime]] = {}
        for document, version, when in rows:
            if when is not None:
                when = UTCDateTime().process_result_value(when, ledger.engine.dialect)
                assert when is not None
                out.setdefault(document, {})[version] = when
        return out
    finally:
        ledger.close()


def announced_texts(ledger_url: str) -> dict[str, dict[str, dict[str, str]]]:
    """document -> version -> language -> sha256 of the text announced in that language,
    for every revision of which at least one notice was sent (any channel): the words the
    ledger is proof of notice for. A revision notified before the ledger recorded texts
    per language has its source text's, from its sent notices, under the language ``""``
    (the source language, whichever it is). No ledger: {}."""
    try:
        ledger = Ledger(ledger_url, readonly=True)
    except LedgerMissing:
        return {}
    try:
        c, t = notices.c, texts.c
        with ledger.engine.begin() as conn:
            sent = conn.execute(
                sa.select(c.document, c.version, c.sha256, sa.func.min(c.sent_at).label("first"))
                .where(c.status == SENT)
                .group_by(c.document, c.version, c.sha256)
                .order_by(c.document, c.version, sa.desc("first"))
            ).all()
            recorded: Sequence[Any] = ()
            if texts.name in sa.inspect(conn).get_table_names():
                recorded = conn.execute(sa.select(t.document, t.version, t.language, t.sha256)).all()
        by_language: dict[tuple[str, str], dict[str, str]] = {}
        for document, version, language, sha256 in recorded:
            by_language.setdefault((document, version), {})[language] = sha256
        out: dict[str, dict[str, dict[str, str]]] = {}
        for document, version, sha256, _first in sent:  # the earliest text of a version last
            announced = by_language.get((document, version)) or {"": sha256}
            out.setdefault(document, {})[version] = announced
        return out
    finally:
        ledger.close()


def first_notice_times(ledger_url: str, document: str) -> dict[str, datetime]:
    """version -> when the first notice of that revision went out (any channel), UTC."""
    return notified_versions(ledger_url).get(document, {})
