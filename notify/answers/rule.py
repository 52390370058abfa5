"""Which version of a document governs a user's data at an instant: the pure rule.

Section IX of the policy: continued use of the services is agreement to a revision; a
user who does not agree may stop using them, and their data is then processed under
the original policy. So, for one user and one document at instant T:

- No answer: the version in force at T (continued use is agreement).
- An objection to version V recorded at t stands from t until the user accepts V or a
  later version (an acceptance recorded after the objection). While it stands, no
  version from V on governs that user: from max(t, V's effective instant) the version in
  force just before V governs, through later revisions too.
- Before V takes effect an objector is on the version in force anyway; the objection
  still shows under ``because``.
- Accepting W lifts every standing objection to W or an earlier version; from then on the
  ordinary rule applies again (so W governs from max(acceptance, W's effective instant),
  and a later revision from when it takes effect, unless objected to). Accepting a
  version older than the one objected to lifts nothing.

Answers count in the order they were given (their ``at``), answers given at the same
instant in the order they were recorded (:func:`answer_order`): an answer imported late
with an earlier ``at`` takes its place in that order, and a user's answer to a version is
their latest by that order (:func:`latest`). Every reader (`applies`, `answers report`,
the answer page, the API, the redline of the notices) reads answers by these two.

Answers given after T do not count at T, so any past state can be reproduced. Answers
to versions the history does not hold, or to a document's first version (there is no
earlier version to keep), are ignored here; the recorders refuse them
(:func:`answer_problem`, the one check of the page, the API, `record` and `import`).

No I/O, no clock: the command line, the ASGI application and the tests call
:func:`governing` with the facts.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from notify.common.tokens import USER_LIMIT
from notify.contract.revision import Translation, notice_language, translation_in

ACCEPT, OBJECT = "accept", "object"
ANSWERS = (ACCEPT, OBJECT)
CLOCK_TOLERANCE = timedelta(minutes=5)
"""How far after the recorder's clock an answer's time may lie (a shop's clock a few
seconds or minutes ahead); later is the future, refused."""


@dataclass(frozen=True)
class VersionFacts:
    """One version of a document as the answer page and the rule need it."""

    version: str
    effective: datetime
    """When it takes effect (timezone-aware, the operator's zone)."""
    published: datetime | None = None
    title: str = ""
    summary: str = ""
    core_sections: tuple[tuple[str, str], ...] = ()
    """(section id, title) of the core-rights sections it changes against the version before."""
    url: str = ""
    """Absolute URL of its full text."""
    changes_url: str = ""
    """Absolute URL of the redline from the version before it ("" for a first version)."""
    translations: tuple[Translation, ...] = ()
    """Its title, summary, changed sections and pages in each other language that carries it."""

    def in_language(self, language: str) -> VersionFacts:
        """The version as readers of ``language`` see it; itself when not translated into it."""
        t = translation_in(self.translations, language)
        if t is None:
            return self
        return _in_words_of(
            t, self, summary=t.summary, core_sections=t.core_sections, changes_url=t.changes_url
        )


@dataclass(frozen=True)
class DocumentFacts:
    """A policy document and its versions, oldest first (effective instants increase)."""

    id: str
    title: str
    versions: tuple[VersionFacts, ...]
    url: str = ""
    """Absolute URL of the document page (the version in force)."""
    translations: tuple[Translation, ...] = ()
    """Its title and document page in each other language (only `title` and `url` are set)."""
    _index: dict[str, int] = field(default_factory=dict, init=False, repr=False, compare=False)
    _never: set[int] = field(default_factory=set, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._index.update({v.version: i for i, v in enumerate(self.versions)})
        # A version that a later one replaced before it took effect (per-commit versions
        # of one day share an effective instant; the later one wins) governs nobody: the
        # rule of `generator.core.timeline` (`DocumentState.replaced_by`).
        earliest = None
        for i in range(len(self.versions) - 1, -1, -1):
            effective = self.versions[i].effective
            if earliest is not None and earliest <= effective:
                self._never.add(i)
            earliest = effective if earliest is None else min(earliest, effective)

    def index(self, version: str) -> int | None:
        return self._index.get(version)

    def in_language(self, language: str) -> DocumentFacts:
        """The document as readers of ``language`` see it (its title, page and versions in
        that language where it has them); the same versions, so the rule is unchanged."""
        t = translation_in(self.translations, language)
        if t is None:
            return self
        return _in_words_of(t, self, versions=tuple(v.in_language(language) for v in self.versions))

    def version(self, version: str) -> VersionFacts | None:
        i = self._index.get(version)
        return None if i is None else self.versions[i]

    def previous(self, version: str) -> VersionFacts | None:
        i = self._index.get(version)
        return self.versions[i - 1] if i else None

    def never_in_force(self, index: int) -> bool:
        """Whether the version at ``index`` was replaced before it took effect."""
        return index in self._never

    def in_force(self, at: datetime) -> int | None:
        """Index of the version in force at ``at`` (on a tie, the later one)."""
        found = None
        for i, v in enumerate(self.versions):
            if v.effective <= at:
                found = i
        return found


_Facts = TypeVar("_Facts", VersionFacts, DocumentFacts)


def _in_words_of(t: Translation, facts: _Facts, **fields: Any) -> _Facts:
    """``facts`` as the translation ``t`` words them: its title and page where it has
    them (else the source's), and ``fields``."""
    return replace(facts, title=t.title or facts.title, url=t.url or facts.url, **fields)


@dataclass(frozen=True)
class Catalogue:
    """Every document of the history: what the answer page and `applies` know of it."""

    documents: tuple[DocumentFacts, ...]
    languages: tuple[str, ...] = ()
    """The site's languages, the source language first; () when not known."""

    def document(self, doc_id: str) -> DocumentFacts | None:
        return next((d for d in self.documents if d.id == doc_id), None)

    def language_for(self, locale: str, version: VersionFacts | None = None) -> str:
        """The language of the page shown to a reader of ``locale`` (the rule of the notices,
        :func:`notify.revision.notice_language`); about ``version``, one it is written in."""
        return notice_language(locale, self.languages, self.written_in(version))

    def written_in(self, version: VersionFacts | None = None) -> tuple[str, ...]:
        """The site's languages ``version`` is written in (without one: all of them)."""
        if version is None:
            return self.languages
        return self.languages[:1] + tuple(t.language for t in version.translations)


@dataclass(frozen=True, slots=True)
class Answer:
    """A user's answer to one version of a document."""

    version: str
    answer: str  # ACCEPT or OBJECT
    at: datetime  # when it was given (timezone-aware)
    seq: int = 0  # order among answers given at the same instant: the order recorded (the row's id)


def answer_order(answer: Answer) -> tuple[datetime, int]:
    """The order answers count in: by when they were given, then as they were recorded."""
    return (answer.at, answer.seq)


def latest(
    answers: Iterable[Answer], version: str | None = None, until: datetime | None = None
) -> Answer | None:
    """The answer that counts last among ``answers`` (to ``version`` only, given ``until``
    or before only, when named): the user's answer."""
    chosen = [
        a for a in answers if (version is None or a.version == version) and (until is None or a.at <= until)
    ]
    return max(chosen, key=answer_order, default=None)


@dataclass(frozen=True)
class Governing:
    """Which version governs the user's data at an instant, since when, and why."""

    document: str
    user: str
    version: str | None
    """None before the document's first version takes effect."""
    since: datetime | None
    """Since when that version has governed this user without a break."""
    because: Answer | None
    """The answer that explains it: a standing objection (even before the version it
    objects to takes effect), else the user's latest answer; None when the user never
    answered (continued use)."""


def answer_problem(
    catalogue: Catalogue, document: str, version: str, user: str, answer: str, at: datetime, now: datetime
) -> tuple[str, str] | None:
    """Why an answer given at ``at`` cannot be recorded at ``now``, as (what is wrong:
    "document" or "answer", the message), or None. The one check of the page, the API,
    `record` and `import`: a known, published version other than a document's first, given
    after it was published and not in the future (:data:`CLOCK_TOLERANCE`), by a user id
    of 1 to ``USER_LIMIT`` printable characters."""
    facts = catalogue.document(document)
    if facts is None:
        known = ", ".join(d.id for d in catalogue.documents)
        return "document", f"no document {document!r} (known: {known})"
    index = facts.index(version)
    if index is None:
        return "answer", f"{document} has no version {version!r}"
    if index == 0:
        return "answer", f"{version} is the first version of {document}: there is no earlier version to keep"
    published = facts.versions[index].published
    if published is not None and published > now:
        return "answer", f"{document} {version} is not published yet"
    if answer not in ANSWERS:
        return "answer", f"answer {answer!r}: use accept or object"
    problem = user_problem(user) or _time_problem(at, now, published)
    return None if problem is None else ("answer", problem)


def user_problem(user: str) -> str | None:
    """Why ``user`` cannot name a user (empty, too long, a control character), or None."""
    if not user or len(user) > USER_LIMIT or any(unicodedata.category(c) in ("Cc", "Cs") for c in user):
        return f"the user id must be 1 to {USER_LIMIT} characters, none of them a control character"
    return None


def _time_problem(at: datetime, now: datetime, published: datetime | None) -> str | None:
    if published is not None and at < published:
        return (
            f"the answer's time {at.isoformat()} lies before the version was published "
            f"({published.isoformat()})"
        )
    if at > now + CLOCK_TOLERANCE:
        return f"the answer's time {at.isoformat()} lies in the future"
    return None


def _ordered(document: DocumentFacts, answers: Iterable[Answer]) -> list[tuple[Answer, int]]:
    """The answers the history can place, with their version's index, in recording order."""
    known = [(a, document.index(a.version)) for a in answers if a.answer in ANSWERS]
    placed = [(a, i) for a, i in known if i is not None]
    placed.sort(key=lambda pair: answer_order(pair[0]))
    return placed


def _state(
    document: DocumentFacts, answers: Sequence[tuple[Answer, int]], at: datetime
) -> tuple[int | None, Answer | None]:
    """(index of the governing version, the answer that explains it) at ``at``, with
    ``answers`` in recording order."""
    standing: list[tuple[Answer, int]] = []
    latest: Answer | None = None
    for answer, index in answers:
        if answer.at > at:
            break
        latest = answer
        if answer.answer == OBJECT:
            if index > 0:  # an objection to a first version keeps nothing
                standing.append((answer, index))
        else:
            standing = [(a, i) for a, i in standing if i > index]
    limit = min((i for _, i in standing), default=None)
    because = next((a for a, i in standing if i == limit), None) if standing else latest
    governing = None
    for i, v in enumerate(document.versions):
        if v.effective > at or (limit is not None and i >= limit):
            break
        # The version in force just before the one objected to: never one that was
        # replaced before it took effect (a tie with the version objected to).
        if not document.never_in_force(i):
            governing = i
    return governing, because


def governing(document: DocumentFacts, user: str, answers: Iterable[Answer], at: datetime) -> Governing:
    """Which version of ``document`` governs ``user``'s data at ``at``, given every answer
    the user gave to that document's versions (in any order; those after ``at`` are not
    counted)."""
    ordered = _ordered(document, answers)
    current, because = _state(document, ordered, at)
    version = document.versions[current].version if current is not None else None
    if current is None:
        return Governing(document.id, user, None, None, because)
    # The governing version only changes when a version takes effect or an answer is
    # given: walk those instants back from `at` to where the current run began.
    moments = sorted(
        {v.effective for v in document.versions if v.effective <= at}
        | {a.at for a, _ in ordered if a.at <= at},
        reverse=True,
    )
    since = moments[-1] if moments else None
    for moment in moments:
        if _state(document, ordered, moment)[0] != current:
            break
        since = moment
    return Governing(document.id, user, version, since, because)


def governing_version(document: DocumentFacts, answers: Iterable[Answer], at: datetime) -> str | None:
    """The version of :func:`governing` alone (not since when nor why): what a campaign
    asks of each recipient who answered, at a fraction of the cost."""
    current, _ = _state(document, _ordered(document, answers), at)
    return None if current is None else document.versions[current].version


def unanswered(document: DocumentFacts, user: str, at: datetime) -> Governing:
    """The rule for a user who never answered: the version in force, since it took effect."""
    current = document.in_force(at)
    if current is None:
        return Governing(document.id, user, None, None, None)
    v = document.versions[current]
    return Governing(document.id, user, v.version, v.effective, None)
