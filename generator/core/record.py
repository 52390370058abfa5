"""The public record: `publication-log.jsonl`, a hash-chained log of what the site showed.

Pure: reads and writes the log's text; the edges fetch it (`generator.records`) and put
it on the site (`generator.site.record`).

Each line is one JSON object with `seq` (1, 2, ...), `kind`, `seen` (the instant of the
build that wrote it, with the operator's offset) and `prev` (the sha256 of the previous
line's bytes; 64 zeros on the first line). Two kinds:

- `version`: a version, in one language, first appeared on the site (pending or in
  force): `document`, `language`, `version`, `sha256` of the policy file's bytes,
  `pdf_sha256` (with `pdf: true`), `published`, `effective`, and `inherited: true` for
  the versions already in the history when the log began (the record cannot vouch for
  their windows);
- `checkpoint`: which versions the site showed at that instant (`shown`: document ->
  language -> versions, and `shown_sha256`, the hash of that table; a line whose site
  shows the same as at the checkpoint before it carries only the hash). A build writes
  one with its version lines, when what the site shows changed, and otherwise at most
  one a day.

The log is only ever appended to: a build's log starts with the previous one byte for
byte. From it, `Sightings` says from which day the public saw each version, so that a
backdated commit cannot shorten a publicity window the public never saw, and
`text_violations` refuses a published text that a rewritten history changed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

from generator.core import urls
from generator.core.calendar import WorkingCalendar
from generator.core.dates import iso
from generator.core.errors import Violation
from generator.core.window import NoticePeriod, publicity_window

_LANGUAGE = re.compile(r"[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*")
GENESIS = "0" * 64
"""The `prev` of the first line."""
VERSION = "version"
CHECKPOINT = "checkpoint"

VersionKey = tuple[str, str, str]
"""(document, language, version)."""


def line_hash(line: str) -> str:
    """The sha256 of one line's UTF-8 bytes, without its line break: the next line's `prev`."""
    return hashlib.sha256(line.encode("utf-8")).hexdigest()


def dump_line(data: Mapping[str, object]) -> str:
    """One line of the log: compact JSON, keys in the order given, UTF-8 as is."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class Shown:
    """A version the site shows at this build, in one language (what a version line of
    the log records of it: `VersionLine`)."""

    document: str
    language: str
    version: str
    sha256: str
    published: dt.datetime
    effective: dt.datetime
    pdf_sha256: str | None = None

    @property
    def key(self) -> VersionKey:
        return (self.document, self.language, self.version)


@dataclass(frozen=True, kw_only=True)
class VersionLine(Shown):
    """A version line of the log: the version as the site showed it when the line was
    written (`seen`), and whether the log began with it (`inherited`)."""

    seq: int
    seen: dt.datetime
    inherited: bool = False


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    seen: dt.datetime
    shown: Mapping[str, Mapping[str, tuple[str, ...]]]
    """document -> language -> the versions the site showed, oldest first (for a line that
    lists nothing, the table of the checkpoint before it, which its `shown_sha256` names)."""
    listed: bool = True
    """The line lists the versions itself; else the site showed the same as at the
    checkpoint before it, and the line carries only `shown_sha256`."""

    @property
    def shown_sha256(self) -> str:
        return shown_hash(self.shown)

    @property
    def keys(self) -> frozenset[VersionKey]:
        return frozenset(
            (doc, language, name)
            for doc, by_language in self.shown.items()
            for language, names in by_language.items()
            for name in names
        )


Entry = VersionLine | Checkpoint


def shown_hash(shown: Mapping[str, Mapping[str, Sequence[str]]]) -> str:
    """The sha256 of what a checkpoint shows: its table as compact JSON, keys sorted."""
    table = {doc: {language: list(names) for language, names in by.items()} for doc, by in shown.items()}
    return line_hash(json.dumps(table, ensure_ascii=False, sort_keys=True, separators=(",", ":")))


