"""The ledger keeps the text it announced (issue 18): `policyctl notify` records the
sha256 of the revision's text in each language when a campaign starts, and `policyctl
check --ledger` fails when the history holds a notified version with other words.

The attack: notify users of 2.0, then rewrite `main` with `git filter-branch
--tree-filter "sed -i ..."`, which keeps the version names, the dates and the commit
messages and changes a word of the notified text. Every test runs a real `policyctl
notify` (no --smtp: the messages go to the outbox) into a real SQLite ledger over a
real git repository. Today's clock decides when the notices go out, so the history is
published today: its window is counted from today, and an unrewritten history passes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sqlite3
import subprocess
from zoneinfo import ZoneInfo

import pytest
from test_translations import ZH_POLICY
from tests_support import BASE_POLICY, CORE_RIGHTS_REVISION, EDITOR, PolicyRepo, policy_file

from notify.delivery.ledger.ledger import announced_texts, texts

PRIVACY, PRIVACY_ZH = "policy/privacy.md", "policy/privacy.zh.md"
SITE = "https://shop.example/legal/"
USERS = "email,name,locale\nann@example.com,Ann,en\nchen@example.com,陈,zh-CN\n"
MKDOCS_YML = f"""\
site_name: Shop
site_url: {SITE}
theme:
  name: material
plugins:
  - policy:
      languages: [en, zh]
"""
ZH_REVISION = ZH_POLICY.replace("2. 订单数据：地址。", "2. 订单数据：地址、电话号码。")
CN = ZoneInfo("Asia/Shanghai")


def moments() -> tuple[dt.datetime, dt.datetime]:
    """When 1.0 (two months ago) and 2.0 (a minute ago) were committed, in the
    operator's zone: 2.0 is published today, so a notice sent now opens its window."""
    now = dt.datetime.now(CN).replace(microsecond=0) - dt.timedelta(minutes=1)
    return now - dt.timedelta(days=60), now


def publish_history(repo: PolicyRepo, *, chinese: bool = False) -> None:
    """privacy 1.0 (two months ago) and 2.0 (today: a core-rights change, "phone
    number" added to the order data); with `chinese`, both also in Chinese."""
    first, second = moments()
    if chinese:
        repo.write("mkdocs.yml", MKDOCS_YML)
    repo.write(PRIVACY, policy_file(BASE_POLICY, version="1.0", published=first.date().isoformat()))
    if chinese:
        repo.write(PRIVACY_ZH, policy_file(ZH_POLICY, version="1.0", title="隐私政策"))
    repo.commit(first.isoformat(), "Privacy policy 1.0")
    repo.write(
        PRIVACY,
        policy_file(
            CORE_RIGHTS_REVISION,
            version="2.0",
            published=second.date().isoformat(),
            summary="We now keep your phone number with your orders.",
        ),
    )
    if chinese:
        repo.write(
            PRIVACY_ZH,
            policy_file(ZH_REVISION, version="2.0", title="隐私政策", summary="我们现在保存您的电话号码。"),
        )
    repo.commit(second.isoformat(), "Privacy policy 2.0")
    repo.write("users.csv", USERS)


def run_notify(policyctl, repo: PolicyRepo):
    return policyctl(
        "notify", "--repo", repo.path, "--recipients", repo.path / "users.csv", "--site-url", SITE
    )


def notify(policyctl, repo: PolicyRepo):
    result = run_notify(policyctl, repo)
    assert result.code == 0, result.out + result.err
    assert len(list((repo.path / ".policy" / "outbox").rglob("*.eml"))) == 2
    return result


def check(policyctl, repo: PolicyRepo):
    return policyctl("check", "--repo", repo.path, "--ledger", ledger_url(repo))


def ledger_url(repo: PolicyRepo) -> str:
    return f"sqlite:///{repo.path / '.policy' / 'ledger.sqlite3'}"


