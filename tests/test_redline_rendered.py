"""A redline reads like the version page (issue 13): the policy's Markdown rendered (links,
emphasis, lists, tables, code, footnotes) with the changes marked inside the elements."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from html.parser import HTMLParser

import markdown
import pytest
from tests_support import RICH_POLICY as OLD
from tests_support import RICH_REVISION as NEW
from tests_support import build, policy_file

from generator.core.history import Version
from generator.core.sections import parse_sections
from generator.site.redlines import MarkdownSetup, Redlines, forget, redline_markdown
from generator.site.sanitize import clean_html
from generator.site.words import words

SR_INS = '<span class="sr-only">[inserted: </span>'
SR_DEL = '<span class="sr-only">[deleted: </span>'
SR_END = '<span class="sr-only">]</span>'


def ins(words: str) -> str:
    """Words inserted as one run, as the redline writes them."""
    return f"<ins>{SR_INS}{words}{SR_END}</ins>"


def deleted(words: str) -> str:
    return f"<del>{SR_DEL}{words}{SR_END}</del>"


def visible_text(fragment: str) -> str:
    """What a sighted reader sees: tags and screen-reader-only text removed."""
    fragment = re.sub(r'<span class="sr-only">.*?</span>', "", fragment)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", fragment))).strip()


class Tree(HTMLParser):
    """The elements of a fragment (tag, attributes) in order; fails on bad nesting."""

    VOID = {"hr", "br", "img", "input", "meta", "link", "wbr", "col"}

    def __init__(self, fragment: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.feed(fragment)
        self.close()
        assert self.stack == [], f"left open: {self.stack}"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {name: value or "" for name, value in attrs}))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()

    def tags(self) -> list[str]:
        return [tag for tag, _ in self.elements]


@pytest.fixture(scope="module")
def storage() -> str:
    return redline_markdown(OLD, NEW).section("storage").html


def test_redline_shows_rendered_markdown_not_its_syntax() -> None:
    result = redline_markdown(OLD, NEW)
    text = visible_text(result.html)

    for syntax in ("**", "](", "[^", "```", "|", "---"):
        assert syntax not in text, syntax
    tags = Tree(result.html).tags()
    for element in ("a", "strong", "em", "table", "th", "td", "ol", "li", "pre", "code", "sup"):
        assert element in tags, element


def test_a_changed_word_of_a_link_is_marked_inside_the_link() -> None:
    preamble = redline_markdown(OLD, NEW).section("preamble").html

    link = f'<a href="https://shop.example/terms" title="Shop terms">shop&#x27;s {ins("online")} terms</a>'
    assert link.replace("&#x27;", "'") in preamble or link in preamble, preamble


def test_a_changed_word_in_bold_is_marked_inside_the_strong_element() -> None:
    preamble = redline_markdown(OLD, NEW).section("preamble").html

    assert f"<strong>our {deleted('old')}{ins('new')} promise</strong>" in preamble


def test_a_changed_table_cell_is_marked_inside_the_cell(storage: str) -> None:
    assert f"<tr><td>Orders</td><td>{deleted('5')}{ins('7')} years</td></tr>" in storage
    # The table is a table, its unchanged rows plain.
    assert "<tr><td>Logs</td><td>90 days</td></tr>" in storage


def test_an_added_table_row_is_marked_as_a_whole_row(storage: str) -> None:
    row = f'<tr class="redline-block-ins"><td>{ins("Chats")}</td><td>{ins("1 year")}</td></tr>'
    assert row in storage
    assert storage.count("<tr") == 4  # header, two kept rows, the new one


def test_an_edited_list_item_is_marked_word_by_word_inside_one_item_numbered_once(storage: str) -> None:
    items = re.findall(r"<li[^>]*>(.*?)</li>", storage)
    order_items = [item for item in items if "Order data" in item]
    assert len(order_items) == 1
    assert order_items[0] == f"Order data: {ins('postal')} address {ins('and phone')}."
    # One number per item, as the new version numbers them.
    assert re.findall(r'<li value="(\d+)"', storage) == ["1", "2", "3"]


def test_a_link_whose_address_changed_shows_its_words_once_and_notes_both_addresses(storage: str) -> None:
    note = (
        '<span class="redline-link-note">(link changed: https://partners.example/list'
        " → https://partners.example/current)</span>"
    )
    assert f'<a href="https://partners.example/current">our partners</a> {note}.' in storage
    # The words of the link are neither struck through nor inserted: they did not change.
    assert "https://partners.example/list" not in storage.replace(note, "")
    assert "our partners" in visible_text(storage) and visible_text(storage).count("our partners") == 1


def test_a_link_to_another_section_leads_to_its_place_in_the_redline(storage: str) -> None:
    assert '<a href="#change-sharing">how we share</a>' in storage


def test_a_footnote_is_rendered_with_its_change_inside(storage: str) -> None:
    tree = Tree(storage)
    assert ("a", {"class": "footnote-ref", "href": "#change-storage-fn:law"}) in tree.elements
    assert ("li", {"id": "change-storage-fn:law", "value": "1"}) in tree.elements
    # The inserted words keep their emphasis; the run is split at the <em>, said once.
    assert f"<em>Civil Code</em> <ins>{SR_INS}and the </ins><em><ins>Tax Law{SR_END}</ins></em>." in storage
    assert "Civil Code" in visible_text(storage)


def test_a_code_change_is_marked_inside_the_code_block(storage: str) -> None:
    assert f"<pre><code>retention = {deleted('5')}{ins('7')}&#10;</code></pre>" in storage


def test_the_redline_is_well_nested_and_the_sanitizer_has_nothing_to_remove() -> None:
    html = redline_markdown(OLD, NEW).html

    assert Tree(html).elements == Tree(clean_html(html)).elements
    assert not any(not line.strip() for line in html.splitlines())


def test_unchanged_sections_show_the_same_elements_as_the_version_page() -> None:
    """The redline renders each section as the version page does (the same extensions):
    element for element, ids aside."""
    text = (
        NEW
        + "\n## III. More {#more}\n\n> A quote\n\n> goes on.\n\n!!! note\n\n    Read this.\n\n- a\n\n- b\n"
    )
    result = redline_markdown(text, text)
    page = markdown.Markdown(
        extensions=["tables", "fenced_code", "attr_list", "admonition", "footnotes"],
        extension_configs={"tables": {"use_align_attribute": True}},
    )
    for section in parse_sections(text):
        shown = result.section(section.id).html
        body = shown[
            shown.index('<div class="redline-body">') + len('<div class="redline-body">') : shown.rindex(
                "</div>"
            )
        ]
        definition = "\n\n[^law]: See the *Civil Code* and the *Tax Law*." if "[^law]" in section.body else ""
        if "[^law]:" in section.body:
            definition = ""
        expected = clean_html(page.reset().convert(section.body + definition))
        assert [tag for tag in Tree(body).tags()] == Tree(expected).tags(), section.id


def test_hostile_markup_in_a_revision_stays_inert_in_the_redline() -> None:
    new = NEW.replace(
        "2. Order data: postal address and phone.",
        "2. Order data: [click](javascript:alert(1)) <img src=x onerror=alert(2)> <script>alert(3)</script>\n"
        '   [x](https://x.example "a\\" onmouseover=\\"alert(4)") [y](https://y.example "b&quot; onfocus=&quot;alert(6)")',
    ).replace("| Chats | 1 year |", "| <b onclick=alert(5)>Chats</b> | 1 year |")
    html = redline_markdown(OLD, new).html
    tree = Tree(html)

    for tag, attributes in tree.elements:
        assert tag not in ("script", "iframe"), tag
        assert not any(name.startswith("on") for name in attributes), (tag, attributes)
        assert not any("javascript:" in value for value in attributes.values()), (tag, attributes)
    assert "alert(3)" not in html
    # A quote in a link title stays inside the title.
    assert ("a", {"href": "https://x.example", "title": 'a\\" onmouseover=\\"alert(4)'}) in tree.elements
    assert ("a", {"href": "https://y.example", "title": 'b" onfocus="alert(6)'}) in tree.elements


def test_redlines_render_with_the_extensions_the_site_adds() -> None:
    """An extension added in mkdocs.yml (the plugin passes MkDocs' list on) shows in
    the redline as on the version page."""
    old = "## Terms {#terms}\n\nOrder\n:   A purchase you make.\n"
    new = old.replace("you make", "you confirm")
    assert "<dl>" not in redline_markdown(old, new).html
    setup = MarkdownSetup(
        ["toc", "tables", "fenced_code", "attr_list", "admonition", "footnotes", "def_list"], {}
    )
    html = redline_markdown(old, new, setup=setup).section("terms").html
    assert f"<dl><dt>Order</dt><dd>A purchase you {deleted('make')}{ins('confirm')}.</dd></dl>" in html


def test_a_change_of_markdown_source_that_reads_the_same_is_said_so() -> None:
    old = "## A {#a}\n\nWe keep *your data* safe.\n"
    section = redline_markdown(old, old.replace("*your data*", "_your data_")).section("a")

    assert section.status == "changed"  # the change summary counts source changes
    assert "<ins>" not in section.html and "<del>" not in section.html
    assert "Changed in the Markdown source only: the text reads the same." in visible_text(section.html)


def test_a_deletion_after_a_word_keeps_the_space_before_it_when_the_insertion_has_none() -> None:
    old = "## A {#a}\n\nYou can exercise your rights and process your requests.\n"
    new = old.replace("rights and process", "rights, and answer")
    html = redline_markdown(old, new).section("a").html

    assert f"your rights {deleted('and process')}{ins(', and answer')} your requests." in html


def test_a_site_whose_mkdocs_yml_adds_an_extension_renders_its_redlines_with_it(
    policy_repo, policyctl, tmp_path
):
    policy_repo.write(
        "mkdocs.yml",
        "site_name: Legal\nmarkdown_extensions:\n  - def_list\nplugins:\n  - policy:\n      country: CN\n",
    )
    body = "## Terms {#terms}\n\nOrder\n:   A purchase you make.\n"
    policy_repo.publish(
        "policy/privacy.md", policy_file(body, published="2026-09-01"), "2026-09-01T10:00:00+08:00", "1.0"
    )
    policy_repo.publish(
        "policy/privacy.md",
        policy_file(
            body.replace("make", "confirm"), version="2.0", published="2026-09-30", summary="Clearer."
        ),
        "2026-09-30T09:00:00+08:00",
        "2.0",
    )
    build(policyctl, policy_repo, "2026-10-08", tmp_path / "site")
    page = (tmp_path / "site" / "privacy/changes/1.0-to-2.0/index.html").read_text(encoding="utf-8")

    assert f"<dl><dt>Order</dt><dd>A purchase you {deleted('make')}{ins('confirm')}.</dd></dl>" in page


def version(number: str, text: str) -> Version:
    when = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    return Version(
        "privacy", number, "Privacy", "policy/privacy.md", text, number, number, number,
        when, when, None, parse_sections(text), None,
    )  # fmt: skip


def test_the_disk_cache_keeps_each_languages_redline_of_the_same_texts_apart(tmp_path):
    old, new = version("1.0", OLD), version("2.0", NEW)
    redlines = Redlines(cache_folder=tmp_path)
    english = redlines.html(old, new)
    chinese = redlines.html(old, new, words("zh").redline)
    forget()  # as a fresh process: only the disk cache is left
    fresh = Redlines(cache_folder=tmp_path)
    assert fresh.html(old, new, words("zh").redline) == chinese
    assert fresh.html(old, new) == english
    assert len(list((tmp_path / "redlines").rglob("*.html"))) == 2
    assert f"{SR_INS}online{SR_END}" in english and "[新增：" not in english
    assert '<span class="sr-only">[新增：</span>online<span class="sr-only">]</span>' in chinese
    assert "[inserted: " not in chinese and ">changed<" not in chinese


def test_a_reference_defined_over_two_lines_renders_as_the_page_renders_it() -> None:
    old = "## A\n\nSee [our team][t].\n\n## B\n\nText.\n\n[t]:\n    https://one.example\n"
    new = old.replace("one.example", "two.example")
    html = redline_markdown(old, new).section("a").html

    assert '<a href="https://two.example">our team</a>' in html and "[t]" not in html
    assert "(link changed: https://one.example → https://two.example)" in html
