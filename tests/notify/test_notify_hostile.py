"""notify's inputs contained (issue 22, "Hostile inputs, round 2"): a source of unusable
rows, a --query that writes, email templates from the policy repository, names that pose
as addresses, who may read what notify writes, an outbox in the site, a plain-http answer
page, a missed window, and two accounts with one address. Each is refused (exit 2, a
message naming what to fix) or handled; none ends in a traceback."""

from __future__ import annotations

import email
import email.policy
import hashlib
import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from notify_support import POLICYCTL, ROOT, ledger_rows, make_revision, notify, revision_json, sqlite_url
from tests_support import CORE_RIGHTS_REVISION, policy_file

from notify.common.tokens import Signer

SECRET = "a-long-random-answer-secret-for-tests"
MB = 1024 * 1024


def outbox_messages(folder: Path) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
        for p in sorted(folder.rglob("*.eml"))
    ]


def plain_text(message: email.message.EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


# -- 1. a source of unusable rows keeps memory flat -------------------------------------------


def peak_rss(folder: Path, unusable: int) -> tuple[int, dict[str, Any]]:
    """Peak RSS in bytes of `policyctl notify` with its children (wait4 of the command,
    whose enqueuing child it waits for), over a CSV of one user and `unusable` rows
    without an address; and its --json report."""
    folder.mkdir()
    users = folder / "users.csv"
    with users.open("w", encoding="utf-8") as fh:
        fh.write("id,email,name\n1,ann@users.example,Ann\n")
        row = "{0},not-an-address-{0},Somebody {0}\n"
        fh.writelines(row.format(i) for i in range(2, unusable + 2))
    rev = revision_json(make_revision(), folder / "revision.json")
    with (folder / "out").open("wb") as out, (folder / "err").open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", POLICYCTL, "notify", "--repo", str(folder), "--revision-file", str(rev)]
            + ["--recipients", str(users), "--json"],
            cwd=ROOT,
            stdout=out,
            stderr=err,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode == 1, (folder / "err").read_text()  # the unusable rows are not reached
    report = json.loads((folder / "out").read_text())["campaigns"][0]
    return usage.ru_maxrss * 1024, report


def test_a_source_of_unusable_rows_keeps_memory_flat(tmp_path: Path) -> None:
    """Before: the enqueuing child kept every skipped row until a batch of usable ones
    filled (never, here), then sent them all in one line: about 300 MB more at 800 000 rows
    (2.38 GB for 200 MB of CSV)."""
    small, few = peak_rss(tmp_path / "small", 10)
    large, many = peak_rss(tmp_path / "large", 800_000)
    assert few["skipped"] == 10 and many["skipped"] == 800_000
    assert many["sent"] == 1 and len(many["skipped_records"]) == 1000  # the first ones, listed
    assert many["skipped_records"][0]["ref"] == "users.csv line 3 (id 2)"
    assert large - small < 40 * MB, (
        f"peak RSS {small / MB:.0f} MB with 10 rows, {large / MB:.0f} MB with 800 000"
    )


# -- 2. a --query only reads ---------------------------------------------------------------------


def shop_database(tmp_path: Path) -> Path:
    db = tmp_path / "shop.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE users (uid INTEGER, mail TEXT, full_name TEXT)")
        conn.executemany("INSERT INTO users VALUES (?, ?, ?)", [(1, "ann@users.example", "Ann")])
    conn.close()
    return db


