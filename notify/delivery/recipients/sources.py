"""Recipients, streamed from a CSV file, a JSON-lines file or a database query.

Nothing is held in memory beyond the current record. Invalid or empty addresses,
and unusable phone numbers, are yielded as :class:`Skipped` (with their line or id,
never the address or number itself in logs) so the campaign can report them;
duplicates are removed by the ledger.

A recipient has an email address, a phone number (normalised to E.164, with the
calendar's country as the default region), or both. Which channel sends to whom is the
campaign's rule (:mod:`notify.delivery.recipients.routing`): a recipient with a phone
number and no address goes to the SMS channel, or, when the run has none, is reported
apart (:data:`NO_CHANNEL`: not the source's fault).
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import phonenumbers

from notify.common.errors import NotifyError
from notify.common.redaction import redact
from notify.delivery.recipients.fields import COLUMNS

_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"  # one label of a host name
_LOCALE = re.compile(r"^[A-Za-z]{2,8}([_-][A-Za-z0-9]{1,8}){0,3}$")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
"""C0 and C1 controls (U+0085 among them) and the line and paragraph separators: never
written into a header, a CSV cell or a terminal line."""
BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]+")
"""The bidirectional formatting characters (embeddings, overrides, isolates, the marks):
in a name they reorder what the reader sees around it ("Dear Ann, your ... " shown
backwards, an address that seems to be another). A name never needs them (right-to-left
scripts are laid out by their letters), so they are removed from every name."""
# What no address may hold: white space, the separators of address lists and headers, and
# the control characters above (one search instead of one per character).
_UNUSABLE = re.compile(r'[\r\n\t <>,;"()\[\]\\\x00-\x1f\x7f-\x9f\u2028\u2029]')
# A host name: two labels or more (one match instead of one per label).
_HOST = re.compile(rf"^{_LABEL}(\.{_LABEL})+$")
NAME_LIMIT = 200
EMPTY_ADDRESS = "empty address"
PHONE_LIMIT = 64  # longer is no phone number (and not worth parsing)
NO_CHANNEL = "a phone number only, and this run sends no text messages (--sms)"
"""The reason of a recipient with a phone number and no email address in a run without
an SMS channel: nothing of it can reach them. Not an unusable record: the campaign
reports them apart."""
NO_ADDRESS_CHANNEL = "an email address only, and this run sends no email (--no-email)"
"""The reason of a recipient with an address and no usable number in a run that sends
texts only."""
NO_CHANNEL_REASONS = frozenset({NO_CHANNEL, NO_ADDRESS_CHANNEL})
"""The reasons of users whom no channel of the run reaches (reported apart)."""


@dataclass(frozen=True, slots=True)
class Recipient:
    email: str  # normalised address to send to (ASCII, IDNA domain); "" for a phone only
    key: str  # who the user is, for de-duplication and the ledger (see `identity`)
    name: str  # display name, control characters removed ("" when unknown)
    locale: str  # e.g. "zh-CN"; "" when unknown
    id: str  # operator's user id ("" when unknown)
    ref: str  # where it came from: "users.csv line 12" / "id 42"
    phone: str = ""  # E.164 ("+8613800138000"); "" when none
    phone_problem: str = ""  # why the source's phone number cannot be used ("" when none was given)


PHONE = "phone"
"""What a :class:`Skipped` record is about when it is its phone number (the SMS
campaign's to report when the run has one); else its address or the whole record."""


@dataclass(frozen=True, slots=True)
class Skipped:
    ref: str
    reason: str
    about: str = ""  # PHONE: the number was what this user was to be reached by


def normalize_address(raw: object) -> tuple[str, str]:
    """Return (address, reason); address is "" when invalid and reason says why."""
    if raw is None:
        return "", EMPTY_ADDRESS
    text = str(raw).strip()
    if not text:
        return "", EMPTY_ADDRESS
    if _UNUSABLE.search(text):
        return "", "address contains spaces, control characters or separators"
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain:
        return "", "address has no '@' with a local part and a domain"
    if len(local) > 64 or not _LOCAL.match(local):
        return "", "local part is not a plain ASCII mailbox name"
    domain = domain.rstrip(".")
    try:
        ascii_domain = domain.encode("idna").decode("ascii") if not domain.isascii() else domain
    except UnicodeError:
        return "", "domain is not a valid internationalised domain name"
    if not _HOST.match(ascii_domain):
        return "", "domain is not a valid host name"
    address = f"{local}@{ascii_domain.lower()}"
    if len(address) > 254:
        return "", "address is longer than 254 characters"
    return address, ""


def clean_name(raw: object) -> str:
    if raw is None:
        return ""
    text = unicodedata.normalize("NFC", str(raw))
    if not text.isascii():
        text = BIDI_CONTROLS.sub("", text)
    text = " ".join(CONTROL_CHARACTERS.sub(" ", text).split())
    return text[:NAME_LIMIT]


def clean_locale(raw: object) -> str:
    text = str(raw).strip() if raw is not None else ""
    return text if _LOCALE.match(text) else ""


ID_KEY = "id:"
"""The prefix of the identity of a user with an id (no address holds a ':')."""


def identity(address: str, recipient_id: str, phone: str = "") -> str:
    """Who a registered user is: their id when the source gives one (two accounts with
    one address are two users, each with their own notice, link and ledger row), else
    their address, case-insensitively, else their number (E.164: it has no '@', so it is
    never an address). The ledger's ``recipient`` column holds it, the same on every
    channel."""
    if recipient_id:
        return ID_KEY + recipient_id
    return address.casefold() if address else phone


def normalize_phone(raw: object, region: str | None) -> tuple[str, str]:
    """Return (number in E.164, reason); number is "" when there is none (reason "") or
    it cannot be used (reason says why, never the number). A number without a leading
    ``+`` is read in ``region`` (the calendar's country, e.g. "CN")."""
    text = "" if raw is None else str(raw).strip()
    if not text:
        return "", ""
    if len(text) > PHONE_LIMIT or CONTROL_CHARACTERS.search(text):
        return "", "phone number is not a phone number"
    try:
        number = phonenumbers.parse(text, (region or "").upper() or None)
    except phonenumbers.NumberParseException:
        if not text.startswith("+") and not region:
            return "", "phone number has no country code (+...) and the calendar has no country"
        return "", "phone number is not a phone number"
    if not phonenumbers.is_valid_number(number):
        return "", "phone number is not a valid number"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), ""


