"""Section IX's promise on the site: during a window the banner, the pop-up and the
callout say in one sentence what a visitor who does not agree may do, linking the
operator's answer page when `answer_url` is set."""

from __future__ import annotations

import html
import re
from pathlib import Path

from tests_support import build

SENTENCE = (
    "If you do not agree, you may stop using our services, and we will keep processing your "
    "personal information under the version that applies now"
)


def text_of(page: Path) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8"))))


def parts(site: Path) -> dict[str, str]:
    """The banner and the pop-up of the home page, and the callout of /privacy/."""
    home = (site / "index.html").read_text(encoding="utf-8")
    document = (site / "privacy" / "index.html").read_text(encoding="utf-8")
    banner = re.search(r'<div class="policy-banner".*?</button>', home, re.S)
    dialog = re.search(r'<dialog class="policy-dialog".*?</dialog>', home, re.S)
    callout = re.search(r'<div class="admonition warning policy-callout">.*?</div>', document, re.S)
    assert banner and dialog and callout, "a pending revision shows a banner, a pop-up and a callout"
    return {"banner": banner.group(0), "pop-up": dialog.group(0), "callout": callout.group(0)}


def test_without_an_answer_page_the_sentence_stands_alone(history, policyctl, tmp_path):
    site = tmp_path / "site"
    build(policyctl, history, "2026-10-09", site)
    for where, part in parts(site).items():
        said = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", part)).split())
        assert SENTENCE + "." in said, where
        assert "object" not in said, where


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
        links = re.findall(r'<a href="([^"]*)">how to tell us you object</a>', part)
        assert [html.unescape(link) for link in links] == ['https://shop.example/policy/answer?x=1&y="2"'], (
            where
        )
    # once the window is over nobody is asked any more
    after = tmp_path / "after"
    build(policyctl, history, "2026-10-16", after)
    assert SENTENCE not in text_of(after / "index.html")
    assert SENTENCE not in text_of(after / "privacy" / "index.html")
