"""Headless Chromium that prints pages of a built site and loads nothing else (`pdf: true`).

A policy's text reaches the printer: an image with an absolute path (`<img
src="/home/me/secret.png">`, which a page printed from `file:` would load from the build
machine's disk), one on an address of the build machine's network
(`http://127.0.0.1:8080/admin.png`), one on a host that never answers. Therefore:

- Chromium sees the site at `ORIGIN`, a name that never resolves, and every request of
  the page is intercepted (DevTools' Fetch domain, over `--remote-debugging-pipe`: no
  port is opened). A file of the built site is answered from the site folder
  (`site_file`: its real path inside the folder, a regular file, at most `MAX_RESOURCE`
  bytes, read within `RESOURCE_TIMEOUT`); the page itself is answered from memory (the
  copy of `pdf.print_copy`); every other request, to another host or another scheme, is
  refused at once. Nothing is fetched from the network or from the machine's files, no
  request waits on anything, and an image refused prints its alt text. Chromium never
  reads the site folder itself, and it resolves no host name (`--host-resolver-rules`).
- Chromium's sandbox is on. Chromium refuses to start its sandbox as root: when the build
  runs as root, the browser runs as `UNPRIVILEGED_USER`, in a folder of its own (profile,
  caches), with an environment that carries none of the build's variables but the
  locale's and fontconfig's. The sandbox needs unprivileged user namespaces (or the
  setuid `chrome-sandbox` of Chrome's packages); without them Chromium does not start,
  and the build says so.
- One browser prints a build's PDFs, started when the first is needed (a build that
  reuses every PDF starts none). A page not printed within `PAGE_TIMEOUT`, or a browser
  that does not start within `START_TIMEOUT`, fails the build with a message: a hung
  browser must not hang the daily build.

Page.printToPDF is asked what `chromium --print-to-pdf --no-pdf-header-footer` asks
(`PDF_OPTIONS`): the same page prints to the same bytes either way.
"""

from __future__ import annotations

import base64
import json
import mimetypes
import os
import pwd
import select
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any
from urllib.parse import quote, unquote, urlsplit

from generator.core.errors import PolicyError

ORIGIN = "http://policy-print.invalid"
"""Where Chromium sees the site while printing (`.invalid` never resolves)."""
UNPRIVILEGED_USER = "nobody"
"""Whom Chromium runs as when the build runs as root."""
START_TIMEOUT = 30.0  # seconds for the browser to start
PAGE_TIMEOUT = 60.0  # seconds for one page, from navigation to its PDF
RESOURCE_TIMEOUT = 5.0  # seconds to read one file of the site
MAX_RESOURCE = 32 * 1024 * 1024
"""The largest file of the site a page may load (bytes); a larger one is refused."""
PDF_OPTIONS = {"printBackground": True, "preferCSSPageSize": True, "displayHeaderFooter": False}
FLAGS = (
    "--headless",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--remote-debugging-pipe",
)
_TRAMPOLINE = 'exec "$0" "$@" 3<&0 4>&1 0</dev/null 1>&2'
"""Chromium reads DevTools commands from fd 3 and answers on fd 4; subprocess places only
fds 0-2, so the shell moves the two pipes there and execs Chromium."""
_KEPT_ENVIRONMENT = ("PATH", "LANG", "LANGUAGE", "FONTCONFIG_FILE", "FONTCONFIG_PATH")
_REMEDY = (
    "check that Chromium runs headless here with its sandbox: it needs unprivileged user "
    "namespaces (sysctl kernel.unprivileged_userns_clone=1; under Docker, a seccomp profile "
    f"that allows them); as root it runs as {UNPRIVILEGED_USER}, which must be able to enter "
    "the temporary folder (TMPDIR); or set pdf: false"
)
_SHOWN_URL = 120
_ON_PAPER = frozenset({"Document", "Stylesheet", "Image", "Media", "Font"})
"""The kinds of request whose refusal `Printed.refused` names (not the browser's own
favicon request)."""


class Refused(Exception):
    """A request the printer does not answer; the message says why."""


@dataclass(frozen=True)
class Printed:
    pdf: bytes
    refused: tuple[str, ...]
    """What the page asked for and did not get, each "address (why)", in order."""


def page_url(path: str) -> str:
    """The address at which Chromium sees the site's page `path` (e.g. "privacy/versions/2.0/")."""
    return f"{ORIGIN}/{quote(path.lstrip('/'))}"


