"""The operator's calendar as settings: years whose holiday schedule is not known yet
make an effective date provisional until the operator declares them known
(`known_years`), and the subdivision is checked and named.

The scenario: the privacy policy 1.0 is published 1 September 2026; 2.0 is published
Monday 28 December 2026 in CN. Its window is Dec 29, 30, 31 and (1 January being New
Year's Day) Jan 4, 5, 6, 7: the earliest effective instant is 2027-01-08T00:00+08:00,
counted through 2027, whose official schedule the holidays package does not know yet.
"""

from __future__ import annotations

import datetime as dt
import json

from tests_support import BASE_POLICY, PolicyRepo, build, policy_file

from generator.core.calendar import WorkingCalendar
from generator.core.window import publicity_window
from generator.settings import Settings, load_settings

PRIVACY = "policy/privacy.md"
REVISION = BASE_POLICY.replace("2. Order data: address.", "2. Order data: address, phone number.")
EFFECTIVE_2027 = "2027-01-08T00:00:00+08:00"
# 2.0 is committed ahead and scheduled (`published:` a later day): a commit dated after
# this machine's clock would be refused as clock skew.
SCHEDULED_ON = "2026-11-27T10:00:00+08:00"
NOTE = "the 2027 holiday schedule is not known yet"
DURING_THE_WINDOW = "2026-12-29"


def mkdocs_yml(repo: PolicyRepo, **options: str) -> None:
    lines = "".join(f"      {key}: {value}\n" for key, value in options.items())
    repo.write("mkdocs.yml", "site_name: Legal\nplugins:\n  - policy:\n" + (lines or "      country: CN\n"))


def revision_published_28_december(repo: PolicyRepo, **options: str) -> None:
    mkdocs_yml(repo, **options)
    repo.publish(PRIVACY, policy_file(published="2026-09-01"), "2026-09-01T10:00:00+08:00", "1.0")
    repo.publish(
        PRIVACY,
        policy_file(REVISION, version="2.0", published="2026-12-28", summary="We ask for your phone."),
        SCHEDULED_ON,
        "2.0",
    )


def status_json(policyctl, repo: PolicyRepo, as_of: str = DURING_THE_WINDOW) -> dict:
    result = policyctl("status", "--json", "--repo", repo.path, "--as-of", as_of)
    assert result.code == 0, result.out + result.err
    assert "Traceback" not in result.out + result.err
    return json.loads(result.out)


def pending_of(data: dict) -> dict:
    (pending,) = data["documents"][0]["pending"]
    return pending


# ---------------------------------------------------------------- provisional dates


def test_a_revision_published_on_28_december_2026_has_a_provisional_date_in_status(
    policy_repo, policyctl, monkeypatch
):
    monkeypatch.setenv("COLUMNS", "200")  # one line per table row
    revision_published_28_december(policy_repo)
    pending = pending_of(status_json(policyctl, policy_repo))
    assert pending["effective"] == EFFECTIVE_2027
    assert pending["provisional"] is True
    assert pending["unscheduled_years"] == [2027]

    table = policyctl("status", "--repo", policy_repo.path, "--as-of", DURING_THE_WINDOW)
    assert table.code == 0 and "Traceback" not in table.out + table.err
    assert "2.0 from 2027-01-08 (provisional)" in table.out
    assert f"Provisional: {NOTE}" in table.out and "known_years" in table.out


def test_a_scheduled_revision_into_2027_is_provisional_in_status_too(policy_repo, policyctl):
    revision_published_28_december(policy_repo)
    (scheduled,) = status_json(policyctl, policy_repo, "2026-11-30")["documents"][0]["scheduled"]
    assert scheduled["effective"] == EFFECTIVE_2027
    assert scheduled["provisional"] is True and scheduled["unscheduled_years"] == [2027]


def test_check_says_in_its_summary_line_that_the_date_is_provisional(policy_repo, policyctl):
    revision_published_28_december(policy_repo)
    result = policyctl("check", "--repo", policy_repo.path, "--as-of", DURING_THE_WINDOW)
    assert result.code == 0, result.out + result.err
    assert "Traceback" not in result.out + result.err
    assert (
        "privacy: 2 versions; in force 1.0 since 2026-09-01; "
        f"pending 2.0 takes effect 2027-01-08 (changes core rights) (provisional: {NOTE})"
    ) in result.out
    assert "warning:" in result.err and "2027" in result.err