@dataclass(frozen=True)
class RecordProblem:
    """A line of the log that does not hold: altered, dropped, reordered or not a log line."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True)
class Record:
    """A publication log as read: its lines (without line breaks) and what they say."""

    lines: tuple[str, ...] = ()
    entries: tuple[Entry, ...] = ()
    problems: tuple[RecordProblem, ...] = ()
    """Lines that break the chain or cannot be read: the record is not to be trusted."""

    @property
    def empty(self) -> bool:
        return not self.lines

    @property
    def head(self) -> str:
        """The chain head: the sha256 of the last line (64 zeros for an empty log)."""
        return line_hash(self.lines[-1]) if self.lines else GENESIS

    @property
    def text(self) -> str:
        return "".join(line + "\n" for line in self.lines)

    @property
    def last_seen(self) -> dt.datetime | None:
        return self.entries[-1].seen if self.entries else None

    @property
    def version_lines(self) -> dict[VersionKey, VersionLine]:
        """The first version line of each version in each language."""
        found: dict[VersionKey, VersionLine] = {}
        for entry in self.entries:
            if isinstance(entry, VersionLine):
                found.setdefault(entry.key, entry)
        return found

    @property
    def last_checkpoint(self) -> Checkpoint | None:
        return next((e for e in reversed(self.entries) if isinstance(e, Checkpoint)), None)

    def sightings(self, zone: ZoneInfo, today: dt.date | None) -> Sightings:
        """From which day the public saw each version (see `Sightings`); `today`: the day
        of this run, when versions not in the record are seen (None: no record at all)."""
        lines = self.version_lines
        inherited = frozenset(key for key, line in lines.items() if line.inherited)
        return Sightings(first_sightings(self.entries, zone), inherited, today)


def parse_record(text: str) -> Record:
    """Read a log. Never raises: what does not hold is in `Record.problems` (by line)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    # Otherwise the last line has no line break: a write cut short, or an edited file.
    reader = _Reader()
    for number, line in enumerate(lines, start=1):
        reader.read(number, line)
    if text and not text.endswith("\n"):
        reader.problem(len(lines), "the last line is cut short (no line break after it)")
    return Record(tuple(lines), tuple(reader.entries), tuple(reader.problems))


class _Reader:
    """A log read line by line: its entries, and the problems of each line."""

    def __init__(self) -> None:
        self.problems: list[RecordProblem] = []
        self.entries: list[Entry] = []
        self.expected_prev = GENESIS
        self.seen_keys: set[VersionKey] = set()
        self.last_seen: dt.datetime | None = None

    def problem(self, number: int, message: str) -> None:
        self.problems.append(RecordProblem(number, message))

    def read(self, number: int, line: str) -> None:
        try:
            data = json.loads(line)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            entry = _entry(data)
        except (ValueError, TypeError, KeyError) as error:
            self.problem(number, f"not a line of a publication log ({_reason(error)})")
            self.expected_prev = line_hash(line)
            return
        self._check_order(number, data, entry)
        if isinstance(entry, Checkpoint) and not entry.listed:
            entry = self._same_as_before(number, data, entry)
        if isinstance(entry, VersionLine):
            if entry.key in self.seen_keys:
                self.problem(number, f"{_name(entry.key)} is entered a second time: a version appears once")
            self.seen_keys.add(entry.key)
        self.last_seen = entry.seen if self.last_seen is None else max(self.last_seen, entry.seen)
        self.entries.append(entry)
        self.expected_prev = line_hash(line)

    def _check_order(self, number: int, data: dict[str, object], entry: Entry) -> None:
        """The chain, the numbering and the clock of one line against the lines before it."""
        if data.get("prev") != self.expected_prev:
            self.problem(
                number,
                f"its prev is {str(data.get('prev'))[:16]}…, but the line before it hashes to "
                f"{self.expected_prev[:16]}…: a line before it was changed, dropped or inserted",
            )
        if entry.seq != number:
            self.problem(number, f"its seq is {entry.seq}, expected {number}: lines were dropped")
        if self.last_seen is not None and entry.seen < self.last_seen:
            self.problem(
                number, f"seen {iso(entry.seen)} is earlier than the line before it ({iso(self.last_seen)})"
            )

    def _same_as_before(self, number: int, data: dict[str, object], entry: Checkpoint) -> Checkpoint:
        """A checkpoint that shows what the one before it showed, with that table filled in."""
        before = next((e for e in reversed(self.entries) if isinstance(e, Checkpoint)), None)
        if before is None or before.shown_sha256 != data.get("shown_sha256"):
            self.problem(
                number,
                "it says the site showed the same as at the checkpoint before it, but its "
                "shown_sha256 is not that checkpoint's",
            )
        return replace(entry, shown=before.shown if before is not None else {})


