"""Text messages (issue 25): users who registered with a phone number are told by SMS,
through a real gateway on loopback (the generic provider), each exactly once per channel
rule, in one segment, with the evidence naming the channel, the masked number and the
gateway's message id."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path

import pytest
from notify_support import ledger_rows, make_revision, notify, sqlite_url
from sms_support import DROP, SMS_SECRET, Gateway, Text, gateway

from notify.common.secrets import SMS_SECRET_ENV
from notify.contract.revision import Revision
from notify.delivery.channels.sms.segments import length

CN = "13800138000"  # +8613800138000
CN_2 = "13912345678"  # +8613912345678
UK = "+44 7911 123456"


@pytest.fixture
def sms(monkeypatch: pytest.MonkeyPatch) -> Iterator[Gateway]:
    monkeypatch.setenv(SMS_SECRET_ENV, SMS_SECRET)
    with gateway() as server:
        yield server


def users(path: Path) -> Path:
    path.write_text(
        "id,email,phone,name,locale\n"
        "1,ann@users.example,,Ann,en\n"  # an address only
        f"2,,{CN},Bo,zh-CN\n"  # a phone only, in Chinese
        f"3,cy@users.example,{UK},Cy,en\n"  # both
        "4,,12ab-not-a-number,Di,en\n"  # neither usable
        f"5,,{CN_2},Eve,en\n",  # a phone only, in English
        encoding="utf-8",
    )
    return path


def campaign(repo: Path, revision: Revision, sms: Gateway, capsys, *extra: str):
    result = notify(
        repo,
        [revision],
        "--recipients",
        str(users(repo / "users.csv")),
        "--sms",
        sms.url,
        *extra,
        capsys=capsys,
        region="CN",
    )
    for text in (result.out, result.stdout):
        for number in (CN, CN_2, "8613800138000", "7911123456"):
            assert number not in text  # never printed
    return result


def by_channel(repo: Path) -> dict[str, dict[str, dict]]:
    rows = ledger_rows(sqlite_url(repo))
    out: dict[str, dict[str, dict]] = {}
    for row in rows:
        out.setdefault(row["channel"], {})[row["recipient_id"]] = row
    return out


def test_auto_emails_who_has_an_address_and_texts_who_has_a_phone_only(
    tmp_path, revision, sms, capsys
) -> None:
    result = campaign(tmp_path, revision, sms, capsys, "--json")
    report = json.loads(result.stdout)
    assert result.code == 1  # Di has nothing usable
    email, text = report["campaigns"]
    assert (email["channel"], email["sent"], email["no_channel"]) == ("email", 2, 0)
    assert (text["channel"], text["sent"]) == ("sms", 2)
    # Di's number was to reach her: the text campaign reports her record, the email one does not.
    assert email["skipped"] == 0 and email["unreached"] == 0
    assert [p["ref"] for p in text["skipped_records"]] == ["users.csv line 5 (id 4)"]
    assert sms.per_number() == {"+8613800138000": 1, "+8613912345678": 1}
    rows = by_channel(tmp_path)
    assert set(rows["email"]) == {"1", "3"} and set(rows["sms"]) == {"2", "5"}
    for t in sms.texts:
        assert t.signed
        assert t.headers["Idempotency-Key"] == rows["sms"][t.payload["recipient"]["id"]]["message_id"]
        assert length(t.text).fits
        assert t.payload["document"] == "privacy" and t.payload["version"] == "2.0"
    zh = next(t for t in sms.texts if t.to == "+8613800138000")
    en = next(t for t in sms.texts if t.to == "+8613912345678")
    assert en.text == (
        "shop.example: we are changing our Privacy Policy. Version 2.0 applies from 16 Oct 2026. "
        f"What changed: {revision.changes_url}"
    )
    # Bo reads Chinese, but no Chinese text with this long a link fits in 70 characters:
    # Bo gets the site's own language, which fits.
    assert (zh.payload["language"], zh.text) == ("en", en.text)
    assert revision.changes_url in en.text  # no answer page: the link is the redline
    assert rows["sms"]["2"]["provider_id"] == "gw-8000-1"


def test_a_rerun_sends_nothing_again(tmp_path, revision, sms, capsys) -> None:
    assert campaign(tmp_path, revision, sms, capsys).code == 1
    again = campaign(tmp_path, revision, sms, capsys, "--json")
    report = json.loads(again.stdout)
    assert [c["sent"] for c in report["campaigns"]] == [0, 0]
    assert sms.per_number() == {"+8613800138000": 1, "+8613912345678": 1}


def test_all_texts_every_user_with_a_phone_as_well_as_their_email(tmp_path, revision, sms, capsys) -> None:
    result = campaign(tmp_path, revision, sms, capsys, "--channels", "all", "--json")
    report = json.loads(result.stdout)
    email, text = report["campaigns"]
    assert email["sent"] == 2 and text["sent"] == 3
    assert sms.per_number() == {"+8613800138000": 1, "+8613912345678": 1, "+447911123456": 1}
    # Di's number cannot be used: the text campaign names the record, never the number.
    assert [p["ref"] for p in text["skipped_records"]] == ["users.csv line 5 (id 4)"]


def test_the_evidence_masks_the_number_and_names_the_provider_id(tmp_path, revision, sms, capsys) -> None:
    campaign(tmp_path, revision, sms, capsys)
    report = notify(tmp_path, [revision], "--report", capsys=capsys)
    assert report.code == 0
    records = [json.loads(line) for line in report.stdout.splitlines()]
    texts = {r["recipient_id"]: r for r in records if r["channel"] == "sms"}
    assert texts["2"]["phone"] == "+*********8000" and texts["2"]["email"] == ""
    assert texts["5"]["phone"] == "+*********5678"
    assert texts["2"]["provider_id"] == "gw-8000-1" and texts["2"]["status"] == "sent"
    assert CN not in report.stdout and CN_2 not in report.stdout
    emails = {r["recipient_id"]: r for r in records if r["channel"] == "email"}
    assert emails["1"]["email"] == "ann@users.example" and emails["1"]["phone"] == ""


def test_throttling_is_retried_a_bad_number_fails_and_a_rerun_leaves_it(
    tmp_path, revision, sms, capsys
) -> None:
    def answer(text: Text) -> tuple[int, dict]:
        if text.to == "+8613912345678":
            return 400, {"error": f"invalid number {text.to}"}
        if text.attempt == 1:
            return 429, {"error": "slow down"}
        return 200, {"id": "gw-ok"}

    sms.answer = answer
    result = campaign(tmp_path, revision, sms, capsys, "--retry-base", "0.01", "--json")
    text = json.loads(result.stdout)["campaigns"][1]
    assert (text["sent"], text["failed"]) == (1, 1)
    rows = by_channel(tmp_path)["sms"]
    assert rows["2"]["status"] == "sent" and rows["2"]["attempts"] == 2
    assert rows["5"]["status"] == "failed"
    assert (
        "13912345678" not in rows["5"]["last_reply"] and "invalid number recipient" in rows["5"]["last_reply"]
    )


def test_a_refusing_gateway_stops_the_campaign_with_every_text_pending(
    tmp_path, revision, sms, capsys
) -> None:
    sms.answer = lambda text: (401, {"error": "bad signature"})
    result = campaign(tmp_path, revision, sms, capsys, "--json")
    report = json.loads(result.stdout)
    assert result.code == 2 and report["setting"] == "--sms"
    assert "SMS gateway" in report["error"]
    assert {row["status"] for row in by_channel(tmp_path)["sms"].values()} <= {"pending"}
    sms.answer = lambda text: (200, {"id": "later"})
    again = campaign(tmp_path, revision, sms, capsys, "--json")
    assert json.loads(again.stdout)["campaigns"][1]["sent"] == 2


def test_a_text_that_cannot_fit_is_refused_before_any_is_sent(tmp_path, sms, capsys) -> None:
    # A Chinese site: its texts must fit in 70 characters, and this redline's link is 49.
    chinese = make_revision(title="隐私政策", language="zh", languages=("zh",))
    result = notify(
        tmp_path,
        [chinese],
        "--recipients",
        str(users(tmp_path / "users.csv")),
        "--sms",
        sms.url,
        "--json",
        capsys=capsys,
        region="CN",
    )
    assert result.code == 2
    error = json.loads(result.stdout)["error"]
    assert (
        "the text message in zh does not fit in one segment: 73 characters in UCS-2 (one segment holds 70)"
        in error
    )
    # Refused before any notice: no email went out either.
    assert sms.texts == [] and ledger_rows(sqlite_url(tmp_path)) == []


def test_texts_only_reports_who_has_an_address_only(tmp_path, revision, sms, capsys) -> None:
    result = campaign(tmp_path, revision, sms, capsys, "--no-email", "--json")
    (text,) = json.loads(result.stdout)["campaigns"]
    assert text["sent"] == 3  # every usable number, Cy's too: no email goes out
    assert [p["ref"] for p in text["no_channel_records"]] == ["users.csv line 2 (id 1)"]
    assert [p["ref"] for p in text["skipped_records"]] == ["users.csv line 5 (id 4)"]
    assert result.code == 1


def test_channels_all_needs_sms(tmp_path, revision, capsys) -> None:
    result = notify(
        tmp_path,
        [revision],
        "--recipients",
        str(users(tmp_path / "users.csv")),
        "--channels",
        "all",
        capsys=capsys,
        region="CN",
    )
    assert result.code == 2 and "--channels all needs --sms" in result.out


ANSWER_SECRET = "sms-answer-secret-0123456789abcdef"


def test_a_user_without_an_id_is_one_user_through_their_email_and_their_text(
    tmp_path, sms, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--channels all: Cy (no id) answers through the text's short link or the email's
    link, and either way the answer names the same user."""
    import sqlalchemy as sa

    from notify.common.shortlinks import token_of
    from notify.common.tokens import Signer, UserKeys

    monkeypatch.setenv("POLICYCTL_ANSWER_SECRET", ANSWER_SECRET)
    revision = make_revision(answer_url="https://shop.example/a")
    path = tmp_path / "users.csv"
    path.write_text(f"email,phone\ncy@users.example,{UK}\n", encoding="utf-8")
    result = notify(
        tmp_path, [revision], "--recipients", str(path), "--sms", sms.url, "--channels", "all",
        capsys=capsys, region="CN",
    )  # fmt: skip
    assert result.code == 0, result.out
    (text,) = sms.texts
    code = text.text.rsplit("/", 1)[1]
    engine = sa.create_engine(sqlite_url(tmp_path))
    try:
        token = token_of(engine, code)
    finally:
        engine.dispose()
    assert token is not None
    claim = Signer(ANSWER_SECRET).check(token, now=0)
    assert claim.user == UserKeys(ANSWER_SECRET)("", "cy@users.example")  # as the email's link names Cy