def site_file(site: Path, url: str, deadline: float | None = None) -> bytes:
    """The bytes of the file of the built `site` at `url` (under `ORIGIN`; a folder's
    index.html), or `Refused`: another address; a path out of the folder, directly or
    by a symbolic link; no such file; not a regular file (a FIFO would never end); more
    than `MAX_RESOURCE` bytes; not read by `deadline` (default: `RESOURCE_TIMEOUT` from now)."""
    if not url.startswith(ORIGIN + "/"):
        raise Refused("not a file of the site: only those are printed")
    path = unquote(urlsplit(url).path)
    parts = [part for part in path.split("/") if part]
    if ".." in parts or "\0" in path:
        raise Refused("outside the site's folder")
    try:
        root = site.resolve()
        target = root.joinpath(*parts).resolve()
        if target.is_dir():
            target = (target / "index.html").resolve()
        if not target.is_relative_to(root):
            raise Refused("outside the site's folder")
        fd = os.open(target, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise Refused("no such file in the site") from None
    except RuntimeError:  # Python 3.11's resolve() on a loop of symbolic links
        raise Refused("unreadable: a loop of symbolic links") from None
    except OSError as error:
        raise Refused(f"unreadable: {error.strerror or error}") from None
    with os.fdopen(fd, "rb") as file:
        return _read(file, time.monotonic() + RESOURCE_TIMEOUT if deadline is None else deadline)


def _read(file: IO[bytes], deadline: float) -> bytes:
    info = os.fstat(file.fileno())
    if not stat.S_ISREG(info.st_mode):
        raise Refused("not a regular file")
    if info.st_size > MAX_RESOURCE:
        raise Refused(f"larger than the limit of {MAX_RESOURCE} bytes")
    chunks = []
    while chunk := file.read(1 << 20):
        chunks.append(chunk)
        if time.monotonic() > deadline:
            raise Refused(f"not read within {RESOURCE_TIMEOUT:g} s")
    return b"".join(chunks)


def _shown(url: str) -> str:
    shown = url[len(ORIGIN) :] if url.startswith(ORIGIN + "/") else url
    return shown if len(shown) <= _SHOWN_URL else shown[: _SHOWN_URL - 1] + "…"


# ------------------------------------------------------------------ the browser process


def _run_as(folder: Path) -> dict[str, Any]:
    """Popen's arguments that run Chromium as `UNPRIVILEGED_USER` when the build runs as
    root (the user gets `folder`); none otherwise."""
    if os.geteuid() != 0:
        return {}
    try:
        account = pwd.getpwnam(UNPRIVILEGED_USER)
    except KeyError:
        raise PolicyError(
            f"pdf: true: the build runs as root, and Chromium, which refuses its sandbox as "
            f"root, would run as {UNPRIVILEGED_USER}: there is no such user",
            remedy=f"create the user {UNPRIVILEGED_USER}, run the build as another user than root, "
            "or set pdf: false",
        ) from None
    os.chown(folder, account.pw_uid, account.pw_gid)
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


def _environment(folder: Path) -> dict[str, str]:
    """Chromium's environment: the locale, fontconfig's and PATH, and `folder` for its home,
    configuration, caches and temporary files; none of the build's other variables."""
    kept = {k: v for k, v in os.environ.items() if k in _KEPT_ENVIRONMENT or k.startswith("LC_")}
    home = str(folder)
    return {
        "PATH": os.defpath,
        **kept,
        "HOME": home,
        "TMPDIR": home,
        "XDG_CONFIG_HOME": f"{home}/.config",
        "XDG_CACHE_HOME": f"{home}/.cache",
    }


class _Pipe:
    """DevTools messages over two pipes: JSON, each ended by a NUL byte."""

    def __init__(self, commands: int, replies: int) -> None:
        self.commands, self.replies = commands, replies
        os.set_blocking(commands, False)
        os.set_blocking(replies, False)
        self.writable, self.readable = select.poll(), select.poll()
        self.writable.register(commands, select.POLLOUT)
        self.readable.register(replies, select.POLLIN)
        self.buffer = bytearray()
        self.scanned = 0

    def send(self, message: dict[str, Any], deadline: float) -> None:
        data = memoryview(json.dumps(message).encode() + b"\0")
        while data:
            if not self.writable.poll(_left(deadline)):
                raise TimeoutError
            try:
                data = data[os.write(self.commands, data) :]
            except BlockingIOError:
                continue
            except BrokenPipeError:
                raise EOFError from None

    def receive(self, deadline: float) -> dict[str, Any]:
        while (end := self.buffer.find(b"\0", self.scanned)) < 0:
            self.scanned = len(self.buffer)
            if not self.readable.poll(_left(deadline)):
                raise TimeoutError
            try:
                chunk = os.read(self.replies, 1 << 20)
            except BlockingIOError:
                continue
            if not chunk:
                raise EOFError
            self.buffer += chunk
        message = json.loads(self.buffer[:end])
        del self.buffer[: end + 1]
        self.scanned = 0
        return message if isinstance(message, dict) else {}

    def close(self) -> None:
        for fd in (self.commands, self.replies):
            os.close(fd)


def _left(deadline: float) -> int:
    """Milliseconds until `deadline`, for poll."""
    return max(0, int((deadline - time.monotonic()) * 1000))


class _Page:
    """What one page being printed has asked for, and whether it has loaded."""

    def __init__(self, url: str, html: str) -> None:
        self.url, self.html = url, html
        self.loaded = False
        self.refused: list[str] = []

    def is_it(self, url: str) -> bool:
        """Whether `url` is this page's address (however Chromium escapes it)."""
        return unquote(urlsplit(url).path) == unquote(urlsplit(self.url).path) and url.startswith(
            ORIGIN + "/"
        )


class Printer:
    """Prints pages of the built `site` with `chromium` (see the module's docstring):
    `with Printer(chromium, site) as printer: printer.print_page(path, html)`."""

    def __init__(self, chromium: str, site: Path) -> None:
        self.chromium, self.site = chromium, site
        self.process: subprocess.Popen[bytes] | None = None
        self.pipe: _Pipe | None = None
        self.folder: Path | None = None
        self.errors: IO[bytes] | None = None
        self.session = ""
        self.next_id = 0
        self.page: _Page | None = None

    def __enter__(self) -> Printer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def print_page(self, path: str, html: str) -> Printed:
        """The PDF of the page `html`, seen at the site's `path` (its links to the site's
        styles resolve from there), and what it asked for and was refused."""
        if self.process is None:
            self._start()
        deadline = time.monotonic() + PAGE_TIMEOUT
        self.page = page = _Page(page_url(path), html)
        try:
            navigated = self._call("Page.navigate", {"url": page.url}, deadline)
            if navigated.get("errorText"):
                raise self._failure(f"Chromium could not open the page of {path}: {navigated['errorText']}")
            while not page.loaded:
                self._event(self._receive(deadline))
            result = self._call("Page.printToPDF", PDF_OPTIONS, deadline)
        except TimeoutError:
            raise self._failure(
                f"Chromium did not print the page of {path} within {PAGE_TIMEOUT:g} s"
            ) from None
        finally:
            self.page = None
        return Printed(base64.b64decode(result.get("data", "")), tuple(dict.fromkeys(page.refused)))

    def close(self) -> None:
        """Ends the browser (asked, then killed) and removes its folder."""
        process, pipe = self.process, self.pipe
        self.process = self.pipe = None
        if process is not None and pipe is not None:
            try:
                pipe.send({"id": 0, "method": "Browser.close", "params": {}}, time.monotonic() + 5)
                process.wait(timeout=10)
            except (OSError, EOFError, TimeoutError, subprocess.TimeoutExpired):
                _kill(process)
        elif process is not None:
            _kill(process)
        if pipe is not None:
            pipe.close()
        if self.errors is not None:
            self.errors.close()
            self.errors = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    # -------------------------------------------------------------- starting the browser

    def _start(self) -> None:
        """Chromium started, with its DevTools pipe and a tab (`close` ends it, and removes
        its folder, whatever happens here)."""
        self.folder = Path(tempfile.mkdtemp(prefix="policyctl-chromium-"))
        self.errors = tempfile.TemporaryFile()
        run_as = _run_as(self.folder)
        commands_read, commands_write = os.pipe()
        replies_read, replies_write = os.pipe()
        self.pipe = _Pipe(commands_write, replies_read)
        try:
            self.process = subprocess.Popen(
                [
                    "/bin/sh",
                    "-c",
                    _TRAMPOLINE,
                    self.chromium,
                    *FLAGS,
                    f"--user-data-dir={self.folder}/profile",
                ],
                stdin=commands_read,
                stdout=replies_write,
                stderr=self.errors,
                env=_environment(self.folder),
                cwd=self.folder,
                start_new_session=True,
                **run_as,
            )
        except OSError as error:
            raise PolicyError(
                f"Chromium could not be started: {error}", file=self.chromium, remedy=_REMEDY
            ) from None
        finally:
            os.close(commands_read)
            os.close(replies_write)
        self._open_tab()

    def _open_tab(self) -> None:
        """A tab whose every request this printer answers (`_answer`)."""
        deadline = time.monotonic() + START_TIMEOUT
        try:
            target = self._call("Target.createTarget", {"url": "about:blank"}, deadline)
            attached = self._call(
                "Target.attachToTarget", {"targetId": target.get("targetId"), "flatten": True}, deadline
            )
            self.session = str(attached.get("sessionId", ""))
            for method, params in (
                ("Inspector.enable", {}),
                ("Page.enable", {}),
                ("Fetch.enable", {"patterns": [{"urlPattern": "*"}]}),
            ):
                self._call(method, params, deadline)
        except TimeoutError:
            raise self._failure(f"Chromium did not start within {START_TIMEOUT:g} s") from None

    def _failure(self, message: str) -> PolicyError:
        """`message` with the last lines of Chromium's error output; the browser is ended."""
        if self.process is not None:
            _kill(self.process)
        last = ""
        if self.errors is not None:
            self.errors.seek(0)
            last = "\n".join(self.errors.read().decode("utf-8", "replace").strip().splitlines()[-3:])
        self.close()
        user = f" (running as {UNPRIVILEGED_USER})" if os.geteuid() == 0 else ""
        return PolicyError(
            f"{message}{user}" + (f":\n{last}" if last else ""), file=self.chromium, remedy=_REMEDY
        )

    # ----------------------------------------------------------------- DevTools messages

    def _call(self, method: str, params: dict[str, Any], deadline: float) -> dict[str, Any]:
        """Sends a command (to the tab, once there is one) and answers the events that come
        before its reply."""
        sent = self._send(method, params, deadline)
        while True:
            message = self._receive(deadline)
            if message.get("id") == sent:
                if "error" in message:
                    raise self._failure(f"Chromium refused {method}: {message['error']}")
                result = message.get("result")
                return result if isinstance(result, dict) else {}
            self._event(message)

    def _send(self, method: str, params: dict[str, Any], deadline: float) -> int:
        if self.pipe is None:
            raise self._failure("Chromium has ended")
        self.next_id += 1
        message: dict[str, Any] = {"id": self.next_id, "method": method, "params": params}
        if self.session:
            message["sessionId"] = self.session
        try:
            self.pipe.send(message, deadline)
        except EOFError:
            raise self._failure("Chromium has ended") from None
        return self.next_id

    def _receive(self, deadline: float) -> dict[str, Any]:
        if self.pipe is None:
            raise self._failure("Chromium has ended")
        try:
            return self.pipe.receive(deadline)
        except (EOFError, ValueError):
            raise self._failure("Chromium has ended") from None

    def _event(self, message: dict[str, Any]) -> None:
        params = message.get("params") or {}
        method = message.get("method")
        if method == "Fetch.requestPaused":
            self._answer(params)
        elif method == "Page.loadEventFired" and self.page is not None:
            self.page.loaded = True
        elif method == "Inspector.targetCrashed":
            raise self._failure("Chromium's page crashed")

    def _answer(self, params: dict[str, Any]) -> None:
        """A request of the page: the page itself, a file of the site, or refused."""
        request_id, url = params.get("requestId"), str(params.get("request", {}).get("url", ""))
        page = self.page
        try:
            if page is not None and page.is_it(url):
                body = page.html.encode()
            elif params.get("resourceType") == "Document":  # never a page of the site as it is
                raise Refused("another page: only the copy being printed is")
            else:
                body = site_file(self.site, url)
        except Refused as refusal:
            if page is not None and params.get("resourceType") in _ON_PAPER:
                page.refused.append(f"{_shown(url)} ({refusal})")
            reply = {"requestId": request_id, "errorReason": "BlockedByClient"}
            self._send("Fetch.failRequest", reply, time.monotonic() + RESOURCE_TIMEOUT)
            return
        kind = "text/html" if url.endswith("/") else mimetypes.guess_type(urlsplit(url).path)[0]
        kind = kind or "application/octet-stream"
        if kind.startswith("text/"):
            kind += "; charset=utf-8"
        reply = {
            "requestId": request_id,
            "responseCode": 200,
            "responseHeaders": [{"name": "Content-Type", "value": kind}],
            "body": base64.b64encode(body).decode("ascii"),
        }
        self._send("Fetch.fulfillRequest", reply, time.monotonic() + PAGE_TIMEOUT)


def _kill(process: subprocess.Popen[bytes]) -> None:
    """Ends the browser and every process it started (its own session)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except OSError:
        pass
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
