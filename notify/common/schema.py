"""The tables of the one database that notices and answers share, and their types.

The delivery ledger (:mod:`notify.delivery.ledger`) writes the notices, their attempts,
the campaigns' runs and the texts they announced; the answer store
(:mod:`notify.answers.store`) writes the users' answers and reads who was notified. Both
read the other's tables through the definitions here, so neither imports the other. Each
side creates only its own tables (``ledger_metadata``, ``answers_metadata``).
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from notify.common.tokens import USER_LIMIT

# A notice's state: pending -> sending (leased) -> sent | failed | deferred.
PENDING, SENDING, SENT, FAILED, DEFERRED = "pending", "sending", "sent", "failed", "deferred"
# What one delivery attempt came to (the channels' `Attempt.kind`): delivered, a temporary
# failure (retried), a permanent one.
TEMPORARY, PERMANENT = "temporary", "permanent"
ATTEMPT_KINDS = (SENT, TEMPORARY, PERMANENT)
SOURCE_LIMIT = 40  # characters of where an answer came from


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

ledger_metadata = sa.MetaData()
answers_metadata = sa.MetaData()


notices = sa.Table(
    "policy_notices",
    ledger_metadata,
    sa.Column("id", ID, primary_key=True, autoincrement=True),
    sa.Column("document", sa.String(200), nullable=False),
    sa.Column("version", sa.String(100), nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column(
        "recipient", sa.String(320), nullable=False
    ),  # who: "id:<id>", the case-folded address, or the number
    sa.Column(
        "email", sa.String(320), nullable=False
    ),  # where to: the address, or (channel sms) the E.164 number
    sa.Column("name", sa.Text, nullable=False, default=""),
    sa.Column("locale", sa.String(40), nullable=False, default=""),
    sa.Column("recipient_id", sa.Text, nullable=False, default=""),
    sa.Column("source", sa.Text, nullable=False, default=""),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("message_id", sa.String(200), nullable=False),
    sa.Column("status", sa.String(10), nullable=False, default=PENDING),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("last_reply", sa.Text, nullable=True),
    sa.Column("lease_owner", sa.String(200), nullable=True),
    sa.Column("lease_until", sa.Float, nullable=True),
    sa.Column("run", sa.String(64), nullable=False),
    sa.Column("enqueued_at", UTCDateTime, nullable=False),
    sa.Column("first_attempt_at", UTCDateTime, nullable=True),
    sa.Column("last_attempt_at", UTCDateTime, nullable=True),
    sa.Column("sent_at", UTCDateTime, nullable=True),
    # The provider's id of the message it accepted (an SMS provider's); added to older
    # ledgers when they are next opened for writing (`Database`), absent from them before.
    sa.Column("provider_id", sa.String(200), nullable=True),
    sa.UniqueConstraint("document", "version", "channel", "recipient", name="uq_policy_notice"),
    sa.Index("ix_policy_notice_queue", "document", "version", "channel", "status", "id"),
)

runs = sa.Table(
    "policy_notice_runs",
    ledger_metadata,
    sa.Column("run", sa.String(64), primary_key=True),
    sa.Column("document", sa.String(200), nullable=False),
    sa.Column("version", sa.String(100), nullable=False),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("host", sa.String(200), nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("late", sa.Boolean, nullable=False, default=False),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("finished_at", UTCDateTime, nullable=True),
    sa.Column("outcome", sa.Text, nullable=True),
)

# The words each revision announced: the sha256 of its text in every language it was
# written in, recorded when a campaign starts (before its first message), so that
# `policyctl check --ledger` can tell a notified text that was rewritten afterwards. A
# ledger from before this table gets it on its next notify; until then the readers fall
# back on the source text's sha256 of each notice.
texts = sa.Table(
    "policy_notice_texts",
    ledger_metadata,
    sa.Column("document", sa.String(200), primary_key=True),
    sa.Column("version", sa.String(100), primary_key=True),
    sa.Column("language", sa.String(40), primary_key=True),  # "": the source language, not named
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
)

# Every delivery attempt, appended in the transaction that records its notice's outcome
# (`Ledger.record`), never updated: the notice row keeps only the count and the last
# reply. `attempt` counts the notice's attempts across runs (a notice attempted before
# this table existed goes on from its `attempts`); `at` is when the attempt's answer came
# (or it gave up); `kind` is one of ATTEMPT_KINDS; `reply` is the server's answer, cut to
# 1000 characters. A ledger from before this table gets it when it is next opened for
# writing. No foreign key: the notices are never deleted, and a key would cost a lookup
# per attempt on PostgreSQL.
notice_attempts = sa.Table(
    "policy_notice_attempts",
    ledger_metadata,
    sa.Column("id", ID, primary_key=True, autoincrement=True),
    sa.Column("notice_id", ID, nullable=False),  # policy_notices.id
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("reply", sa.Text, nullable=False),
    sa.Index("ix_policy_notice_attempts_notice", "notice_id", "attempt"),
)

# The short personal links of text messages (:mod:`notify.common.shortlinks`): a code of
# base-62 characters -> the signed token it stands for, with the revision it answers.
# The campaign writes a row per link it sends (a run again adds nothing: the code is
# derived from the token); the answer service reads it. A ledger from before this table
# gets it when it is next opened for writing.
short_links = sa.Table(
    "policy_short_links",
    ledger_metadata,
    sa.Column("code", sa.String(16), primary_key=True),
    sa.Column("token", sa.Text, nullable=False),
    sa.Column("document", sa.String(200)),
    sa.Column("version", sa.String(100)),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

answers = sa.Table(
    "policy_answers",
    answers_metadata,
    sa.Column("id", ID, primary_key=True, autoincrement=True),
    sa.Column("document", sa.String(200), nullable=False),
    sa.Column("version", sa.String(100), nullable=False),
    sa.Column("user_key", sa.String(USER_LIMIT), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("answer", sa.String(10), nullable=False),
    sa.Column("answered_at", UTCDateTime, nullable=False),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
    sa.Column("source", sa.String(SOURCE_LIMIT), nullable=False),  # "page", "api", "record", "import"
    sa.UniqueConstraint("document", "version", "user_key", "seq", name="uq_policy_answer"),
    sa.Index("ix_policy_answer_user", "user_key", "document"),
)