@pytest.mark.parametrize(
    "query",
    [
        "CREATE TABLE evil (x)",
        "ATTACH DATABASE '{attached}' AS other",
        "INSERT INTO users VALUES (2, 'eve@evil.example', 'Eve') RETURNING mail AS email",
        "DROP TABLE users",
        "PRAGMA user_version = 7",
        "VACUUM",
    ],
)
def test_a_sqlite_query_that_is_not_a_select_is_refused(tmp_path: Path, revision, query: str) -> None:
    db = shop_database(tmp_path)
    attached = tmp_path / "attached.sqlite3"
    query = query.format(attached=attached)
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    result = notify(tmp_path, [revision], "--recipients", f"sqlite:///{db}", "--query", query)
    assert result.code == 2, result.out
    said = " ".join(result.out.split())
    assert query[:20] in said and "must be a SELECT" in said and "Error:" not in said
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert not attached.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shop.sqlite3"]  # no ledger, no outbox


def test_a_sqlite_query_that_selects_still_works_and_a_missing_file_is_not_created(
    tmp_path: Path, revision
) -> None:
    db = shop_database(tmp_path)
    query = (
        "WITH active AS (SELECT * FROM users) SELECT uid AS id, mail AS email, full_name AS name FROM active"
    )
    result = notify(tmp_path, [revision], "--recipients", f"sqlite:///{db}", "--query", query)
    assert result.code == 0, result.out
    assert [r["recipient_id"] for r in ledger_rows(sqlite_url(tmp_path))] == ["1"]
    missing = tmp_path / "missing.sqlite3"
    absent = notify(tmp_path, [revision], "--recipients", f"sqlite:///{missing}", "--query", query)
    assert absent.code == 2 and "unable to open database file" in absent.out
    assert not missing.exists()


def test_a_postgresql_query_that_is_not_a_select_is_refused(tmp_path: Path, revision, fresh_postgres) -> None:
    engine = sa.create_engine(fresh_postgres)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE users (id serial, email text)"))
        conn.execute(sa.text("INSERT INTO users (email) VALUES ('ann@users.example')"))
    writes = ("CREATE TABLE evil (x int)", "COMMIT; CREATE TABLE evil (x int)")
    for query in (*writes, "INSERT INTO users (email) VALUES ('x@y.example') RETURNING email"):
        result = notify(tmp_path, [revision], "--recipients", fresh_postgres, "--query", query)
        assert result.code == 2, result.out
        assert query[:20] in " ".join(result.out.split()) and "must be a SELECT" in result.out
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM users")).scalar_one() == 1
        assert not sa.inspect(conn).has_table("evil")
    engine.dispose()


# -- 3. email templates run in a sandbox ---------------------------------------------------------


def repository_templates(repo: Path, **files: str) -> Path:
    folder = repo / "site_templates" / "email"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name.replace("_", ".")).write_text(text, encoding="utf-8")
    return folder


def users_csv(folder: Path, *rows: str) -> Path:
    path = folder / "users.csv"
    path.write_text("id,email,name\n" + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "body,said",
    [
        ("Dear {{ name }}, {{ cycler.__init__.__globals__.os.popen('touch {marker}').read() }}", "sandbox"),
        ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "sandbox"),
        ("{{ self.__init__.__globals__ }}", "sandbox"),
        ("Dear {{ name }},\n{{ 'x' * 100000000 }}", "sandbox"),
        ("Dear {{ name }},\n\n{{ 10 ** (10 ** 10) }}", "sandbox"),
        ("Dear {{ name }},\n\n{{ 'x'.center(10 ** 9) }}", "sandbox"),
        ("Dear {{ name }},\n\n{{ name.zfill(10 ** 9) }}", "sandbox"),
        ("Dear {{ name }},\n\n{{ '{:>1000000000}'.format(name) }}", "sandbox"),
        ("Dear {{ name }},\n\n{{ '%1000000000s' % name }}", "sandbox"),
        ("Dear {{ name }},\n\n{{ 'x' | center(10 ** 9) }}", "sandbox"),
        ("Dear {{ name }},\n\n{{ 'a\nb' | indent(10 ** 9) }}", "sandbox"),
        ("Dear {{ name }},\n\n{{ '%1000000000s' | format(name) }}", "sandbox"),
        ("Dear {{ name }},\n\n{{ 1 / 0 }}", "ZeroDivisionError"),
        ("{% for x in range(3) %}{{ x.no_such_field }}{% endfor %}", "no_such_field"),
    ],
)
def test_email_templates_of_the_repository_run_in_a_sandbox(
    tmp_path: Path, revision, body: str, said: str
) -> None:
    marker = tmp_path / "ran"
    folder = repository_templates(tmp_path, notice_txt_j2="line 1\n" + body.replace("{marker}", str(marker)))
    users = users_csv(tmp_path, "1,ann@users.example,Ann")
    result = notify(tmp_path, [revision], "--recipients", str(users))
    assert result.code == 2, result.out
    said_all = " ".join(result.out.split())
    line = body.count("\n") + 2  # the faulty expression is on the last line, after "line 1"
    assert f"email template {folder / 'notice.txt.j2'} line {line}" in said_all and said in said_all
    assert "Traceback" not in result.out
    assert not marker.exists()
    assert outbox_messages(tmp_path / ".policy") == []


