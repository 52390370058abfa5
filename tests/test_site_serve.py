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


def test_the_preview_is_rebuilt_when_an_editor_saves(history, serve):
    policy = history.path / "policy/privacy.md"
    text = policy.read_text()
    policy.write_text(text.replace("Intro paragraph", "First draft"))
    base = serve(history, "--as-of", "2026-10-20", "--drafts")
    assert "First draft" in fetch(base + "privacy/versions/3.0-draft/")
    policy.write_text(text.replace("Intro paragraph", "Saved just now"))
    deadline = time.monotonic() + 60
    while "Saved just now" not in fetch(base + "privacy/versions/3.0-draft/"):
        assert time.monotonic() < deadline, "the preview was not rebuilt within 60 s of the edit"
        time.sleep(0.5)


@pytest.mark.parametrize(
    ("engine", "index"), [("mkdocs", "search/search_index.json"), ("zensical", "search.json")]
)
def test_the_preview_renders_with_the_engine_asked_for(history, serve, engine, index):
    base = serve(history, "--as-of", "2026-10-08", "--engine", engine)
    home = fetch(base)
    assert "policy-banner" in home and "16 October 2026" in home
    assert json.loads(fetch(base + index)), f"{engine}'s search index is empty"
    # Absolute links are the preview's own address, not the published site's.
    assert f'href="{base}"' in home


def test_a_dev_addr_that_is_no_address_is_refused_with_what_to_do(history):
    result = subprocess.run(
        [str(POLICYCTL), "serve", "--repo", str(history.path), "--dev-addr", "localhost"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert "--dev-addr 'localhost'" in result.stderr and "127.0.0.1:8000" in result.stderr
    assert "Traceback" not in result.stderr


def test_plain_mkdocs_serve_previews_drafts_through_the_plugin(history, tmp_path):
    """A user who runs `mkdocs serve` gets the same preview through the plugin's adapter:
    POLICYCTL_AS_OF and POLICYCTL_DRAFTS from the environment, the server's own address."""
    history.write(
        "mkdocs.yml",
        "site_name: Shop legal\nsite_url: https://shop.example.com/legal/\ndocs_dir: policy\n"
        "theme:\n  name: material\nplugins:\n  - search\n  - policy:\n      country: CN\n"
        "      timezone: Asia/Shanghai\n",
    )
    history.commit("2026-10-01T10:00:00+08:00", "mkdocs.yml")
    port = free_port()
    env = {
        "POLICYCTL_AS_OF": "2026-10-20",
        "POLICYCTL_DRAFTS": "1",
        "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}", "--no-livereload"],
        cwd=history.path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}/legal/"
        archive = fetch(base + "privacy/versions/", timeout=60)
        assert SECRET in archive and "policy-badge--draft" in archive
        assert f'href="{base}"' in fetch(base)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
