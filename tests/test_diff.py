"""The redline a visitor reads on /<doc>/changes/<old>-to-<new>/."""

from __future__ import annotations

import re
import subprocess
import sys
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import markdown
import pytest
from tests_support import BASE_POLICY

from generator.core.diff import Redline, RedlineWords, redline
from generator.core.sections import parse_sections
from generator.site.redlines import redline_markdown
from generator.site.words import words

OLD = BASE_POLICY

PRIVACY = Path(__file__).resolve().parents[1] / "policy" / "privacy.md"


def body_of(path: Path) -> str:
    """The policy's Markdown without its YAML front matter."""
    return path.read_text(encoding="utf-8").split("---", 2)[2]


def visible_text(fragment: str) -> str:
    """What a sighted reader sees: tags and screen-reader-only text removed."""
    fragment = re.sub(r'<span class="sr-only">.*?</span>', "", fragment)
    text = unescape(re.sub(r"<[^>]+>", "", fragment))
    return re.sub(r"\s+", " ", text).strip()


def marked(fragment: str, tag: str) -> list[str]:
    """The visible words inside each <ins> or <del>."""
    return [visible_text(m) for m in re.findall(rf"<{tag}>(.*?)</{tag}>", fragment, re.S)]


class _Balance(HTMLParser):
    """Checks that every element opened in a fragment is closed in order."""

    VOID = {"hr", "br", "img", "input", "meta", "link"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def assert_well_formed(fragment: str) -> _Balance:
    parser = _Balance()
    parser.feed(fragment)
    parser.close()
    assert parser.errors == []
    assert parser.stack == []
    return parser


# --------------------------------------------------------------------------- words


def test_reworded_sentence_shows_old_words_struck_and_new_words_inserted() -> None:
    new = OLD.replace(
        "We collect your name and email address.", "We collect your full name and postal address."
    )
    section = redline_markdown(OLD, new).section("collection")

    assert section.status == "changed"
    assert "full" in " ".join(marked(section.html, "ins"))
    assert marked(section.html, "del") == ["email"]
    assert "postal" in " ".join(marked(section.html, "ins"))
    # The untouched words are shown plainly, once.
    assert visible_text(section.html).count("We collect your") == 1


def test_replaced_phrase_reads_as_one_deletion_then_one_insertion() -> None:
    old = "## A {#a}\n\nWe keep your data for the period required by law and then delete it.\n"
    new = "## A {#a}\n\nWe keep your data for three years after your last order and then delete it.\n"
    html = redline_markdown(old, new).section("a").html

    # Not "<del>the</del><ins>three</ins> <del>period</del><ins>years</ins> ...".
    assert marked(html, "del") == ["the period required by law"]
    assert marked(html, "ins") == ["three years after your last order"]
    assert "We keep your data for <del>" in html
    assert "</ins> and then delete it." in html


def test_deleted_clause_is_struck_through_and_nothing_inserted() -> None:
    new = OLD.replace("name and email address", "name")
    html = redline_markdown(OLD, new).section("collection").html

    assert marked(html, "del") == ["and email address"]
    assert marked(html, "ins") == []


def test_heading_title_change_is_marked_but_its_number_is_not() -> None:
    new = OLD.replace("## III. Contact {#contact}", "## III. Contact Us {#contact}")
    section = redline_markdown(OLD, new).section("contact")

    assert section.status == "changed"
    assert marked(section.html, "ins") == ["Us"]
    assert "III. Contact" in visible_text(section.html)


# --------------------------------------------------------------------------- not changes


def test_inserted_section_renumbering_is_not_shown_as_change() -> None:
    new = OLD.replace(
        "## II. Collection",
        "## II. Definitions {#definitions}\n\nPersonal information means any information.\n\n## III. Collection",
    ).replace("## III. Contact", "## IV. Contact")
    result = redline_markdown(OLD, new)

    statuses = {s.id: s.status for s in result.sections}
    assert statuses["definitions"] == "added"
    assert statuses["collection"] == "unchanged"
    assert statuses["contact"] == "unchanged"
    # The renumbered headings appear with their new numbers and no marks.
    assert "III. Collection of Personal Information" in result.section("collection").html
    assert "<ins>" not in result.section("contact").html
    assert "<del>" not in result.section("contact").html


def test_respacing_and_list_renumbering_are_not_shown_as_changes() -> None:
    new = OLD.replace("We collect your name and email address.", "We collect   your name\nand email address.")
    new = new.replace("1. Account data", "1. Account data").replace("2. Order data", "1. Order data")
    result = redline_markdown(OLD, new)

    assert not result.has_changes
    assert "<ins>" not in result.html and "<del>" not in result.html


# --------------------------------------------------------------------------- sections


def test_unchanged_sections_are_collapsed_but_expandable() -> None:
    new = OLD.replace("Write to privacy@example.com.", "Write to dpo@example.com.")
    result = redline_markdown(OLD, new)
    scope = result.section("scope")

    assert scope.status == "unchanged"
    assert scope.html.startswith('<details class="redline-section redline-unchanged"')
    assert "<details" in scope.html and " open" not in scope.html.split(">", 1)[0]
    assert re.search(r"<summary>.*I\. Scope of Application.*\(unchanged\).*</summary>", scope.html)
    # Expanding it shows the text.
    assert "This policy applies to the Website." in scope.html


def test_changed_section_is_open_and_has_an_anchor_for_the_change_summary() -> None:
    new = OLD.replace("Write to privacy@example.com.", "Write to dpo@example.com.")
    contact = redline_markdown(OLD, new).section("contact")

    assert contact.status == "changed"
    assert "<details" not in contact.html
    assert re.search(r'<h\d class="redline-heading" id="change-contact">III\. Contact', contact.html)
    assert contact.anchor == "change-contact"


def test_added_section_is_shown_wholly_inserted() -> None:
    new = OLD + "\n## IV. Children {#children}\n\nWe do not serve children.\n\n- No accounts under 18.\n"
    section = redline_markdown(OLD, new).section("children")

    assert section.status == "added"
    assert marked(section.html, "ins") == [
        "IV. Children",
        "We do not serve children.",
        "No accounts under 18.",
    ]
    assert "new section" in visible_text(section.html)
    assert "<li" in section.html  # the list stays a list


def test_removed_section_is_struck_through_where_it_used_to_be() -> None:
    new = OLD.replace("## I. Scope of Application {#scope}\n\nThis policy applies to the Website.\n\n", "")
    result = redline_markdown(OLD, new)

    assert [s.id for s in result.sections][:3] == ["preamble", "scope", "collection"]
    scope = result.section("scope")
    assert scope.status == "removed"
    assert marked(scope.html, "del") == ["I. Scope of Application", "This policy applies to the Website."]
    assert "section removed" in visible_text(scope.html)


def test_moved_section_is_labelled_with_where_it_was() -> None:
    contact = "## III. Contact {#contact}\n\nWrite to privacy@example.com.\n"
    new = OLD.replace(contact, "").replace("## I. Scope", contact.replace("III.", "I.") + "\n## II. Scope")
    result = redline_markdown(OLD, new)
    moved = result.section("contact")

    assert [s.id for s in result.sections][1] == "contact"
    assert moved.status == "moved"
    assert "moved" in visible_text(moved.html)
    assert "previously after “(I) Information You Provide”" in visible_text(moved.html)
    assert "<ins>" not in moved.html  # moved, not rewritten


def test_a_redline_in_another_language_says_its_own_words_in_it() -> None:
    # No preamble: "Scope" was first, and moves to the end (where it was: the beginning).
    old = OLD.replace("Intro paragraph of the policy.\n\n", "")
    scope = "## I. Scope of Application {#scope}\n\nThis policy applies to the Website.\n\n"
    new = old.replace(scope, "").replace(
        "Write to privacy@example.com.", "Write to privacy@example.com.\n\n" + scope
    )
    new = new.replace("We collect your name", "We collect your full name").replace("Website.", "Website\\.")
    result = redline_markdown(old, new, words("zh").redline)

    moved = result.section("scope")
    assert moved.status == "moved"
    assert "移动 修改 已移动：此章节原位于开头。 仅 Markdown 源文本有改动：文字读来相同。" in visible_text(
        moved.html
    )
    collection = result.section("collection")
    assert "修改 核心权利" in visible_text(collection.html)
    assert (
        '<ins><span class="sr-only">[新增：</span>full<span class="sr-only">]</span></ins>' in collection.html
    )
    english = redline_markdown(old, new)
    assert "moved changed Moved: this section was previously at the beginning." in visible_text(
        english.section("scope").html
    )
    said = re.sub(r"<[^>]+>", " ", result.html)  # what is read, the screen reader's words too
    for label in ("moved", "changed", "Moved", "[inserted", "core rights", "Markdown source"):
        assert label not in said


def test_the_redlines_own_words_are_escaped() -> None:
    new = OLD.replace("We collect your name", "We collect your full name")
    hostile = RedlineWords(changed="<b>changed</b>", inserted="[<i>inserted</i>: ")
    html = redline_markdown(OLD, new, hostile).section("collection").html
    assert "&lt;b&gt;changed&lt;/b&gt;" in html and "<b>" not in html
    assert '<span class="sr-only">[&lt;i&gt;inserted&lt;/i&gt;: </span>' in html and "<i>" not in html


def test_core_rights_sections_are_flagged() -> None:
    new = OLD.replace("We collect your name", "We collect your name, phone number")
    section = redline_markdown(OLD, new).section("collection")

    assert section.core_rights
    assert "core rights" in visible_text(section.html)


def test_list_items_stay_list_items_and_a_new_item_is_inserted_in_place() -> None:
    new = OLD.replace("2. Order data: address.", "2. Payment data: card number.\n3. Order data: address.")
    html = redline_markdown(OLD, new).section("information-you-provide").html
    assert_well_formed(html)

    items = re.findall(r"<li[^>]*>(.*?)(?=<li|</ol>)", html, re.S)
    assert [visible_text(i) for i in items] == [
        "Account data: name, email.",
        "Payment data: card number.",
        "Order data: address.",
    ]
    assert marked(html, "ins") == ["Payment data: card number."]
    # Numbers read as in the new version; the shifted item is not marked.
    assert re.findall(r'<li value="(\d+)"', html) == ["1", "2", "3"]


def test_rewritten_paragraph_shows_as_deleted_then_inserted_not_word_salad() -> None:
    old = "## A {#a}\n\nWe may share data with partners for marketing.\n\nKeep.\n"
    new = "## A {#a}\n\nAll processing follows the law of the operator's country.\n\nKeep.\n"
    html = redline_markdown(old, new).section("a").html

    assert marked(html, "del") == ["We may share data with partners for marketing."]
    assert marked(html, "ins") == ["All processing follows the law of the operator's country."]


# --------------------------------------------------------------------------- safety and rendering


def test_policy_text_with_script_tags_comes_out_inert() -> None:
    new = (
        OLD.replace(
            "Write to privacy@example.com.", 'Write to <script>alert("x")</script> & <b onclick="x">us</b>.'
        )
        + "\n## IV. <img src=x onerror=alert(1)> {#evil}\n\n<iframe src=//x>\n"
    )
    result = redline_markdown(OLD, new)
    html = result.html

    # The redline shows what the version page shows: the sanitised rendering, so the
    # script goes with its content, the handler goes, the bold word stays bold.
    assert "<script" not in html and "<iframe" not in html and "<b " not in html
    assert "onclick" not in html and "alert(&quot;x&quot;)" not in html and 'alert("x")' not in html
    assert re.search(r"<b><ins>(<span[^>]*>[^<]*</span>)?us", result.section("contact").html)
    assert "&amp;" in html
    # A heading is rendered and sanitised as on the version page: the image stays, its
    # handler goes (in the redline, in the heading for lists and in the plain heading).
    evil = result.section("evil")
    assert "onerror" not in html and "onerror" not in evil.heading_html
    assert html.count("<img") == 1 and '<h3 class="redline-heading" id="change-evil">' in evil.html
    assert evil.heading_html == 'IV. <img src="x">'
    assert_well_formed(html)


def test_screen_readers_are_told_what_was_deleted_and_inserted() -> None:
    new = OLD.replace("email address", "phone number")
    html = redline_markdown(OLD, new).section("collection").html

    assert (
        '<del><span class="sr-only">[deleted: </span>email address<span class="sr-only">]</span></del>'
        in html
    )
    assert (
        '<ins><span class="sr-only">[inserted: </span>phone number<span class="sr-only">]</span></ins>'
        in html
    )


def test_redline_is_one_well_formed_block_without_blank_lines() -> None:
    new = (
        OLD.replace("email address", "phone number")
        + "\n## IV. Code {#code}\n\n```\nline one\n\nline three\n```\n"
    )
    html = redline_markdown(OLD, new).html

    assert html.startswith('<div class="policy-redline">') and html.endswith("</div>")
    assert not any(not line.strip() for line in html.splitlines())
    parser = assert_well_formed(html)
    assert parser.tags.count("section") + parser.tags.count("details") == 6
    assert "line one&#10;&#10;line three" in html  # the code keeps its blank line, safely


ROMAN = ["", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII"]


def _privacy_revision() -> tuple[str, str]:
    """Version 1.0 of the real policy and a revision that inserts section V (so VI
    to XIII are renumbered) and rewords one sentence of Sharing."""
    old = body_of(PRIVACY)
    new = old.replace(
        "We will not sell your personal information", "We will never sell or rent your personal information"
    )
    for number in range(12, 4, -1):  # XII -> XIII first, so no heading is renumbered twice
        new = new.replace(f"\n## {ROMAN[number]}. ", f"\n## {ROMAN[number + 1]}. ", 1)
    new = new.replace(
        "\n## VI. Sharing",
        "\n## V. Retention {#retention .core-rights}\n\nWe keep data for 3 years.\n\n## VI. Sharing",
        1,
    )
    return old, new


def test_markup_survives_markdown_rendering_intact() -> None:
    old, new = _privacy_revision()
    result = redline_markdown(old, new)
    page = "# Changes from 1.0 to 1.1\n\n## Redline\n\n" + result.html + "\n\nEnd of the redline.\n"

    rendered = markdown.markdown(page, extensions=["attr_list", "md_in_html"])

    assert result.html in rendered  # passed through byte for byte
    assert "<p>End of the redline.</p>" in rendered
    assert rendered.count("<del>") == result.html.count("<del>") > 0
    assert rendered.count("<details") == len(result.with_status("unchanged")) > 0


def test_markup_survives_a_mkdocs_material_build(tmp_path: Path) -> None:
    old, new = _privacy_revision()
    result = redline_markdown(old, new)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Changes\n\n## Redline\n\n" + result.html + "\n", encoding="utf-8")
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: Test\ntheme:\n  name: material\nmarkdown_extensions:\n  - attr_list\n  - md_in_html\n"
        "  - toc:\n      permalink: true\n  - admonition\n  - pymdownx.details\n",
        encoding="utf-8",
    )
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(tmp_path / "mkdocs.yml")],
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr
    page = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")

    assert page.count("<del>") == result.html.count("<del>") > 0
    assert page.count("<ins>") == result.html.count("<ins>") > 0
    assert 'id="change-retention"' in page
    assert "never" in " ".join(marked(page, "ins"))