def test_a_template_that_links_out_of_its_folder_is_refused(tmp_path: Path, revision) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("the database password\n")
    folder = repository_templates(tmp_path)
    (folder / "notice.txt.j2").symlink_to(secret)
    result = notify(tmp_path, [revision], "--recipients", str(users_csv(tmp_path, "1,ann@users.example,Ann")))
    assert result.code == 2 and "outside the templates' folder" in result.out, result.out
    assert outbox_messages(tmp_path / ".policy") == []


def test_the_built_in_templates_render_in_the_sandbox(tmp_path: Path, answer_secret) -> None:
    """Both languages' templates, the late notice and the answer link: all fine there."""
    late = make_revision(late=True, answer_url="https://shop.example/answer")
    users = tmp_path / "users.csv"
    users.write_text("id,email,name,locale\n1,ann@users.example,Ann,en\n2,chen@users.example,陈,zh\n")
    result = notify(tmp_path, [late], "--recipients", str(users))
    assert result.code == 0, result.out
    texts = [plain_text(m) for m in outbox_messages(tmp_path / ".policy" / "outbox")]
    assert len(texts) == 2 and all("https://shop.example/answer?token=" in t for t in texts)


# -- 4. names in headers and greetings ------------------------------------------------------------


def test_a_name_cannot_pose_as_another_address_nor_reorder_the_text(tmp_path: Path, revision) -> None:
    posing = "=?utf-8?q?Admin?= <admin@evil.example>"
    users = users_csv(
        tmp_path,
        f'1,ann@users.example,"{posing}"',
        "2,bob@users.example,=?utf-8?q?Admin?=",
        "3,cy@users.example,\u202ecY\u202c Lee\u2066\u2069\u200f",
    )
    sender = "=?utf-8?q?Bank?= <privacy@shop.example>"
    result = notify(tmp_path, [revision], "--recipients", str(users), "--from", sender)
    assert result.code == 0, result.out
    by_address = {}
    for message in outbox_messages(tmp_path / ".policy" / "outbox"):
        [to] = message["To"].addresses
        by_address[to.addr_spec] = (to.display_name, message)
        [sent_from] = message["From"].addresses
        assert sent_from.display_name == "=?utf-8?q?Bank?=" and sent_from.addr_spec == "privacy@shop.example"
    assert by_address["ann@users.example"][0] == posing
    assert by_address["bob@users.example"][0] == "=?utf-8?q?Admin?="
    name, message = by_address["cy@users.example"]
    assert name == "cY Lee"
    raw = message.as_bytes().decode("utf-8", "replace")
    text = plain_text(message)
    assert "Dear cY Lee," in text
    for control in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f":
        assert control not in text and control not in raw