def _reason(error: Exception) -> str:
    if isinstance(error, KeyError):
        return f"no {error.args[0]!r}"
    return str(error).split("\n")[0][:200]


def _instant(value: object) -> dt.datetime:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a date-time")
    moment = dt.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no offset")
    return moment


def _text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} is not a text")
    return value


def _sha(value: object, what: str) -> str:
    text = _text(value, what)
    if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
        raise ValueError(f"{what} is not a sha256")
    return text


def _entry(data: dict[str, object]) -> Entry:
    seq = data["seq"]
    if not isinstance(seq, int) or isinstance(seq, bool):
        raise ValueError("seq is not a number")
    seen = _instant(data["seen"])
    _sha(data["prev"], "prev")
    kind = data["kind"]
    if kind == VERSION:
        return _version_line(data, seq, seen)
    if kind == CHECKPOINT:
        return _checkpoint(data, seq, seen)
    raise ValueError(f"unknown kind {kind!r}")


def _version_line(data: dict[str, object], seq: int, seen: dt.datetime) -> VersionLine:
    pdf = data.get("pdf_sha256")
    document, language, version = (_text(data[k], k) for k in ("document", "language", "version"))
    # Names become paths and URLs of the files `verify` fetches: only usable ones.
    problem = urls.document_id_problem(document) or urls.version_name_problem(version)
    if problem is not None:
        raise ValueError(problem)
    if not _LANGUAGE.fullmatch(language):
        raise ValueError(f"language {language!r} is not a language tag")
    return VersionLine(
        seq=seq,
        seen=seen,
        document=document,
        language=language,
        version=version,
        sha256=_sha(data["sha256"], "sha256"),
        published=_instant(data["published"]),
        effective=_instant(data["effective"]),
        inherited=data.get("inherited") is True,
        pdf_sha256=_sha(pdf, "pdf_sha256") if pdf is not None else None,
    )


def _checkpoint(data: dict[str, object], seq: int, seen: dt.datetime) -> Checkpoint:
    digest = _sha(data["shown_sha256"], "shown_sha256")
    if "shown" not in data:
        # The same as the checkpoint before it: `parse_record` fills in its table.
        return Checkpoint(seq=seq, seen=seen, shown={}, listed=False)
    table = _shown_table(data["shown"])
    if shown_hash(table) != digest:
        raise ValueError("its shown_sha256 is not the hash of what it shows")
    return Checkpoint(seq=seq, seen=seen, shown=table)


def _shown_table(shown: object) -> dict[str, dict[str, tuple[str, ...]]]:
    """A checkpoint's ``shown``: document -> language -> the versions the site showed."""
    if not isinstance(shown, dict):
        raise ValueError("shown is not an object")
    table: dict[str, dict[str, tuple[str, ...]]] = {}
    for doc, by_language in shown.items():
        if not isinstance(by_language, dict):
            raise ValueError("shown is not document -> language -> versions")
        table[doc] = {}
        for language, names in by_language.items():
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise ValueError("shown is not document -> language -> versions")
            table[doc][language] = tuple(names)
    return table


def _name(key: VersionKey) -> str:
    document, language, version = key
    return f"{document} version {version} ({language})"


def first_sightings(entries: Sequence[Entry], zone: ZoneInfo) -> dict[VersionKey, tuple[dt.date, int]]:
    """For each version the record vouches for (not inherited): the day, in the operator's
    time zone, from which the public saw it without a break before it took effect, and
    the line that says so. A checkpoint taken on or after a version's publication day and
    before its effective instant that does not list it restarts its sighting."""
    lines: dict[VersionKey, VersionLine] = {}
    current: dict[VersionKey, tuple[dt.date, int]] = {}
    for entry in entries:
        if isinstance(entry, VersionLine):
            lines.setdefault(entry.key, entry)
            current.setdefault(entry.key, (entry.seen.astimezone(zone).date(), entry.seq))
            continue
        shown = entry.keys
        day = entry.seen.astimezone(zone).date()
        for key in shown:
            if key in lines:
                current.setdefault(key, (day, entry.seq))
        for key in [k for k in current if k not in shown]:
            line = lines[key]
            if line.published.astimezone(zone).date() <= day and entry.seen < line.effective:
                del current[key]
    return {key: sighting for key, sighting in current.items() if not lines[key].inherited}


