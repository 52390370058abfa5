"""Section IX's promise on the site, with one way to object and one deadline: during a
window the banner, the pop-up, the document's callout and the pending version's callout
say the same sentence for each pending revision: object before the day it takes effect,
by the operator's answer page when `answer_url` is set, else by the policy's section on
users' rights (the page itself, for a policy that has none). notice.js says it too."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from tests_support import BASE_POLICY, INSERTED_SECTION_REVISION, build, policy_file

SENTENCE = (
    "If you do not agree, object before 16 October 2026 (how to object) and we will keep processing "
    "your personal information under the version that applies now; you may also stop using our services."
)
RIGHTS = """\

## IV. Your Rights {#rights .core-rights}

You may object to our processing: write to privacy@example.com.
"""


def text_of(page: Path) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8"))))


def said(part: str) -> str:
    return (
        " ".join(html.unescape(re.sub(r"<[^>]+>", " ", part)).split()).replace("( ", "(").replace(" )", ")")
    )


def parts(site: Path) -> dict[str, str]:
    """The banner and the pop-up of the home page, the callout of /privacy/ and the one of
    the pending version's page."""
    home = (site / "index.html").read_text(encoding="utf-8")
    document = (site / "privacy" / "index.html").read_text(encoding="utf-8")
    version = (site / "privacy" / "versions" / "2.0" / "index.html").read_text(encoding="utf-8")
    banner = re.search(r'<div class="policy-banner".*?</button>', home, re.S)
    dialog = re.search(r'<dialog class="policy-dialog".*?</dialog>', home, re.S)
    callout = re.search(r'<div class="admonition warning policy-callout">.*?</div>', document, re.S)
    pending = re.search(r'<div class="admonition warning policy-callout">.*?</div>', version, re.S)
    assert banner and dialog and callout and pending, (
        "a pending revision shows a banner, a pop-up and callouts"
    )
    return {
        "banner": banner.group(0),
        "pop-up": dialog.group(0),
        "callout": callout.group(0),
        "pending version": pending.group(0),
    }


def objection_links(part: str) -> list[str]:
    return [html.unescape(link) for link in re.findall(r'<a href="([^"]*)">how to object</a>', part)]


def test_without_an_answer_page_or_a_rights_section_the_policy_is_linked(history, policyctl, tmp_path):
    site = tmp_path / "site"
    build(policyctl, history, "2026-10-09", site)
    for where, part in parts(site).items():
        assert said(part).count(SENTENCE) == 1, where
        assert "valid until" not in said(part), where
    # Neither 1.0 (in force) nor 2.0 has a rights section: the sentence links the policy's page.
    home = (site / "index.html").read_text(encoding="utf-8")
    assert objection_links(home) == ["privacy/", "privacy/"]  # the banner's and the pop-up's
    # the banner and the callout of the policy page itself
    assert objection_links((site / "privacy" / "index.html").read_text(encoding="utf-8")) == ["./", "./"]
    notices = json.loads((site / "notices.json").read_text(encoding="utf-8"))
    assert [n["objection_url"] for n in notices["notices"]] == ["privacy/"]
    assert notices["words"]["disagree"].startswith("If you do not agree, object before {date} ({link})")


def test_the_rights_section_of_the_version_in_force_is_linked(policy_repo, policyctl, tmp_path):
    policy_repo.publish(
        "policy/privacy.md",
        policy_file(BASE_POLICY + RIGHTS, published="2026-09-01"),
        "2026-09-01T10:00:00+08:00",
    )
    policy_repo.publish(
        "policy/privacy.md",
        policy_file(
            INSERTED_SECTION_REVISION + RIGHTS, version="2.0", published="2026-09-30", summary="Phones."
        ),
        "2026-09-30T09:00:00+08:00",
    )
    site = tmp_path / "site"
    build(policyctl, policy_repo, "2026-10-09", site)
    for where, part in parts(site).items():
        assert said(part).count(SENTENCE) == 1, where
    assert objection_links(parts(site)["callout"]) == ["./#rights"]
    assert objection_links(parts(site)["pending version"]) == ["../../#rights"]
    assert objection_links(parts(site)["banner"]) == ["privacy/#rights"]


def test_the_sentence_links_the_answer_page_everywhere(history, policyctl, tmp_path):
    history.write(
        "mkdocs.yml",
        "site_name: Legal policies\nsite_url: https://shop.example/legal/\n"
        "theme:\n  name: material\n  features: [announce.dismiss]\n"
        "plugins:\n  - search\n  - policy:\n      answer_url: 'https://shop.example/policy/answer?x=1&y=\"2\"'\n",
    )
    site = tmp_path / "site"
    build(policyctl, history, "2026-10-09", site)
    for where, part in parts(site).items():
        assert said(part).count(SENTENCE) == 1, where
        assert objection_links(part) == ['https://shop.example/policy/answer?x=1&y="2"'], where
    [notice] = json.loads((site / "notices.json").read_text(encoding="utf-8"))["notices"]
    assert notice["objection_url"] == 'https://shop.example/policy/answer?x=1&y="2"'
    # once the window is over nobody is asked any more
    after = tmp_path / "after"
    build(policyctl, history, "2026-10-16", after)
    assert "how to object" not in text_of(after / "index.html")
    assert "how to object" not in text_of(after / "privacy" / "index.html")
