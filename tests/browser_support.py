"""What the browser tests (and scripts/screenshots.py) need around Chromium: a built
site served over HTTP on loopback, and Debian's Chromium launched by Playwright."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests_support import engine_options, engine_under_test, running

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


def build_site(repo: Path, as_of: str, site: Path, *options: str) -> Path:
    """`policyctl build` in-process (with `options`, e.g. "--engine", "zensical"); the site
    folder, or the build's own words on failure. POLICYCTL_TEST_ENGINE, when set, adds
    `--engine $POLICYCTL_TEST_ENGINE` unless `options` choose one (tests_support.engine_options)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = policyctl_main(
                [
                    "build",
                    "--repo",
                    str(repo),
                    "--as-of",
                    as_of,
                    "--site-dir",
                    str(site),
                    *options,
                    *engine_options(options),
                ]
            )
        except SystemExit as exit_:
            code = int(exit_.code or 0)
    if code != 0:
        raise BuildFailed(f"policyctl build --as-of {as_of} exited {code}:\n{out.getvalue()}{err.getvalue()}")
    # Every site this project builds passes `policyctl verify` (its public record).
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = policyctl_main(["verify", str(site)])
    if code != 0:
        raise BuildFailed(f"policyctl verify {site} exited {code}:\n{out.getvalue()}{err.getvalue()}")
    return site


class _Handler(SimpleHTTPRequestHandler):
    """Serves the server's current root. Like GitHub Pages, it allows other origins to
    read the files (notice.js on the shop fetches notices.json) unless the server is made
    with `cors=False` (like `python3 -m http.server`), and answers a missing file with
    the site's 404.html; unlike it, nothing is cached, so that a rebuilt site served at the
    same origin is what the browser sees. The server's `headers` go with every answer
    (a Content-Security-Policy)."""

    server: StaticServer

    def __init__(self, request, client_address, server) -> None:
        super().__init__(request, client_address, server, directory=str(server.root))

    def end_headers(self) -> None:
        if self.server.cors:
            self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Cache-Control", "no-store")
        for name, value in self.server.headers.items():
            self.send_header(name, value)
        super().end_headers()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = Path(self.server.root) / "404.html"
        if code != 404 or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:
        pass


class StaticServer(ThreadingHTTPServer):
    """A folder over HTTP on 127.0.0.1 at a free port. `root` may be switched to another
    folder (a later build): the origin, and so the browser's localStorage, stays the same."""

    daemon_threads = True

    def __init__(self, root: Path, *, cors: bool = True, headers: dict[str, str] | None = None) -> None:
        self.root = Path(root)
        self.cors = cors
        self.headers = dict(headers or {})
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"


@contextlib.contextmanager
def serving(
    root: Path, *, cors: bool = True, headers: dict[str, str] | None = None
) -> Iterator[StaticServer]:
    with running(StaticServer(root, cors=cors, headers=headers)) as server:
        yield server


def documented_csp(engine: str | None = None) -> str:
    """The site's Content-Security-Policy as docs/site.md gives it for `engine` (by default
    the tests' engine, `tests_support.engine_under_test`): its first `Content-Security-Policy:`
    line, or under Zensical the first one after "Under Zensical". The tests serve the
    site with it."""
    import re

    text = (Path(__file__).resolve().parents[1] / "docs" / "site.md").read_text(encoding="utf-8")
    if (engine or engine_under_test()) == "zensical":
        text = text[text.index("\nUnder Zensical") :]
    match = re.search(r"^Content-Security-Policy: (.+)$", text, re.MULTILINE)
    assert match, "docs/site.md shows no Content-Security-Policy"
    return match.group(1)


def search_results(page, words: str, engine: str | None = None):
    """Opens the site's search on `page` (loaded) and types `words`; the locator of the
    result entries. Material: its form, opened with "s", entries `.md-search-result__item`.
    Zensical (`engine`, by default the tests' one): its own dialog (in an open shadow root,
    which Playwright's locators enter), opened with "/", entries the options of the
    "Search results" list box."""
    page.wait_for_load_state("networkidle")
    if (engine or engine_under_test()) == "zensical":
        page.keyboard.press("/")
        page.keyboard.type(words, delay=20)
        return page.get_by_role("listbox", name="Search results").get_by_role("option")
    page.keyboard.press("s")
    page.keyboard.type(words, delay=20)
    return page.locator(".md-search-result__item")