def test_a_template_of_the_short_code_needs_an_answer_page(tmp_path, revision, sms, capsys) -> None:
    result = notify(
        tmp_path, [revision], "--recipients", str(users(tmp_path / "users.csv")),
        "--sms", "aliyun://LTAI5tExample@127.0.0.1:9?sign_name=Shop&template_code=SMS_1&params=title,code",
        capsys=capsys, region="CN",
    )  # fmt: skip
    assert result.code == 2
    assert "params=...,code" in result.out and "answer_url" in result.out
    assert ledger_rows(sqlite_url(tmp_path)) == []


def test_the_outbox_writes_each_text_to_a_private_file_and_sends_none(tmp_path, revision, capsys) -> None:
    """--sms outbox: the texts to read before a campaign goes out, as emails without --smtp."""
    first = notify(
        tmp_path, [revision], "--recipients", str(users(tmp_path / "users.csv")), "--sms", "outbox",
        "--json", capsys=capsys, region="CN",
    )  # fmt: skip
    text = json.loads(first.stdout)["campaigns"][1]
    assert (text["channel"], text["sent"]) == ("sms", 2)
    folder = tmp_path / ".policy" / "outbox" / "sms" / "privacy" / "2.0"
    files = sorted(folder.glob("*.txt"))
    assert len(files) == 2 and {oct(f.stat().st_mode & 0o777) for f in files} == {"0o600"}
    contents = {f.read_text(encoding="utf-8") for f in files}
    assert (
        "To: +8613912345678\nLanguage: en\n\nshop.example: we are changing our Privacy Policy. "
        f"Version 2.0 applies from 16 Oct 2026. What changed: {revision.changes_url}\n"
    ) in contents
    again = notify(
        tmp_path, [revision], "--recipients", str(users(tmp_path / "users.csv")), "--sms", "outbox",
        "--json", capsys=capsys, region="CN",
    )  # fmt: skip
    assert json.loads(again.stdout)["campaigns"][1]["sent"] == 0
    assert sorted(folder.glob("*.txt")) == files


