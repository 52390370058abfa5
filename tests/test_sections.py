"""Sections with stable ids, and what a revision changed section by section."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests_support import BASE_POLICY

from generator.core.changes import PAIR_SIMILARITY, compare, similarity
from generator.core.frontmatter import split
from generator.core.sections import Section, parse_sections, split_numbering

ROOT = Path(__file__).resolve().parents[1]


def test_numbering_is_not_part_of_the_stable_id():
    assert split_numbering("V. Sharing and Disclosure") == ("V", "Sharing and Disclosure")
    assert split_numbering("(II) Storage Location") == ("(II)", "Storage Location")
    assert split_numbering("3.2 Retention") == ("3.2", "Retention")
    assert split_numbering("Article 5 Rights") == ("Article 5", "Rights")
    assert split_numbering("Information We Collect") == (None, "Information We Collect")
    sections = parse_sections("## V. Sharing\n\ntext\n")
    renumbered = parse_sections("## VI. Sharing\n\ntext\n")
    assert sections[0].id == renumbered[0].id == "sharing"


def test_explicit_id_and_core_rights_mark_are_read_and_inherited():
    sections = {s.id: s for s in parse_sections(BASE_POLICY)}
    assert sections["collection"].core_rights
    assert sections["collection"].title == "Collection of Personal Information"
    sub = sections["information-you-provide"]
    assert sub.parent == "collection" and sub.core_rights
    assert not sections["scope"].core_rights and not sections["contact"].core_rights
    assert sections["preamble"].body == "Intro paragraph of the policy."


def test_headings_inside_code_blocks_are_not_sections():
    sections = parse_sections("## Real {#real}\n\n```\n## not a heading\n```\n")
    assert [s.id for s in sections] == ["real"]


def test_operator_policy_has_the_twelve_stable_sections_and_six_core_rights():
    _, body = split((ROOT / "policy" / "privacy.md").read_text(), file="policy/privacy.md")
    sections = parse_sections(body)
    top = [s.id for s in sections if s.level == 2]
    assert top == [
        "scope",
        "collection",
        "purposes",
        "storage",
        "sharing",
        "rights",
        "cookies",
        "minors",
        "updates",
        "disclaimer",
        "contact",
        "other",
    ]
    core = {s.id for s in sections if s.level == 2 and s.core_rights}
    assert core == {"collection", "purposes", "storage", "sharing", "rights", "cookies"}
    assert all(s.core_rights for s in sections if s.parent in core)


def test_inserting_a_section_renumbers_others_without_changing_them():
    old = parse_sections("## I. A {#a}\n\nalpha\n\n## II. B {#b}\n\nbeta\n")
    new = parse_sections("## I. A {#a}\n\nalpha\n\n## II. New {#new}\n\nfresh\n\n## III. B {#b}\n\nbeta\n")
    summary = compare(old, new)
    assert summary.added == ("new",)
    assert summary.changed == () and summary.moved == () and summary.removed == ()


def test_renumbering_without_explicit_ids_is_not_a_change():
    old = parse_sections("## 1. Scope\n\nalpha\n\n## 2. Sharing\n\nbeta\n")
    new = parse_sections("## 1. Scope\n\nalpha\n\n## 2. Cookies\n\nnew\n\n## 3. Sharing\n\nbeta\n")
    summary = compare(old, new)
    assert summary.added == ("cookies",) and summary.changed == ()


def test_whitespace_and_list_renumbering_alone_are_no_change():
    old = parse_sections("## A {#a}\n\nsome   text\nwrapped here\n\n1. one\n2. two\n")
    new = parse_sections("## A {#a}\n\nsome text wrapped\nhere\n\n1. one\n1. two\n")
    assert compare(old, new).is_empty


def test_changed_core_rights_subsection_flags_core_rights():
    old = parse_sections(BASE_POLICY)
    new = parse_sections(BASE_POLICY.replace("2. Order data: address.", "2. Order data: address, phone."))
    summary = compare(old, new)
    assert summary.changed == ("information-you-provide",)
    assert summary.core_rights_changed


def test_changed_ordinary_section_does_not_flag_core_rights():
    old = parse_sections(BASE_POLICY)
    new = parse_sections(BASE_POLICY.replace("privacy@example.com", "dpo@example.com"))
    summary = compare(old, new)
    assert summary.changed == ("contact",) and not summary.core_rights_changed


def test_moved_and_removed_sections_are_reported():
    old = parse_sections(
        "## A {#a}\n\n1\n\n## B {#b}\n\n2\n\n## C {#c}\n\n3\n\n## D {#d .core-rights}\n\n4\n"
    )
    new = parse_sections("## D {#d .core-rights}\n\n4\n\n## A {#a}\n\n1\n\n## C {#c}\n\n3\n")
    summary = compare(old, new)
    assert summary.moved == ("d",)
    assert summary.removed == ("b",)
    assert summary.core_rights_changed


# --------------------------------------------------------------------------- what a reader sees (issue 19)

DEFINED = """\
[support]: https://help.example.com/contact
<!-- kept for the lawyers: last reviewed in May -->