def make(record: dict[str, Any], ref: str, region: str | None = None) -> Recipient | Skipped:
    raw_address = record.get("email")
    address, reason = normalize_address(raw_address)
    phone, phone_reason = normalize_phone(record.get("phone"), region)
    rid = record.get("id")
    rid = "" if rid is None else str(rid).strip()[:200]
    if rid:
        ref = f"{ref} (id {clean_name(rid)})"
    if not address and (reason != EMPTY_ADDRESS or not phone):
        # An unusable address, or neither an address nor a usable number.
        if phone_reason and reason == EMPTY_ADDRESS:
            return Skipped(ref, phone_reason, PHONE)
        return Skipped(ref, reason)
    return Recipient(
        email=address,
        phone=phone,
        key=identity(address, rid, phone),
        name=clean_name(record.get("name")),
        locale=clean_locale(record.get("locale")),
        id=rid,
        ref=ref,
        phone_problem=phone_reason,
    )


def read(
    source: str,
    query: str | None = None,
    base: Path | None = None,
    *,
    here: bool = False,
    region: str | None = None,
) -> Generator[Recipient | Skipped, None, None]:
    """Stream recipients from ``source``: a .csv / .jsonl file or a SQLAlchemy URL (whose
    query runs in a child process unless ``here``). Phone numbers without a ``+`` are
    read in ``region`` (the calendar's country)."""
    if "://" in source:
        if not query:
            raise NotifyError(
                f"--recipients {redact(source)} is a database URL: give --query "
                "'SELECT email, name, locale, id FROM ...' to say which rows are registered users"
            )
        return _read_sql(source, query, here, region)
    if query:
        raise NotifyError("--query only applies when --recipients is a database URL")
    path = Path(source)
    if base is not None and not path.is_absolute() and not path.exists():
        path = base / path
    if not path.is_file():
        raise NotifyError(
            f"recipients file {source} not found: give a CSV (header row with 'email') or JSON-lines file"
        )
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        return _read_jsonl(path, region)
    return _read_csv(path, region)


LINE_LIMIT = 1 << 20
"""Characters (or, in a JSON-lines file, bytes) of one line of a recipients file, at most:
a longer one is read past, never held whole, and reported as unusable."""
OVERLONG = f"line longer than {LINE_LIMIT} characters"


