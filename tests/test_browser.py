"""What a visitor sees in headless Chromium: the banner, the home-page pop-up, notice.js
on the shop's own page and the redline, on sites built from real git histories.

History: 1.0 published 1 September 2026; 2.0 published 30 September 2026 (changes the
core-rights "Collection" section, inserts "Sharing"). In CN the window is Oct 8, 9, 10
(a make-up Saturday), 12, 13, 14, 15: 2.0 takes effect on 16 October 2026.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_support import VIEWPORT, build_site, new_visitor, serving, shop_page
from playwright.sync_api import Browser, BrowserContext, Page, expect
from tests_support import INSERTED_SECTION_REVISION, PolicyRepo, policy_file

DURING_THE_WINDOW = "2026-10-08"
AFTER_THE_WINDOW = "2026-10-16"

V2 = INSERTED_SECTION_REVISION
# Published Friday 20 November 2026: window Nov 23-27, 30, Dec 1; effective 2 December.
V3 = V2.replace("privacy@example.com", "dpo@example.com")


@pytest.fixture
def two_versions(policy_repo: PolicyRepo) -> PolicyRepo:
    """Privacy Policy 1.0 and 2.0 (see above); unlike the suite's `history`, no 3.0."""
    policy_repo.publish(
        "policy/privacy.md", policy_file(published="2026-09-01"), "2026-09-01T10:00:00+08:00", "1.0"
    )
    policy_repo.publish(
        "policy/privacy.md",
        policy_file(V2, version="2.0", published="2026-09-30", summary="We now collect phone numbers."),
        "2026-09-30T09:00:00+08:00",
        "2.0",
    )
    return policy_repo


def publish_3_0(repo: PolicyRepo) -> None:
    repo.publish(
        "policy/privacy.md",
        policy_file(
            V3, version="3.0", published="2026-11-20", summary="A new address for privacy questions."
        ),
        "2026-11-20T09:00:00+08:00",
        "3.0",
    )


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh visitor: empty localStorage, nothing dismissed yet."""
    context = new_visitor(browser)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    assert not errors, f"script errors on the page: {errors}"


@pytest.fixture
def site_during_the_window(two_versions: PolicyRepo, tmp_path: Path) -> Iterator[str]:
    with serving(build_site(two_versions.path, DURING_THE_WINDOW, tmp_path / "site")) as server:
        yield server.url


def banner(page: Page):
    """Material's announcement bar, as far as it shows our notice."""
    return page.locator("[data-md-component=announce] .policy-banner")


def pop_up(page: Page):
    return page.get_by_role("dialog", name=re.compile(r"polic(y is|ies are) changing"))


def dismiss_banner(page: Page) -> None:
    page.get_by_role("button", name="Don't show this again").click()
    expect(banner(page)).to_be_hidden()


def expect_banner_dismissed(page: Page) -> None:
    """The page carries the banner, and the visitor's earlier dismissal hides it."""
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(banner(page)).to_be_attached()
    expect(banner(page)).to_be_hidden()


# ------------------------------------------------------------------------- the banner


def test_banner_names_the_document_and_its_effective_date_and_links_the_redline(page, site_during_the_window):
    page.goto(site_during_the_window + "privacy/")
    expect(banner(page)).to_be_visible()
    expect(banner(page)).to_contain_text(
        "Policy update: the Privacy Policy changes on 16 October 2026 (version 2.0), including your core rights."
    )
    expect(page.get_by_text("A revised version takes effect on 16 October 2026")).to_be_visible()
    footer = page.get_by_role(
        "link", name=re.compile("^Policy updates: Privacy Policy changes on 16 October 2026")
    )
    expect(footer).to_be_visible()

    banner(page).get_by_role("link", name="See what changes").click()
    expect(page).to_have_url(site_during_the_window + "privacy/changes/1.0-to-2.0/")
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("changes from version 1.0 to 2.0"))


def test_banner_is_gone_once_the_revision_takes_effect(page, two_versions, tmp_path):
    during = build_site(two_versions.path, DURING_THE_WINDOW, tmp_path / "during")
    after = build_site(two_versions.path, AFTER_THE_WINDOW, tmp_path / "after")
    with serving(during) as server:
        for path in ("", "privacy/", "privacy/versions/", "updates/"):
            page.goto(server.url + path)
            expect(banner(page)).to_be_visible()

        server.root = after
        for path in ("", "privacy/", "privacy/versions/", "updates/"):
            page.goto(server.url + path)
            expect(page.locator("h1")).to_be_visible()
            expect(page.locator(".md-banner")).to_have_count(0)
            expect(page.get_by_text("Policy update")).to_have_count(0)
            expect(page.get_by_role("link", name=re.compile("^Policy updates"))).to_have_count(0)
        page.goto(server.url + "privacy/")
        expect(page.get_by_text("We collect your name, email address and phone number.")).to_be_visible()
        expect(page.get_by_text("A revised version takes effect")).to_have_count(0)
        page.goto(server.url)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        expect(pop_up(page)).to_have_count(0)
        # No dialog of ours in the page (Zensical's search dialog lives in a shadow root of
        # its own, which Playwright's locators would enter; the DOM's own query does not).
        assert page.evaluate("() => document.querySelectorAll('dialog').length") == 0