_RUNNING: tuple = ()
"""The Playwright (and a Chromium it launched) that this process last used: see `chromium`."""


def launch_chromium(playwright):
    global _RUNNING
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    _RUNNING = (playwright, browser)
    return browser


@contextlib.contextmanager
def chromium() -> Iterator:
    """A Chromium for one test module. Playwright's sync API runs one instance per thread,
    and a module that keeps one open for the whole session (test_browser.py's `browser`)
    would make a second `sync_playwright()` fail: so this launches on the running one when
    there is one, and starts its own otherwise."""
    from playwright.sync_api import sync_playwright

    global _RUNNING
    running = _RUNNING
    if running and running[1].is_connected():
        browser = launch_chromium(running[0])
        try:
            yield browser
        finally:
            browser.close()
            # The session's browser is still the one that shows Playwright is running: a
            # later module must launch on it too, not start a second Playwright.
            _RUNNING = running
        return
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            yield browser
        finally:
            browser.close()


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


# ------------------------------------------------------------------ a hostile policy
# What an editor's mistake or a compromised account could put in a policy file: every
# value the site shows carries markup, quotes, `</script>`, `]]>` and event handlers.
# Each script calls alert() with its origin: a test that sees any dialog has found one
# that ran. (Version names cannot carry any of it: `check` and `build` refuse them.)

HOSTILE_TITLE = "<script>alert('title')</script> \"Privacy\" & 'Data' </script> ]]> <img src=x onerror=\"alert('title-img')\">"
HOSTILE_SUMMARY = (
    "We share <script>alert('summary')</script> \"more\" & 'less' </script> ]]> "
    "<img src=x onerror=alert('summary-img')> with carriers."
)
HOSTILE_HEADING = "Sharing <script>alert('heading')</script> & \"carriers\""
HOSTILE_PAYLOADS = """\
<script>alert('body-script')</script>

<p onclick="alert('body-onclick')">Tap <a href="javascript:alert('body-link')">here</a> <img src="x" onerror="alert('body-img')"></p>

<iframe srcdoc="<script>alert('body-iframe')</script>"></iframe>

<details open ontoggle="alert('body-toggle')"><summary>More</summary>Details text.</details>

<svg onload="alert('body-svg')"><script>alert('body-svg-script')</script></svg>

<style>body{display:none}</style>

[A Markdown link](javascript:alert('body-md-link'))

Kept as written: <abbr title="Personal Information">PI</abbr>, x<sup>2</sup>, H<sub>2</sub>O, <ins>inserted</ins>, <del>deleted</del>, the text `</script>` and ]]>.

| Data | Purpose |
|:-----|--------:|
| Name | Account |
"""


def hostile_policy(version: str, body: str, *, published: str, summary: str | None = None) -> str:
    """A policy file whose title (and summary) are HOSTILE_*, as YAML writes them."""
    import yaml

    matter = {"title": HOSTILE_TITLE, "version": version, "published": published}
    if summary is not None:
        matter["summary"] = summary
    return "---\n" + yaml.safe_dump(matter, allow_unicode=True, sort_keys=False) + "---\n\n" + body


def hostile_repo(path: Path):
    """A git repository in `path`: the privacy policy 1.0 (published 1 September 2026)
    and 2.0 (published 30 September 2026, pending until 16 October 2026: it inserts a
    core-rights section whose heading carries a script), both with HOSTILE_PAYLOADS."""
    from tests_support import BASE_POLICY, INSERTED_SECTION_REVISION, PolicyRepo

    repo = PolicyRepo.create(path)
    first = BASE_POLICY.replace(
        "Intro paragraph of the policy.", "Intro paragraph of the policy.\n\n" + HOSTILE_PAYLOADS
    )
    second = INSERTED_SECTION_REVISION.replace(
        "Intro paragraph of the policy.", "Intro paragraph of the policy.\n\n" + HOSTILE_PAYLOADS
    ).replace(
        "## III. Sharing {#sharing .core-rights}", f"## III. {HOSTILE_HEADING} {{#sharing .core-rights}}"
    )
    repo.publish(
        "policy/privacy.md", hostile_policy("1.0", first, published="2026-09-01"), "2026-09-01T10:00:00+08:00"
    )
    repo.publish(
        "policy/privacy.md",
        hostile_policy("2.0", second, published="2026-09-30", summary=HOSTILE_SUMMARY),
        "2026-09-30T09:00:00+08:00",
    )
    return repo
