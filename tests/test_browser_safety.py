"""Site safety in headless Chromium (issue 11): a site built once from a hostile policy
(browser_support.hostile_repo: `<script>`, quotes, `</script>`, `]]>` and event handlers
in the title, the summary, a section heading and the body), visited page kind by page
kind: no script from the policy file runs, the text reads as the file has it, and the
site runs under the Content-Security-Policy of docs/site.md. Also notice.js on a shop's
page when notices.json cannot be read.

Every injected script calls alert() with its origin; a dialog event is a script that ran.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from browser_support import (
    HOSTILE_SUMMARY,
    HOSTILE_TITLE,
    build_site,
    documented_csp,
    hostile_repo,
    new_visitor,
    search_results,
    serving,
    shop_page,
)
from playwright.sync_api import Browser, BrowserContext, Page, expect
from tests_support import engine_under_test

DURING_THE_WINDOW = "2026-10-08"
PAGE_KINDS = {
    "home with pop-up": "",
    "version in force": "privacy/",
    "pending version": "privacy/versions/2.0/",
    "earlier version": "privacy/versions/1.0/",
    "archive": "privacy/versions/",
    "redline": "privacy/changes/1.0-to-2.0/",
    "updates": "updates/",
    "404": "no/such/page/",
}
NOTICE_STYLE_HASH = "'sha256-eFctKVL/W0SQ7E6HnhhP+Y9uZ8TJvMkYgf0E9MOlU/w='"
"""The hash docs/site.md gives for the style element notice.js adds to the shop's page."""