@dataclass(frozen=True)
class Sightings:
    """When the public first saw each version, from the record: the history counts a
    publicity window from the later of a version's publication day and this day."""

    days: Mapping[VersionKey, tuple[dt.date, int]] = field(default_factory=dict)
    """Versions the record vouches for, seen without a break since: the day first seen,
    and the log line that says so."""
    inherited: frozenset[VersionKey] = frozenset()
    """Versions entered when the log began: their windows are not the record's to judge."""
    today: dt.date | None = None
    """The day of this run: a version not in the record, or taken off the site before it
    took effect, is seen (again) now. None when there is no record, or for a reader that
    shows nothing (status, applies): windows then count from publication."""

    def seen(self, key: VersionKey, published: dt.date) -> tuple[dt.date, int | None] | None:
        """The day `key` was (or is now) first seen and the log line (None: this run), or
        None when the record cannot say (no record, inherited, or not yet published)."""
        if key in self.days:
            return self.days[key]
        if key in self.inherited or self.today is None:
            return None
        if published <= self.today:
            return (self.today, None)
        return None


NO_SIGHTINGS = Sightings()


def text_violations(
    record: Record, versions: Iterable[tuple[VersionKey, str, str, str]], *, where: str
) -> list[Violation]:
    """A version the record lists whose text the history now holds with another hash.
    `versions`: (key, sha256, file, short commit) of every version in every language."""
    logged = record.version_lines
    problems = []
    for key, sha256, file, commit in versions:
        line = logged.get(key)
        if line is None or line.sha256 == sha256:
            continue
        document, language, version = key
        problems.append(
            Violation(
                "record-text-changed",
                f"{document} version {version} ({language}) was published with sha256 {line.sha256} "
                f"(publication log {where}, line {line.seq}, seen {iso(line.seen)}), but the history "
                f"now holds it with sha256 {sha256}: its published text was rewritten",
                file=file,
                commit=commit,
                remedy="restore the published text (the commits that published it: the remote's history or "
                "`git reflog`); never edit a published version: publish the change as a new version "
                f'(`policyctl publish {document} --version <new> --summary "..."`)',
            )
        )
    return problems


def chain_violations(record: Record, *, where: str) -> list[Violation]:
    return [
        Violation(
            "record-broken",
            f"the publication log {where} does not verify at {problem}",
            file=where,
            remedy="a record is only ever appended to: restore the published log (the deployed site's "
            "publication-log.jsonl, or a backup) and pass it with --record",
        )
        for problem in record.problems
    ]


def head_violation(record: Record, stated_head: str | None, *, where: str) -> Violation | None:
    """The site beside the log names its chain head (versions.json `log_head`): a log that
    ends elsewhere lost or changed lines."""
    if stated_head is None or stated_head == record.head:
        return None
    at = next((i for i, line in enumerate(record.lines, start=1) if line_hash(line) == stated_head), None)
    if at is not None:
        what = f"the site's versions.json names line {at} as its head, but the log goes on to line {len(record.lines)}"
    else:
        what = (
            f"the site's versions.json names head {stated_head[:16]}…, which no line of the log "
            f"({len(record.lines)} lines, head {record.head[:16]}…) hashes to: lines were dropped or altered"
        )
    return Violation(
        "record-truncated",
        f"the publication log {where} is not the one its site published: {what}",
        file=where,
        remedy="restore the published log (the deployed site's publication-log.jsonl, or a backup) "
        "and pass it with --record",
    )