def test_real_policy_revision_marks_only_what_the_editor_changed() -> None:
    old, new = _privacy_revision()
    result = redline_markdown(old, new)

    changed = {s.id: s.status for s in result.sections if s.status != "unchanged"}
    assert changed == {"retention": "added", "sharing": "changed"}
    assert marked(result.section("sharing").html, "del") == ["not"]
    assert marked(result.section("sharing").html, "ins") == ["never", "or rent"]
    assert "VII. User's Rights" in visible_text(result.section("rights").html)


@pytest.mark.parametrize("count", [0, 1])
def test_identical_versions_show_every_section_collapsed(count: int) -> None:
    text = body_of(PRIVACY) if count else OLD
    result: Redline = redline_markdown(text, text)

    assert not result.has_changes
    assert all(s.html.startswith("<details") for s in result.sections)
    assert "<ins>" not in result.html and "<del>" not in result.html


def test_every_section_in_the_change_summary_links_to_its_place_in_the_redline() -> None:
    old, new = _privacy_revision()
    new = new.replace("Other Provisions {#other}", "Other Provisions {#other}\n\nNew closing words.")
    result = redline_markdown(old, new)
    html = result.html

    listed = result.summary.added + result.summary.changed + result.summary.moved + result.summary.removed
    assert set(listed) == {"retention", "sharing", "other"}
    for section_id in listed:
        assert f'id="change-{section_id}"' in html


