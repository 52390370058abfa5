"""Fixtures of the whole suite: real git repositories in temporary folders with chosen
commit dates, `policyctl` run in-process, and the privacy-policy history most site
tests read. Plain helpers and data are in tests_support.py."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from browser_support import chromium, new_visitor
from tests_support import (
    INSERTED_SECTION_REVISION,
    SCHEDULED_REVISION,
    SCHEDULED_SUMMARY,
    PolicyRepo,
    policy_file,
)

from generator.commands import main as policyctl_main


@pytest.fixture
def policy_repo(tmp_path: Path) -> PolicyRepo:
    """An empty git repository (branch main) in a temporary folder."""
    return PolicyRepo.create(tmp_path / "repo")


@pytest.fixture
def history(policy_repo: PolicyRepo) -> PolicyRepo:
    """The privacy policy: 1.0 published 1 September 2026; 2.0 published 30 September
    (inserts the core-rights "Sharing" section, changes "Collection"; in CN the window
    is Oct 8, 9, 10 (a make-up Saturday), 12, 13, 14, 15: in force from 16 October);
    3.0 committed on 30 September but published only on 20 November (scheduled)."""
    policy_repo.publish(
        "policy/privacy.md", policy_file(published="2026-09-01"), "2026-09-01T10:00:00+08:00", "1.0"
    )
    policy_repo.publish(
        "policy/privacy.md",
        policy_file(
            INSERTED_SECTION_REVISION,
            version="2.0",
            published="2026-09-30",
            summary="We now collect phone numbers.",
        ),
        "2026-09-30T09:00:00+08:00",
        "2.0",
    )
    policy_repo.publish(
        "policy/privacy.md",
        policy_file(SCHEDULED_REVISION, version="3.0", published="2026-11-20", summary=SCHEDULED_SUMMARY),
        "2026-09-30T12:00:00+08:00",
        "3.0",
    )
    return policy_repo


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def policyctl(capsys: pytest.CaptureFixture[str]):
    """Run `policyctl` in-process and capture what the user would see."""

    def run(*args: str | Path) -> Result:
        capsys.readouterr()
        try:
            code = policyctl_main([str(a) for a in args])
        except SystemExit as exit_:  # argparse usage errors
            code = int(exit_.code or 0)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, one per test module (a Playwright left running for the session
    would make a later module's own `sync_playwright()` fail)."""
    with chromium() as browser:
        yield browser


@pytest.fixture
def visitor(browser: Any) -> Iterator[Any]:
    """A visitor who has dismissed nothing yet, with no script errors on any page (a
    module may define a visitor of its own)."""
    context = new_visitor(browser)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"script errors on the page: {errors}"
