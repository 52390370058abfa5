"""A built site's redline in headless Chromium (issue 13): links are links and tables are
tables, with the changes marked inside them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import build_site, launch_chromium, new_visitor, serving
from playwright.sync_api import Page, expect, sync_playwright
from tests_support import RICH_POLICY as OLD
from tests_support import RICH_REVISION as NEW
from tests_support import PolicyRepo, policy_file

DURING_THE_WINDOW = "2026-10-08"


@pytest.fixture
def page(policy_repo: PolicyRepo, tmp_path: Path) -> Iterator[Page]:
    """The redline page of a site whose 2.0 changes a link, bold words, a table, a list
    item, a footnote and code (tests/test_redline_rendered.py), during 2.0's window."""
    policy_repo.publish(
        "policy/privacy.md", policy_file(OLD, published="2026-09-01"), "2026-09-01T10:00:00+08:00", "1.0"
    )
    policy_repo.publish(
        "policy/privacy.md",
        policy_file(NEW, version="2.0", published="2026-09-30", summary="Longer order records."),
        "2026-09-30T09:00:00+08:00",
        "2.0",
    )
    site = build_site(policy_repo.path, DURING_THE_WINDOW, tmp_path / "site")
    with serving(site) as server, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            context = new_visitor(browser)
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(server.url + "privacy/changes/1.0-to-2.0/")
            yield page
            assert not errors, f"script errors on the page: {errors}"
            context.close()
        finally:
            browser.close()


def test_redline_shows_links_and_tables_as_such_with_the_changes_inside(page: Page) -> None:
    redline = page.locator(".policy-redline")

    # A link is a link, and the inserted word is inside it, underlined.
    link = redline.locator("[data-section=preamble]").get_by_role("link", name=re.compile("online"))
    expect(link).to_have_attribute("href", "https://shop.example/terms")
    expect(link).to_have_text(re.compile(r"shop's\s*(\[inserted: )?online(\])?\s*terms"))
    inserted = link.locator("ins")
    expect(inserted).to_be_visible()
    expect(inserted).to_have_css("text-decoration-line", re.compile("underline"))
    # Still coloured as a link.
    colour = "e => getComputedStyle(e).color"
    assert inserted.evaluate(colour) == link.evaluate(colour)

    # Bold words stay bold around the change.
    strong = redline.locator("[data-section=preamble] strong")
    expect(strong.locator("del")).to_have_text(re.compile("old"))
    expect(strong.locator("ins")).to_have_text(re.compile("new"))
    expect(strong).to_have_css("font-weight", re.compile("^(700|bold)$"))

    # A table is a table: the changed cell marked inside its cell, the new row as a row.
    storage = redline.locator("[data-section=storage]")
    table = storage.get_by_role("table")
    expect(table).to_be_visible()
    expect(table.get_by_role("columnheader")).to_have_text(["Data", "Kept for"])
    orders = table.get_by_role("row").filter(has_text="Orders")
    expect(orders.get_by_role("cell").nth(1).locator("del")).to_have_text(re.compile("5"))
    expect(orders.get_by_role("cell").nth(1).locator("ins")).to_have_text(re.compile("7"))
    added = table.locator("tr.redline-block-ins")
    expect(added).to_have_count(1)
    expect(added.get_by_role("cell")).to_have_count(2)
    expect(added.get_by_role("cell").first.locator("ins")).to_have_text(re.compile("Chats"))
    expect(page.locator(".policy-redline table").first).not_to_contain_text("|")

    # The edited list item is one item, numbered once.
    items = storage.get_by_role("listitem").filter(has_text="Order data")
    expect(items).to_have_count(1)
    expect(items.locator("ins")).to_have_text([re.compile("postal"), re.compile("and phone")])

    # The link whose address changed: its words once, in the new link, then a note that
    # names both addresses.
    expect(storage.locator('a[href="https://partners.example/current"]')).to_have_text("our partners")
    expect(storage.locator('a[href="https://partners.example/list"]')).to_have_count(0)
    note = storage.locator(".redline-link-note")
    expect(note).to_be_visible()
    expect(note).to_have_text(
        "(link changed: https://partners.example/list → https://partners.example/current)"
    )
