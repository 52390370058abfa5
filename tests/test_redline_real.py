"""What a redline says on a history written as real privacy policies are written (issue
19, items 1-4): headings without ids, reference links whose definitions sit in the
preamble, emphasis in headings, a heading reworded by one letter, link addresses changed
(inline and by reference), several edits on one day. Each test builds the site with
`policyctl build` from a real git history and reads the built pages."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

import pytest
from tests_support import PolicyRepo, build, policy_file

from generator.core.history import Version
from generator.core.timeline import changes_between
from generator.policies import read_history
from generator.settings import Settings
from generator.site.redlines import Redlines

SR = re.compile(r'<span class="sr-only">[^<]*</span>')

FIRST = """\
[support]: https://help.example.com/contact
[notice]: https://example.com/cookie-notice-2025

## Who we are

Example Ltd runs the Example app. This policy explains how we handle your personal
information when you use the app.

## Information we collect

We collect the information described below.

### *Registration Information*

When you register, we collect your name, your email address and a password.

### *Payment Information* {.core-rights}

When you buy a subscription, our payment processor collects your card details; we
keep only the last four digits.

## Our legal basis for processing

We process your information to perform our contract with you, to comply with our legal
obligations, and where we have a legitimate interest in improving the app. Where we
rely on your consent, you may withdraw it at any time.

## Cookies

We use cookies as described in [cookies on our site](https://example.com/cookies?v=1&lang=en).
You can also read our [cookie notice][notice].

## Children

The app is not meant for children under 14 and we do not knowingly collect their data.

## Contact us

Questions? Contact [our support team][support] or write to privacy@example.com.
"""

# Later the same day: a one-letter fix in a heading (its slug changes), emphasis dropped
# from a heading, both cookie links pointed elsewhere, and the definition of [support]
# deleted (the preamble is then nothing but one definition).
SAME_DAY = (
    FIRST.replace("[support]: https://help.example.com/contact\n", "")
    .replace("## Our legal basis for processing", "## Our legal bases for processing")
    .replace("### *Registration Information*", "### Registration information")
    .replace("https://example.com/cookies?v=1&lang=en", "https://example.com/cookies?v=2&lang=en")
    .replace(
        "[notice]: https://example.com/cookie-notice-2025", "[notice]: https://example.com/cookie-notice"
    )
)

# A month later: the legal-bases section moved to the end and reworded a little, the
# children's section rewritten under a new heading, a core-rights sentence added.
LATER = (
    SAME_DAY.replace(
        "## Our legal bases for processing\n\nWe process your information to perform our contract with you, "
        "to comply with our legal\nobligations, and where we have a legitimate interest in improving the app. "
        "Where we\nrely on your consent, you may withdraw it at any time.\n\n",
        "",
    )
    .replace(
        "## Children\n\nThe app is not meant for children under 14 and we do not knowingly collect their data.",
        "## Minors\n\nUsers aged 14 to 17 need a parent's approval before signing up; see the family settings.",
    )
    .replace("keep only the last four digits.", "keep only the last four digits and the expiry month.")
    + "\n## Legal bases for processing\n\nWe process your information to perform our contract with you, to "
    "comply with our legal\nobligations, and where we have a legitimate interest in improving the app. "
    "Where we\nrely on your consent, you may withdraw it at any time in the settings.\n"
)


@pytest.fixture
def site(policy_repo: PolicyRepo, policyctl, tmp_path: Path) -> Path:
    """The site built from the history: two versions on 1 September (one per commit, no
    version field), a third on 5 October."""
    for text, when in (
        (FIRST, "2026-09-01T10:00:00+08:00"),
        (SAME_DAY, "2026-09-01T16:30:00+08:00"),
        (LATER, "2026-10-05T11:00:00+08:00"),
    ):
        policy_repo.publish("policy/privacy.md", policy_file(text, version=None), when, "Edit privacy policy")
    build(policyctl, policy_repo, "2026-12-01", tmp_path / "site")
    return tmp_path / "site"


def page(site: Path, path: str) -> str:
    return (site / path / "index.html").read_text(encoding="utf-8")


def redline_part(html: str) -> str:
    start = html.index('<div class="policy-redline">')
    return html[start : html.index("</article>", start)]


def section(html: str, section_id: str) -> str:
    """One section of a built redline (an element with its `data-section`)."""
    match = re.search(
        rf'<(section|details)[^>]* class="redline-section[^"]*"[^>]*data-section="{re.escape(section_id)}"'
        r"[^>]*>.*?</\1>",
        html,
        re.DOTALL,
    )
    assert match, f"no section {section_id} in the redline"
    return match.group(0)


def status(html: str, section_id: str) -> str:
    found = re.search(r'data-status="([a-z]+)"', section(html, section_id))
    assert found
    return found.group(1)


def seen(fragment: str) -> str:
    """What a sighted reader sees: no tags, no screen-reader-only words."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", SR.sub("", fragment)))).strip()