def test_a_dismissed_banner_stays_dismissed_on_every_page_and_after_a_reload(page, site_during_the_window):
    page.goto(site_during_the_window + "privacy/versions/")
    expect(banner(page)).to_be_visible()
    dismiss_banner(page)

    page.reload()
    expect_banner_dismissed(page)
    for path in ("privacy/", "privacy/changes/1.0-to-2.0/", "updates/", ""):
        page.goto(site_during_the_window + path)
        expect_banner_dismissed(page)


# ------------------------------------------------------------------- the home pop-up


def test_home_page_pop_up_opens_once_takes_focus_and_closes_with_escape(page, site_during_the_window):
    page.goto(site_during_the_window + "privacy/")
    expect(banner(page)).to_be_visible()
    expect(pop_up(page)).to_have_count(0)  # the home page only

    page.goto(site_during_the_window)
    dialog = pop_up(page)
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Privacy Policy, version 2.0")
    expect(dialog).to_contain_text("Takes effect on 16 October 2026. Until then the current version applies.")
    expect(dialog).to_contain_text("We now collect phone numbers.")
    # The address the link leads to (Zensical writes "./privacy/…", MkDocs "privacy/…").
    changes = dialog.get_by_role("link", name="See what changes")
    assert changes.evaluate("a => a.href") == site_during_the_window + "privacy/changes/1.0-to-2.0/"
    # Focus moved into the dialog, on its Close button.
    expect(dialog.get_by_role("button", name="Close")).to_be_focused()

    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(banner(page)).to_be_visible()  # the pop-up does not dismiss the banner

    page.reload()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator("dialog#policy-dialog")).to_be_attached()
    expect(page.locator("dialog#policy-dialog")).to_be_hidden()
    expect(pop_up(page)).to_have_count(0)


def test_home_page_pop_up_sits_in_the_middle_of_the_window(page, site_during_the_window):
    page.goto(site_during_the_window)
    dialog = pop_up(page)
    expect(dialog).to_be_visible()
    expect(dialog).to_be_in_viewport(ratio=1)
    box = dialog.bounding_box()
    above, below = box["y"], VIEWPORT["height"] - (box["y"] + box["height"])
    where = f"{above:.0f}px above, {below:.0f}px below"
    assert above > 16 and below > 16, f"the pop-up touches the window's edge: {where}"
    assert abs(above - below) <= 2, f"the pop-up is off-centre: {where}"


def test_home_page_pop_up_closes_with_its_button(page, site_during_the_window):
    page.goto(site_during_the_window)
    dialog = pop_up(page)
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()
    # Once closed, the page behind it is usable again.
    page.get_by_role("link", name="See what changes").first.click()
    expect(page).to_have_url(re.compile(r"/privacy/changes/1\.0-to-2\.0/$"))


def test_a_new_revision_shows_the_pop_up_and_banner_again_after_the_earlier_one_was_dismissed(
    page, two_versions, tmp_path
):
    first = build_site(two_versions.path, DURING_THE_WINDOW, tmp_path / "first")
    with serving(first) as server:
        page.goto(server.url)
        expect(pop_up(page)).to_be_visible()
        page.keyboard.press("Escape")
        expect(pop_up(page)).to_be_hidden()
        dismiss_banner(page)
        page.reload()
        expect_banner_dismissed(page)
        expect(pop_up(page)).to_have_count(0)

        publish_3_0(two_versions)
        server.root = build_site(two_versions.path, "2026-11-23", tmp_path / "second")  # same origin
        page.goto(server.url)
        dialog = pop_up(page)
        expect(dialog).to_be_visible()
        expect(dialog).to_contain_text("Privacy Policy, version 3.0")
        expect(dialog).to_contain_text("Takes effect on 2 December 2026")
        expect(dialog.get_by_role("button", name="Close")).to_be_focused()
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        expect(banner(page)).to_be_visible()
        expect(banner(page)).to_contain_text("the Privacy Policy changes on 2 December 2026 (version 3.0)")

        page.goto(server.url + "privacy/")
        expect(banner(page)).to_be_visible()


