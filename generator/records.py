"""Reading a published site's public files: the previous public record for `build` and
`check` (`--record`), and everything `verify` looks at.

A source is a site folder, a log file, or a URL: `https://` anywhere, `http://` only on
a loopback address (a local preview). URLs are fetched with httpx, with a timeout and a
size limit; every failure is a PolicyError (exit 2) naming the source and what to do.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import httpx

from generator.core import urls
from generator.core.errors import PolicyError
from generator.core.record import Record, parse_record

TIMEOUT = 20.0
"""Seconds to connect to, and then to read from, the server of a record URL."""
MAX_BYTES = 256 * 1024 * 1024
"""The largest file read from a URL (a log grows by about a line a day)."""
LOG_HEAD = "log_head"
"""The key of versions.json that names the chain head of the site's log."""


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass
class PublicSite:
    """A published site's files, read from a folder or over HTTPS."""

    root: str
    """A folder, or a URL ending in "/"."""
    client: httpx.Client | None = field(default=None, repr=False)

    @classmethod
    def at(cls, source: str) -> PublicSite:
        parts = urlsplit(source)
        if parts.scheme in ("http", "https"):
            if parts.scheme == "http" and not _loopback(parts.hostname or ""):
                raise PolicyError(
                    f"{source}: a public record is fetched over https only",
                    remedy="use the https:// address of the published site",
                )
            root = source if source.endswith("/") else source + "/"
            return cls(root, httpx.Client(timeout=TIMEOUT, follow_redirects=True))
        if parts.scheme and len(parts.scheme) > 1:
            raise PolicyError(
                f"{source}: not a folder, a file or an https:// URL",
                remedy="pass a site folder or its https:// address",
            )
        return cls(str(Path(source)))

    @property
    def remote(self) -> bool:
        return self.client is not None

    def where(self, path: str) -> str:
        return urljoin(self.root, path) if self.remote else str(Path(self.root) / path)

    def read(self, path: str) -> bytes | None:
        """The file at `path` (site-root relative), or None when the site has none."""
        if self.client is None:
            root = Path(self.root).resolve()
            target = (root / path).resolve()
            if not target.is_relative_to(root):
                return None  # never a file outside the site folder
            try:
                return target.read_bytes() if target.is_file() else None
            except OSError as error:
                raise PolicyError(
                    f"cannot read {target}: {error.strerror}", remedy="check the folder's permissions"
                ) from None
        url = urljoin(self.root, quote(path))
        try:
            with self.client.stream("GET", url) as response:
                final = response.url
                if final.scheme != "https" and not _loopback(final.host):
                    raise PolicyError(
                        f"{url} redirected to {final}: a public record is fetched over https only",
                        remedy="use the https:// address the site is served at",
                    )
                if response.status_code in (404, 410):
                    return None
                if response.status_code != 200:
                    raise PolicyError(
                        f"{url} answered {response.status_code} {response.reason_phrase}",
                        remedy="check the address, or try again when the server answers",
                    )
                data = bytearray()
                for chunk in response.iter_bytes():
                    data += chunk
                    if len(data) > MAX_BYTES:
                        raise PolicyError(
                            f"{url} is larger than {MAX_BYTES // 2**20} MiB", remedy="check the address"
                        )
                return bytes(data)
        except httpx.HTTPError as error:
            raise PolicyError(
                f"cannot fetch {url}: {error.__class__.__name__}: {error}",
                remedy="check the address and the network, or pass a copy of the site folder",
            ) from None

    def close(self) -> None:
        if self.client is not None:
            self.client.close()


def read_json(site: PublicSite, path: str) -> Any | None:
    data = site.read(path)
    if data is None:
        return None
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise PolicyError(
            f"{site.where(path)} is not JSON", remedy="check that this is a site built by policyctl"
        ) from None


@dataclass(frozen=True)
class Witness:
    """The previous public record: what the site showed before this run."""

    record: Record
    where: str
    """The log's file or URL, for messages."""
    stated_head: str | None = None
    """The chain head that the same site's versions.json names, when known."""
    site: Path | None = None
    """The previous site folder, when the record was read from one (its PDFs are reused)."""

    @property
    def found(self) -> bool:
        """A record exists: a log, or a site that names the head of one (an emptied or
        deleted log is a record with every line dropped, not a new beginning)."""
        return not self.record.empty or self.stated_head is not None


def read_witness(source: str | None, site_dir: Path | None) -> Witness:
    """The record from `--record` (a site folder, a log file or a URL), else the log in the
    site folder being built; an empty record when there is none yet."""
    if source is None:
        if site_dir is None or not (site_dir / urls.PUBLICATION_LOG).is_file():
            where = str(site_dir / urls.PUBLICATION_LOG) if site_dir else urls.PUBLICATION_LOG
            return Witness(Record(), where, _stated_head(site_dir) if site_dir else None, site_dir)
        source = str(site_dir)
    parts = urlsplit(source)
    remote = parts.scheme in ("http", "https")
    if remote and parts.path.endswith(".jsonl"):
        base, log = source.rsplit("/", 1)
        site, name = PublicSite.at(base + "/"), log
    elif not remote and Path(source).is_file():
        site, name = PublicSite.at(str(Path(source).parent)), Path(source).name
    elif not remote and not Path(source).exists():
        raise PolicyError(
            f"{source}: no such folder or file",
            remedy="pass --record the deployed site's folder, its publication-log.jsonl or its https:// address",
        )
    else:
        site, name = PublicSite.at(source), urls.PUBLICATION_LOG
    try:
        data = site.read(name)
        if data is None:
            raise PolicyError(
                f"{site.where(name)}: no publication log there",
                remedy="pass --record the deployed site (its folder or https:// address) or its "
                "publication-log.jsonl; a site built before the public record existed has none: "
                "build once without --record to start it",
            )
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise PolicyError(
                f"{site.where(name)} is not UTF-8 text", remedy="pass the site's publication-log.jsonl"
            ) from None
        head = None
        if name == urls.PUBLICATION_LOG:
            versions = (
                read_json(site, urls.VERSIONS_JSON)
                if site.remote or (Path(site.root) / urls.VERSIONS_JSON).is_file()
                else None
            )
            if isinstance(versions, dict) and isinstance(versions.get(LOG_HEAD), str):
                head = versions[LOG_HEAD]
    finally:
        site.close()
    folder = Path(site.root) if not site.remote else None
    return Witness(parse_record(text), site.where(name), head, folder)


def _stated_head(site_dir: Path) -> str | None:
    """The chain head that the site in `site_dir` names, when it names one."""
    path = site_dir / urls.VERSIONS_JSON
    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    head = data.get(LOG_HEAD) if isinstance(data, dict) else None
    return head if isinstance(head, str) else None
