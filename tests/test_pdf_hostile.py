"""Hostile images in a policy, printed to PDF (`pdf: true`; issue 22): Chromium prints
from the built site only, in its sandbox.

One policy version holds, besides its text, an image whose address is a path on the
build machine (raw HTML and Markdown), one on a loopback server of the build machine
(which would answer it), one on a host that accepts connections and never answers, and
one of the site's own files. Its site is built once (real Chromium, as the build runs
here: as root in CI), while the Chromium processes the build starts are watched.
"""

from __future__ import annotations

import contextlib
import io
import os
import pwd
import shutil
import socket
import struct
import tempfile
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pypdf
import pytest
from test_print import MKDOCS_YML
from tests_support import PolicyRepo, engine_options, policy_file, running

from generator.commands import main as policyctl_main
from generator.core.errors import PolicyError
from generator.site import printer
from generator.site.pdf import find_chromium
from generator.site.printer import ORIGIN, Printer, Refused, site_file

PDF = "privacy/versions/1.0/privacy-1.0.pdf"
SECRET_SIZE = (13, 7)  # no other image of a printed page has these dimensions
SERVED_SIZE = (11, 5)
BIG_SIZE = (17, 3)
LOGO_SIZE = (48, 48)  # Material's assets/images/favicon.png, a file of the site


def png(width: int, height: int) -> bytes:
    """A grey PNG of that size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\0" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def images(data: bytes) -> list[tuple[int, int]]:
    """The width and height of each image a PDF draws (inside forms too)."""
    found: list[tuple[int, int]] = []

    def walk(resources) -> None:
        xobjects = resources.get("/XObject") if resources else None
        for ref in (xobjects or {}).values():
            xobject = ref.get_object()
            if xobject.get("/Subtype") == "/Image":
                found.append((int(xobject["/Width"]), int(xobject["/Height"])))
            elif xobject.get("/Subtype") == "/Form":
                walk(xobject.get("/Resources"))

    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        walk(page.get("/Resources"))
    return found


def text_of(data: bytes) -> str:
    return " ".join(" ".join(p.extract_text().split()) for p in pypdf.PdfReader(io.BytesIO(data)).pages)


class _Recorder(BaseHTTPRequestHandler):
    server: RecordingServer

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        body = png(*SERVED_SIZE)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:
        pass


class RecordingServer(ThreadingHTTPServer):
    """A service of the build machine, on loopback, that answers every request with an image."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Recorder)
        self.requests: list[str] = []

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"


def recording() -> contextlib.AbstractContextManager[RecordingServer]:
    return running(RecordingServer())


@dataclass
class Process:
    uid: int
    seccomp: int
    command: str
    """Its arguments, joined by spaces (a sandboxed process rewrites them into one)."""


@dataclass
class Watcher:
    """The Chromium processes descended from this one, looked at every 20 ms."""

    seen: dict[int, Process] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)

    def _descendants(self) -> set[int]:
        parents: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                with contextlib.suppress(OSError, ValueError, IndexError):
                    stat = Path(f"/proc/{entry}/stat").read_text()
                    parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
        family, grew = {os.getpid()}, True
        while grew:
            more = {pid for pid, parent in parents.items() if parent in family} - family
            family |= more
            grew = bool(more)
        return family - {os.getpid()}

    def _look(self) -> None:
        """Each Chromium process's user, and the strictest seccomp mode seen (a renderer
        starts its sandbox just after it is forked)."""
        for pid in self._descendants():
            with contextlib.suppress(OSError, ValueError, StopIteration):
                command = Path(f"/proc/{pid}/cmdline").read_bytes().decode().replace("\0", " ")
                status = Path(f"/proc/{pid}/status").read_text().splitlines()
                uid = int(next(line for line in status if line.startswith("Uid:")).split()[2])
                seccomp = int(next(line for line in status if line.startswith("Seccomp:")).split()[1])
                if "chrom" in command.split(" ", 1)[0]:
                    before = self.seen.get(pid)
                    self.seen[pid] = Process(uid, max(seccomp, before.seccomp if before else 0), command)

    def run(self) -> None:
        while not self.stop.is_set():
            self._look()
            time.sleep(0.02)

    def renderers(self) -> list[Process]:
        return [p for p in self.seen.values() if "--type=renderer" in p.command]