def rewrite(repo: PolicyRepo, file: str, old: str, new: str) -> None:
    """Rewrite every commit of main with `sed -i s/old/new/ file`, as the attacker does:
    version names, dates and messages stay."""
    env = {**os.environ, **EDITOR, "FILTER_BRANCH_SQUELCH_WARNING": "1"}
    subprocess.run(
        ["git", "filter-branch", "-f", "--tree-filter", f"sed -i 's/{old}/{new}/' {file}", "main"],
        cwd=repo.path,
        env=env,
        check=True,
        capture_output=True,
    )


def sha256_at(repo: PolicyRepo, commit: str, file: str) -> str:
    data = subprocess.run(
        ["git", "show", f"{commit}:{file}"], cwd=repo.path, check=True, capture_output=True
    ).stdout
    return hashlib.sha256(data).hexdigest()


def tip(repo: PolicyRepo) -> str:
    return repo.git("rev-parse", "main").strip()


def flat(text: str) -> str:
    return " ".join(text.split())


def test_a_rewritten_notified_text_fails_check_naming_version_language_hashes_and_commit(
    policy_repo, policyctl
):
    publish_history(policy_repo)
    announced = sha256_at(policy_repo, tip(policy_repo), PRIVACY)
    notify(policyctl, policy_repo)
    assert announced_texts(ledger_url(policy_repo)) == {"privacy": {"2.0": {"en": announced}}}

    unchanged = check(policyctl, policy_repo)
    assert unchanged.code == 0, unchanged.out + unchanged.err

    rewrite(policy_repo, PRIVACY, "phone number", "fax number")
    commit = tip(policy_repo)
    rewritten = sha256_at(policy_repo, commit, PRIVACY)
    assert rewritten != announced
    assert policy_repo.git("log", "--format=%s", "main").split("\n")[:2] == [
        "Privacy policy 2.0",
        "Privacy policy 1.0",
    ]  # the same history to the eye

    result = check(policyctl, policy_repo)
    assert result.code == 1, result.out + result.err
    out = flat(result.out)
    assert (
        f"error: {PRIVACY} (commit {commit[:7]}): users were notified of privacy version 2.0 in en "
        f"with text sha256 {announced[:12]}, but the history holds it with text sha256 {rewritten[:12]}"
    ) in out
    assert "a published and notified text is never edited" in out and "`policyctl publish`" in out
    assert "1 problem found." in out


def test_the_texts_are_recorded_before_the_first_message_goes_out(policy_repo, policyctl):
    publish_history(policy_repo)
    notify(policyctl, policy_repo)
    with sqlite3.connect(policy_repo.path / ".policy" / "ledger.sqlite3") as db:
        [(language, recorded_at)] = db.execute(f"SELECT language, recorded_at FROM {texts.name}").fetchall()
        [first_attempt] = db.execute("SELECT min(first_attempt_at) FROM policy_notices").fetchone()
    assert language == "en"
    assert recorded_at <= first_attempt


def test_a_rewritten_translation_is_caught_for_its_language_and_notify_refuses_it(policy_repo, policyctl):
    publish_history(policy_repo, chinese=True)
    before = tip(policy_repo)
    english, chinese = sha256_at(policy_repo, before, PRIVACY), sha256_at(policy_repo, before, PRIVACY_ZH)
    notify(policyctl, policy_repo)
    assert announced_texts(ledger_url(policy_repo)) == {"privacy": {"2.0": {"en": english, "zh": chinese}}}
    unchanged = check(policyctl, policy_repo)
    assert unchanged.code == 0, unchanged.out + unchanged.err

    rewrite(policy_repo, PRIVACY_ZH, "电话号码", "手机号码")
    commit = tip(policy_repo)
    assert sha256_at(policy_repo, commit, PRIVACY) == english  # only the translation changed
    rewritten = sha256_at(policy_repo, commit, PRIVACY_ZH)

    result = check(policyctl, policy_repo)
    assert result.code == 1, result.out + result.err
    out = flat(result.out)
    assert (
        f"error: {PRIVACY_ZH} (commit {commit[:7]}): users were notified of privacy version 2.0 in zh "
        f"with text sha256 {chinese[:12]}, but the history holds it with text sha256 {rewritten[:12]}"
    ) in out
    assert "in en" not in out and "1 problem found." in out

    # A campaign for that version (a rerun, another channel) will not announce other words.
    again = run_notify(policyctl, policy_repo)
    assert again.code == 2
    assert f"zh: announced {chinese[:12]}…, now {rewritten[:12]}…" in flat(again.err)
    assert "give the new text a new version number" in flat(again.err)


