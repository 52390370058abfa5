"""Notice periods per document (issue 24, item 3): a default period and a document's own,
in working days of the operator's calendar or in calendar days; `check`, `publish`,
`status`, versions.json and `verify` each count a document's windows with its own.

The history: privacy (7 working days in CN) and terms (30 calendar days), both 1.0 on
1 September 2026; revisions published Monday 2 November 2026. Privacy's window is
3-6 and 9-11 November: in force from 12 November. Terms' window is 3 November to
2 December: in force from 3 December.
"""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from tests_support import CORE_RIGHTS_REVISION, PolicyRepo, build, policy_file

from generator.core.calendar import WorkingCalendar
from generator.core.window import NoticePeriod, publicity_window

PERIODS = """\
plugins:
  - policy:
      window: {working_days: 7}
      documents:
        terms: {window: {calendar_days: 30}}
"""
TERMS = "policy/terms.md"
PRIVACY = "policy/privacy.md"
CN = WorkingCalendar("CN", None, "Asia/Shanghai")


def two_documents(repo: PolicyRepo, settings: str = PERIODS) -> None:
    repo.write("mkdocs.yml", settings)
    repo.write(PRIVACY, policy_file(published="2026-09-01"))
    repo.write(TERMS, policy_file(published="2026-09-01", title="Terms of Service"))
    repo.commit("2026-09-01T10:00:00+08:00", "Privacy and terms 1.0")


def revision(repo: PolicyRepo, name: str, effective: str | None, title: str = "Privacy Policy") -> None:
    text = policy_file(
        CORE_RIGHTS_REVISION,
        version="1.1",
        published="2026-11-02",
        effective=effective,
        summary="Phone numbers.",
        title=title,
    )
    repo.publish(name, text, "2026-11-02T09:00:00+08:00", f"{name} 1.1")


def check(policyctl, repo: PolicyRepo, as_of: str = "2026-11-02T12:00"):
    return policyctl("check", "--repo", repo.path, "--as-of", as_of)


# ---------------------------------------------------------------- the period and its window


