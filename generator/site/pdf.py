"""A PDF of each published version (`pdf: true`), printed by headless Chromium from the
version's built page, with the page's print styles (assets/policy.css): the document,
the version, its dates and its permanent address on paper, link addresses after links.

The PDF sits beside the page (`urls.version_pdf`), is linked from it, and is listed in
versions.json with its sha256. Chromium stamps the time of printing into the file; that
stamp is replaced by the version's publication instant, so the same page prints to the
same bytes and the sha256 changes only when the printed page does.

Chromium is needed only with `pdf: true`: `require_chromium` says so before a build starts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

from generator.core import urls
from generator.core.errors import PolicyError
from generator.site.model import SiteModel

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome-stable", "google-chrome")
CHROMIUM_ENV = "POLICYCTL_CHROMIUM"
"""An explicit Chromium (or Chrome) executable, when it is not on PATH under its usual names."""
PRINT_TIMEOUT = 120  # seconds for one page: a hung browser must not hang the daily build

_PDF_DATE = re.compile(rb"/(CreationDate|ModDate) \(D:\d{14}[^)]*\)")


def find_chromium() -> str | None:
    explicit = os.environ.get(CHROMIUM_ENV)
    if explicit:
        return shutil.which(explicit)
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def require_chromium(config_file: Path | None) -> str:
    """The Chromium that prints the PDFs, or an error that says how to get one."""
    found = find_chromium()
    if found is None:
        where = os.environ.get(CHROMIUM_ENV)
        raise PolicyError(
            "pdf: true needs Chromium to print each version's PDF, and "
            + (f"{CHROMIUM_ENV}={where} is not an executable" if where else "none was found on PATH"),
            file=str(config_file) if config_file else "mkdocs.yml",
            remedy="install Chromium (Debian: apt-get install chromium), set "
            f"{CHROMIUM_ENV} to its executable, or set pdf: false under the policy plugin",
        )
    return found


def languages_without_a_font(languages: Iterable[str]) -> list[str]:
    """The site's languages whose characters no installed font covers, as fontconfig
    (`fc-list :lang=<code>`) sees it: Chromium would print them as empty boxes. Empty
    when fontconfig is not there to ask."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []
    missing = []
    for language in languages:
        try:
            found = subprocess.run(
                [fc_list, f":lang={language.lower()}", "family"], capture_output=True, text=True, timeout=30
            )
        except (OSError, subprocess.TimeoutExpired):
            return []
        if found.returncode == 0 and not found.stdout.strip():
            missing.append(language)
    return missing


def _stamp(pdf: bytes, instant: dt.datetime) -> bytes:
    """The PDF with its creation and modification dates set to `instant` (same length:
    the cross-reference offsets stay right)."""
    stamp = instant.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S").encode()

    def replace(match: re.Match[bytes]) -> bytes:
        old = match.group(0)
        new = b"/" + match.group(1) + b" (D:" + stamp + b"+00'00')"
        return new if len(new) == len(old) else old

    return _PDF_DATE.sub(replace, pdf)


def _print(chromium: str, page: Path, target: Path, profile: Path) -> bytes:
    target.unlink(missing_ok=True)
    command = [
        chromium,
        "--headless",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-pdf-header-footer",
        f"--user-data-dir={profile}",
        f"--print-to-pdf={target}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--no-sandbox")  # Chromium refuses to start its sandbox as root
    command.append(page.as_uri())
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=PRINT_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise PolicyError(
            f"Chromium did not print {page} within {PRINT_TIMEOUT} s",
            file=chromium,
            remedy="check that Chromium runs headless on this machine, or set pdf: false",
        ) from None
    except OSError as error:
        raise PolicyError(
            f"Chromium could not be started: {error}", file=chromium, remedy="reinstall it, or set pdf: false"
        ) from None
    if result.returncode != 0 or not target.is_file():
        last = "\n".join(result.stderr.strip().splitlines()[-3:])
        raise PolicyError(
            f"Chromium could not print {page} (exit status {result.returncode}): {last}",
            file=chromium,
            remedy="check that Chromium runs headless on this machine, or set pdf: false",
        )
    return target.read_bytes()


def print_versions(site: Path, model: SiteModel, chromium: str) -> dict[str, str]:
    """Print every published version's page of the built `site` to its PDF; returns the
    sha256 of each PDF by the version's URL."""
    hashes: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="policyctl-pdf-") as work:
        profile = Path(work) / "profile"
        for doc_id, name, url, published in _printable(model):
            page = site / url / "index.html"  # MkDocs' directory URLs
            target = site / urls.version_pdf(doc_id, name, language=model.language)
            data = _stamp(_print(chromium, page, Path(work) / "page.pdf", profile), published)
            target.write_bytes(data)
            hashes[url] = hashlib.sha256(data).hexdigest()
    return hashes


def _printable(model: SiteModel) -> Iterable[tuple[str, str, str, dt.datetime]]:
    for doc in model.documents:
        for entry in doc.entries:
            if not entry.draft:
                yield doc.id, entry.version.version, entry.url, entry.version.published