def test_chinese_text_marks_only_the_changed_characters() -> None:
    old = "## 一、适用范围 {#scope}\n\n本政策适用于本网站的所有服务。\n"
    new = "## 一、适用范围 {#scope}\n\n本政策适用于本网站的全部服务。\n"
    html = redline_markdown(old, new).section("scope").html

    assert marked(html, "del") == ["所有"]
    assert marked(html, "ins") == ["全部"]
    assert "本政策适用于本网站的" in visible_text(html)


# --------------------------------------------------------------------------- headings, renames, links (issue 19)

RIGHTS = "You may ask us for a copy of your data, have it corrected, or have it deleted at any time."


def test_headings_are_rendered_and_their_list_label_has_no_link_and_no_mark() -> None:
    old = f"## See [our terms](https://terms.example) *first*\n\nRead them.\n\n## *Your rights*\n\n{RIGHTS}\n"
    new = old.replace("have it deleted", "have it erased")
    result = redline_markdown(old, new)

    terms = result.sections[0]
    assert terms.status == "unchanged"
    assert terms.heading == "See our terms first"  # plain text
    assert terms.heading_html == "See our terms <em>first</em>"  # fit to be a link's label
    assert (
        '<a href="https://terms.example">our terms</a> <em>first</em>' in terms.html
    )  # the redline keeps it
    rights = result.section("your-rights")
    assert rights.status == "changed" and rights.heading_html == "<em>Your rights</em>"
    assert rights.renamed_from_html is None
    assert '<h3 class="redline-heading" id="change-your-rights"><em>Your rights</em> <span' in rights.html