def versions_json(site: Path) -> dict[str, dict[str, list[str]]]:
    data = json.loads((site / "versions.json").read_text(encoding="utf-8"))
    (doc,) = data["documents"]
    return {v["version"]: v["changes"] for v in doc["versions"]}


SAME_DAY_PAGE = "privacy/changes/2026-09-01-to-2026-09-01-2"
LATER_PAGE = "privacy/changes/2026-09-01-2-to-2026-10-05"


def test_a_heading_reworded_by_one_letter_is_one_changed_section_with_a_renamed_note(site: Path) -> None:
    redline = redline_part(page(site, SAME_DAY_PAGE))
    bases = section(redline, "our-legal-bases-for-processing")

    assert status(redline, "our-legal-bases-for-processing") == "changed"
    heading = re.search(r"<h3[^>]*>(.*?)</h3>", bases, re.DOTALL)
    assert heading
    assert re.search(
        r"Our legal <del>(<span[^>]*>[^<]*</span>)?basis.*?</del><ins>.*?bases.*?</ins> for", heading[1]
    )
    assert "Renamed: previously “Our legal basis for processing”." in bases
    # The body is the same: shown once, not struck through and inserted again.
    assert "<del>" not in bases.split('<div class="redline-body">')[1]
    assert seen(redline).count("We process your information to perform our contract") == 1
    # Nothing was added or removed, in the redline or in the data.
    assert 'data-status="added"' not in redline and 'data-status="removed"' not in redline
    changes = versions_json(site)["2026-09-01-2"]
    assert changes["added"] == [] and changes["removed"] == []
    assert sorted(changes["changed"]) == [
        "contact-us",
        "cookies",
        "our-legal-bases-for-processing",
        "registration-information",
    ]


def test_a_dropped_link_definition_shows_where_readers_see_it_not_as_a_removed_preamble(site: Path) -> None:
    html = page(site, SAME_DAY_PAGE)
    redline = redline_part(html)

    # The preamble held only link definitions: it is nobody's section, before or after.
    assert 'data-section="preamble"' not in html
    assert "Preamble" not in seen(redline)
    # The section whose link became raw text is changed, with the words marked.
    contact = section(redline, "contact-us")
    assert status(redline, "contact-us") == "changed"
    assert re.search(
        r'<a href="https://help.example.com/contact"><del>(<span[^>]*>[^<]*</span>)?our support team', contact
    )
    assert re.search(r"<ins>(<span[^>]*>[^<]*</span>)?\[our support team\]\[support\]", contact)
    assert "Changed in the Markdown source only" not in contact


def test_changed_link_addresses_keep_their_words_once_and_name_both_addresses(site: Path) -> None:
    cookies = section(redline_part(page(site, SAME_DAY_PAGE)), "cookies")

    # Inline link: the words once, in the new link; the note names both addresses, escaped.
    assert (
        '<a href="https://example.com/cookies?v=2&amp;lang=en">cookies on our site</a> '
        '<span class="redline-link-note">(link changed: https://example.com/cookies?v=1&amp;lang=en'
        " → https://example.com/cookies?v=2&amp;lang=en)</span>"
    ) in cookies
    # Reference link (its definition changed in the preamble): the same.
    assert (
        '<a href="https://example.com/cookie-notice">cookie notice</a> '
        '<span class="redline-link-note">(link changed: https://example.com/cookie-notice-2025'
        " → https://example.com/cookie-notice)</span>"
    ) in cookies
    assert "<del>" not in cookies and "<ins>" not in cookies
    assert seen(cookies).count("cookies on our site") == 1


