"""A notice links the redline from the version that governs its recipient (issue 19,
item 6): a user who objected to an earlier revision keeps the version before it, so
"what changed" for them starts there, not at the version in force.

The history of tests/test_compare_in_force.py (1.0 English only; 2.0, 3.0 in English and
Chinese; 4.0, a core-rights revision, published 30 September 2026 and effective
16 October; 5.0 scheduled). Answers are recorded with `policyctl answers record` and
`import`, `policyctl notify --as-of 2026-10-05` writes the .eml outbox, and the site built
as of the same day has every page the messages link to.
"""

from __future__ import annotations

import email
import email.policy
import json
from datetime import datetime
from pathlib import Path

import pytest
from browser_support import build_site
from test_compare_in_force import write_history
from tests_support import PolicyRepo

from notify.answers.rule import (
    ACCEPT,
    OBJECT,
    Answer,
    DocumentFacts,
    VersionFacts,
    governing,
    governing_version,
)
from notify.common.tokens import user_key
from notify.contract.revision import Earlier, Revision

SITE = "https://shop.example/"
OWN = "See exactly what changed since version {version}, the version that applies to you:"
ORDINARY = "See exactly what changed:"

USERS = """\
id,email,name,locale
u-ann,ann@example.com,Ann,en
u-bob,bob@example.com,Bob,en
u-chen,chen@example.com,Chen,zh-CN
u-dan,dan@example.com,Dan,en
,eve@example.com,Eve,zh
u-fay,fay@example.com,Fay,en
u-gus,gus@example.com,Gus,en
"""


