"""Sections with stable ids, and what a revision changed section by section."""

from __future__ import annotations

from pathlib import Path

from tests_support import BASE_POLICY

from generator.core.changes import compare
from generator.core.frontmatter import split
from generator.core.sections import parse_sections, split_numbering

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