# -- 5. what holds addresses and links is private -------------------------------------------------


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_ledger_journal_outbox_and_report_are_their_owners_alone(tmp_path: Path, revision) -> None:
    users = users_csv(tmp_path, "1,ann@users.example,Ann", "2,bob@users.example,Bob")
    previous = os.umask(0)  # the most open umask: the modes must not depend on it
    try:
        result = notify(tmp_path, [revision], "--recipients", str(users))
        assert result.code == 0, result.out
        report = tmp_path / "evidence.csv"
        assert notify(tmp_path, [revision], "--report", "--csv", "--output", str(report)).code == 0
    finally:
        os.umask(previous)
    private = tmp_path / ".policy"
    folders = [
        private,
        private / "outbox",
        private / "outbox" / "privacy",
        private / "outbox" / "privacy" / "2.0",
    ]
    folders.append(private / "ledger.sqlite3.outcomes")
    assert {str(f.relative_to(tmp_path)): oct(mode(f)) for f in folders} == {
        str(f.relative_to(tmp_path)): "0o700" for f in folders
    }
    files = [private / "ledger.sqlite3", report, *private.rglob("*.eml")]
    files += [p for p in private.glob("ledger.sqlite3-*")]
    assert len(files) >= 4
    assert {str(f.relative_to(tmp_path)): oct(mode(f)) for f in files} == {
        str(f.relative_to(tmp_path)): "0o600" for f in files
    }


def test_a_ledger_and_outbox_left_open_by_an_earlier_version_are_narrowed(tmp_path: Path, revision) -> None:
    users = users_csv(tmp_path, "1,ann@users.example,Ann")
    assert notify(tmp_path, [revision], "--recipients", str(users)).code == 0
    private = tmp_path / ".policy"
    ledger, outbox = private / "ledger.sqlite3", private / "outbox" / "privacy" / "2.0"
    for path, opened in ((private, 0o755), (ledger, 0o644), (outbox, 0o755)):
        path.chmod(opened)
    users_csv(tmp_path, "1,ann@users.example,Ann", "2,bob@users.example,Bob")
    assert notify(tmp_path, [revision], "--recipients", str(users)).code == 0
    assert (mode(private), mode(ledger), mode(outbox)) == (0o700, 0o600, 0o700)
    assert {mode(p) for p in outbox.glob("*.eml")} == {0o600}


# -- 6. the outbox is never inside the site -------------------------------------------------------


