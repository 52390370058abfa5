"""What the browser tests (and scripts/screenshots.py) need around Chromium: a built
site served over HTTP on loopback, and Debian's Chromium launched by Playwright."""

from __future__ import annotations

import contextlib
import io
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from generator.commands import main as policyctl_main

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}


class BuildFailed(AssertionError):
    pass


def build_site(repo: Path, as_of: str, site: Path) -> Path:
    """`policyctl build` in-process; the site folder, or the build's own words on failure."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = policyctl_main(["build", "--repo", str(repo), "--as-of", as_of, "--site-dir", str(site)])
        except SystemExit as exit_:
            code = int(exit_.code or 0)
    if code != 0:
        raise BuildFailed(f"policyctl build --as-of {as_of} exited {code}:\n{out.getvalue()}{err.getvalue()}")
    return site


class _Handler(SimpleHTTPRequestHandler):
    """Serves the server's current root. Like GitHub Pages, it allows other origins to
    read the files (notice.js on the shop fetches notices.json); unlike it, nothing is
    cached, so that a rebuilt site served at the same origin is what the browser sees."""

    def __init__(self, request, client_address, server) -> None:
        super().__init__(request, client_address, server, directory=str(server.root))

    def end_headers(self) -> None:
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args) -> None:
        pass


class StaticServer(ThreadingHTTPServer):
    """A folder over HTTP on 127.0.0.1 at a free port. `root` may be switched to another
    folder (a later build): the origin, and so the browser's localStorage, stays the same."""

    daemon_threads = True

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"


@contextlib.contextmanager
def serving(root: Path) -> Iterator[StaticServer]:
    server = StaticServer(root)
    thread = threading.Thread(target=server.serve_forever, name=f"http {server.url}", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def on_loopback(url: str) -> bool:
    return url.startswith(("http://127.0.0.1:", "http://127.0.0.1/"))


def new_visitor(browser):
    """A browser context for one visitor (its own localStorage), 1280x900. Requests
    leaving loopback (the theme's Google Fonts) are refused: the tests and the
    screenshots depend on nothing but the built site, and never wait on the network."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB", device_scale_factor=1)
    context.route(lambda url: not on_loopback(url), lambda route: route.abort())
    return context


SHOP_PAGE = """\
<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Example Shop</title>
  <script src="{notice_js}" defer></script>
</head>
<body>
  <header><h1>Example Shop</h1></header>
  <main><p>Handmade teapots, shipped worldwide.</p></main>
</body>
</html>
"""


def shop_page(folder: Path, notice_js: str) -> Path:
    """The operator's own website: a plain HTML page, not part of the MkDocs site, that
    embeds the policy site's notice.js with one script tag."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "index.html").write_text(SHOP_PAGE.format(notice_js=notice_js), encoding="utf-8")
    return folder