def test_an_operators_template_may_shorten_the_link(tmp_path, revision, sms, capsys) -> None:
    """A template that does something with the link (here: drops its scheme) gets each
    text's own link, done so."""
    folder = tmp_path / "site_templates" / "email"
    folder.mkdir(parents=True)
    (folder / "notice.sms.j2").write_text("{{ title }} {{ version }}: {{ link | replace('https://', '') }}\n")
    result = campaign(tmp_path, revision, sms, capsys)
    assert result.code == 1, result.out  # Di
    assert {t.text for t in sms.texts} == {"Privacy Policy 2.0: shop.example/privacy/changes/1.0-to-2.0/"}


def test_a_gateway_that_drops_the_line_is_tried_again(tmp_path, revision, sms, capsys) -> None:
    sms.answer = lambda text: (DROP, {}) if text.attempt == 1 else (200, {"id": f"ok-{text.to[-4:]}"})
    result = campaign(tmp_path, revision, sms, capsys, "--retry-base", "0.01", "--json")
    text = json.loads(result.stdout)["campaigns"][1]
    assert (text["sent"], text["failed"]) == (2, 0)
    rows = by_channel(tmp_path)["sms"]
    assert {r["status"] for r in rows.values()} == {"sent"} and {r["attempts"] for r in rows.values()} == {2}
    assert rows["2"]["provider_id"] == "ok-8000"
    assert sms.per_number() == {
        "+8613800138000": 2,
        "+8613912345678": 2,
    }  # the dropped try, and the one after


