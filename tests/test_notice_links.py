"""Every link in a notice e-mail lands on a page and an anchor of the site built from the
same history, for headings with and without explicit ids."""

from __future__ import annotations

import email
import email.policy
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from tests_support import policy_file

SITE = "https://shop.example/legal/"
PRIVACY = "policy/privacy.md"

# No explicit ids: the anchors are the section ids (the heading text without its
# numbering), the same on the page as in the e-mail.
WITHOUT_IDS = """\
Intro paragraph of the policy.

## I. Scope of Application

This policy applies to the Website.

## II. Collection of Personal Information {.core-rights}

We collect your name and email address.

## III. Users' Rights {: .core-rights }

You may object to a revision before it takes effect.

## IV. Contact

Write to privacy@example.com.
"""

WITH_IDS = (
    WITHOUT_IDS.replace("## I. Scope of Application", "## I. Scope of Application {#scope}")
    .replace("{.core-rights}", "{#collection .core-rights}")
    .replace("## III. Users' Rights {: .core-rights }", "## III. Users' Rights {#rights .core-rights}")
    .replace("## IV. Contact", "## IV. Contact {#contact}")
)


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.ids.update(value for name, value in attrs if name == "id" and value)


def page_ids(page: Path) -> set[str]:
    parser = _Ids()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.ids


def notice_links(outbox: Path) -> set[str]:
    """Every link into the site, from the text and the HTML part of every message."""
    links: set[str] = set()
    messages = sorted(outbox.rglob("*.eml"))
    assert messages, "no notice was written to the outbox"
    for path in messages:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        links.update(re.findall(re.escape(SITE) + r"[^\s<>\"']*", text))
        links.update(re.findall(r'href="(' + re.escape(SITE) + r'[^"]*)"', html))
    return links


@pytest.mark.parametrize(
    ("body", "new_version"),
    [(WITHOUT_IDS, "2.0"), (WITH_IDS, "2.0"), (WITHOUT_IDS, "2026-autumn_rc.1")],
    ids=["headings-without-ids", "headings-with-ids", "version-name-with-punctuation"],
)
def test_every_link_in_a_notice_lands_on_a_built_page_and_anchor(
    policy_repo, policyctl, tmp_path: Path, body: str, new_version: str
) -> None:
    policy_repo.publish(
        PRIVACY, policy_file(body, version="1.0", published="2026-09-01"), "2026-09-01T10:00:00+08:00"
    )
    revised = body.replace("name and email address", "name, email address and phone number").replace(
        "before it takes effect", "before it takes effect, by e-mail"
    )
    policy_repo.publish(
        PRIVACY,
        policy_file(revised, version=new_version, published="2026-09-30", summary="Phone numbers."),
        "2026-09-30T10:00:00+08:00",
    )
    (policy_repo.path / "users.csv").write_text("email,name\nann@example.com,Ann\n", encoding="utf-8")
    (policy_repo.path / "mkdocs.yml").write_text(
        f"site_name: Legal\nsite_url: {SITE}\ntheme:\n  name: material\nplugins:\n  - search\n  - policy\n",
        encoding="utf-8",
    )
    policy_repo.commit("2026-09-30T11:00:00+08:00", "Site settings")

    site = tmp_path / "site"
    built = policyctl("build", "--repo", policy_repo.path, "--as-of", "2026-10-01", "--site-dir", site)
    assert built.code == 0, built.err
    sent = policyctl(
        "notify",
        "--repo",
        policy_repo.path,
        "--as-of",
        "2026-10-01",
        "--recipients",
        policy_repo.path / "users.csv",
    )
    assert sent.code == 0, sent.err

    links = notice_links(policy_repo.path / ".policy" / "outbox")
    assert len(links) >= 3  # the new text, the redline, the rights section
    assert any("#" in link for link in links), "the notice links no section"
    for link in links:
        parts = urlsplit(link)
        page = site / unquote(parts.path.removeprefix(urlsplit(SITE).path)) / "index.html"
        assert page.is_file(), f"{link} leads to no page of the built site"
        if parts.fragment:
            assert unquote(parts.fragment) in page_ids(page), f"{link}: no such anchor on the page"