## Who we are

Example Ltd runs the Example app.

## Contact us

Contact [our support team][Support] or write to privacy@example.com.
"""


def test_a_preamble_of_only_definitions_and_comments_is_no_section_a_reader_sees():
    sections = {s.id: s for s in parse_sections(DEFINED)}
    assert not sections["preamble"].visible
    assert sections["who-we-are"].visible and sections["contact-us"].visible
    # Dropping the definition: the preamble is not "removed", since nobody saw it.
    summary = compare(parse_sections(DEFINED), parse_sections(DEFINED.replace(DEFINED.splitlines()[0], "")))
    assert "preamble" not in summary.removed + summary.changed


def test_a_dropped_link_definition_changes_the_section_whose_link_it_made():
    new = DEFINED.replace("[support]: https://help.example.com/contact\n", "")
    summary = compare(parse_sections(DEFINED), parse_sections(new))
    assert summary.changed == ("contact-us",)
    # A new address for the definition: the same section changed (its link leads elsewhere).
    moved_address = DEFINED.replace("https://help.example.com/contact", "https://example.com/help")
    assert compare(parse_sections(DEFINED), parse_sections(moved_address)).changed == ("contact-us",)


def test_lines_nobody_sees_change_nothing_but_the_sections_that_use_them():
    # A comment edited, an unused definition added: what readers see is the same.
    new = DEFINED.replace("last reviewed in May", "last reviewed in June") + "\n[unused]: https://x.example\n"
    assert compare(parse_sections(DEFINED), parse_sections(new)).is_empty
    # An abbreviation defined at the end of the text changes the sections using its term.
    old = "## Rights\n\nUnder the GDPR you may object.\n\n## Contact\n\nWrite to us.\n\n*[GDPR]: General Data Protection\n"
    new = old.replace("General Data Protection", "General Data Protection Regulation")
    assert compare(parse_sections(old), parse_sections(new)).changed == ("rights",)


def test_the_summary_names_sections_in_plain_words_without_their_markdown():
    old = parse_sections(
        "## *Payment Information*\n\nCards.\n\n## Use of `cookies` & [tags](https://t.example)\n\nx\n"
    )
    new = parse_sections(
        "## *Payment Information*\n\nCards, wallets.\n\n## Use of `cookies` & [tags](https://t.example)\n\ny\n"
    )
    summary = compare(old, new)
    assert [c.title for c in summary.sections] == ["Payment Information", "Use of cookies & tags"]
    assert old[0].id == "payment-information"  # ids are the slugs they always were


BODY = "We keep {} for as long as your account is open and delete them within thirty days of closing it."


def test_a_section_whose_heading_was_reworded_is_paired_by_its_words():
    old = parse_sections("## Our legal basis for processing\n\n" + BODY.format("records") + "\n")
    new = parse_sections("## Our legal bases for processing\n\n" + BODY.format("records") + "\n")
    assert old[0].id != new[0].id
    summary = compare(old, new)
    assert summary.added == () and summary.removed == ()
    assert summary.changed == ("our-legal-bases-for-processing",)
    (change,) = summary.sections
    assert change.title == "Our legal bases for processing"
    assert change.renamed_from == "Our legal basis for processing"
    assert summary.renamed == (change,)


def reworded(common: int) -> tuple[Section, Section]:
    """A section of ten words (two in the heading, eight in the body) and its rewording:
    a new second word in the heading (so a new id) and `common` of the body's words kept.
    Their similarity is (1 + common) / 10."""
    body = [f"word{k}" for k in range(8)]
    kept = body[:common] + [f"other{k}" for k in range(common, 8)]
    (old,) = parse_sections(f"## Alpha beta\n\n{' '.join(body)}.\n")
    (new,) = parse_sections(f"## Alpha gamma\n\n{' '.join(kept)}.\n")
    return old, new


def test_sections_pair_by_words_at_sixty_percent_in_common_and_not_below():
    assert PAIR_SIMILARITY == 0.6
    # Six of ten words in common: one section, changed, renamed.
    old, new = reworded(5)
    assert old.id == "alpha-beta" and new.id == "alpha-gamma"
    assert similarity(old, new) == pytest.approx(0.6)
    summary = compare([old], [new])
    assert summary.changed == ("alpha-gamma",) and summary.added == () and summary.removed == ()
    assert summary.sections[0].renamed_from == "Alpha beta"
    # Five of ten: two different sections, one removed and one added.
    old, new = reworded(4)
    assert similarity(old, new) == pytest.approx(0.5)
    summary = compare([old], [new])
    assert summary.removed == ("alpha-beta",) and summary.added == ("alpha-gamma",) and summary.changed == ()


def test_explicit_ids_keep_priority_and_two_explicit_ids_are_never_paired_by_words():
    text = BODY.format("records")
    # Paired by id although the words changed completely.
    old = parse_sections(f"## Retention {{#keep}}\n\n{text}\n\n## Other\n\n{text}\n")
    new = parse_sections(
        "## Retention {#keep}\n\nEverything is deleted at once.\n\n## Other\n\n" + text + "\n"
    )
    assert compare(old, new).changed == ("keep",)
    # Two sections whose author gave them different explicit ids stay apart.
    old = parse_sections(f"## Retention {{#retention}}\n\n{text}\n")
    new = parse_sections(f"## Retention rules {{#retention-rules}}\n\n{text}\n")
    summary = compare(old, new)
    assert summary.removed == ("retention",) and summary.added == ("retention-rules",)


def test_subsections_of_a_renamed_section_are_not_moved():
    old = parse_sections(
        "## Our legal basis\n\n" + BODY.format("x") + "\n\n### Consent\n\nYou may withdraw it.\n"
    )
    new = parse_sections(
        "## Our legal bases\n\n" + BODY.format("x") + "\n\n### Consent\n\nYou may withdraw it.\n"
    )
    summary = compare(old, new)
    assert summary.changed == ("our-legal-bases",) and summary.moved == ()


def test_a_definition_whose_address_is_on_the_next_line_is_read_whole():
    old = '## A\n\nSee [our team][t].\n\n## B\n\nText.\n\n[t]:\n    https://one.example\n    "The team"\n'
    new = old.replace("one.example", "two.example")
    sections = {s.id: s for s in parse_sections(old)}
    assert sections["a"].context == '[t]: https://one.example "The team"'
    assert sections["b"].seen_body.strip() == "Text."
    # The address changed on its own line: the section whose link leads elsewhere changed.
    assert compare(parse_sections(old), parse_sections(new)).changed == ("a",)
    # "[x]:" with nothing after it defines nothing: readers see it, as text.
    assert parse_sections("[x]:\n\n## A\n\ntext\n")[0].visible