def test_a_calendar_day_period_counts_every_day_and_takes_effect_at_local_midnight_after_them():
    window = publicity_window(dt.date(2026, 9, 30), CN, NoticePeriod(calendar_days=30))
    # Through the October holidays (working days would stop there): every day counts.
    assert window.working_days[0] == dt.date(2026, 10, 1)
    assert window.working_days[-1] == dt.date(2026, 10, 30)
    assert len(window.working_days) == 30
    assert window.earliest_effective == dt.datetime(2026, 10, 31, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert window.unscheduled_years == ()
    assert window.period == NoticePeriod(calendar_days=30)
    # A number is working days, as before.
    assert publicity_window(dt.date(2026, 9, 30), CN, 7) == publicity_window(
        dt.date(2026, 9, 30), CN, NoticePeriod(working_days=7)
    )


def test_a_period_is_one_kind_of_days_of_at_least_one():
    assert str(NoticePeriod(working_days=7)) == "7 working days"
    assert str(NoticePeriod(calendar_days=1)) == "1 calendar day"
    assert NoticePeriod(calendar_days=30).adjective == "30-calendar-day"
    assert NoticePeriod(calendar_days=30).as_dict() == {"calendar_days": 30}
    for wrong in ({}, {"working_days": 7, "calendar_days": 30}, {"working_days": 0}):
        with pytest.raises(ValueError):
            NoticePeriod(**wrong)


# ---------------------------------------------------------------- check


@pytest.mark.parametrize(
    ("effective", "code"),
    [("2026-11-22", 1), ("2026-12-02", 1), ("2026-12-03", 0)],
)
def test_check_counts_terms_with_its_30_calendar_days(policy_repo, policyctl, effective, code):
    two_documents(policy_repo)
    revision(policy_repo, TERMS, effective, title="Terms of Service")
    result = check(policyctl, policy_repo)
    assert result.code == code, result.out + result.err
    if code:
        said = result.out + result.err
        assert "before the end of its 30-calendar-day publicity window" in said
        assert "the earliest allowed is 2026-12-03" in said


def test_check_counts_privacy_with_the_default_7_working_days(policy_repo, policyctl):
    two_documents(policy_repo)
    revision(policy_repo, PRIVACY, "2026-11-12")
    assert check(policyctl, policy_repo).code == 0
    revision(policy_repo, PRIVACY, "2026-11-11")
    result = check(policyctl, policy_repo)
    assert result.code == 1
    assert "before the end of its 7-working-day publicity window" in result.out + result.err


# ---------------------------------------------------------------- publish


def test_publish_proposes_each_document_its_own_earliest_day(policy_repo, policyctl):
    two_documents(policy_repo)
    for name, doc, title in ((PRIVACY, "privacy", "Privacy Policy"), (TERMS, "terms", "Terms of Service")):
        policy_repo.write(name, policy_file(CORE_RIGHTS_REVISION, version=None, title=title))
        result = policyctl(
            "publish", doc, "--version", "1.1", "--summary", "Phone numbers.",
            "--repo", policy_repo.path, "--as-of", "2026-11-02T10:00",
        )  # fmt: skip
        assert result.code == 0, result.out + result.err
        text = (policy_repo.path / name).read_text(encoding="utf-8")
        if doc == "privacy":
            assert "effective: 2026-11-12" in text
            assert "(7 working days in CN)" in result.out
        else:
            assert "effective: 2026-12-03" in text
            assert "(30 calendar days in Asia/Shanghai)" in result.out
    too_early = policyctl(
        "publish", "terms", "--version", "1.2", "--summary", "Again.", "--effective", "2026-11-22",
        "--repo", policy_repo.path, "--as-of", "2026-11-02T10:00",
    )  # fmt: skip
    assert too_early.code == 2
    assert "before the end of its 30-calendar-day publicity window" in too_early.err


# ---------------------------------------------------------------- status, versions.json, verify


def test_status_versions_json_and_verify_state_each_documents_period(policy_repo, policyctl, tmp_path):
    two_documents(policy_repo)
    site = tmp_path / "site"
    build(policyctl, policy_repo, "2026-10-19T10:00", site)
    revision(policy_repo, PRIVACY, None)
    revision(policy_repo, TERMS, None, title="Terms of Service")
    build(policyctl, policy_repo, "2026-11-02T12:00", site)  # verify passes inside

    status = policyctl("status", "--json", "--repo", policy_repo.path, "--as-of", "2026-11-02T12:00")
    assert status.code == 0, status.err
    documents = {doc["id"]: doc for doc in json.loads(status.out)["documents"]}
    assert documents["privacy"]["notice_period"] == {"working_days": 7}
    assert documents["terms"]["notice_period"] == {"calendar_days": 30}
    assert documents["privacy"]["pending"][0]["effective"].startswith("2026-11-12T00:00")
    assert documents["terms"]["pending"][0]["effective"].startswith("2026-12-03T00:00")
    table = policyctl("status", "--repo", policy_repo.path, "--as-of", "2026-11-02T12:00")
    lines = table.out.splitlines()
    assert "  notice period: 30 calendar days" in lines and "  notice period: 7 working days" in lines

    versions = json.loads((site / "versions.json").read_text(encoding="utf-8"))
    stated = {doc["id"]: doc["notice_period"] for doc in versions["documents"]}
    assert stated == {"privacy": {"working_days": 7}, "terms": {"calendar_days": 30}}
    assert versions["calendar"]["window"] == {"working_days": 7}
    assert versions["calendar"]["documents"]["terms"] == {"window": {"calendar_days": 30}}

    # Stating terms with 40 calendar days, verify finds its window too short.
    versions["calendar"]["documents"]["terms"] = {"window": {"calendar_days": 40}}
    (site / "versions.json").write_text(json.dumps(versions), encoding="utf-8")
    result = policyctl("verify", site, "--json")
    assert result.code == 1
    [failure] = json.loads(result.out)["failures"]
    assert "terms" in failure and "40-calendar-day window" in failure


def test_a_site_built_before_periods_per_document_still_verifies(policy_repo, policyctl, tmp_path):
    policy_repo.publish(PRIVACY, policy_file(published="2026-09-01"), "2026-09-01T10:00:00+08:00", "1.0")
    site = tmp_path / "site"
    build(policyctl, policy_repo, "2026-10-19T10:00", site)
    revision(policy_repo, PRIVACY, None)
    build(policyctl, policy_repo, "2026-11-02T12:00", site)
    versions = json.loads((site / "versions.json").read_text(encoding="utf-8"))
    calendar = versions["calendar"]
    del calendar["window"], calendar["documents"]
    for doc in versions["documents"]:
        del doc["notice_period"]
    (site / "versions.json").write_text(json.dumps(versions), encoding="utf-8")
    assert policyctl("verify", site).code == 0
    calendar["working_days"] = 8
    (site / "versions.json").write_text(json.dumps(versions), encoding="utf-8")
    result = policyctl("verify", site)
    assert result.code == 1 and "8-working-day window" in result.out


# ---------------------------------------------------------------- the settings


def test_the_old_working_days_key_still_sets_the_default_period(policy_repo, policyctl):
    two_documents(policy_repo, "plugins:\n  - policy:\n      working_days: 5\n")
    # 5 working days from Monday 2 November: 3-6 and 9 November; in force from the 10th.
    revision(policy_repo, PRIVACY, "2026-11-09")
    result = check(policyctl, policy_repo)
    assert result.code == 1 and "5-working-day publicity window" in result.out + result.err
    revision(policy_repo, PRIVACY, "2026-11-10")
    assert check(policyctl, policy_repo).code == 0
    status = policyctl("status", "--json", "--repo", policy_repo.path, "--as-of", "2026-11-02T12:00")
    periods = {doc["id"]: doc["notice_period"] for doc in json.loads(status.out)["documents"]}
    assert periods == {"privacy": {"working_days": 5}, "terms": {"working_days": 5}}


def test_working_days_and_the_same_window_agree(policy_repo, policyctl):
    two_documents(
        policy_repo, "plugins:\n  - policy:\n      working_days: 7\n      window: {working_days: 7}\n"
    )
    assert check(policyctl, policy_repo).code == 0


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ("working_days: 5\n      window: {working_days: 7}", "policy.working_days"),
        ("working_days: 7\n      window: {calendar_days: 7}", "policy.working_days"),
        ("window: {calendar_days: 0}", "policy.window.calendar_days"),
        ("window: {days: 7}", "policy.window.days"),
        ("window: {working_days: 7, calendar_days: 30}", "policy.window"),
        ("window: 7", "policy.window"),
        ("documents: {terms: {window: {calendar_days: -1}}}", "policy.documents.terms.window.calendar_days"),
        ("documents: {terms: {window: {weeks: 4}}}", "policy.documents.terms.window.weeks"),
        ("documents: {terms: {period: {calendar_days: 30}}}", "policy.documents.terms.period"),
        ("documents: {terms: 30}", "policy.documents.terms"),
        ("documents: {'a/b': {window: {calendar_days: 30}}}", "policy.documents.a/b"),
    ],
)
def test_wrong_period_settings_are_refused_naming_the_key(policy_repo, policyctl, options, named):
    two_documents(policy_repo, f"plugins:\n  - policy:\n      {options}\n")
    result = check(policyctl, policy_repo)
    assert result.code == 2, result.out + result.err
    assert f"'{named}'" in result.err


def test_a_period_for_a_document_that_is_not_there_is_a_warning(policy_repo, policyctl):
    two_documents(policy_repo, PERIODS.replace("terms:", "term:"))
    result = check(policyctl, policy_repo)
    assert result.code == 0, result.out + result.err
    assert "warning:" in result.err
    assert "document 'term'" in result.err and "no document 'term' under policy/" in result.err
