"""Database URLs as messages show them: no password ever reaches an error message or a
log line, however the URL spells it."""

from __future__ import annotations

import pytest
from tests_support import policy_file

from notify.common.redaction import redact


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "postgresql+psycopg://mailer:s3cret@db.shop.example/ledger",
            "postgresql+psycopg://mailer:***@db.shop.example/ledger",
        ),
        # An unescaped '@' in the password: SQLAlchemy ends it at the first '@', the
        # message hides everything up to the host.
        (
            "postgresql://mailer:p@ss@w0rd@db.shop.example:5432/ledger",
            "postgresql://mailer:***@db.shop.example:5432/ledger",
        ),
        (
            "postgresql://mailer@db.shop.example/ledger?password=s3cret&sslmode=require",
            "postgresql://mailer@db.shop.example/ledger?password=***&sslmode=require",
        ),
        (
            "postgresql://db.shop.example/ledger?sslmode=require&PASSWORD=s3cret",
            "postgresql://db.shop.example/ledger?sslmode=require&PASSWORD=***",
        ),
        ("sqlite:////var/lib/shop/ledger.sqlite3", "sqlite:////var/lib/shop/ledger.sqlite3"),
        ("not a url at all", "not a url at all"),
    ],
)
def test_the_password_never_shows(url: str, shown: str):
    assert redact(url) == shown
    assert "s3cret" not in redact(url) and "w0rd" not in redact(url)


def test_a_failing_ledger_url_is_named_without_its_password(policy_repo, policyctl):
    """What a user sees when the ledger cannot be read: the URL, its password hidden."""
    policy_repo.publish("policy/privacy.md", policy_file(published="2026-09-01"), "2026-09-01T10:00:00+08:00")
    url = "postgresql+psycopg://mailer:s3cret@127.0.0.1:9/ledger"
    result = policyctl("check", "--repo", policy_repo.path, "--as-of", "2026-09-02", "--ledger", url)
    assert result.code == 2, result.out + result.err
    assert "postgresql+psycopg://mailer:***@127.0.0.1:9/ledger" in result.err
    assert "s3cret" not in result.out + result.err
