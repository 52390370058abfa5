"""`policyctl notify`'s output problems (issue 24, item 6, the notify part).

- `--report` on a terminal prints a table (document, version, recipient, channel, status,
  sent at, message id...); JSON lines with `--json`, and JSON lines still when standard
  output is not a terminal (what scripts read).
- The default sender is `<site name> <no-reply@<the site's domain>>`; a site on an IP
  address or a host without a dot (localhost) has none: exit 2, asking for `--from`.
- The sign-off and the default sender's name are the site's name (mkdocs.yml
  `site_name`, `site_names` per language): "Example Shop" in English, "示例商店" in Chinese.

History: the privacy policy 1.0 in English and Chinese (1 September 2026), 2.0 in both
(30 September, a core-rights change), notified on 8 October from the default outbox to
Chen (zh-CN) and Ann (en).
"""

from __future__ import annotations

import email
import email.policy
import io
import json
import os
import pty
import re
import select
import subprocess
import sys
from collections.abc import Iterator
from email.headerregistry import Address

import pytest
from notify_support import POLICYCTL, ROOT, make_revision, notify, revision_json
from rich.console import Console
from test_notify_languages import EN_BODY, EN_V2, PRIVACY, PRIVACY_ZH, ZH_BODY, ZH_V2
from tests_support import PolicyRepo, policy_file

from generator.commands import main as policyctl_main
from notify.contract.revision import Translation, load_revision
from notify.delivery.ledger.ledger import Ledger
from notify.delivery.report.evidence import print_evidence

SITE = "https://shop.example/legal/"
MKDOCS_YML = f"""\
site_name: Example Shop
site_url: {SITE}
theme:
  name: material
plugins:
  - search
  - policy:
      languages: [en, zh]
      site_names: {{zh: 示例商店}}
"""
USERS = "id,email,name,locale\nu-zh,chen@example.com,陈,zh-CN\nu-en,ann@example.com,Ann,en\n"


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """The two-language repository, notified once to the default outbox."""
    repo = PolicyRepo.create(tmp_path_factory.mktemp("notify-output") / "repo")
    repo.write("mkdocs.yml", MKDOCS_YML)
    repo.write(PRIVACY, policy_file(EN_BODY, version="1.0", published="2026-09-01"))
    repo.write(PRIVACY_ZH, policy_file(ZH_BODY, version="1.0", title="隐私政策"))
    repo.commit("2026-09-01T10:00:00+08:00", "Privacy policy 1.0 in English and Chinese")
    repo.write(PRIVACY, EN_V2)
    repo.write(PRIVACY_ZH, ZH_V2)
    repo.commit("2026-09-30T10:00:00+08:00", "Privacy policy 2.0 in English and Chinese")
    repo.write("users.csv", USERS)
    outbox = repo.path / "outbox"
    code = policyctl_main(
        [
            "notify", "--repo", str(repo.path), "--as-of", "2026-10-08",
            "--recipients", str(repo.path / "users.csv"), "--outbox", str(outbox),
        ]
    )  # fmt: skip
    assert code == 0
    messages = {}
    for path in outbox.rglob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        messages[str(message["To"].addresses[0].addr_spec)] = message
    yield {"repo": repo.path, "messages": messages}