@dataclass
class Built:
    site: Path
    err: str
    secret: Path
    loopback: list[str]
    hanging: socket.socket
    watcher: Watcher

    @property
    def pdf(self) -> bytes:
        return (self.site / PDF).read_bytes()


def build(repo: Path, site: Path) -> tuple[int, str]:
    """`policyctl build` in-process: its exit status and what it wrote on stderr (with stdout)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        options = ["--repo", str(repo), "--as-of", "2026-09-02", "--site-dir", str(site)]
        code = policyctl_main(["build", *options, *engine_options(())])
    return code, out.getvalue() + err.getvalue()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    work = tmp_path_factory.mktemp("hostile")
    secret = work / "secret.png"
    secret.write_bytes(png(*SECRET_SIZE))
    hanging = socket.socket()
    hanging.bind(("127.0.0.1", 0))
    hanging.listen(8)  # connections complete in the kernel's queue; none is ever answered
    hanging.setblocking(False)
    with recording() as loopback, hanging:
        text = (
            "Our logo: ![the site's logo](../../../assets/images/favicon.png)\n\n"
            f'A raw image: <img src="{secret}" alt="the raw secret">\n\n'
            f"A Markdown image: ![the markdown secret]({secret})\n\n"
            f"An internal service: ![the loopback image]({loopback.url}admin.png)\n\n"
            f"A host that never answers: ![the hanging image](http://127.0.0.1:{hanging.getsockname()[1]}/slow.png)\n\n"
            "## I. Scope {#scope}\n\nThis policy applies to the Website.\n"
        )
        repo = PolicyRepo.create(work / "repo")
        repo.write("mkdocs.yml", MKDOCS_YML)
        repo.publish(
            "policy/privacy.md", policy_file(text, published="2026-09-01"), "2026-09-01T10:00:00+08:00"
        )
        watcher = Watcher()
        thread = threading.Thread(target=watcher.run, daemon=True)
        thread.start()
        try:
            code, err = build(repo.path, work / "site")
        finally:
            watcher.stop.set()
            thread.join()
        assert code == 0, err
        assert "Traceback" not in err
        yield Built(work / "site", err, secret, loopback.requests, hanging, watcher)


def test_an_image_at_a_path_of_the_build_machine_is_not_in_the_pdf(built: Built):
    """`<img src="/abs/path/secret.png">` and `![x](/abs/path/secret.png)`: Chromium
    prints from the built site only, and the site has no such file."""
    assert SECRET_SIZE not in images(built.pdf)
    text = text_of(built.pdf)
    assert "the raw secret" in text and "the markdown secret" in text  # alt text instead
    assert f"{PDF}: printed without what the printer refuses to load" in built.err
    assert f"{built.secret} (no such file in the site)" in built.err
    assert 'see "What the PDF printer refuses" in docs/site.md' in built.err
    docs = (Path(__file__).resolve().parents[1] / "docs" / "site.md").read_text(encoding="utf-8")
    assert "\n### What the PDF printer refuses\n" in docs


def test_the_site_own_image_is_still_printed(built: Built):
    assert LOGO_SIZE in images(built.pdf)
    assert "the site's logo" not in text_of(built.pdf)


def test_an_image_on_the_build_machines_network_is_never_fetched(built: Built):
    """![x](http://127.0.0.1:PORT/x.png): no request leaves the printer (SSRF)."""
    assert built.loopback == []
    assert SERVED_SIZE not in images(built.pdf)
    assert "the loopback image" in text_of(built.pdf)
    assert "admin.png (not a file of the site: only those are printed)" in built.err


def test_an_image_host_that_never_answers_gets_no_connection_and_the_build_succeeds(built: Built):
    with pytest.raises(BlockingIOError):
        built.hanging.accept()  # nobody connected
    assert "the hanging image" in text_of(built.pdf)
    assert "slow.png (not a file of the site" in built.err


def test_chromium_prints_in_its_sandbox_and_not_as_root(built: Built):
    """Chromium refuses its sandbox as root: a build run as root (as here and in CI) runs
    the browser as nobody. Each renderer is sandboxed (seccomp-bpf: Seccomp 2); none of
    the processes was started with --no-sandbox."""
    renderers = built.watcher.renderers()
    assert renderers, f"no Chromium renderer seen: {list(built.watcher.seen.values())}"
    for process in built.watcher.seen.values():
        assert "--no-sandbox" not in process.command, process
    expected = pwd.getpwnam(printer.UNPRIVILEGED_USER).pw_uid if os.geteuid() == 0 else os.geteuid()
    for process in renderers:
        assert process.seccomp == 2, process
        assert process.uid == expected, process
    assert not [p for p in built.watcher.seen.values() if p.uid == 0]


# -------------------------------------------------- the printer, on a site made by hand


@pytest.fixture
def chromium() -> str:
    found = find_chromium()
    assert found is not None
    return found


@pytest.fixture
def open_folder() -> Iterator[Path]:
    """A folder that the user Chromium runs as can enter (pytest's are the build user's only)."""
    folder = Path(tempfile.mkdtemp(prefix="policyctl-test-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


PAGE = """<!doctype html><html lang="en"><head><title>Images</title></head><body>
<p>Images: <img src="/ok.png" alt="the good image"> <img src="/fifo.png" alt="the named pipe">
<img src="/link.png" alt="the link out"> <img src="/loop.png" alt="the loop">
<img src="/big.png" alt="the big one"> <img src="/%2e%2e/secret.png" alt="the climb"></p>
</body></html>"""


def test_files_of_the_site_that_would_hang_or_leak_are_refused_at_once(
    chromium: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A FIFO (reading it would never end), symbolic links out of the folder or in a loop,
    a file over the size limit: the page prints, with alt text for each."""
    site = tmp_path / "site"
    site.mkdir()
    (tmp_path / "secret.png").write_bytes(png(*SECRET_SIZE))
    (site / "ok.png").write_bytes(png(*SERVED_SIZE))
    os.mkfifo(site / "fifo.png")
    (site / "link.png").symlink_to(tmp_path / "secret.png")
    (site / "loop.png").symlink_to(site / "loop.png")
    (site / "big.png").write_bytes(png(*BIG_SIZE) + b"\0" * 1000)
    monkeypatch.setattr(printer, "MAX_RESOURCE", 200)
    with Printer(chromium, site) as pages:
        printed = pages.print_page("page/", PAGE)
    drawn = images(printed.pdf)
    assert SERVED_SIZE in drawn
    assert SECRET_SIZE not in drawn and BIG_SIZE not in drawn
    text = text_of(printed.pdf)
    for alt in ("the named pipe", "the link out", "the loop", "the big one", "the climb"):
        assert alt in text, alt
    assert "the good image" not in text
    fifo, link, loop, big, climb = printed.refused
    assert fifo == "/fifo.png (not a regular file)"
    assert link == "/link.png (outside the site's folder)"
    assert loop.startswith("/loop.png (unreadable: ")
    assert big == "/big.png (larger than the limit of 200 bytes)"
    assert climb == "/secret.png (no such file in the site)"  # Chromium resolved the %2e%2e


def test_the_printer_alone_keeps_every_request_off_the_network(
    chromium: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Chromium 156 resolves no name, nor an IP address, under `--host-resolver-rules=MAP *
    ~NOTFOUND`; the printer does not rely on it. Without that flag, a page's requests to a
    loopback service (by address and by name) and to a host that never answers are still
    refused at once, by the printer, and their images print their alt text."""
    monkeypatch.setattr(printer, "FLAGS", tuple(f for f in printer.FLAGS if "host-resolver" not in f))
    hanging = socket.socket()
    hanging.bind(("127.0.0.1", 0))
    hanging.listen(8)
    hanging.setblocking(False)
    with recording() as loopback, hanging:
        port = loopback.server_address[1]
        page = (
            f'<p><img src="http://127.0.0.1:{port}/by-address.png" alt="by address">'
            f'<img src="http://localhost:{port}/by-name.png" alt="by name">'
            f'<img src="http://127.0.0.1:{hanging.getsockname()[1]}/slow.png" alt="never answers"></p>'
        )
        with Printer(chromium, tmp_path) as pages:
            printed = pages.print_page("page/", page)
        assert loopback.requests == []
        with pytest.raises(BlockingIOError):
            hanging.accept()
    assert text_of(printed.pdf) == "by address by name never answers"
    assert [entry.split(" (")[1] for entry in printed.refused] == [
        "not a file of the site: only those are printed)"
    ] * 3


def test_site_file_answers_only_files_inside_the_folder(tmp_path: Path):
    site = tmp_path / "site"
    (site / "a").mkdir(parents=True)
    (site / "a" / "index.html").write_text("page")
    (tmp_path / "secret").write_text("secret")
    assert site_file(site, f"{ORIGIN}/a/") == b"page"
    for url, why in (
        ("http://127.0.0.1:8080/a/", "not a file of the site"),
        ("file:///etc/passwd", "not a file of the site"),
        (f"{ORIGIN}.evil.example/a/", "not a file of the site"),
        (f"{ORIGIN}/%2e%2e/secret", "outside the site's folder"),
        (f"{ORIGIN}/a/%2E%2E/%2e%2e/secret", "outside the site's folder"),
        (f"{ORIGIN}/a%2f..%2f..%2fsecret", "outside the site's folder"),
        (f"{ORIGIN}/a/%00", "outside the site's folder"),
        (f"{ORIGIN}/nothing.png", "no such file in the site"),
    ):
        with pytest.raises(Refused, match=why):
            site_file(site, url)


def test_a_chromium_that_does_not_start_its_sandbox_is_named_with_what_to_do(
    policyctl, tmp_path: Path, open_folder: Path, monkeypatch: pytest.MonkeyPatch
):
    """Chromium without a usable sandbox (no user namespaces, no setuid helper) ends at
    once: the build stops with Chromium's own words and the remedy, no traceback."""
    fake = open_folder / "chromium"
    fake.write_text("#!/bin/sh\necho 'FATAL: No usable sandbox! (as the kernel says)' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("POLICYCTL_CHROMIUM", str(fake))
    repo = PolicyRepo.create(tmp_path / "repo")
    repo.write("mkdocs.yml", MKDOCS_YML)
    repo.publish(
        "policy/privacy.md", policy_file("Text.\n", published="2026-09-01"), "2026-09-01T10:00:00+08:00"
    )
    result = policyctl("build", "--repo", repo.path, "--as-of", "2026-09-02", "--site-dir", tmp_path / "site")
    assert result.code == 2
    assert "Traceback" not in result.err
    assert "Chromium has ended" in result.err
    assert "No usable sandbox! (as the kernel says)" in result.err
    assert "unprivileged user namespaces" in result.err and "pdf: false" in result.err
    assert not (tmp_path / "site").exists()


def test_a_chromium_that_never_answers_is_given_up_in_time(
    tmp_path: Path, open_folder: Path, monkeypatch: pytest.MonkeyPatch
):
    fake = open_folder / "chromium"
    fake.write_text("#!/bin/sh\nexec sleep 600\n")
    fake.chmod(0o755)
    monkeypatch.setattr(printer, "START_TIMEOUT", 1.0)
    with pytest.raises(PolicyError, match="Chromium did not start within 1 s"):
        with Printer(str(fake), tmp_path) as pages:
            pages.print_page("page/", PAGE)
