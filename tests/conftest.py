"""Shared fixtures: real git repositories in temporary folders, with controlled dates."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from tests_support import PolicyRepo

from generator.commands import main as policyctl_main


@pytest.fixture
def policy_repo(tmp_path: Path) -> PolicyRepo:
    path = tmp_path / "repo"
    path.mkdir()
    repo = PolicyRepo(path)
    repo.git("init", "-q", "-b", "main")
    return repo


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