def extend(record: Record, shown: Sequence[Shown], seen: dt.datetime, zone: ZoneInfo) -> Record:
    """`record` with this build's lines appended: a version line for each shown version
    not yet in it (`inherited` when the log begins now), then a checkpoint when there are
    version lines, when what the site shows changed, or when the last checkpoint is of
    an earlier day. Never rewrites a line."""
    logged = record.version_lines
    inherited = record.empty
    new: list[dict[str, object]] = []
    for item in shown:
        if item.key in logged:
            continue
        data: dict[str, object] = {
            "kind": VERSION,
            "document": item.document,
            "language": item.language,
            "version": item.version,
            "sha256": item.sha256,
        }
        if item.pdf_sha256:
            data["pdf_sha256"] = item.pdf_sha256
        data["published"] = iso(item.published, zone)
        data["effective"] = iso(item.effective, zone)
        if inherited:
            data["inherited"] = True
        new.append(data)
    table: dict[str, dict[str, list[str]]] = {}
    for item in shown:
        table.setdefault(item.document, {}).setdefault(item.language, []).append(item.version)
    checkpoint = record.last_checkpoint
    digest = shown_hash(table)
    same = checkpoint is not None and checkpoint.shown_sha256 == digest
    if (
        new
        or not same
        or checkpoint is None
        or checkpoint.seen.astimezone(zone).date() != seen.astimezone(zone).date()
    ):
        # An unchanged site's daily line names what it shows by hash only.
        listing: dict[str, object] = {} if same else {"shown": table}
        new.append({"kind": CHECKPOINT, **listing, "shown_sha256": digest})
    return _appended(record, new, seen, zone)


def daily_checkpoint(record: Record, seen: dt.datetime, zone: ZoneInfo) -> Record:
    """`record` with the daily line of a site that shows what its last checkpoint showed
    (the line `extend` writes for such a build), when that checkpoint is of an earlier
    day; `record` itself otherwise (a build that changed nothing the same day)."""
    checkpoint = record.last_checkpoint
    if checkpoint is None or checkpoint.seen.astimezone(zone).date() == seen.astimezone(zone).date():
        return record
    return _appended(record, [{"kind": CHECKPOINT, "shown_sha256": shown_hash(checkpoint.shown)}], seen, zone)


def _appended(record: Record, new: list[dict[str, object]], seen: dt.datetime, zone: ZoneInfo) -> Record:
    """`record` with the lines of `new` chained on, each seen at `seen`."""
    lines = list(record.lines)
    for data in new:
        prev = line_hash(lines[-1]) if lines else GENESIS
        lines.append(
            dump_line(
                {
                    "seq": len(lines) + 1,
                    "kind": data.pop("kind"),
                    "seen": iso(seen, zone),
                    "prev": prev,
                    **data,
                }
            )
        )
    return parse_record("".join(line + "\n" for line in lines))


def window_failures(
    record: Record,
    calendar: WorkingCalendar,
    periods: Callable[[str], NoticePeriod | int],
    first_versions: Mapping[str, str],
) -> list[str]:
    """Every version the record vouches for (not inherited, not a document's first version,
    which takes effect on publication) whose effective instant lies before the end of its
    window, counted from the later of its publication day and the day the public first
    saw it, of its document's notice period (`periods`: a document's id -> its period; a
    number: working days). `first_versions`: document -> the name of its first version."""
    zone = calendar.zone
    sightings = first_sightings(record.entries, zone)
    failures = []
    for key, line in record.version_lines.items():
        if line.inherited or first_versions.get(line.document) == line.version or key not in sightings:
            continue
        published = line.published.astimezone(zone).date()
        seen, seq = sightings[key]
        start = max(published, seen)
        period = NoticePeriod.of(periods(line.document))
        lawful = publicity_window(start, calendar, period).earliest_effective
        if line.effective < lawful:
            since = (
                f"first seen {seen.isoformat()} (line {seq}), after its publication day {published.isoformat()}"
                if seen > published
                else f"published {published.isoformat()}"
            )
            where = calendar.region if period.working_days else calendar.timezone
            failures.append(
                f"{_name(key)} takes effect {iso(line.effective, zone)}, but it was {since}: its "
                f"{period.adjective} window ({where}) ends only at {iso(lawful, zone)}"
            )
    return failures
