"""Review reminders (issue 24, item 4): with `review_months: 12`, a policy whose version in
force took effect a year ago or longer is due for review (California's CCPA wants a
privacy policy updated at least every 12 months). `status` says so (and `--json`), and
`check` warns without failing."""

from __future__ import annotations

import datetime as dt
import json

from tests_support import INSERTED_SECTION_REVISION, policy_file

from generator.core.review import add_months

PRIVACY = "policy/privacy.md"
YEARLY = "site_name: Shop\nplugins:\n  - policy:\n      review_months: 12\n"


def yearly_history(policy_repo):
    """1.0, in force since 1 September 2025, under `review_months: 12`."""
    policy_repo.write("mkdocs.yml", YEARLY)
    policy_repo.publish(PRIVACY, policy_file(published="2025-09-01"), "2025-09-01T10:00:00+08:00")
    return policy_repo


def test_a_policy_in_force_for_a_year_is_due_for_review_and_check_warns_without_failing(
    policy_repo, policyctl
):
    repo = yearly_history(policy_repo)
    early = policyctl("check", "--repo", repo.path, "--as-of", "2026-08-31")
    assert early.code == 0 and "review due" not in early.err
    result = policyctl("check", "--repo", repo.path, "--as-of", "2026-09-02")
    assert result.code == 0, result.out
    assert (
        "warning: privacy: review due since 2026-09-01: version 1.0, in force since 2025-09-01, is older "
        "than review_months (12)\n  -> review the policy; publish a revision if anything changed"
    ) in result.err


def test_status_shows_the_review_due_and_its_json_carries_it(policy_repo, policyctl):
    repo = yearly_history(policy_repo)
    text = policyctl("status", "--repo", repo.path, "--as-of", "2026-09-02")
    assert "  review:        due since 2026-09-01 (review_months: 12)" in text.out.splitlines()
    data = json.loads(policyctl("status", "--repo", repo.path, "--as-of", "2026-09-02", "--json").out)
    assert data["documents"][0]["review_due"] == {"since": "2026-09-01T00:00:00+08:00", "months": 12}
    fresh = json.loads(policyctl("status", "--repo", repo.path, "--as-of", "2026-03-01", "--json").out)
    assert fresh["documents"][0]["review_due"] is None


def test_a_pending_revision_is_the_review(policy_repo, policyctl):
    repo = yearly_history(policy_repo)
    repo.publish(
        PRIVACY,
        policy_file(INSERTED_SECTION_REVISION, version="2.0", published="2026-09-30", summary="Reviewed."),
        "2026-09-30T09:00:00+08:00",
    )
    pending = policyctl("check", "--repo", repo.path, "--as-of", "2026-10-08")
    assert pending.code == 0 and "review due" not in pending.err
    # Once 2.0 is in force the clock starts again from its effective date.
    later = policyctl("status", "--repo", repo.path, "--as-of", "2027-10-15", "--json")
    assert json.loads(later.out)["documents"][0]["review_due"] is None


def test_without_review_months_there_is_no_reminder_and_a_bad_value_is_refused(policy_repo, policyctl):
    policy_repo.publish(PRIVACY, policy_file(published="2025-09-01"), "2025-09-01T10:00:00+08:00")
    quiet = policyctl("check", "--repo", policy_repo.path, "--as-of", "2027-01-01")
    assert quiet.code == 0 and "review" not in quiet.err
    policy_repo.write("mkdocs.yml", YEARLY.replace("12", "0"))
    refused = policyctl("check", "--repo", policy_repo.path, "--as-of", "2027-01-01")
    assert refused.code == 2 and "review_months must be a number of months from 1 to 120" in refused.err


def test_months_are_calendar_months_ending_on_the_last_day_of_a_shorter_month():
    zone = dt.timezone(dt.timedelta(hours=8))
    assert add_months(dt.datetime(2026, 1, 31, tzinfo=zone), 1) == dt.datetime(2026, 2, 28, tzinfo=zone)
    assert add_months(dt.datetime(2027, 12, 31, tzinfo=zone), 2) == dt.datetime(2028, 2, 29, tzinfo=zone)
    assert add_months(dt.datetime(2025, 9, 1, tzinfo=zone), 12) == dt.datetime(2026, 9, 1, tzinfo=zone)
