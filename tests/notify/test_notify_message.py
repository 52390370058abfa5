"""Message composition: headers, escaping, Message-IDs, templates, locales."""

from __future__ import annotations

import email
import email.header
import email.policy
from pathlib import Path

import pytest
from notify_support import make_revision

from notify.common.errors import NotifyError
from notify.delivery.channels.message import Composer, Sender, Templates


def parse(data: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(data, policy=email.policy.default)  # type: ignore[return-value]


def composer(rev, templates: list[Path] | None = None) -> Composer:
    return Composer(rev, Sender.parse("Shop Privacy <privacy@shop.example>"), Templates(templates or []))


def test_a_complete_multipart_alternative_notice(revision) -> None:
    c = composer(revision)
    data = c.build("ann@users.example", "Ann Lee", "", c.message_id("ann@users.example"))
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))
    assert data.isascii()
    msg = parse(data)
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert msg["From"] == "Shop Privacy <privacy@shop.example>"
    assert msg["To"] == "Ann Lee <ann@users.example>"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["Date"] is not None and msg["Message-ID"].endswith("@shop.example>")
    assert "Privacy Policy" in msg["Subject"] and "16 October 2026" in msg["Subject"]
    text = msg.get_body(("plain",)).get_content()
    assert text.startswith("Dear Ann Lee,")
    for needle in (
        "We now share order data",
        "V. How we share information",
        "VI. Your rights",
        revision.url,
        revision.changes_url,
        revision.rights_url,
        "16 October 2026, 00:00 (UTC+08:00)",
    ):
        assert needle in text
    html = msg.get_body(("html",)).get_content()
    assert f'href="{revision.rights_url}"' in html and "Dear Ann Lee," in html


def test_message_id_is_stable_per_revision_and_recipient(revision) -> None:
    a, b = composer(revision), composer(revision)
    assert a.message_id("ann@users.example") == b.message_id("ann@users.example")
    assert a.message_id("ann@users.example") != a.message_id("bob@users.example")
    other = composer(make_revision(version="3.0"))
    assert other.message_id("ann@users.example") != a.message_id("ann@users.example")


def test_no_header_injection_from_any_field(revision) -> None:
    from notify.delivery.recipients.sources import clean_name

    evil = clean_name("Eve\r\nBcc: victim@evil.example\r\n\r\nInjected body")
    rev = make_revision(title="Privacy\r\nBcc: x@evil.example", version="2.0\nX-Evil: 1")
    c = composer(rev)
    msg = parse(c.build("eve@users.example", evil, "", c.message_id("eve@users.example")))
    assert msg["Bcc"] is None and msg["X-Evil"] is None
    assert "victim@evil.example" in msg["To"] and msg["To"].addresses[0].addr_spec == "eve@users.example"
    assert (
        msg.get_body(("plain",)).get_content().startswith("Dear Eve Bcc: victim@evil.example Injected body,")
    )


def test_html_escapes_every_field(revision) -> None:
    rev = make_revision(
        title="<b>Privacy</b>",
        summary='<script>alert("x")</script> & more',
        core_sections=(("s", "<i>Sharing</i>"),),
        rights_url='https://shop.example/p?a=1&b="2"',
    )
    c = composer(rev)
    msg = parse(c.build("x@users.example", "<img src=x onerror=alert(1)>", "", "<id@shop.example>"))
    html = msg.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<i>Sharing</i>" not in html and "&lt;b&gt;Privacy&lt;/b&gt;" in html
    assert 'href="https://shop.example/p?a=1&amp;b=&#34;2&#34;"' in html
    # the plain-text part shows the text as written
    assert '<script>alert("x")</script>' in msg.get_body(("plain",)).get_content()


def test_names_without_and_with_non_ascii_characters(revision) -> None:
    c = composer(revision)
    anonymous = parse(c.build("a@users.example", "", "", "<1@shop.example>"))
    [address] = anonymous["To"].addresses
    assert (address.display_name, address.addr_spec) == ("", "a@users.example")
    assert anonymous.get_body(("plain",)).get_content().startswith("Hello,")
    short = parse(c.build("z@users.example", "张三 <Zoë>", "zh", "<3@shop.example>"))
    assert (
        short["To"].addresses[0].display_name == "张三 <Zoë>"
        and short["To"].addresses[0].addr_spec == "z@users.example"
    )
    long_name = "张" * 200
    data = c.build("z@users.example", long_name, "zh-CN", "<2@shop.example>")
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))
    msg = parse(data)
    raw_to = email.message_from_bytes(data)["To"]  # RFC 2047 decoding that joins adjacent encoded words
    assert (
        str(email.header.make_header(email.header.decode_header(raw_to))) == f"{long_name} <z@users.example>"
    )
    assert msg.get_body(("plain",)).get_content().startswith(f"{long_name}，您好：")
    assert "2026年10月16日" in msg["Subject"] and msg["Content-Language"] == "zh-CN"