def test_headings_show_their_emphasis_rendered_in_the_redline_lists_and_table_of_contents(site: Path) -> None:
    html = page(site, SAME_DAY_PAGE)
    redline = redline_part(html)

    # No Markdown asterisks anywhere a reader looks: redline headings, (unchanged) bars,
    # the list of sections, the page's navigation.
    assert "*Payment" not in html and "Information*" not in html and "&lt;em&gt;" not in html
    payment = section(redline, "payment-information")
    assert status(redline, "payment-information") == "unchanged"
    assert '<summary><span class="redline-heading"><em>Payment Information</em></span>' in payment
    # Emphasis dropped and a letter lowered: the rendered words are marked, the old
    # heading named in the note as it looked.
    registration = section(redline, "registration-information")
    heading = re.search(r"<h4[^>]*>(.*?) <span class=\"redline-badge", registration, re.DOTALL)
    assert heading
    # (struck through, then underlined, as everywhere in the redline)
    assert seen(heading[1]) == "Registration InformationRegistration information"
    assert re.search(r"<em><del>(<span[^>]*>[^<]*</span>)?Registration Information", heading[1])
    assert re.search(r"<ins>(<span[^>]*>[^<]*</span>)?Registration information", heading[1])
    assert "Renamed: previously “<em>Registration Information</em>”." in registration

    version = page(site, "privacy/versions/2026-09-01-2")
    toc = re.search(r'<a href="#payment-information" class="md-nav__link">(.*?)</a>', version, re.DOTALL)
    assert toc and seen(toc[1]) == "Payment Information"
    assert "*" not in re.sub(r"<[^>]+>", "", version.split('<nav class="md-nav md-nav--secondary"')[1][:6000])


def test_a_moved_and_reworded_section_is_one_section_and_says_where_it_was(site: Path) -> None:
    html = page(site, LATER_PAGE)
    redline = redline_part(html)
    legal = section(redline, "legal-bases-for-processing")

    assert status(redline, "legal-bases-for-processing") == "moved"
    assert '<span class="redline-badge redline-badge-changed">changed</span>' in legal
    # The note names the section it used to follow as it is shown: rendered, no asterisks.
    assert "Moved: this section was previously after “<em>Payment Information</em>”." in legal
    assert "Renamed: previously “Our legal bases for processing”." in legal
    assert re.search(r"<ins>(<span[^>]*>[^<]*</span>)?in the settings", legal)
    changes = versions_json(site)["2026-10-05"]
    assert (
        "legal-bases-for-processing" in changes["changed"]
        and "legal-bases-for-processing" in changes["moved"]
    )
    assert "our-legal-bases-for-processing" not in changes["removed"]


def test_a_rewritten_section_under_a_new_heading_stays_removed_and_added(site: Path) -> None:
    redline = redline_part(page(site, LATER_PAGE))

    # "Children" -> "Minors" with other words: too little in common to be one section.
    assert status(redline, "children") == "removed" and status(redline, "minors") == "added"
    assert "Renamed" not in section(redline, "minors")
    changes = versions_json(site)["2026-10-05"]
    assert changes["removed"] == ["children"] and changes["added"] == ["minors"]


def test_core_rights_sections_are_named_in_plain_words(site: Path) -> None:
    html = page(site, LATER_PAGE)

    admonition = re.search(r'<div class="admonition danger policy-core-rights">(.*?)</div>', html, re.DOTALL)
    assert admonition, "a core-rights section changed: the page says so"
    assert "Payment Information" in seen(admonition[1]) and "*" not in seen(admonition[1])


def test_the_summary_everywhere_is_the_redline_s_own(site: Path, policy_repo: PolicyRepo) -> None:
    del site  # built: the history is committed
    history = read_history(policy_repo.path, Settings())
    (document,) = history.documents
    versions: list[Version] = list(document.versions)
    redlines = Redlines()
    for old, new in zip(versions, versions[1:], strict=False):
        summary = changes_between(old, new)
        assert redlines.of(old, new).summary == summary
        renamed = {c.id: c.renamed_from for c in summary.sections if c.renamed_from}
        if new.version == "2026-09-01-2":
            assert renamed == {
                "our-legal-bases-for-processing": "Our legal basis for processing",
                "registration-information": "Registration Information",
            }
            assert all("*" not in c.title for c in summary.sections)
