"""Issue 25's "done when", end to end with real processes: a campaign over users with an
email address only, a phone number only, both, and an unusable number, through a real
SMTP server (aiosmtpd) and a real SMS gateway on loopback, from a two-language policy
repository (en, zh) with an answer page:

- each user gets exactly one notice per the channel rule (`--channels auto`);
- a SIGKILL mid-campaign, then a rerun: nobody missed, duplicates no more than the texts
  in flight;
- every text fits in one segment, in English (GSM-7, 160) and Chinese (UCS-2, 70);
- a text's short link opens the answer page (`policyctl answers serve`), where an
  objection recorded through it governs `policyctl applies`.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from notify_support import ROOT, ledger_rows, sqlite_url
from server_events import LIMIT
from sms_support import SMS_SECRET, Gateway, Text, accept, gateway
from test_notify_languages import EN_BODY, EN_V2, ZH_BODY, ZH_V2
from tests_support import PolicyRepo, free_port, policy_file

from notify.common.secrets import ANSWER_SECRET_ENV, SMS_SECRET_ENV
from notify.delivery.channels.sms.segments import GSM7, UCS2, length

SECRET = "sms-end-to-end-answer-secret-0123456789"
PRIVACY, PRIVACY_ZH = "policy/privacy.md", "policy/privacy.zh.md"
PHONE_ONLY = 150  # users with a phone number only, beyond the four named ones
CONCURRENCY = 4
HOLD_AT = 60  # the gateway holds its 60th text until the campaign is killed


def number(i: int) -> str:
    return f"1390000{i:04d}"  # a mainland mobile number, read in CN (the calendar's country)


USERS = (
    "id,email,phone,name,locale\n"
    "u-ann,ann@example.com,,Ann,en\n"  # an address only
    f"u-bo,,{number(9000)},Bo,zh-CN\n"  # a phone only, in Chinese
    f"u-cy,cy@example.com,{number(9001)},Cy,en\n"  # both: email (auto)
    "u-di,,12ab-not-a-number,Di,en\n"  # nothing usable
    + "".join(f"u-{i},,{number(i)},User {i},{'zh-CN' if i % 2 else 'en'}\n" for i in range(PHONE_ONLY))
)
TEXTED = {f"+86{number(i)}" for i in range(PHONE_ONLY)} | {f"+86{number(9000)}"}


def policyctl(*args: str | Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from generator.commands import main; raise SystemExit(main())",
            *map(str, args),
        ],
        cwd=ROOT,
        env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, smtp_server_module) -> Iterator[dict]:
    root = tmp_path_factory.mktemp("sms-end-to-end")
    repo = PolicyRepo.create(root / "repo")
    port = free_port()
    answer_url = f"http://127.0.0.1:{port}/a"
    repo.write(
        "mkdocs.yml",
        "site_name: Shop\nsite_url: https://shop.example/legal/\nplugins:\n  - policy:\n"
        f"      languages: [en, zh]\n      answer_url: {answer_url}\n      answer_days: 36500\n",
    )
    repo.write(PRIVACY, policy_file(EN_BODY, version="1.0", published="2026-09-01"))
    repo.write(PRIVACY_ZH, policy_file(ZH_BODY, version="1.0", title="隐私政策"))
    repo.commit("2026-09-01T10:00:00+08:00", "Privacy policy 1.0 in English and Chinese")
    repo.write(PRIVACY, EN_V2)
    repo.write(PRIVACY_ZH, ZH_V2)
    repo.commit("2026-09-30T10:00:00+08:00", "Privacy policy 2.0 in English and Chinese")
    (repo.path / "users.csv").write_text(USERS, encoding="utf-8")
    env = {ANSWER_SECRET_ENV: SECRET, SMS_SECRET_ENV: SMS_SECRET}
    with gateway() as sms:
        smtp = smtp_server_module
        args = (
            "notify", "--repo", repo.path, "--as-of", "2026-10-08", "--recipients", repo.path / "users.csv",
            "--smtp", f"smtp://127.0.0.1:{smtp.port}", "--sms", sms.url, "--concurrency", str(CONCURRENCY),
        )  # fmt: skip
        killed = _kill_mid_campaign(sms, args, env, sqlite_url(repo.path))
        sms.answer = accept
        rerun = policyctl(*args, env=env)
        out, err = rerun.communicate(timeout=300)
        yield {
            "repo": repo,
            "sms": sms,
            "smtp": smtp,
            "killed": killed,
            "rerun": (rerun.returncode, out, err),
            "answer_url": answer_url,
            "port": port,
            "env": env,
            "ledger": sqlite_url(repo.path),
        }


def _kill_mid_campaign(sms: Gateway, args: tuple, env: dict[str, str], ledger: str) -> dict:
    """Start the campaign, SIGKILL it while the gateway holds its 60th text; what was in flight."""
    reached, released = threading.Event(), threading.Event()
    taken = [0]
    lock = threading.Lock()

    def hold(text: Text) -> tuple[int, dict]:
        with lock:
            taken[0] += 1
            mine = taken[0]
        if mine == HOLD_AT:
            reached.set()
            released.wait(LIMIT)
        return accept(text)

    sms.answer = hold
    worker = policyctl(*args, env=env)
    try:
        assert reached.wait(LIMIT), worker.stderr.read() if worker.poll() is not None else "no 60th text"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(30)
        rows = ledger_rows(ledger)
        in_flight = {r["email"] for r in rows if r["channel"] == "sms" and r["status"] == "sending"}
    finally:
        released.set()
        if worker.poll() is None:
            worker.kill()
    return {"code": worker.returncode, "in_flight": in_flight, "texts_before_rerun": len(sms.texts)}


@pytest.fixture(scope="module")
def smtp_server_module() -> Iterator:
    from aiosmtpd.controller import Controller
    from notify_support import SmtpServer

    server = SmtpServer()
    server.port = free_port()
    controller = Controller(server, hostname="127.0.0.1", port=server.port, ready_timeout=10)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


def test_the_kill_caught_texts_in_flight_and_the_rerun_completes(world) -> None:
    killed = world["killed"]
    assert killed["code"] == -signal.SIGKILL
    assert killed["in_flight"], "the kill should have caught texts in flight"
    assert killed["texts_before_rerun"] < len(TEXTED)
    code, out, err = world["rerun"]
    assert code == 1, err  # Di has nothing usable: not everyone is reached
    assert "users.csv line 5 (id u-di)" in out + err
    for shown in ("13900009000", "+8613900009000"):
        assert shown not in out and shown not in err


def test_each_user_gets_one_notice_per_the_channel_rule(world) -> None:
    counts = world["sms"].per_number()
    assert set(counts) == TEXTED  # every phone-only user, and only they (Cy has an address)
    duplicated = {to for to, n in counts.items() if n > 1}
    assert len(duplicated) <= CONCURRENCY and max(counts.values()) <= 2
    assert duplicated <= world["killed"]["in_flight"]
    emails = sorted(m.rcpt[0] for m in world["smtp"].received)
    assert emails == ["ann@example.com", "cy@example.com"]
    rows = ledger_rows(world["ledger"])
    assert {(r["channel"], r["status"]) for r in rows} == {("email", "sent"), ("sms", "sent")}
    assert sum(r["channel"] == "sms" for r in rows) == len(TEXTED)


def test_every_text_fits_one_segment_in_english_and_chinese(world) -> None:
    texts = world["sms"].texts
    by_language = {t.payload["language"]: t for t in texts}
    assert set(by_language) == {"en", "zh"}
    assert all(length(t.text).fits for t in texts)
    zh, en = by_language["zh"], by_language["en"]
    assert length(zh.text).encoding == UCS2 and length(en.text).encoding == GSM7
    link = re.escape(world["answer_url"]) + "/[0-9A-Za-z]{10}"
    assert re.fullmatch(r"《隐私政策》2\.0版2026年10月16日起适用：" + link, zh.text), zh.text
    assert re.fullmatch(
        r"Shop: we are changing our Privacy Policy\. Version 2\.0 applies from 16 Oct 2026\. "
        r"Details and your answer: " + link,
        en.text,
    ), en.text


def _serving(world: dict) -> subprocess.Popen[str]:
    service = policyctl(
        "answers", "serve", "--repo", world["repo"].path, "--ledger", world["ledger"],
        "--listen", f"127.0.0.1:{world['port']}", "--as-of", "2026-10-09T12:00", env=world["env"],
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", world["port"]), timeout=1).close()
            return service
        except OSError:
            if service.poll() is not None or time.monotonic() > deadline:
                service.kill()
                raise AssertionError(f"answers serve did not start: {service.communicate()[1]}") from None
            time.sleep(0.1)


def _applies(world: dict, user: str) -> str:
    run = policyctl(
        "applies", "--repo", world["repo"].path, "--ledger", world["ledger"], "--user", user,
        "--document", "privacy", "--as-of", "2026-10-20", "--json", env=world["env"],
    )  # fmt: skip
    out, err = run.communicate(timeout=120)
    assert run.returncode == 0, err
    return out


def test_a_short_link_opens_the_answer_page_and_its_objection_governs_applies(world) -> None:
    bo = next(t for t in world["sms"].texts if t.payload["recipient"]["id"] == "u-bo")
    link = re.search(re.escape(world["answer_url"]) + "/[0-9A-Za-z]{10}", bo.text)
    assert link is not None
    service = _serving(world)
    try:
        with httpx.Client(timeout=30) as client:
            page = client.get(link.group(0), headers={"Accept-Language": "zh-CN"})
            assert page.status_code == 200
            assert "隐私政策" in page.text and 'lang="zh' in page.text
            fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page.text))
            origin = f"http://127.0.0.1:{world['port']}"
            answered = client.post(
                link.group(0),
                data={**fields, "answer": "object"},
                headers={"Origin": origin, "Sec-Fetch-Site": "same-origin", "Accept-Language": "zh-CN"},
            )
            assert answered.status_code == 200, answered.text
    finally:
        service.terminate()
        service.wait(timeout=30)
    assert '"version": "1.0"' in _applies(world, "u-bo")  # Bo objected: 1.0 keeps governing
    assert '"version": "2.0"' in _applies(world, "u-0")  # nobody else did