def run_notify(repo: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """`policyctl notify` in a child process for the revision of make_revision (from a file)."""
    rev = revision_json(make_revision(), repo / "revision.json")
    return subprocess.run(
        [sys.executable, "-c", POLICYCTL, "notify", "--repo", str(repo), "--revision-file", str(rev), *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_an_outbox_inside_a_built_site_is_refused(tmp_path: Path) -> None:
    users = users_csv(tmp_path, "1,ann@users.example,Ann")
    elsewhere = tmp_path / "www"
    (elsewhere / "legal").mkdir(parents=True)
    (elsewhere / ".policy-site").write_text("built\n")
    for outbox, where in (
        (tmp_path / "site" / "mail", "the site folder"),  # the configured site_dir (default: <repo>/site)
        (elsewhere / "legal" / "mail", "the built site"),  # a folder whose ancestor carries the marker
        (elsewhere, "the built site"),
    ):
        result = run_notify(tmp_path, "--recipients", str(users), "--outbox", str(outbox))
        assert result.returncode == 2, result.stderr
        said = " ".join(result.stderr.split())
        assert f"--outbox {outbox} is inside {where}" in said and "Traceback" not in said
        assert not list(tmp_path.rglob("*.eml"))
    fine = run_notify(tmp_path, "--recipients", str(users), "--outbox", str(tmp_path / "mail"))
    assert fine.returncode == 0, fine.stderr
    assert len(list((tmp_path / "mail").rglob("*.eml"))) == 1


# -- 7. the answer page over plain http ------------------------------------------------------------


@pytest.fixture
def answer_secret(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("POLICYCTL_ANSWER_SECRET", SECRET)
    return SECRET


def test_an_http_answer_page_on_another_machine_needs_allow_insecure(tmp_path: Path, answer_secret) -> None:
    users = users_csv(tmp_path, "1,ann@users.example,Ann")
    plain = make_revision(answer_url="http://answers.shop.example/policy/answer")
    refused = notify(tmp_path, [plain], "--recipients", str(users))
    assert refused.code == 2
    said = " ".join(refused.out.split())
    assert "http://answers.shop.example/policy/answer is plain http" in said and "--allow-insecure" in said
    assert not (tmp_path / ".policy").exists()
    allowed = notify(tmp_path, [plain], "--recipients", str(users), "--allow-insecure")
    assert allowed.code == 0, allowed.out
    loopback = make_revision(version="3.0", sha256="6" * 64, answer_url="http://127.0.0.1:8000/policy/answer")
    assert notify(tmp_path, [loopback], "--recipients", str(users)).code == 0


# -- 8. a missed window ------------------------------------------------------------------------------

PRIVACY = "policy/privacy.md"
SITE = "https://shop.example/legal/"


@pytest.fixture
def in_force_unnotified(policy_repo):
    """1.0, then 2.0 (a core-rights change) published 30 September, in force from 16
    October 2026; no notice sent."""
    policy_repo.publish(
        PRIVACY,
        policy_file(version="1.0", published="2026-09-01", summary="First."),
        "2026-09-01T10:00:00+08:00",
    )
    policy_repo.publish(
        PRIVACY,
        policy_file(CORE_RIGHTS_REVISION, version="2.0", published="2026-09-30", summary="Phone numbers."),
        "2026-09-30T10:00:00+08:00",
    )
    (policy_repo.path / "users.csv").write_text("id,email,name\n1,ann@example.com,Ann\n")
    return policy_repo


def test_a_missed_window_names_the_revision_in_force_and_suggests_late(
    in_force_unnotified, policyctl
) -> None:
    repo = in_force_unnotified
    flags = ("notify", "--repo", repo.path, "--recipients", repo.path / "users.csv", "--site-url", SITE)
    missed = policyctl(*flags, "--as-of", "2026-10-20")
    assert missed.code == 1, missed.err
    said = " ".join(missed.err.split())
    assert "Nothing to notify" not in missed.out
    assert "privacy 2.0 changed a core-rights section and took effect on 2026-10-16" in said
    assert "no notice of it sent" in said and "--late" in said
    late = policyctl(*flags, "--as-of", "2026-10-20", "--late")
    assert late.code == 0, late.err
    assert len(list((repo.path / ".policy" / "outbox").rglob("*.eml"))) == 1
    again = policyctl(*flags, "--as-of", "2026-10-21")
    assert again.code == 0 and "Nothing to notify" in again.out and again.err == ""


# -- 9. two accounts with one address ---------------------------------------------------------------


def tokens_of(messages: list[email.message.EmailMessage]) -> dict[str, list[str]]:
    """address -> the user each of its messages' personal links names."""
    signer = Signer(SECRET)
    out: dict[str, list[str]] = {}
    for message in messages:
        [to] = message["To"].addresses
        link = next(w for w in plain_text(message).split() if "token=" in w)
        token = parse_qs(urlsplit(link).query)["token"][0]
        out.setdefault(to.addr_spec, []).append(signer.check(token, 0).user)
    return {address: sorted(users) for address, users in out.items()}


def test_two_accounts_with_one_address_are_two_users(tmp_path: Path, answer_secret) -> None:
    users = users_csv(
        tmp_path,
        "1,family@users.example,Ann",
        "2,Family@users.example,Bob",  # another account, the same address
        "1,ann.other@users.example,Ann again",  # the same account again: one user
        ",solo@users.example,Solo",
        ",SOLO@users.example,Solo again",  # no id, the same address: one user
    )
    revision = make_revision(answer_url="https://shop.example/answer")
    result = notify(tmp_path, [revision], "--recipients", str(users), "--json")
    assert result.code == 0, result.out
    rows = ledger_rows(sqlite_url(tmp_path))
    assert sorted((r["recipient_id"], r["email"], r["status"]) for r in rows) == [
        ("", "solo@users.example", "sent"),
        ("1", "family@users.example", "sent"),
        ("2", "Family@users.example", "sent"),
    ]
    assert len({r["message_id"] for r in rows}) == 3
    messages = outbox_messages(tmp_path / ".policy" / "outbox")
    keyed = tokens_of(messages)
    assert keyed["solo@users.example"][0].startswith("email-")  # the address's key (tokens.py's rule)
    assert {a: u for a, u in keyed.items() if a != "solo@users.example"} == {
        "family@users.example": ["1"],
        "Family@users.example": ["2"],
    }
    rerun = notify(tmp_path, [revision], "--recipients", str(users))
    assert rerun.code == 0 and len(ledger_rows(sqlite_url(tmp_path))) == 3  # nobody twice


def test_a_ledger_keyed_by_address_is_not_notified_again(tmp_path: Path, revision) -> None:
    """A campaign begun when the ledger keyed every row by its address goes on: the user
    with that id is not sent a second notice; the account it left out is now sent one."""
    from notify.delivery.ledger.ledger import Campaign, Ledger
    from notify.delivery.recipients.sources import Recipient

    ledger = Ledger(sqlite_url(tmp_path))
    try:
        earlier = Recipient(
            "family@users.example", "family@users.example", "Ann", "", "1", "users.csv line 2"
        )
        ledger.enqueue(Campaign.of(revision, "email"), "old-run", [earlier], lambda key: f"<old.{key}@x>")
    finally:
        ledger.close()
    users = users_csv(tmp_path, "1,family@users.example,Ann", "2,family@users.example,Bob")
    result = notify(tmp_path, [revision], "--recipients", str(users))
    assert result.code == 0, result.out
    rows = ledger_rows(sqlite_url(tmp_path))
    assert sorted((r["recipient"], r["recipient_id"]) for r in rows) == [
        ("family@users.example", "1"),
        ("id:2", "2"),
    ]


def test_two_accounts_with_one_address_each_get_a_message_over_smtp(
    tmp_path: Path, revision, smtp_server
) -> None:
    server = smtp_server()
    users = users_csv(tmp_path, "1,family@users.example,Ann", "2,family@users.example,Bob")
    smtp = ("--smtp", f"smtp://127.0.0.1:{server.port}", "--retry-base", "0.01")
    result = notify(tmp_path, [revision], "--recipients", str(users), *smtp)
    assert result.code == 0, result.out
    assert server.counts() == {"family@users.example": 2}
    names = sorted(r.message["To"].addresses[0].display_name for r in server.received)
    assert names == ["Ann", "Bob"]
    assert notify(tmp_path, [revision], "--recipients", str(users), *smtp).code == 0
    assert server.counts() == {"family@users.example": 2}  # the rerun sends nobody again


def test_an_answer_page_that_would_shadow_the_api_or_be_a_pattern_is_refused(
    tmp_path: Path, answer_secret
) -> None:
    """The same rule as `answers serve`'s (notify.common.tokens.answer_url_problem): a
    personal link to /api/answers or to /policy/{x} would lead nowhere the service serves."""
    users = users_csv(tmp_path, "1,ann@users.example,Ann")
    for answer_url, said in (
        ("https://shop.example/api/answers", "is the answer service's API"),
        ("https://shop.example/policy/{user}", "contains { or }"),
    ):
        refused = notify(tmp_path, [make_revision(answer_url=answer_url)], "--recipients", str(users))
        assert refused.code == 2, refused.out
        assert said in " ".join(refused.out.split())
        assert not (tmp_path / ".policy").exists()