@pytest.fixture
def notified(
    policy_repo: PolicyRepo, policyctl, monkeypatch: pytest.MonkeyPatch
) -> dict[str, email.message.EmailMessage]:
    """The notices of 4.0, by recipient address, after these answers:

    - Ann objected to 2.0 (on 5 March 2026): 1.0 governs her.
    - Bob never answered: the version in force, 3.0.
    - Chen (Chinese) objected to 3.0 on 5 June, before it took effect: 2.0 governs him.
    - Dan objected to 2.0, then accepted 3.0: 3.0 governs him.
    - Eve (no id: her answers are keyed by the keyed hash of her address, Chinese) objected to
      2.0: 1.0, which the Chinese site does not carry.
    - Fay objected to 4.0 itself: until it takes effect she is on 3.0 like everyone.
    - Gus objected to 2.0 on 6 October, after the instant of the run: not counted.
    """
    monkeypatch.setenv("POLICYCTL_ADDRESS_KEY", "test-address-key-0123456789")  # keys Eve's id
    repo = write_history(policy_repo)
    (repo.path / "users.csv").write_text(USERS, encoding="utf-8")
    answers = [
        ("u-ann", "2.0", "object", "2026-03-05T10:00"),
        ("u-chen", "3.0", "object", "2026-06-05T10:00"),
        ("u-dan", "2.0", "object", "2026-03-05T10:00"),
        ("u-dan", "3.0", "accept", "2026-07-01T10:00"),
        ("u-fay", "4.0", "object", "2026-10-02T10:00"),
    ]
    for user, version, answer, at in answers:
        recorded = policyctl(
            "answers", "record", "--repo", repo.path, "--document", "privacy", "--version", version,
            "--user", user, "--answer", answer, "--at", at,
        )  # fmt: skip
        assert recorded.code == 0, recorded.err
    later = repo.path / "answers.jsonl"
    later.write_text(
        json.dumps(
            {
                "document": "privacy",
                "version": "2.0",
                "user": user_key("", "eve@example.com"),
                "answer": "object",
                "at": "2026-03-06T10:00",
            }
        )  # fmt: skip
        + "\n"
        + json.dumps(
            {
                "document": "privacy",
                "version": "2.0",
                "user": "u-gus",
                "answer": "object",
                "at": "2026-10-06T10:00",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    imported = policyctl("answers", "import", "--repo", repo.path, later)
    assert imported.code == 0, imported.err
    sent = policyctl(
        "notify", "--repo", repo.path, "--recipients", repo.path / "users.csv", "--as-of", "2026-10-05"
    )
    assert sent.code == 0, sent.out + sent.err
    messages = {}
    for path in sorted((repo.path / ".policy" / "outbox").rglob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        messages[message["To"].addresses[0].addr_spec] = message
    assert len(messages) == 7
    return messages


def text_of(message: email.message.EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def html_of(message: email.message.EmailMessage) -> str:
    return message.get_body(("html",)).get_content()


def changes_link(message: email.message.EmailMessage) -> str:
    """The redline the plain text links (the line after "See exactly what changed…" / "查看…")."""
    lines = text_of(message).splitlines()
    for i, line in enumerate(lines):
        if line.startswith(("See exactly what changed", "applies to you:", "查看")) and line.endswith(
            (":", "：")
        ):
            return lines[i + 1].strip()
    raise AssertionError(text_of(message))


def test_an_objector_is_sent_the_redline_from_the_version_that_governs_them(notified, tmp_path):
    ann = notified["ann@example.com"]
    assert changes_link(ann) == f"{SITE}privacy/changes/1.0-to-4.0/"
    text = " ".join(text_of(ann).split())
    assert OWN.format(version="1.0") in text
    assert (
        "You objected to a revision after version 1.0, so version 1.0 is the one that applies to your "
        "personal information. It keeps applying after 16 October 2026" in text
    )
    html = html_of(ann)
    assert f'<a href="{SITE}privacy/changes/1.0-to-4.0/">See exactly what changed since version 1.0' in html
    assert "3.0-to-4.0" not in text_of(ann) + html


def test_everyone_else_is_sent_the_ordinary_redline(notified):
    for address in ("bob@example.com", "dan@example.com", "fay@example.com", "gus@example.com"):
        message = notified[address]
        assert changes_link(message) == f"{SITE}privacy/changes/3.0-to-4.0/", address
        assert ORDINARY in text_of(message) and "You objected" not in text_of(message), address


def test_a_chinese_reader_is_sent_the_chinese_redline_where_the_chinese_site_has_one(notified):
    chen = notified["chen@example.com"]
    assert chen["Content-Language"] == "zh"
    assert changes_link(chen) == f"{SITE}zh/privacy/changes/2.0-to-4.0/"
    assert "查看自适用于您的 2.0 版本以来的具体修改" in text_of(chen)
    assert "您曾反对 2.0 版本之后的修订，因此适用于您个人信息的是 2.0 版本。" in text_of(chen)
    # Eve is governed by 1.0, from before the Chinese text existed: the only page that
    # compares it is the English one.
    eve = notified["eve@example.com"]
    assert eve["Content-Language"] == "zh"
    assert changes_link(eve) == f"{SITE}privacy/changes/1.0-to-4.0/"


def test_the_site_has_every_page_the_notices_link(notified, policy_repo, tmp_path):
    site = build_site(policy_repo.path, "2026-10-05", tmp_path / "site")
    links = {changes_link(m) for m in notified.values()}
    assert links == {
        f"{SITE}privacy/changes/1.0-to-4.0/",
        f"{SITE}privacy/changes/3.0-to-4.0/",
        f"{SITE}zh/privacy/changes/2.0-to-4.0/",
    }
    for link in links:
        page = site / link.removeprefix(SITE) / "index.html"
        assert page.is_file(), link
    assert "Privacy Policy: changes from version 1.0 to 4.0" in (
        site / "privacy/changes/1.0-to-4.0/index.html"
    ).read_text(encoding="utf-8")


def test_the_revision_contract_carries_the_earlier_versions_and_reads_older_files(tmp_path: Path):
    zone = datetime.fromisoformat("2026-10-16T00:00:00+08:00").tzinfo
    revision = Revision(
        document="privacy",
        title="Privacy Policy",
        version="4.0",
        sha256="4" * 64,
        published=datetime(2026, 9, 30, tzinfo=zone),
        effective=datetime(2026, 10, 16, tzinfo=zone),
        summary="Birthdays.",
        core_sections=(("collection", "II. Collection"),),
        url=f"{SITE}privacy/versions/4.0/",
        changes_url=f"{SITE}privacy/changes/3.0-to-4.0/",
        rights_url=f"{SITE}privacy/#rights",
        earlier=(
            Earlier("1.0", datetime(2026, 1, 5, tzinfo=zone), f"{SITE}privacy/changes/1.0-to-4.0/"),
            Earlier("3.0", datetime(2026, 6, 15, tzinfo=zone), f"{SITE}privacy/changes/3.0-to-4.0/"),
        ),
    )
    data = json.loads(json.dumps(revision.to_json()))
    assert data["earlier"][0] == {
        "version": "1.0",
        "effective": "2026-01-05T00:00:00+08:00",
        "changes_url": f"{SITE}privacy/changes/1.0-to-4.0/",
    }
    assert Revision.from_json(data) == revision
    assert revision.changes_url_from("1.0", "zh") == f"{SITE}privacy/changes/1.0-to-4.0/"
    assert revision.changes_url_from("2.0") == ""
    # A revision file written before revisions carried their earlier versions.
    del data["earlier"]
    older = Revision.from_json(data)
    assert older.earlier == () and older.changes_url_from("1.0") == ""


def test_the_campaigns_shortcut_names_the_version_the_governing_rule_names():
    """`governing_version` (what a campaign asks of each recipient who answered) is the
    version of `governing`, at every instant of a history with a version replaced on its
    day, for answers that object, accept, and object again."""
    zone = datetime.fromisoformat("2026-01-01T00:00:00+08:00").tzinfo
    day = [datetime(2026, month, 1, tzinfo=zone) for month in range(1, 13)]
    facts = DocumentFacts(
        "privacy",
        "Privacy Policy",
        (
            VersionFacts("1.0", day[0]),
            VersionFacts("2.0", day[2]),
            VersionFacts("2.1", day[2]),  # replaces 2.0 on its day: 2.0 never took effect
            VersionFacts("3.0", day[5]),
            VersionFacts("4.0", day[9]),
        ),
    )
    histories = [
        [],
        [Answer("2.1", OBJECT, day[1])],
        [Answer("3.0", OBJECT, day[4]), Answer("3.0", ACCEPT, day[7])],
        [Answer("2.1", OBJECT, day[1]), Answer("4.0", ACCEPT, day[10]), Answer("4.0", OBJECT, day[11])],
        [Answer("4.0", OBJECT, day[8])],
    ]
    for answers in histories:
        for month in range(12):
            at = day[month]
            assert governing_version(facts, answers, at) == governing(facts, "u", answers, at).version
    assert governing_version(facts, histories[1], day[6]) == "1.0"  # never 2.0


def test_the_webhook_body_names_the_redline_from_the_recipients_own_version(
    policy_repo: PolicyRepo, policyctl, receiver
):
    """An SMS gateway or the shop's own mailer behind the webhook gets the same link: the
    body of a recipient governed by an older version carries `changes_from` and
    `recipient_changes_url`; everyone else's body only the notice's own `changes_url`."""
    repo = write_history(policy_repo)
    (repo.path / "users.csv").write_text(
        "id,email,name,locale\nu-ann,ann@example.com,Ann,en\nu-bob,bob@example.com,Bob,en\n", encoding="utf-8"
    )
    recorded = policyctl(
        "answers", "record", "--repo", repo.path, "--document", "privacy", "--version", "2.0",
        "--user", "u-ann", "--answer", "object", "--at", "2026-03-05T10:00",
    )  # fmt: skip
    assert recorded.code == 0, recorded.err
    sent = policyctl(
        "notify", "--repo", repo.path, "--recipients", repo.path / "users.csv", "--as-of", "2026-10-05",
        "--no-email", "--webhook", receiver.url("/hook"),
    )  # fmt: skip
    assert sent.code == 0, sent.out + sent.err
    bodies = {post.email: post.payload for post in receiver.posts}
    assert set(bodies) == {"ann@example.com", "bob@example.com"}
    assert bodies["ann@example.com"]["changes_from"] == "1.0"
    assert bodies["ann@example.com"]["recipient_changes_url"] == f"{SITE}privacy/changes/1.0-to-4.0/"
    assert bodies["ann@example.com"]["changes_url"] == f"{SITE}privacy/changes/3.0-to-4.0/"
    assert "changes_from" not in bodies["bob@example.com"]
    assert "recipient_changes_url" not in bodies["bob@example.com"]


def test_a_text_links_the_redline_from_the_version_that_governs_its_user(
    policy_repo: PolicyRepo, policyctl, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ann (a phone number only) objected to 2.0: her text links 1.0 -> 4.0; Bob's, 3.0 -> 4.0."""
    from sms_support import SMS_SECRET, gateway

    monkeypatch.setenv("POLICYCTL_SMS_SECRET", SMS_SECRET)
    repo = write_history(policy_repo)
    (repo.path / "users.csv").write_text(
        "id,phone,locale\nu-ann,+44 7911 123456,en\nu-bob,+44 7911 123457,en\n", encoding="utf-8"
    )
    # The site is in Chinese too, where a redline's link leaves no room in 70 characters
    # for the built-in words: the operator's shorter Chinese text (docs/operators.md).
    repo.write("site_templates/email/notice.zh.sms.j2", "{{ title }} {{ version }}：{{ link }}\n")
    recorded = policyctl(
        "answers", "record", "--repo", repo.path, "--document", "privacy", "--version", "2.0",
        "--user", "u-ann", "--answer", "object", "--at", "2026-03-05T10:00",
    )  # fmt: skip
    assert recorded.code == 0, recorded.err
    with gateway() as sms:
        sent = policyctl(
            "notify", "--repo", repo.path, "--recipients", repo.path / "users.csv", "--as-of", "2026-10-05",
            "--sms", sms.url,
        )  # fmt: skip
        texts = {t.payload["recipient"]["id"]: t.text for t in sms.texts}
    assert sent.code == 0, sent.out + sent.err
    assert texts["u-ann"].endswith(f"What changed: {SITE}privacy/changes/1.0-to-4.0/"), texts["u-ann"]
    assert texts["u-bob"].endswith(f"What changed: {SITE}privacy/changes/3.0-to-4.0/"), texts["u-bob"]