# Recorded in every page before its own scripts run (Playwright's init script).
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI + " " + (e.sample || ""));
});
"""


@dataclass
class Visitor:
    page: Page
    alerts: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    console: list[tuple[str, str]] = field(default_factory=list)


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile-browser")
    repo = hostile_repo(folder / "repo")
    return build_site(repo.path, DURING_THE_WINDOW, folder / "site")


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = new_visitor(browser)
    context.add_init_script(WATCH)
    yield context
    context.close()


@pytest.fixture
def visitor(context: BrowserContext) -> Visitor:
    page = context.new_page()
    seen = Visitor(page)

    def on_dialog(dialog) -> None:
        seen.alerts.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda error: seen.errors.append(str(error)))
    page.on("console", lambda message: seen.console.append((message.type, message.text)))
    return seen


def h1(page: Page):
    return page.locator("article h1")


def expect_title_reads_as_written(page: Page, expected: str) -> None:
    expect(h1(page)).to_have_text(re.compile(re.escape(expected)))


# ----------------------------------------------------- no script runs, the text reads right


def test_no_script_from_the_policy_file_runs_on_any_page_kind_and_the_text_reads_as_written(
    visitor, hostile_site
):
    page = visitor.page
    with serving(hostile_site) as server:
        for kind, path in PAGE_KINDS.items():
            response = page.goto(server.url + path)
            assert response is not None and response.status == (404 if kind == "404" else 200), kind
            page.wait_for_load_state("load")
            assert not visitor.alerts, f"{kind}: a script from the policy file ran: {visitor.alerts}"
            for selector in (
                "[onerror]",
                "[onclick]",
                "[ontoggle]",
                "[onload]",
                "iframe",
                "a[href^='javascript:']",
            ):
                expect(page.locator(selector), f"{kind}: {selector}").to_have_count(0)

            # The banner on every page, with the title's characters as the file has them.
            banner = page.locator("[data-md-component=announce] .policy-banner")
            expect(banner, kind).to_contain_text(
                f"Policy update: the {HOSTILE_TITLE} changes on 16 October 2026"
            )
            expect(page.locator(".policy-footer-link"), kind).to_contain_text(
                f"Policy updates: {HOSTILE_TITLE}"
            )
            # The sidebar's labels (Material prints them as HTML).
            expect(page.locator(".md-nav--primary"), kind).to_contain_text(HOSTILE_TITLE)
            expect(page.locator(".md-nav--primary"), kind).to_contain_text(f"{HOSTILE_TITLE}: all versions")

            if kind == "home with pop-up":
                dialog = page.get_by_role("dialog", name="A policy is changing")
                expect(dialog).to_be_visible()
                expect(dialog).to_contain_text(f"{HOSTILE_TITLE}, version 2.0")
                expect(dialog).to_contain_text(HOSTILE_SUMMARY)
                expect(page.locator(".policy-card h2")).to_have_text(HOSTILE_TITLE)
                expect(page.locator(".policy-card .policy-summary")).to_have_text(HOSTILE_SUMMARY)
                page.keyboard.press("Escape")
                expect(dialog).to_be_hidden()
            elif kind in ("version in force", "pending version", "earlier version"):
                title = HOSTILE_TITLE if kind == "version in force" else f"{HOSTILE_TITLE}, version"
                assert page.title().startswith(title) and page.title().endswith(" - Policies"), (
                    kind
                )  # <title>
                expect(page.locator("[data-md-component=header-topic]")).to_contain_text(HOSTILE_TITLE)
                expect_title_reads_as_written(page, HOSTILE_TITLE)
                article = page.locator("article")
                # What legal texts use is kept; the rest is gone, and its text with it.
                expect(article.locator("abbr[title='Personal Information']")).to_have_text("PI")
                expect(article.locator("sup").first).to_have_text("2")
                expect(article.locator("sub").first).to_have_text("2")
                expect(article).to_contain_text("the text </script> and ]]>.")
                expect(article.locator("details summary")).to_have_text("More")
                expect(article.locator("table th").first).to_have_attribute("align", "left")
                expect(article).not_to_contain_text("alert('body")  # the body's scripts left out
                if kind == "version in force":
                    expect(article).to_contain_text("A revised version takes effect on 16 October 2026")
                    expect(article).to_contain_text("Version 2.0 was published on 30 September 2026.")
                    expect(article.locator(".policy-callout .policy-summary")).to_have_text(HOSTILE_SUMMARY)
                if kind == "pending version":
                    heading = article.locator("h2#sharing")
                    expect(heading).to_contain_text('III. Sharing & "carriers"')  # its <script> left out
            elif kind == "archive":
                expect_title_reads_as_written(page, f"{HOSTILE_TITLE}: all versions")
                expect(page.locator("table.policy-archive")).to_contain_text(HOSTILE_SUMMARY)
            elif kind == "redline":
                expect_title_reads_as_written(page, f"{HOSTILE_TITLE}: changes from version 1.0 to 2.0")
                expect(page.locator(".policy-summary")).to_contain_text(HOSTILE_SUMMARY)
                # A section title from the file: rendered and sanitised as the version page
                # shows it (its <script> left out), in the list of changes and the redline.
                expect(page.locator(".policy-changes")).to_contain_text('III. Sharing & "carriers"')
                expect(page.locator(".policy-redline [data-section=sharing]")).to_contain_text(
                    'III. Sharing & "carriers"'
                )
                expect(page.locator(".policy-redline [data-section=sharing]")).not_to_contain_text("alert(")
            elif kind == "updates":
                expect(page.locator(".policy-update h2").first).to_contain_text(
                    f"{HOSTILE_TITLE}, version 2.0"
                )
                expect(page.locator(".policy-update .policy-summary").first).to_have_text(HOSTILE_SUMMARY)
            elif kind == "404":
                expect(page.locator("article h1")).to_have_text("404 - Not found")

        # Material's search shows titles as HTML: the result reads as the file has it.
        page.goto(server.url + "privacy/")
        result = search_results(page, "Privacy").first
        expect(result).to_contain_text(HOSTILE_TITLE)
        if engine_under_test() == "zensical":  # the result's place in the navigation, too
            expect(result.locator("menu")).to_contain_text(HOSTILE_TITLE)
    assert not visitor.alerts, f"a script from the policy file ran: {visitor.alerts}"
    assert not visitor.errors, f"script errors: {visitor.errors}"


# -------------------------------------------------------------- Content-Security-Policy


def test_every_page_kind_works_under_the_documented_content_security_policy(visitor, hostile_site):
    """Served with the CSP of docs/site.md: no violation on any page kind, and what needs
    a script still works (the pop-up, the banner and its dismissal, the search)."""
    page = visitor.page
    with serving(hostile_site, headers={"Content-Security-Policy": documented_csp()}) as server:
        for kind, path in PAGE_KINDS.items():
            page.goto(server.url + path)  # waits for the load event: scripts, styles, images
            expect(h1(page)).to_be_visible()
            if kind == "home with pop-up":
                expect(page.get_by_role("dialog", name="A policy is changing")).to_be_visible()
                page.keyboard.press("Escape")
            violations = page.evaluate("window.__violations")
            assert violations == [], f"{kind}: {violations}"

        # The banner's dismissal (the one inline script, allowed by its hash) holds across pages.
        page.goto(server.url + "privacy/versions/")
        banner = page.locator("[data-md-component=announce] .policy-banner")
        expect(banner).to_be_visible()
        page.get_by_role("button", name="Don't show this again").click()
        expect(banner).to_be_hidden()
        for path in ("privacy/", "updates/", ""):
            page.goto(server.url + path)
            expect(h1(page)).to_be_visible()
            expect(banner).to_be_attached()
            expect(banner).to_be_hidden()
            assert page.evaluate("window.__violations") == [], path

        page.goto(server.url + "updates/")
        expect(search_results(page, "Privacy").first).to_be_visible()
        assert page.evaluate("window.__violations") == []

    csp_messages = [text for _, text in visitor.console if "Content Security Policy" in text]
    assert not csp_messages, csp_messages
    assert not visitor.alerts and not visitor.errors, (visitor.alerts, visitor.errors)


# ------------------------------------------------------------------- notice.js and CORS


def notice_js_warnings(visitor: Visitor) -> list[str]:
    return [text for kind, text in visitor.console if kind == "warning" and "notice.js" in text]


def test_notice_js_warns_once_when_the_policy_site_sends_no_cors_header(visitor, hostile_site, tmp_path):
    page = visitor.page
    with serving(hostile_site, cors=False) as site:  # like `python3 -m http.server`
        shop = shop_page(tmp_path / "shop", site.url + "notice.js")
        with serving(shop) as shop_server:  # another origin: another port
            with page.expect_console_message(lambda m: m.type == "warning" and "notice.js" in m.text):
                page.goto(shop_server.url)
            page.wait_for_load_state("networkidle")
            expect(page.get_by_role("heading", name="Example Shop")).to_be_visible()
            warnings = notice_js_warnings(visitor)
            assert len(warnings) == 1, visitor.console
            [warning] = warnings
            assert f"cannot read {site.url}notices.json" in warning
            assert 'the CORS header "Access-Control-Allow-Origin: *"' in warning
            assert '"CORS" in docs/site.md' in warning
            expect(page.get_by_role("region", name="Policy update")).to_have_count(0)
            expect(page.get_by_role("dialog")).to_have_count(0)
    assert not visitor.errors and not visitor.alerts, (visitor.errors, visitor.alerts)


def test_notice_js_warns_when_notices_json_is_missing(visitor, tmp_path):
    folder = tmp_path / "not-a-policy-site"
    folder.mkdir()
    (folder / "notice.js").write_bytes(
        (Path(__file__).resolve().parents[1] / "site_templates" / "assets" / "notice.js").read_bytes()
    )
    with serving(folder) as site, serving(shop_page(tmp_path / "shop", site.url + "notice.js")) as shop:
        with visitor.page.expect_console_message(lambda m: m.type == "warning" and "notice.js" in m.text):
            visitor.page.goto(shop.url)
        [warning] = notice_js_warnings(visitor)
        assert f"cannot read {site.url}notices.json (HTTP 404)" in warning
        assert "Check that the script's src is the notice.js of the policy site" in warning
    assert not visitor.errors


def test_notice_js_with_cors_shows_the_hostile_title_as_text_and_its_style_has_the_documented_hash(
    visitor, hostile_site, tmp_path
):
    page = visitor.page
    with serving(hostile_site) as site, serving(shop_page(tmp_path / "shop", site.url + "notice.js")) as shop:
        page.goto(shop.url)
        region = page.get_by_role("region", name="Policy update")
        expect(region).to_contain_text(f"the {HOSTILE_TITLE} changes on 16 October 2026")
        dialog = page.get_by_role("dialog", name="A policy is changing")
        expect(dialog).to_contain_text(HOSTILE_SUMMARY)
        style = page.evaluate(
            """async () => {
                const text = document.querySelector("style").textContent;
                const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
                return btoa(String.fromCharCode(...new Uint8Array(digest)));
            }"""
        )
        assert f"'sha256-{style}'" == NOTICE_STYLE_HASH
        docs = (Path(__file__).resolve().parents[1] / "docs" / "site.md").read_text(encoding="utf-8")
        assert f"`{NOTICE_STYLE_HASH}`" in docs
        assert not notice_js_warnings(visitor)
    assert not visitor.alerts and not visitor.errors, (visitor.alerts, visitor.errors)