# ----------------------------------------------------------- notice.js on the shop


def test_notice_js_shows_the_banner_and_pop_up_on_the_shops_own_page(page, site_during_the_window, tmp_path):
    shop = shop_page(tmp_path / "shop", site_during_the_window + "notice.js")
    with serving(shop) as shop_server:  # another origin: another port
        page.goto(shop_server.url)
        expect(page.get_by_role("heading", name="Example Shop")).to_be_visible()

        region = page.get_by_role("region", name="Policy update")
        expect(region).to_be_visible()
        expect(region).to_contain_text(
            "Policy update: the Privacy Policy changes on 16 October 2026 (version 2.0), including your core rights."
        )
        expect(region.get_by_role("link", name="See what changes")).to_have_attribute(
            "href", site_during_the_window + "privacy/changes/1.0-to-2.0/"
        )

        dialog = page.get_by_role("dialog", name="A policy is changing")
        expect(dialog).to_be_visible()
        expect(dialog).to_contain_text("Takes effect on 16 October 2026.")
        expect(dialog.get_by_role("button", name="Close")).to_be_focused()
        page.keyboard.press("Escape")
        expect(dialog).to_have_count(0)

        region.get_by_role("button", name="Dismiss").click()
        expect(region).to_have_count(0)
        page.reload()
        expect(page.get_by_role("heading", name="Example Shop")).to_be_visible()
        page.wait_for_load_state("networkidle")  # notices.json fetched and handled
        expect(page.get_by_role("region", name="Policy update")).to_have_count(0)
        expect(page.get_by_role("dialog")).to_have_count(0)


def test_notice_js_shows_nothing_on_the_shop_once_the_revision_takes_effect(page, two_versions, tmp_path):
    after = build_site(two_versions.path, AFTER_THE_WINDOW, tmp_path / "after")
    with serving(after) as site, serving(shop_page(tmp_path / "shop", site.url + "notice.js")) as shop:
        with page.expect_response(site.url + "notices.json") as response:
            page.goto(shop.url)
        assert response.value.ok
        page.wait_for_load_state("networkidle")
        expect(page.get_by_role("heading", name="Example Shop")).to_be_visible()
        expect(page.get_by_text("Policy update")).to_have_count(0)
        expect(page.get_by_role("dialog")).to_have_count(0)


# ---------------------------------------------------------------------- the redline


def test_redline_marks_the_inserted_and_deleted_words(page, site_during_the_window):
    page.goto(site_during_the_window + "privacy/changes/1.0-to-2.0/")
    redline = page.locator(".policy-redline")
    changed = redline.locator("[data-section=collection]")
    expect(changed).to_contain_text("II. Collection of Personal Information")

    deleted = changed.locator("del")
    inserted = changed.locator("ins")
    expect(deleted).to_have_count(1)
    expect(deleted).to_be_visible()
    expect(deleted).to_contain_text("and")
    expect(inserted).to_have_count(2)
    expect(inserted.nth(0)).to_contain_text(",")
    expect(inserted.nth(1)).to_contain_text("and phone number")
    for mark in (deleted, inserted.nth(1)):
        expect(mark).to_be_visible()
    # Readable without colour: struck through and underlined.
    expect(deleted).to_have_css("text-decoration-line", re.compile("line-through"))
    expect(inserted.nth(1)).to_have_css("text-decoration-line", re.compile("underline"))

    added = redline.locator("[data-section=sharing]")
    expect(added.locator("ins").filter(has_text="III. Sharing")).to_be_visible()
    expect(added.locator("ins").filter(has_text="We share your address with the carrier.")).to_be_visible()
    expect(added).to_contain_text("new section")

    # The inserted section renumbers Contact (III -> IV): not shown as a change.
    contact = redline.locator("[data-section=contact]")
    expect(contact.locator("ins, del")).to_have_count(0)
    expect(redline.locator("del").filter(has_text="III")).to_have_count(0)


def test_redline_folds_unchanged_sections_until_opened(page, site_during_the_window):
    """A run of unchanged sections is one bar that says how many; opening it shows them."""
    page.goto(site_during_the_window + "privacy/changes/1.0-to-2.0/")
    scope = page.locator(".policy-redline [data-section=scope]")
    bar = page.locator(".policy-redline details.redline-fold").filter(
        has=page.locator("[data-section=scope]")
    )
    expect(bar.locator("> summary")).to_have_text("2 unchanged sections")
    text = scope.get_by_text("This policy applies to the Website.")
    expect(text).to_be_hidden()
    bar.locator("> summary").click()
    expect(scope.get_by_text("(unchanged)")).to_be_visible()
    expect(text).to_be_visible()