def test_a_code_held_by_another_link_is_never_sent(
    tmp_path, sms, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Were a user's short code already saved for another token (a collision, about one
    in 10**17), the text carries their long personal link, never the other's page."""
    import sqlalchemy as sa

    from notify.common.shortlinks import save_codes
    from notify.common.tokens import AnswerLinks
    from notify.delivery.ledger.ledger import Ledger

    monkeypatch.setenv("POLICYCTL_ANSWER_SECRET", ANSWER_SECRET)
    revision = make_revision(answer_url="https://shop.example/a")
    links = AnswerLinks.of(revision)
    assert links is not None
    _short, code, token = links.short("2", "+8613800138000", "zh-CN")
    other = links.token("someone-else", "")
    Ledger(sqlite_url(tmp_path)).close()  # the ledger's tables, as a first campaign makes them
    engine = sa.create_engine(sqlite_url(tmp_path))
    try:
        save_codes(engine, [(code, other, "privacy", "2.0")])
    finally:
        engine.dispose()
    result = campaign(tmp_path, revision, sms, capsys)
    assert result.code == 1, result.out  # Di
    bo = next(t for t in sms.texts if t.payload["recipient"]["id"] == "2")
    assert code not in bo.text and f"https://shop.example/a?token={token}" in bo.text
    eve = next(t for t in sms.texts if t.payload["recipient"]["id"] == "5")
    assert "?token=" not in eve.text  # everyone else: the short link


