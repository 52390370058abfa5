"""The outcome journal: each delivery outcome is on disk before the next message starts.

The ledger takes outcomes in batched transactions (a commit per message would cost a
disk flush per message). Between two batches, the outcomes of a run live in this
journal: one ``pwrite()`` per outcome, which survives the process being killed
(SIGKILL, the OOM killer) because the kernel holds the data whatever becomes of the
process; an ``fdatasync`` on the flush timer covers power loss. A run that starts, or
a worker about to take over rows, first folds the journals of dead runs into the
ledger, so that what they delivered is ``sent`` before anything is reclaimed.

Layout: a folder per ledger (beside a SQLite ledger file: ``ledger.sqlite3.outcomes/``;
for a PostgreSQL ledger under ``.policy/outcomes/``), one file per segment of a run,
``<run>.<n>.journal``. A segment is preallocated (so that a full disk cannot refuse an
outcome of a message already delivered: the run stops starting messages while the
reserve still holds those in flight), then written in order: a JSON header line, then
one tab-separated line per outcome; a retried message's line goes on with its earlier
attempts, for the attempt log (a policyctl from before that log cannot read such a line:
rerun a killed campaign with the version that ran it). The part never written reads as
NUL bytes. A segment is deleted once the ledger has committed every outcome in it. The
writing run holds an ``flock`` on each of its segments; a lock that can be taken means
the writer is gone.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from notify.common.resources import private_dir
from notify.delivery.ledger.ledger import REPLY_LIMIT, SENT, Ledger, Outcome

SEGMENT_BYTES = 256 * 1024
RECORD_LIMIT = 4096  # one outcome's line, at most (the reply is cut to fit)
SUFFIX = ".journal"


def _encode(outcome: Outcome) -> bytes:
    """One line: id, status (with the provider's message id after a ``/``, when there is
    one), attempts, first attempt, finished (epoch seconds), reply, then for each earlier
    attempt (a retried message) when it ended and its reply; tab-separated, the texts
    escaped (``unicode_escape``: no tab, newline or NUL)."""
    reply = outcome.reply[:REPLY_LIMIT]
    status = outcome.status.encode("ascii")
    if outcome.provider_id:
        status += b"/" + outcome.provider_id[:200].encode("unicode_escape")
    earlier = [(at, text[:REPLY_LIMIT]) for at, text in outcome.earlier]
    while True:
        line = b"%d\t%s\t%d\t%.6f\t%.6f\t%s" % (
            outcome.id,
            status,
            outcome.attempts,
            outcome.first_attempt,
            outcome.finished,
            reply.encode("unicode_escape"),
        )
        for at, text in earlier:
            line += b"\t%.6f\t%s" % (at, text.encode("unicode_escape"))
        line += b"\n"
        if len(line) <= RECORD_LIMIT:
            return line
        reply = reply[: len(reply) // 2]
        earlier = [(at, text[: len(text) // 2]) for at, text in earlier]


def _decode(line: bytes) -> Outcome:
    i, status_field, attempts, first, finished, reply, *earlier = line.split(b"\t")
    status, _, provider_id = status_field.partition(b"/")
    return Outcome(
        id=int(i),
        status=status.decode("ascii"),
        provider_id=provider_id.decode("unicode_escape"),
        reply=reply.decode("unicode_escape"),
        attempts=int(attempts),
        first_attempt=float(first),
        finished=float(finished),
        earlier=tuple(
            (float(at), text.decode("unicode_escape"))
            for at, text in zip(earlier[::2], earlier[1::2], strict=True)
        ),
    )


class _Segment:
    def __init__(self, path: Path, header: bytes) -> None:
        # Made complete (locked, preallocated, header written) under a name replay does
        # not read, then renamed into place: a reader never sees a segment whose lock
        # is not yet taken, and would take for a dead run's.
        building = path.with_name(path.name + ".new")
        self.path = path
        self.fd = os.open(building, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.posix_fallocate(self.fd, 0, SEGMENT_BYTES)
            os.pwrite(self.fd, header, 0)
            os.rename(building, path)
        except BaseException:
            os.close(self.fd)
            with contextlib.suppress(OSError):
                building.unlink()
            raise
        self.used = len(header)
        self.records = 0

    @property
    def room(self) -> int:
        return SEGMENT_BYTES - self.used

    def write(self, data: bytes) -> None:
        written = os.pwrite(self.fd, data, self.used)
        if written != len(data):  # cannot happen within preallocated space; be loud if it does
            raise OSError(f"short write to {self.path}")
        self.used += written
        self.records += 1

    def sync(self) -> None:
        os.fdatasync(self.fd)

    def discard(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        os.close(self.fd)


class Journal:
    """The journal of one run. ``append`` is called on the event loop after each
    delivery; ``rotate``/``discard`` fold segments away once the ledger has them.

    ``reserve``: bytes kept free for the outcomes of messages in flight. When a segment
    gets that low and no new one can be made (disk full), ``full`` is set: the campaign
    stops starting messages, and the reserve takes the outcomes still to come.
    """

    def __init__(self, directory: Path, key: str, run: str, owner: str, reserve: int) -> None:
        self.directory = directory
        self.key = key
        self.run = run
        self.owner = owner
        self.reserve = reserve + RECORD_LIMIT
        self.sequence = 0
        self.current: _Segment | None = None
        self.sealed: list[_Segment] = []
        self.full = False
        self.error: OSError | None = None
        self.lost = 0  # outcomes that found no room (only when the reserve was too small)
        self.lock = threading.Lock()  # sync/discard (ledger thread) against rotate (event loop)

    def open(self) -> None:
        private_dir(self.directory)  # the replies may quote addresses
        self.current = self._segment()

    def _segment(self) -> _Segment:
        self.sequence += 1
        header = json.dumps(
            {"journal": 1, "ledger": self.key, "run": self.run, "owner": self.owner},
            separators=(",", ":"),
        ).encode("utf-8")
        return _Segment(self.directory / f"{self.run}.{self.sequence:06d}{SUFFIX}", header + b"\n")

    def append(self, outcome: Outcome) -> bool:
        """Write one outcome; False when it could not be written (it then stays in memory only)."""
        data = _encode(outcome)
        segment = self.current
        if segment is None:
            return False
        if segment.room - len(data) < self.reserve and not self.full:
            self._grow()
            segment = self.current
            assert segment is not None
        if len(data) > segment.room:
            self.lost += 1
            return False
        try:
            segment.write(data)
        except OSError as exc:
            self.full, self.error = True, exc
            self.lost += 1
            return False
        return True

    def _grow(self) -> None:
        try:
            fresh = self._segment()
        except OSError as exc:
            self.full, self.error = True, exc
            return
        with self.lock:
            assert self.current is not None
            self.sealed.append(self.current)
            self.current = fresh

    def rotate(self) -> list[_Segment]:
        """Start a new segment (when the current one holds records) and return every
        sealed segment: all their outcomes are in the batch about to be committed."""
        if self.current is not None and self.current.records and not self.full:
            self._grow()
        with self.lock:
            return list(self.sealed)

    def discard(self, segments: list[_Segment]) -> None:
        """The ledger committed every outcome of these segments: delete them."""
        with self.lock:
            for segment in segments:
                if segment in self.sealed:
                    self.sealed.remove(segment)
                    segment.discard()

    def sync(self) -> None:
        """fdatasync what is not in the ledger yet (power loss; the flush timer calls it)."""
        with self.lock:
            segments = [*self.sealed, *([self.current] if self.current else [])]
            for segment in segments:
                if segment.records:
                    segment.sync()

    def close(self, folded: bool) -> int:
        """End of the run. ``folded``: the ledger has every outcome, delete the journal;
        otherwise keep it for the next run. Returns the number of records kept."""
        with self.lock:
            segments = [*self.sealed, *([self.current] if self.current else [])]
            self.sealed, self.current = [], None
            kept = 0
            for segment in segments:
                if folded or not segment.records:
                    segment.discard()
                else:
                    kept += segment.records
                    with contextlib.suppress(OSError):
                        segment.sync()
                    os.close(segment.fd)
            return kept


@dataclass(frozen=True)
class Replayed:
    files: int = 0  # journals of dead runs folded in (and deleted)
    outcomes: int = 0  # their outcomes


def _read(fd: int) -> tuple[dict[str, Any] | None, list[Outcome]]:
    size = os.fstat(fd).st_size
    data = os.pread(fd, size, 0)
    end = data.find(b"\0")
    if end >= 0:
        data = data[:end]
    lines = data.split(b"\n")
    try:
        header = json.loads(lines[0])
    except (ValueError, IndexError):
        return None, []
    if not isinstance(header, dict) or header.get("journal") != 1:
        return None, []
    outcomes = []
    for line in lines[1:]:
        try:
            outcomes.append(_decode(line))
        except (ValueError, TypeError, UnicodeDecodeError):
            continue  # the line a kill cut short, or the end of the file
    return header, outcomes


def replay(directory: Path, key: str, ledger: Ledger, *, own_run: str, live: bool = False) -> Replayed:
    """Fold the journals of dead runs into the ledger, then delete them.

    With ``live=True`` also read the journals of runs still alive (a stalled worker
    whose rows we are about to take over): their deliveries are recorded as ``sent``,
    the files are left to their writers.
    """
    if not directory.is_dir():
        return Replayed()
    files = outcomes = 0
    for path in directory.glob(f"*{SUFFIX}.new"):
        _remove_abandoned(path)  # a segment its run never finished making: it holds no outcome
    for path in sorted(directory.glob(f"*{SUFFIX}")):
        if path.name.startswith(own_run + "."):
            continue
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            continue  # folded away by its writer or another worker meanwhile
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                dead = True
            except BlockingIOError:
                dead = False
            if not dead and not live:
                continue
            header, records = _read(fd)
            if header is None or header.get("ledger") != key:
                continue  # another ledger's journal
            if not dead:
                records = [r for r in records if r.status == SENT]
            if records:
                ledger.record(records, owner=str(header.get("owner") or ""))
            if dead:
                files += 1
                outcomes += len(records)
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
        finally:
            os.close(fd)
    return Replayed(files, outcomes)


def _remove_abandoned(path: Path) -> None:
    """Delete a segment its run never finished making (killed between creating and
    renaming it; it holds no outcome). Only an old one: a live run makes one in
    microseconds, and its file must not go from under it."""
    with contextlib.suppress(FileNotFoundError):
        if time.time() - path.stat().st_mtime > 60:
            path.unlink()


def written(directory: Path) -> list[tuple[dict[str, Any], list[Outcome]]]:
    """The header and the outcomes of every segment in the folder, whoever wrote it and
    whether or not it is alive: a reading for tools and tests, which takes no lock and
    changes nothing."""
    found = []
    for path in sorted(directory.glob(f"*{SUFFIX}")) if directory.is_dir() else []:
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            header, outcomes = _read(fd)
        finally:
            os.close(fd)
        if header is not None:
            found.append((header, outcomes))
    return found
