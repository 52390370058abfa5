"""`policyctl serve`: the editors' live preview, with and without drafts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from tests_support import SCHEDULED_SUMMARY as SECRET
from tests_support import PolicyRepo, free_port

POLICYCTL = Path(sys.executable).parent / "policyctl"


def fetch(url: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read().decode("utf-8")
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.fixture
def serve():
    processes: list[subprocess.Popen] = []

    def start(repo: PolicyRepo, *args: str) -> str:
        port = free_port()
        process = subprocess.Popen(
            [str(POLICYCTL), "serve", "--repo", str(repo.path), "--dev-addr", f"127.0.0.1:{port}", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        processes.append(process)
        return f"http://127.0.0.1:{port}/"

    yield start
    for process in processes:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def test_preview_at_an_instant(history, serve):
    base = serve(history, "--as-of", "2026-10-08")
    home = fetch(base)
    assert "policy-banner" in home and "16 October 2026" in home
    [notice] = json.loads(fetch(base + "notices.json"))["notices"]
    assert (notice["version"], notice["effective"]) == ("2.0", "2026-10-16T00:00:00+08:00")
    assert SECRET not in fetch(base + "privacy/versions/")


def test_preview_with_drafts_shows_scheduled_and_uncommitted_versions(history, serve):
    text = (history.path / "policy/privacy.md").read_text()
    (history.path / "policy/privacy.md").write_text(text.replace("Intro paragraph", "Uncommitted intro"))
    base = serve(history, "--as-of", "2026-10-20", "--drafts")
    archive = fetch(base + "privacy/versions/")
    assert SECRET in archive  # scheduled 3.0, clearly marked
    assert "policy-badge--draft" in archive
    assert "Draft preview" in fetch(base)
    draft = fetch(base + "privacy/versions/3.0-draft/")
    assert "Uncommitted intro" in draft and "Draft" in draft
    scheduled = fetch(base + "privacy/versions/3.0/")
    assert "Not public" in scheduled