def _hours_around_now(inside: bool) -> str:
    """Quiet hours (UTC) that hold the present instant, or that end two hours before it."""
    from datetime import datetime, timedelta

    now = datetime.now(UTC)
    start = now - timedelta(hours=2 if inside else 6)
    end = now + timedelta(hours=2) if inside else now - timedelta(hours=2)
    return f"{start:%H:%M}-{end:%H:%M}"


def test_quiet_hours_hold_the_texts_back_and_a_later_run_sends_them(tmp_path, revision, sms, capsys) -> None:
    held = campaign(tmp_path, revision, sms, capsys, "--quiet-hours", _hours_around_now(True), "--json")
    report = json.loads(held.stdout)
    email, text = report["campaigns"]
    assert held.code == 1 and report["error"] is None
    assert email["sent"] == 2  # the emails go out at any hour
    assert text["sent"] == 0 and "quiet hours" in text["stopped"] and "UTC" in text["stopped"]
    assert sms.texts == []
    assert {r["status"] for r in by_channel(tmp_path)["sms"].values()} == {"pending"}
    assert "Rerun the same command to send the rest" in held.out

    later = campaign(tmp_path, revision, sms, capsys, "--quiet-hours", _hours_around_now(False), "--json")
    assert [c["sent"] for c in json.loads(later.stdout)["campaigns"]] == [0, 2]
    assert sms.per_number() == {"+8613800138000": 1, "+8613912345678": 1}


@pytest.mark.parametrize(
    "flags,says",
    [
        (["--sms", "outbox", "--quiet-hours", "9pm-8am"], "give the hours as HH:MM-HH:MM"),
        (["--sms", "outbox", "--quiet-hours", "08:00-08:00"], "start and end at the same time"),
        (["--quiet-hours", "21:00-08:00"], "--quiet-hours needs --sms"),
    ],
)
def test_quiet_hours_that_cannot_be_used_are_refused(tmp_path, revision, capsys, flags, says) -> None:
    result = notify(
        tmp_path,
        [revision],
        "--recipients",
        str(users(tmp_path / "users.csv")),
        *flags,
        capsys=capsys,
        region="CN",
    )
    assert result.code == 2 and says in " ".join(result.out.split())
    assert ledger_rows(sqlite_url(tmp_path)) == []


@pytest.mark.parametrize(
    "spec,local,until",
    [
        ("21:00-08:00", "2026-12-08T20:59", None),
        ("21:00-08:00", "2026-12-08T21:00", "2026-12-09T08:00"),
        ("21:00-08:00", "2026-12-09T03:00", "2026-12-09T08:00"),
        ("21:00-08:00", "2026-12-09T08:00", None),
        ("12:00-14:00", "2026-12-08T13:59", "2026-12-08T14:00"),
        ("12:00-14:00", "2026-12-08T14:00", None),
    ],
)
def test_quiet_hours_are_counted_in_the_calendars_zone(spec: str, local: str, until: str | None) -> None:
    from datetime import datetime

    from notify.delivery.channels.sms.quiet import QuietHours

    quiet = QuietHours.parse(spec, "Asia/Shanghai")
    instant = datetime.fromisoformat(local).replace(tzinfo=quiet.zone)
    ends = quiet.until(instant.astimezone(UTC))  # any instant, read in Shanghai
    assert (ends.strftime("%Y-%m-%dT%H:%M") if ends else None) == until
