"""Every page kind as visitors with a screen reader, a keyboard or a phone meet it: no
serious or critical axe-core finding at 1280 and 390 px (notice.js on the shop's page
included), nothing that scrolls sideways at 390 px, and a banner dismissed with the
keyboard that stays dismissed.

One site, built once for the module, with every page kind: the Privacy Policy 1.0
(superseded), 2.0 (in force since 16 October 2026) and 3.0 (published 20 November 2026,
pending until 2 December 2026), seen on 23 November 2026. The text has what real
policies have: a wide table, links in sentences, emphasis, a numbered list.

axe-core comes from the npm registry (tests/axe/package.json, installed by `make test`)
and is injected into each page by Playwright.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import build_site, search_results, serving, shop_page
from playwright.sync_api import Page, expect
from tests_support import PolicyRepo, policy_file

AXE_JS = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = (1280, 390)

V1 = """\
This policy explains how we handle your personal information. Questions: see the
[contact section](#contact) or our [help centre](https://help.shop.example/privacy).

## I. Scope of Application {#scope}

This policy applies to the *Website* and to **every order** placed through it.

## II. Collection of Personal Information {#collection .core-rights}

| Category | Examples | Source | Purpose | Legal basis | Retention | Recipients |
|---|---|---|---|---|---|---|
| Identity | Name, username, date of birth | You | Account | Contract | 3 years | None |
| Contact | Email address, telephone number, postal address | You | Delivery | Contract | 5 years | Carriers |

1. Account data: name, email.
2. Order data: address.

## III. Contact {#contact}

Write to privacy@example.com.
"""
V2 = V1.replace("2. Order data: address.", "2. Order data: address, phone number.").replace(
    "| 5 years |", "| 6 years |"
)
V3 = V2.replace("privacy@example.com", "dpo@example.com")

AS_OF = "2026-11-23"
PAGE_KINDS = {
    "home": "",
    "document with a pending revision": "privacy/",
    "archive": "privacy/versions/",
    "superseded version": "privacy/versions/1.0/",
    "version in force": "privacy/versions/2.0/",
    "pending version": "privacy/versions/3.0/",
    "redline of a table and a list item": "privacy/changes/1.0-to-2.0/",
    "redline of the pending revision": "privacy/changes/2.0-to-3.0/",
    "updates": "updates/",
    "page not found": "no-such-page/",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    work = tmp_path_factory.mktemp("accessibility")
    repo = PolicyRepo.create(work / "repo")
    repo.publish("policy/privacy.md", policy_file(V1, published="2026-09-01"), "2026-09-01T10:00:00+08:00")
    repo.publish(
        "policy/privacy.md",
        policy_file(V2, version="2.0", published="2026-09-30", summary="We keep addresses for 6 years."),
        "2026-09-30T10:00:00+08:00",
    )
    repo.publish(
        "policy/privacy.md",
        policy_file(
            V3, version="3.0", published="2026-11-20", summary="A new address for privacy questions."
        ),
        "2026-11-20T10:00:00+08:00",
    )
    with serving(build_site(repo.path, AS_OF, work / "site")) as server:
        yield server.url


@pytest.fixture(scope="module")
def shop(site: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The operator's own page, on another origin, with the site's notice.js."""
    with serving(shop_page(tmp_path_factory.mktemp("shop"), site + "notice.js")) as server:
        yield server.url


def axe_findings(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now, one line each."""
    assert AXE_JS.is_file(), f"{AXE_JS} is missing: `make test` installs axe-core (tests/axe/package.json)"
    # Colours are measured once the page has settled (Material fades its search in).
    page.evaluate("() => Promise.all(document.getAnimations().map(a => a.finished))")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE_JS))
    violations = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ') + ': '"
        " + ((n.any[0] || n.all[0] || n.none[0] || {}).message || ''))}))"
    )
    return [f"{v['impact']} {v['id']}: {node}" for v in violations for node in v["nodes"]]


def sideways(page: Page) -> int:
    """How far the page scrolls sideways, in CSS pixels (0 when it does not). A page may be
    narrower than the window: Zensical's pages leave the vertical scroll bar's width (15 px
    in Chromium) out of the document's width, where Material's fill the window."""
    return page.evaluate(
        "() => Math.max(0, Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - window.innerWidth)"
    )


def pop_up(page: Page):
    return page.get_by_role("dialog", name=re.compile(r"polic(y is|ies are) changing"))


def banner(page: Page):
    return page.locator("[data-md-component=announce] .policy-banner")


# ------------------------------------------------------------------------ axe-core


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_kind_has_no_serious_axe_finding_and_does_not_scroll_sideways(
    visitor: Page, site: str, shop: str, width: int
):
    visitor.set_viewport_size({"width": width, "height": 900})
    findings: dict[str, list[str]] = {}
    wide: dict[str, str] = {}
    for kind, path in PAGE_KINDS.items():
        visitor.goto(site + path)
        expect(visitor.get_by_role("heading", level=1)).to_be_attached()
        if sideways(visitor) > 0:
            wide[kind] = f"{sideways(visitor)} px"
        if kind == "home":
            expect(pop_up(visitor)).to_be_visible()
            findings["home, with the pop-up open"] = axe_findings(visitor)
            visitor.keyboard.press("Escape")
            expect(pop_up(visitor)).to_be_hidden()
        else:
            expect(banner(visitor)).to_be_visible()
        findings[kind] = axe_findings(visitor)
    assert not wide, f"pages that scroll sideways at {width} px: {wide}"

    # The search dialog (Material's, or Zensical's own), open with results.
    visitor.goto(site + PAGE_KINDS["version in force"])
    expect(search_results(visitor, "address").first).to_be_visible()
    findings["search with results"] = axe_findings(visitor)

    # notice.js on the shop's own page: its banner and pop-up.
    visitor.goto(shop)
    dialog = visitor.get_by_role("dialog", name="A policy is changing")
    expect(dialog).to_be_visible()
    findings["notice.js on the shop, with its pop-up open"] = axe_findings(visitor)
    visitor.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(visitor.get_by_role("region", name="Policy update")).to_be_visible()
    findings["notice.js on the shop"] = axe_findings(visitor)

    found = {kind: lines for kind, lines in findings.items() if lines}
    assert not found, f"axe-core at {width} px:\n" + json.dumps(found, indent=2)


# ------------------------------------------------------------------------ a phone


def test_the_wide_policy_table_scrolls_in_its_own_box_reachable_by_keyboard_at_390_px(
    visitor: Page, site: str
):
    visitor.set_viewport_size({"width": 390, "height": 844})
    visitor.goto(site + PAGE_KINDS["version in force"])
    box = visitor.locator(".md-typeset__scrollwrap").filter(has_text="Legal basis")
    expect(box).to_be_visible()
    assert box.evaluate("box => box.scrollWidth > box.clientWidth"), "the table fits: the test shows nothing"
    expect(box).to_have_attribute("tabindex", "0")
    box.focus()
    visitor.keyboard.press("ArrowRight")
    # The arrow key scrolls the table (smoothly: wait for it to move).
    visitor.wait_for_function("box => box.scrollLeft > 0", arg=box.element_handle())
    assert sideways(visitor) == 0


def test_the_archive_at_390_px_lists_each_version_as_labelled_facts_on_their_own_lines(
    visitor: Page, site: str
):
    visitor.set_viewport_size({"width": 390, "height": 844})
    visitor.goto(site + PAGE_KINDS["archive"])
    row = visitor.locator("table.policy-archive tbody tr").filter(has_text="Superseded")
    expect(row).to_have_count(1)
    status, published = row.locator("td").nth(1), row.locator("td").nth(2)
    # Each value under its label, and the two cells do not run together.
    assert status.inner_text() == "Status: Superseded"
    assert published.inner_text() == "Published: 1 September 2026"
    assert status.bounding_box()["y"] + status.bounding_box()["height"] <= published.bounding_box()["y"] + 1
    assert sideways(visitor) == 0


def test_the_archive_at_1280_px_is_a_table_with_its_column_headers(visitor: Page, site: str):
    visitor.goto(site + PAGE_KINDS["archive"])
    table = visitor.get_by_role("table")
    expect(table.get_by_role("columnheader", name="Status")).to_be_visible()
    status = table.get_by_role("row").filter(has_text="Superseded").get_by_role("cell").nth(1)
    assert status.inner_text() == "Superseded"  # the column says what it is: no label in the cell


# ------------------------------------------------------------------------ the keyboard


def test_a_banner_dismissed_with_the_keyboard_stays_dismissed_after_a_reload_and_on_every_page(
    visitor: Page, site: str
):
    visitor.goto(site + PAGE_KINDS["version in force"])
    expect(banner(visitor)).to_be_visible()
    link = banner(visitor).get_by_role("link", name="how to object")
    dismiss = visitor.get_by_role("button", name="Don't show this again")
    expect(dismiss).to_have_count(1)  # Material's own button is gone, not merely moved

    # Tab order follows reading order: the notice's last link (the one way to object),
    # then the dismiss button.
    link.focus()
    visitor.keyboard.press("Tab")
    expect(dismiss).to_be_focused()
    visitor.keyboard.press("Shift+Tab")
    expect(link).to_be_focused()
    visitor.keyboard.press("Tab")
    visitor.keyboard.press("Enter")
    expect(banner(visitor)).to_be_hidden()
    # Focus goes on to the page's content, not lost with the button.
    assert visitor.evaluate("() => document.activeElement.tagName") == "MAIN"

    visitor.reload()
    expect(visitor.get_by_role("heading", level=1)).to_be_visible()
    expect(banner(visitor)).to_be_attached()
    expect(banner(visitor)).to_be_hidden()
    for path in ("privacy/", "updates/", "privacy/changes/2.0-to-3.0/"):
        visitor.goto(site + path)
        expect(visitor.get_by_role("heading", level=1)).to_be_visible()
        expect(banner(visitor)).to_be_hidden()


def test_a_banner_dismissed_with_the_space_bar_stays_dismissed_too(visitor: Page, site: str):
    visitor.goto(site + PAGE_KINDS["updates"])
    banner(visitor).get_by_role("link", name="how to object").focus()
    visitor.keyboard.press("Tab")
    visitor.keyboard.press("Space")
    expect(banner(visitor)).to_be_hidden()
    visitor.reload()
    expect(visitor.get_by_role("heading", level=1)).to_be_visible()
    expect(banner(visitor)).to_be_hidden()
