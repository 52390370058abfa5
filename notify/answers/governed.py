"""The redline each recipient of a notice is sent: from the version that governs them.

A notice compares the revision with the version in force (a late one, with the version
before it): what a user who never answered agreed to by using the services. A user who
objected to an earlier revision is still governed by the version before that one
(:mod:`notify.answers.rule`), and "what changed" for them is the redline from that version.
The revision names the site's redline from each earlier version
(:attr:`notify.revision.Revision.earlier`); this module picks the one for each recipient.

At send time: the rows a worker claims from the ledger are looked up here, on the
ledger's thread, before any of them is sent (:meth:`RecipientRedlines.prepare`, one query
per claimed batch, for the answers of those users only), with the answers the ledger
holds then; the composer reads the choice per message (:meth:`RecipientRedlines.since`).
Only recipients whose governing version differs from the one the notice is compared with
are remembered, so memory grows with the objectors, not with the campaign.

A recipient whose answers this revision cannot place (an answer to a version after it:
a late notice of a revision since superseded) is sent the ordinary redline; so is one
without an id when the key of the users' ids (`notify.common.secrets.address_key`) is not
set: without it their answers cannot be found.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Protocol

import sqlalchemy as sa

from notify.answers.rule import OBJECT, Answer, DocumentFacts, VersionFacts, governing_version
from notify.common.errors import NotifyError
from notify.common.schema import answers as answers_table
from notify.common.tokens import UserKeys, user_keys
from notify.contract.revision import Revision


class Addressed(Protocol):
    """A recipient as a claimed ledger row names them."""

    @property
    def recipient_id(self) -> str: ...

    @property
    def email(self) -> str: ...


CHUNK = 500  # user keys per query (well under every database's limit on parameters)


def facts_of(revision: Revision) -> DocumentFacts:
    """The document as far as the revision: its earlier versions and itself, each with
    when it took effect (what the governing rule needs)."""
    versions = tuple(VersionFacts(e.version, e.effective) for e in revision.earlier)
    return DocumentFacts(
        revision.document,
        revision.title,
        versions + (VersionFacts(revision.version, revision.effective, revision.published),),
    )


class RecipientRedlines:
    """Per recipient, the earlier version whose redline to the revision they are sent
    ("" for the notice's own redline)."""

    def __init__(self, revision: Revision, engine: sa.Engine, at: datetime | None = None) -> None:
        self.revision = revision
        self.engine = engine
        self.at = at
        """The instant the governing rule is applied at: None for the moment each batch
        is claimed (a campaign run as of another instant, `--as-of`, gives it)."""
        self.facts = facts_of(revision)
        # The versions whose redline to the revision differs from the notice's own.
        self.own = {
            e.version for e in revision.earlier if e.changes_url and e.changes_url != revision.changes_url
        }
        self._since: dict[str, str] = {}
        self._table = False
        self._keys: UserKeys | None = None
        try:
            self._keys = user_keys()
        except NotifyError:
            pass  # only users with an id can be looked up

    @property
    def useful(self) -> bool:
        """Whether any recipient can be sent another redline than the notice's."""
        return bool(self.own)

    def prepare(self, rows: Iterable[Addressed]) -> None:
        """Look up the governing version of the recipients of ``rows`` (on the ledger's
        thread, before they are sent)."""
        if not self.own:
            return
        keys = list(dict.fromkeys(k for r in rows if (k := self._key(r.recipient_id, r.email))))
        for key in keys:
            self._since.pop(key, None)
        if not keys or not self._has_table():
            return
        at = self.at or datetime.now(UTC)
        for key, given in self._answers(keys).items():
            if not any(a.answer == OBJECT for a in given):
                continue  # no objection: the version in force governs, the ordinary redline
            if any(self.facts.index(a.version) is None for a in given):
                continue  # an answer this revision cannot place: the ordinary redline
            version = governing_version(self.facts, given, at)
            if version in self.own:
                self._since[key] = version

    def since(self, recipient_id: str, email: str) -> str:
        """The earlier version whose redline this recipient is sent, "" for the notice's."""
        if not self._since:
            return ""
        return self._since.get(self._key(recipient_id, email), "")

    def _key(self, recipient_id: str, email: str) -> str:
        """The id answers name the recipient by; "" when it cannot be known (no key)."""
        if recipient_id or self._keys is None:
            return recipient_id
        return self._keys(recipient_id, email)

    def _has_table(self) -> bool:
        if not self._table:
            self._table = sa.inspect(self.engine).has_table(answers_table.name)
        return self._table

    def _answers(self, keys: list[str]) -> dict[str, list[Answer]]:
        c = answers_table.c
        found: dict[str, list[Answer]] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(keys), CHUNK):
                rows = conn.execute(
                    sa.select(c.user_key, c.version, c.answer, c.answered_at, c.id).where(
                        c.document == self.revision.document, c.user_key.in_(keys[start : start + CHUNK])
                    )
                )
                for r in rows:
                    found.setdefault(r.user_key, []).append(Answer(r.version, r.answer, r.answered_at, r.id))
        return found