def drop_texts_table(repo: PolicyRepo) -> None:
    """The ledger as notify left it before it recorded texts per language."""
    with sqlite3.connect(repo.path / ".policy" / "ledger.sqlite3") as db:
        db.execute(f"DROP TABLE {texts.name}")


def test_an_old_ledger_passes_with_its_notices_sha256_and_gets_the_table_on_the_next_notify(
    policy_repo, policyctl
):
    publish_history(policy_repo)
    announced = sha256_at(policy_repo, tip(policy_repo), PRIVACY)
    notify(policyctl, policy_repo)
    drop_texts_table(policy_repo)

    assert announced_texts(ledger_url(policy_repo)) == {"privacy": {"2.0": {"": announced}}}
    result = check(policyctl, policy_repo)
    assert result.code == 0, result.out + result.err

    rerun = run_notify(policyctl, policy_repo)
    assert rerun.code == 0, rerun.err
    assert len(list((policy_repo.path / ".policy" / "outbox").rglob("*.eml"))) == 2  # nobody twice
    assert announced_texts(ledger_url(policy_repo)) == {"privacy": {"2.0": {"en": announced}}}


def test_an_old_ledger_still_catches_a_rewritten_source_text(policy_repo, policyctl):
    publish_history(policy_repo)
    announced = sha256_at(policy_repo, tip(policy_repo), PRIVACY)
    notify(policyctl, policy_repo)
    drop_texts_table(policy_repo)

    rewrite(policy_repo, PRIVACY, "phone number", "fax number")
    commit = tip(policy_repo)
    result = check(policyctl, policy_repo)
    assert result.code == 1, result.out + result.err
    assert (
        f"(commit {commit[:7]}): users were notified of privacy version 2.0 in en with text sha256 "
        f"{announced[:12]}, but the history holds it with text sha256 {sha256_at(policy_repo, commit, PRIVACY)[:12]}"
    ) in flat(result.out)


def test_no_ledger_yet_announces_nothing(tmp_path):
    assert announced_texts(f"sqlite:///{tmp_path / 'none.sqlite3'}") == {}


@pytest.mark.parametrize("languages", [("en",), ("en", "zh")])
def test_a_revision_names_the_hash_of_each_language_it_is_written_in(languages):
    from notify_support import make_revision

    from notify.contract.revision import Revision, Translation

    translations = tuple(Translation(code, "T", sha256=code * 32) for code in languages[1:])
    revision = make_revision(language="en", languages=languages, translations=translations)
    assert revision.texts() == {"en": "5" * 64} | {code: code * 32 for code in languages[1:]}
    assert Revision.from_json(revision.to_json()) == revision
    # A revision file written before translations carried their hash still loads.
    data = revision.to_json()
    for t in data["translations"]:
        del t["sha256"]
    assert Revision.from_json(data).texts() == {"en": "5" * 64}


def test_build_refuses_a_rewritten_notified_text_with_the_repositorys_own_ledger(
    policy_repo, policyctl, tmp_path
):
    """`policyctl build` reads the ledger `notify` wrote (.policy/ledger.sqlite3 by
    default) and refuses the rewritten history, even into a new site folder with no
    public record to compare with: exit 1, nothing built."""
    publish_history(policy_repo)
    announced = sha256_at(policy_repo, tip(policy_repo), PRIVACY)
    notify(policyctl, policy_repo)
    rewrite(policy_repo, PRIVACY, "phone number", "mobile number")
    site = tmp_path / "site"

    refused = policyctl("build", "--repo", policy_repo.path, "--site-dir", site)

    assert refused.code == 1, refused.out + refused.err
    message = flat(refused.out)
    assert "users were notified of privacy version 2.0 in en" in message
    assert announced[:12] in message
    assert sha256_at(policy_repo, tip(policy_repo), PRIVACY)[:12] in message
    assert "The site was not built" in message
    assert not site.exists()