class _Lines:
    """The lines of ``fh`` (text or bytes), each at most ``LINE_LIMIT`` long: a longer one
    is read past in pieces and given as an empty line, its number kept in ``overlong``."""

    def __init__(self, fh: Any) -> None:
        self.fh = fh
        self.overlong: set[int] = set()

    def __iter__(self) -> Iterator[Any]:
        number = 0
        while line := self.fh.readline(LINE_LIMIT):
            number += 1
            newline = "\n" if isinstance(line, str) else b"\n"
            if len(line) < LINE_LIMIT or line.endswith(newline):
                yield line
                continue
            while (rest := self.fh.readline(LINE_LIMIT)) and not rest.endswith(newline):
                pass
            self.overlong.add(number)
            yield newline


def _read_csv(path: Path, region: str | None) -> Generator[Recipient | Skipped, None, None]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        lines = _Lines(fh)
        reader = csv.reader(lines)
        try:
            header = next(reader)
        except StopIteration:
            return
        except (csv.Error, UnicodeDecodeError) as exc:
            raise NotifyError(f"{path}: cannot read the header row ({exc}); save it as UTF-8 CSV") from exc
        columns = [h.strip().lower() for h in header]
        if "email" not in columns and "phone" not in columns:
            raise NotifyError(
                f"{path} line 1: the header row has no 'email' or 'phone' column "
                f"(found {', '.join(columns) or 'nothing'}); "
                "add a header row like 'email,name,locale,id'"
            )
        wanted = {c: columns.index(c) for c in COLUMNS if c in columns}
        name = path.name
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except (csv.Error, UnicodeDecodeError) as exc:
                yield Skipped(f"{name} line {reader.line_num}", f"unreadable CSV row ({exc})")
                continue
            if not any(map(str.strip, row)):  # no cell, or only blank ones
                if reader.line_num in lines.overlong:
                    yield Skipped(f"{name} line {reader.line_num}", OVERLONG)
                continue
            record = {c: (row[i] if i < len(row) else None) for c, i in wanted.items()}
            yield make(record, f"{name} line {reader.line_num}", region)


def _read_jsonl(path: Path, region: str | None) -> Generator[Recipient | Skipped, None, None]:
    with path.open("rb") as fh:
        lines = _Lines(fh)
        for number, line in enumerate(lines, 1):
            ref = f"{path.name} line {number}"
            if number in lines.overlong:
                yield Skipped(ref, OVERLONG)
                continue
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except (ValueError, UnicodeDecodeError) as exc:
                yield Skipped(ref, f"not a JSON object ({exc.__class__.__name__})")
                continue
            if not isinstance(record, dict):
                yield Skipped(ref, "not a JSON object")
                continue
            yield make({k.lower(): v for k, v in record.items() if isinstance(k, str)}, ref, region)


def _read_sql(
    url: str, query: str, here: bool, region: str | None
) -> Generator[Recipient | Skipped, None, None]:
    """Rows of the query, from a child process through a pipe (see :mod:`notify.delivery.recipients.sqlsource`
    for why), or with ``here`` in this process."""
    if here:
        from notify.delivery.recipients.sqlsource import messages

        return _rows(messages(url, query), url, region)
    return _read_sql_in_child(url, query, region)


def _rows(
    messages: Iterable[Any], url: str, region: str | None
) -> Generator[Recipient | Skipped, None, None]:
    """Recipients from the messages of :func:`notify.delivery.recipients.sqlsource.messages`."""
    columns: list[str] | None = None
    number = 0
    for message in messages:
        if isinstance(message, list):
            if columns is None:
                break
            for values in message:
                number += 1
                yield make(dict(zip(columns, values, strict=False)), f"row {number}", region)
            continue
        if "error" in message:
            raise NotifyError(message["error"])
        if "columns" in message:
            columns = message["columns"]
        elif message.get("end"):
            return
    raise NotifyError(f"--recipients {redact(url)}: the query reader stopped unexpectedly")


def _read_sql_in_child(
    url: str, query: str, region: str | None
) -> Generator[Recipient | Skipped, None, None]:
    from notify.delivery.recipients.child import end_child, python_child

    proc = python_child("notify.delivery.recipients.sqlsource")
    finished = False
    try:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps({"url": url, "query": query}).encode("utf-8"))
        proc.stdin.close()
        yield from _rows((json.loads(line) for line in proc.stdout), url, region)
        finished = True
    except NotifyError:
        finished = True
        proc.wait()
        if proc.returncode not in (0, None):
            raise NotifyError(
                f"--recipients {redact(url)}: the query reader stopped unexpectedly (exit {proc.returncode})"
            ) from None
        raise
    finally:
        end_child(proc, finished)