def test_publish_on_28_december_says_the_window_reaches_2027(policy_repo, policyctl):
    mkdocs_yml(policy_repo)
    policy_repo.publish(PRIVACY, policy_file(published="2026-09-01"), "2026-09-01T10:00:00+08:00", "1.0")
    policy_repo.write(PRIVACY, policy_file(REVISION, version=None))
    result = policyctl(
        "publish", "privacy", "--repo", policy_repo.path, "--as-of", "2026-12-28",
        "--version", "2.0", "--summary", "We ask for your phone.",
    )  # fmt: skip
    assert result.code == 0, result.out + result.err
    assert "Traceback" not in result.out + result.err
    assert f"Earliest effective: {EFFECTIVE_2027}" in result.out
    assert "the window reaches 2027, whose official holiday schedule is not known yet" in result.out


def test_the_site_says_the_pending_date_is_provisional(policy_repo, policyctl, tmp_path):
    revision_published_28_december(policy_repo)
    site = tmp_path / "site"
    build(policyctl, policy_repo, DURING_THE_WINDOW, site)
    version_page = (site / "privacy/versions/2.0/index.html").read_text(encoding="utf-8")
    assert "policy-badge--provisional" in version_page  # in the header, beside the date
    assert f"This date is provisional: {NOTE}, so it may still change." in version_page
    document_page = (site / "privacy/index.html").read_text(encoding="utf-8")
    assert f"This date is provisional: {NOTE}" in document_page
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "takes effect on 8 January 2027 (provisional date)" in home


def test_a_holiday_the_operator_entered_in_february_2027_leaves_the_january_window_provisional(
    policy_repo, policyctl
):
    revision_published_28_december(policy_repo, extra_holidays="[2027-02-10]")
    pending = pending_of(status_json(policyctl, policy_repo))
    assert pending["effective"] == EFFECTIVE_2027
    assert pending["provisional"] is True and pending["unscheduled_years"] == [2027]
    result = policyctl("check", "--repo", policy_repo.path, "--as-of", DURING_THE_WINDOW)
    assert result.code == 0 and f"(provisional: {NOTE})" in result.out


def test_declaring_2027_known_makes_the_date_final_in_status_check_and_the_site(
    policy_repo, policyctl, tmp_path
):
    revision_published_28_december(policy_repo, extra_holidays="[2027-02-10]", known_years="[2027]")
    pending = pending_of(status_json(policyctl, policy_repo))
    assert pending["effective"] == EFFECTIVE_2027
    assert pending["provisional"] is False and pending["unscheduled_years"] == []
    table = policyctl("status", "--repo", policy_repo.path, "--as-of", DURING_THE_WINDOW)
    assert table.code == 0 and "provisional" not in table.out.lower()

    result = policyctl("check", "--repo", policy_repo.path, "--as-of", DURING_THE_WINDOW)
    assert result.code == 0, result.out + result.err
    assert "pending 2.0 takes effect 2027-01-08 (changes core rights)\n" in result.out
    assert "provisional" not in result.out and "2027" not in result.err

    site = tmp_path / "site"
    build(policyctl, policy_repo, DURING_THE_WINDOW, site)
    for page in ("index.html", "privacy/index.html", "privacy/versions/2.0/index.html"):
        assert "provisional" not in (site / page).read_text(encoding="utf-8"), page


def test_publish_with_2027_declared_known_gives_a_final_date(policy_repo, policyctl):
    mkdocs_yml(policy_repo, known_years="[2027]")
    policy_repo.publish(PRIVACY, policy_file(published="2026-09-01"), "2026-09-01T10:00:00+08:00", "1.0")
    policy_repo.write(PRIVACY, policy_file(REVISION, version=None))
    result = policyctl(
        "publish", "privacy", "--repo", policy_repo.path, "--as-of", "2026-12-28",
        "--version", "2.0", "--summary", "We ask for your phone.",
    )  # fmt: skip
    assert result.code == 0, result.out + result.err
    assert f"Earliest effective: {EFFECTIVE_2027} (7 working days in CN)." in result.out


def test_a_window_ending_on_31_december_2026_is_not_provisional(policy_repo, policyctl):
    mkdocs_yml(policy_repo)
    policy_repo.publish(PRIVACY, policy_file(published="2026-09-01"), "2026-09-01T10:00:00+08:00", "1.0")
    policy_repo.publish(
        PRIVACY,
        policy_file(REVISION, version="2.0", published="2026-12-21", summary="We ask for your phone."),
        SCHEDULED_ON,
    )
    pending = pending_of(status_json(policyctl, policy_repo, "2026-12-22"))
    # Dec 22, 23, 24, 25, 28, 29, 30: all in 2026.
    assert pending["effective"] == "2026-12-31T00:00:00+08:00"
    assert pending["provisional"] is False