def parts(message: email.message.EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def sender(message: email.message.EmailMessage) -> Address:
    address: Address = message["From"].addresses[0]
    return address


# -- the site's name: the default sender and the sign-off ------------------------------------------


def test_the_english_notice_comes_from_and_is_signed_by_the_sites_name(campaign):
    message = campaign["messages"]["ann@example.com"]
    assert (sender(message).display_name, sender(message).addr_spec) == (
        "Example Shop",
        "no-reply@shop.example",
    )
    text, html = parts(message)
    assert text.rstrip().splitlines()[-1] == "Example Shop"
    assert "<br>\r\nExample Shop</p>" in html
    assert "Policy notices" not in text + html


def test_the_chinese_notice_comes_from_and_is_signed_by_the_sites_chinese_name(campaign):
    message = campaign["messages"]["chen@example.com"]
    assert message["Content-Language"] == "zh"
    assert (sender(message).display_name, sender(message).addr_spec) == ("示例商店", "no-reply@shop.example")
    text, html = parts(message)
    assert text.rstrip().splitlines()[-1] == "示例商店"
    assert "<br>\r\n示例商店</p>" in html
    assert "Example Shop" not in text + html and "Policy notices" not in text + html


def test_a_sender_given_with_from_keeps_its_name_and_the_sign_off_is_the_sites(tmp_path):
    (tmp_path / "users.csv").write_text("email,name,locale\nann@example.com,Ann,en\n", encoding="utf-8")
    revision = make_revision(site_name="Example Shop")
    outcome = notify(
        tmp_path,
        [revision],
        "--recipients", str(tmp_path / "users.csv"), "--outbox", str(tmp_path / "out"),
        "--from", "Shop Privacy <privacy@shop.example>",
    )  # fmt: skip
    assert outcome.code == 0, outcome.out
    [path] = (tmp_path / "out").rglob("*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert sender(message).display_name == "Shop Privacy"
    assert parts(message)[0].rstrip().splitlines()[-1] == "Example Shop"


def test_a_revision_file_carries_the_sites_names_and_one_from_before_loads_without(tmp_path):
    named = make_revision(
        site_name="Example Shop",
        language="en",
        languages=("en", "zh"),
        translations=(Translation("zh", "隐私政策", "摘要", (), "u", "c", "r", site_name="示例商店"),),
    )
    path = tmp_path / "named.json"
    path.write_text(json.dumps(named.to_json(), ensure_ascii=False), encoding="utf-8")
    assert load_revision(path) == named
    assert load_revision(path).for_locale("zh-CN").site_name == "示例商店"
    assert load_revision(path).for_locale("en").site_name == "Example Shop"

    old = named.to_json()
    del old["site_name"]
    del old["translations"][0]["site_name"]
    path.write_text(json.dumps(old, ensure_ascii=False), encoding="utf-8")
    before = load_revision(path)
    assert before.site_name == "" and before.for_locale("zh-CN").site_name == ""

    # Without a site name, the default sender keeps its old name, and the sign-off is it.
    (tmp_path / "users.csv").write_text("email,name,locale\nann@example.com,Ann,en\n", encoding="utf-8")
    rev = revision_json(make_revision(), tmp_path / "old.json")
    outbox = tmp_path / "out"
    code = policyctl_main(
        ["notify", "--repo", str(tmp_path), "--revision-file", str(rev),
         "--recipients", str(tmp_path / "users.csv"), "--outbox", str(outbox)]
    )  # fmt: skip
    assert code == 0
    [eml] = outbox.rglob("*.eml")
    message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert str(message["From"]) == "Policy notices <no-reply@shop.example>"
    assert parts(message)[0].rstrip().splitlines()[-1] == "Policy notices"


# -- the default sender: a mail domain, or a clear error ---------------------------------------------


@pytest.mark.parametrize(
    ("root", "host"),
    [
        ("http://127.0.0.1:8000/", "127.0.0.1"),
        ("http://localhost:8000/", "localhost"),
        ("http://[::1]:8000/", "::1"),
        ("https://203.0.113.7/", "203.0.113.7"),
    ],
)
def test_a_site_on_an_ip_address_or_localhost_needs_from(tmp_path, root, host):
    (tmp_path / "users.csv").write_text("email,name\nann@example.com,Ann\n", encoding="utf-8")
    revision = make_revision(
        url=f"{root}privacy/versions/2.0/",
        changes_url=f"{root}privacy/changes/1.0-to-2.0/",
        rights_url=f"{root}privacy/#rights",
        site_name="Example Shop",
    )
    outbox = tmp_path / "out"
    args = ("--recipients", str(tmp_path / "users.csv"), "--outbox", str(outbox))
    stopped = notify(tmp_path, [revision], *args)
    assert stopped.code == 2
    said = " ".join(stopped.out.split())
    assert "--from is needed" in said and root in said and host in said, said
    assert not outbox.exists() or not any(outbox.iterdir())  # nothing sent from an invalid address

    given = notify(tmp_path, [revision], *args, "--from", "Example Shop <privacy@shop.example>")
    assert given.code == 0, given.out
    [path] = outbox.rglob("*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert sender(message).addr_spec == "privacy@shop.example"


def test_the_error_is_a_json_line_with_json(tmp_path, capsys):
    (tmp_path / "users.csv").write_text("email\nann@example.com\n", encoding="utf-8")
    revision = make_revision(
        url="http://localhost/privacy/versions/2.0/",
        changes_url="http://localhost/privacy/changes/1.0-to-2.0/",
        rights_url="http://localhost/privacy/#rights",
    )
    outcome = notify(
        tmp_path, [revision], "--recipients", str(tmp_path / "users.csv"), "--json", capsys=capsys
    )
    assert outcome.code == 2
    line = json.loads(outcome.stdout)
    assert line["exit"] == 2 and "--from" in line["error"]


# -- --report: a table on a terminal, JSON lines for scripts -----------------------------------------


def on_terminal(argv: list[str], *, columns: int = 250) -> tuple[int, str]:
    """Run `policyctl` with its standard output on a pseudo-terminal; (exit status, what it showed)."""
    main, child = pty.openpty()
    env = {
        k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")
    }
    env |= {"PYTHONPATH": str(ROOT), "COLUMNS": str(columns), "NO_COLOR": "1", "TERM": "xterm"}
    process = subprocess.Popen(
        [sys.executable, "-c", POLICYCTL, *argv], cwd=ROOT, stdout=child, stderr=subprocess.PIPE, env=env
    )
    os.close(child)
    shown = b""
    while True:
        ready, _, _ = select.select([main], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the child closed the terminal (EIO on Linux)
            break
        if not chunk:
            break
        shown += chunk
    os.close(main)
    code = process.wait(timeout=60)
    plain = re.sub(r"\x1b\[[0-9;]*m", "", shown.decode("utf-8"))  # bold headings
    return code, plain.replace("\r\n", "\n")


def test_report_on_a_terminal_is_a_table_and_json_with_json(campaign):
    repo = str(campaign["repo"])
    code, shown = on_terminal(["notify", "--repo", repo, "--report", "--as-of", "2026-10-08"])
    assert code == 0, shown
    assert "Delivery evidence" in shown
    header = next(line for line in shown.splitlines() if "document" in line)
    for heading in ("document", "version", "recipient", "channel", "status", "sent at", "message id"):
        assert heading in header
    rows = [line for line in shown.splitlines() if "privacy" in line and "2.0" in line]
    assert len(rows) == 2
    assert any("ann@example.com" in row and "sent" in row and "email" in row for row in rows)
    assert any("chen@example.com" in row and "<policy." in row for row in rows)

    # At a terminal's usual 80 columns, each record still starts on one line.
    code, narrow = on_terminal(["notify", "--repo", repo, "--report", "--as-of", "2026-10-08"], columns=80)
    assert code == 0, narrow
    assert max(len(line) for line in narrow.splitlines()) <= 80
    assert (
        sum(1 for line in narrow.splitlines() if "privacy" in line and "2.0" in line and "sent" in line) == 2
    )
    assert "2 ledger records" in shown
    assert '{"document"' not in shown

    code, shown = on_terminal(["notify", "--repo", repo, "--report", "--json", "--as-of", "2026-10-08"])
    assert code == 0, shown
    records = [json.loads(line) for line in shown.splitlines() if line.strip()]
    assert {r["email"] for r in records} == {"ann@example.com", "chen@example.com"}


def test_report_to_a_pipe_stays_json_lines(campaign):
    done = subprocess.run(
        [sys.executable, "-c", POLICYCTL, "notify", "--repo", str(campaign["repo"]), "--report",
         "--as-of", "2026-10-08"],
        cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert {r["email"]: r["status"] for r in records} == {
        "ann@example.com": "sent",
        "chen@example.com": "sent",
    }


def test_the_table_escapes_markup_and_says_how_many_more(campaign):
    url = "sqlite:///" + str(campaign["repo"] / ".policy" / "ledger.sqlite3")
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=250, color_system=None)
    ledger = Ledger(url, readonly=True)
    try:
        assert print_evidence(console, ledger, [], limit=1) == 2
    finally:
        ledger.close()
    shown = buffer.getvalue()
    assert shown.count("@example.com") == 1
    assert "… and 1 more records" in shown


def test_report_of_an_empty_ledger_says_so(tmp_path):
    Ledger("sqlite:///" + str(tmp_path / "empty.sqlite")).close()
    code, shown = on_terminal(
        ["notify", "--repo", str(tmp_path), "--report", "--revision-file",
         str(revision_json(make_revision(), tmp_path / "rev.json")),
         "--ledger", "sqlite:///" + str(tmp_path / "empty.sqlite")]
    )  # fmt: skip
    assert code == 0, shown
    assert "nothing was sent yet" in shown