def test_a_reworded_heading_is_marked_word_by_word_inside_its_emphasis_with_a_renamed_note() -> None:
    old = f"## III. *Our legal basis for processing*\n\n{RIGHTS}\n"
    new = f"## III. *Our legal bases for processing*\n\n{RIGHTS}\n"
    result = redline_markdown(old, new)

    (section,) = result.sections
    assert section.id == "our-legal-bases-for-processing" and section.status == "changed"
    assert section.renamed_from_html == "<em>Our legal basis for processing</em>"
    assert section.heading_html == "III. <em>Our legal bases for processing</em>"
    heading = re.search(r"<h3[^>]*>(.*?) <span class=\"redline-badge", section.html)
    assert heading
    assert marked(heading[1], "del") == ["basis"] and marked(heading[1], "ins") == ["bases"]
    assert heading[1].startswith("III. <em>Our legal <del>")
    assert "Renamed: previously “<em>Our legal basis for processing</em>”." in section.html
    assert "<del>" not in section.html.split('class="redline-body"')[1]
    assert result.summary.sections[0].renamed_from == "Our legal basis for processing"


def test_a_link_whose_words_and_address_changed_marks_the_words_and_notes_the_address() -> None:
    old = "## Cookies\n\nSee [cookies on our site](https://a.example/c?x=1&y=<2>).\n"
    new = "## Cookies\n\nSee [cookies on this site](https://b.example/c).\n"
    html = redline_markdown(old, new).section("cookies").html

    assert marked(html, "del") == ["our"] and marked(html, "ins") == ["this"]
    assert '<a href="https://b.example/c">cookies on ' in html
    assert (
        '<span class="redline-link-note">(link changed: https://a.example/c?x=1&amp;y=&lt;2&gt;'
        " → https://b.example/c)</span>"
    ) in html
    assert_well_formed(html)


def test_a_redline_in_chinese_says_its_notes_in_chinese() -> None:
    old = f"## 一、*我们处理信息的法律依据*\n\n{RIGHTS} 详见[说明](https://a.example)。\n"
    new = f"## 一、*我们处理信息的法律根据*\n\n{RIGHTS} 详见[说明](https://b.example)。\n"
    html = redline_markdown(old, new, words("zh").redline).html

    assert "已更名：原标题为“<em>我们处理信息的法律依据</em>”。" in html
    assert (
        '<span class="redline-link-note">（链接已更改：https://a.example → https://b.example）</span>' in html
    )
    assert "Renamed" not in html and "link changed" not in html


def test_a_section_that_reads_differently_is_never_shown_unchanged() -> None:
    # The edge's rendering has the last word: the same source rendered differently (a
    # site's extension options changed, say) is a change a reader sees, and the
    # redline's summary says so.
    sections = parse_sections("## Contact\n\nWrite to us.\n")
    result = redline(
        sections,
        sections,
        lambda section: "<p>Write to us.</p>",
        lambda section: "<p>Write to <strong>us</strong>.</p>",
    )

    (section,) = result.sections
    assert section.status == "changed" and "<strong><ins>" in section.html
    assert result.summary.changed == ("contact",)