def test_declaring_a_later_year_known_does_not_clear_an_earlier_unknown_one():
    calendar = WorkingCalendar("CN", None, "Asia/Shanghai", known_years=frozenset({2028}))
    assert publicity_window(dt.date(2026, 12, 28), calendar, 7).unscheduled_years == (2027,)
    window = publicity_window(dt.date(2027, 12, 27), calendar, 7)
    assert window.unscheduled_years == (2027,) and window.provisional_reason == NOTE


def test_a_window_across_two_unknown_years_names_both():
    window = publicity_window(dt.date(2027, 12, 27), WorkingCalendar("CN", None, "Asia/Shanghai"), 7)
    assert window.unscheduled_years == (2027, 2028)
    assert window.provisional_reason == "the 2027 and 2028 holiday schedules are not known yet"


def test_known_years_written_as_a_single_year_is_refused_with_the_remedy(policy_repo, policyctl):
    revision_published_28_december(policy_repo, known_years="2027")
    result = policyctl("check", "--repo", policy_repo.path, "--as-of", DURING_THE_WINDOW)
    assert result.code == 2
    assert "Traceback" not in result.out + result.err
    assert "policy.known_years" in result.err and "mkdocs.yml" in result.err


# ---------------------------------------------------------------- country and subdivision


def test_an_unknown_subdivision_flag_names_the_subdivision_and_lists_the_valid_ones(policy_repo, policyctl):
    policy_repo.publish(PRIVACY, policy_file(published="2026-09-01"), "2026-09-01T10:00:00+08:00")
    result = policyctl(
        "status",
        "--repo",
        policy_repo.path,
        "--as-of",
        "2026-11-30",
        "--country",
        "US",
        "--subdivision",
        "ZZ",
    )
    assert result.code == 2
    assert "Traceback" not in result.out + result.err
    assert "unknown subdivision 'ZZ' for country US" in result.err
    assert "CA, CO" in result.err and "NY" in result.err  # the valid ones
    assert "no calendar for country" not in result.err


def test_an_unknown_subdivision_in_mkdocs_yml_names_the_subdivision(policy_repo, policyctl):
    mkdocs_yml(policy_repo, country="US", subdivision="ZZ", timezone="America/Los_Angeles")
    policy_repo.publish(PRIVACY, policy_file(published="2026-09-01"), "2026-09-01T10:00:00-07:00")
    result = policyctl("check", "--repo", policy_repo.path, "--as-of", "2026-11-30")
    assert result.code == 2
    assert "Traceback" not in result.out + result.err
    assert "unknown subdivision 'ZZ' for country US" in result.err and "use one of AK," in result.err


def test_a_subdivision_for_a_country_without_subdivisions_says_so(policy_repo, policyctl):
    policy_repo.publish(PRIVACY, policy_file(published="2026-09-01"), "2026-09-01T10:00:00+08:00")
    result = policyctl("check", "--repo", policy_repo.path, "--as-of", "2026-11-30", "--subdivision", "ZZ")
    assert result.code == 2
    assert "unknown subdivision 'ZZ' for country CN" in result.err
    assert "CN has no subdivisions" in result.err and "remove `subdivision`" in result.err


def test_an_unknown_country_names_the_country(policy_repo, policyctl):
    policy_repo.publish(PRIVACY, policy_file(published="2026-09-01"), "2026-09-01T10:00:00+08:00")
    result = policyctl(
        "check", "--repo", policy_repo.path, "--as-of", "2026-11-30", "--country", "XX", "--subdivision", "ZZ"
    )
    assert result.code == 2
    assert "Traceback" not in result.out + result.err
    assert "no calendar for country 'XX'" in result.err and "ZZ" not in result.err


def test_the_settings_calendar_carries_the_subdivision_and_known_years(policy_repo):
    mkdocs_yml(
        policy_repo, country="US", subdivision="CA", timezone="America/Los_Angeles", known_years="[2027]"
    )
    calendar = load_settings(policy_repo.path).calendar
    assert calendar.region == "US-CA"
    assert calendar.known_years == frozenset({2027})
    assert Settings().calendar.region == "CN"
    # The subdivision's own holidays count: Cesar Chavez Day (31 March) in California.
    assert not calendar.is_working_day(dt.date(2026, 3, 31))