def test_operator_templates_override_the_builtin_ones(tmp_path: Path, revision) -> None:
    (tmp_path / "notice.txt.j2").write_text("Hi {{ name }}! {{ title }} changes on {{ effective_text }}.\n")
    (tmp_path / "notice.fr.subject.j2").write_text("Changement : {{ title }}\n")
    c = composer(revision, [tmp_path])
    msg = parse(c.build("a@users.example", "Ann", "fr-CA", "<1@shop.example>"))
    assert msg["Subject"] == "Changement : Privacy Policy"
    # The operator's text template for every language; the date in the reader's (Babel, fr-CA).
    assert (
        msg.get_body(("plain",))
        .get_content()
        .startswith("Hi Ann! Privacy Policy changes on 16 octobre 2026, 00 h 00 (UTC+08:00).")
    )
    # The HTML part falls back to the built-in template, in French (the fr catalogue).
    assert "Bonjour Ann," in msg.get_body(("html",)).get_content()


def test_an_operator_catalogue_rewords_a_language_and_adds_one(tmp_path: Path, revision) -> None:
    """<repo>/site_templates/locale/<tag>/LC_MESSAGES/notify.po: its messages win over the
    built-in catalogue's of that language, the others stay; a new language is one file."""
    locale = tmp_path / "locale"
    french = locale / "fr" / "LC_MESSAGES"
    french.mkdir(parents=True)
    (french / "notify.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "Dear %(name)s,"\nmsgstr "Chère cliente, cher client (%(name)s),"\n',
        encoding="utf-8",
    )
    german = locale / "de" / "LC_MESSAGES"
    german.mkdir(parents=True)
    (german / "notify.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "Dear %(name)s,"\nmsgstr "Guten Tag %(name)s,"\n',
        encoding="utf-8",
    )
    c = Composer(revision, Sender.parse("Shop <privacy@shop.example>"), Templates([], [locale]))
    fr = parse(c.build("a@users.example", "Ann", "fr", "<1@shop.example>")).get_body(("plain",)).get_content()
    assert fr.startswith("Chère cliente, cher client (Ann),") and "Ce qui change\u00a0:" in fr
    de = parse(c.build("b@users.example", "Bea", "de-AT", "<2@shop.example>"))
    text = de.get_body(("plain",)).get_content()
    assert text.startswith("Guten Tag Bea,") and "16. Oktober 2026" in text
    assert "What changes:" in text  # a message the catalogue lacks: the templates' English
    assert de["Content-Language"] == "de-AT" and '<html lang="de-AT">' in de.get_body(("html",)).get_content()


def test_a_catalogue_whose_translation_breaks_its_placeholders_is_refused(tmp_path: Path, revision) -> None:
    broken = tmp_path / "locale" / "fr" / "LC_MESSAGES"
    broken.mkdir(parents=True)
    (broken / "notify.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        '#, python-format\nmsgid "Dear %(name)s,"\nmsgstr "Bonjour %(nom)s,"\n',
        encoding="utf-8",
    )
    with pytest.raises(NotifyError, match=r"catalogue .*fr/LC_MESSAGES/notify.po: 'Dear %\(name\)s,'"):
        Composer(revision, Sender.parse("Shop <privacy@shop.example>"), Templates([], [tmp_path / "locale"]))


def test_a_broken_template_is_reported_with_its_file_and_line(tmp_path: Path, revision) -> None:
    (tmp_path / "notice.txt.j2").write_text("line one\n{% if name %}unclosed\n")
    with pytest.raises(NotifyError, match=r"notice.txt.j2 line \d"):
        composer(revision, [tmp_path]).build("a@users.example", "A", "", "<1@shop.example>")


def test_sender_must_be_a_valid_address() -> None:
    with pytest.raises(NotifyError, match="--from"):
        Sender.parse("not an address")
    assert Sender.parse("privacy@shop.example").header == "<privacy@shop.example>"
