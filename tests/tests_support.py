"""What the tests, the benchmarks and the scripts share: a small policy, a front-matter
writer, git with a fixed author and chosen dates, and a free port on loopback.

Plain functions and data only; the fixtures are in conftest.py. Importable as
`tests_support` from the test modules (pytest puts tests/ on sys.path) and from
benchmarks/ and scripts/ once they put tests/ on sys.path.
"""

from __future__ import annotations

import os
import socket
import socketserver
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

BASE_POLICY = """\
Intro paragraph of the policy.

## I. Scope of Application {#scope}

This policy applies to the Website.

## II. Collection of Personal Information {#collection .core-rights}

We collect your name and email address.

### (I) Information You Provide

1. Account data: name, email.
2. Order data: address.

## III. Contact {#contact}

Write to privacy@example.com.
"""

# A revision that changes only a core-rights subsection ("(I) Information You Provide").
CORE_RIGHTS_REVISION = BASE_POLICY.replace("2. Order data: address.", "2. Order data: address, phone number.")

# A revision that inserts a core-rights section before "Contact" (III -> IV: renumbering,
# not a change) and changes the core-rights "Collection" section.
INSERTED_SECTION_REVISION = BASE_POLICY.replace(
    "## III. Contact {#contact}",
    "## III. Sharing {#sharing .core-rights}\n\nWe share your address with the carrier.\n\n## IV. Contact {#contact}",
).replace("name and email address", "name, email address and phone number")

# The `history` fixture's version 3.0: committed on 30 September, published (and so
# visible) only from 20 November. Neither its summary nor its text may appear earlier.
SCHEDULED_REVISION = INSERTED_SECTION_REVISION.replace("privacy@example.com", "dpo-scheduled@example.com")
SCHEDULED_SUMMARY = "Zanzibar scheduled revision"


def policy_file(
    body: str = BASE_POLICY,
    *,
    version: str | None = "1.0",
    published: str | None = None,
    effective: str | None = None,
    summary: str | None = None,
    title: str = "Privacy Policy",
) -> str:
    """A policy file: YAML front matter with the given fields, then `body`."""
    lines = ["---", f"title: {title}"]
    if version is not None:
        lines.append(f'version: "{version}"')
    if published:
        lines.append(f"published: {published}")
    if effective:
        lines.append(f"effective: {effective}")
    if summary:
        lines.append(f"summary: {summary}")
    lines.append("---")
    return "\n".join(lines) + "\n\n" + body


EDITOR = {
    "GIT_AUTHOR_NAME": "Legal Editor",
    "GIT_AUTHOR_EMAIL": "legal@example.com",
    "GIT_COMMITTER_NAME": "Legal Editor",
    "GIT_COMMITTER_EMAIL": "legal@example.com",
}


def git(repo: Path, *args: str, date: str | None = None) -> str:
    """Run git in `repo` as the legal editor; `date` (e.g. "2026-09-30T09:00:00+08:00")
    is both the author and the committer date. Returns its standard output."""
    env = {**os.environ, **EDITOR}
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
    return subprocess.run(
        ["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True
    ).stdout


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PolicyRepo:
    """A git repository in a temporary folder whose commits carry chosen dates."""

    path: Path

    @classmethod
    def create(cls, path: Path) -> PolicyRepo:
        """An empty repository (branch main) in the new folder `path`."""
        path.mkdir(parents=True)
        repo = cls(path)
        repo.git("init", "-q", "-b", "main")
        return repo

    def git(self, *args: str, date: str | None = None) -> str:
        return git(self.path, *args, date=date)

    def write(self, name: str, text: str) -> None:
        target = self.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")

    def commit(self, when: str, message: str = "Edit policy") -> str:
        """Commit everything at `when` (e.g. "2026-09-10T10:00:00+08:00"); returns the hash."""
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message, date=when)
        return self.git("rev-parse", "HEAD").strip()

    def publish(self, name: str, text: str, when: str, message: str = "Edit policy") -> str:
        self.write(name, text)
        return self.commit(when, message)


# Test-only switch: POLICYCTL_TEST_ENGINE=zensical (or mkdocs) makes the build helpers
# (`build` here, `browser_support.build_site`) render with that engine, adding
# `--engine $POLICYCTL_TEST_ENGINE` unless the call chooses an engine itself, so that the
# whole suite can be run under Zensical:
#     POLICYCTL_TEST_ENGINE=zensical .venv/bin/python -m pytest -n 2 -q tests/test_browser.py
# Unset (the default), the builds use the project's default engine (MkDocs).
TEST_ENGINE_VARIABLE = "POLICYCTL_TEST_ENGINE"


def engine_under_test() -> str:
    """The engine the tests' builds render with: POLICYCTL_TEST_ENGINE, else "mkdocs"."""
    return os.environ.get(TEST_ENGINE_VARIABLE) or "mkdocs"


def engine_options(options) -> tuple[str, ...]:
    """("--engine", $POLICYCTL_TEST_ENGINE) when that variable is set and `options` choose
    no engine themselves; () otherwise."""
    engine = os.environ.get(TEST_ENGINE_VARIABLE)
    if not engine or any(
        str(option) == "--engine" or str(option).startswith("--engine=") for option in options
    ):
        return ()
    return ("--engine", engine)


def search_index(site: Path, language: str = "") -> dict:
    """A language's search index in the built `site` (`language`: "" or "zh"), whichever
    engine wrote it (generator/site/engines.py SEARCH_INDEXES): MkDocs' (Material's)
    `search/search_index.json` as it is, Zensical's `search.json` with its entries
    ("items") under "docs" as Material names them (location, title, text alike)."""
    import json

    folder = site / language if language else site
    material = folder / "search" / "search_index.json"
    if material.is_file():
        return json.loads(material.read_text(encoding="utf-8"))
    index = json.loads((folder / "search.json").read_text(encoding="utf-8"))
    return {"config": index["config"], "docs": index["items"]}


def build(policyctl, repo: PolicyRepo, as_of: str, site: Path, *extra: str):
    """`policyctl build --as-of` through the `policyctl` fixture; fails the test, with the
    build's own words, unless it succeeds and the built site passes `policyctl verify`.
    Returns what the user saw of the build. With POLICYCTL_TEST_ENGINE set, see
    `engine_options`."""
    result = policyctl(
        "build", "--repo", repo.path, "--as-of", as_of, "--site-dir", site, *extra, *engine_options(extra)
    )
    assert result.code == 0, result.out + result.err
    # Every site this project builds passes `policyctl verify` (its public record).
    verified = policyctl("verify", site)
    assert verified.code == 0, verified.out + verified.err
    return result


# A policy with a link (with a title), bold words, a table, a numbered list, code and a
# footnote, and a revision that changes something inside each of them and adds a row.
RICH_POLICY = """\
Welcome to the [shop's terms](https://shop.example/terms "Shop terms") and **our old promise**.

## I. Storage {#storage .core-rights}

We keep data as listed below.[^law]

| Data | Kept for |
|---|---|
| Orders | 5 years |
| Logs | 90 days |

1. Account data: name and email.
2. Order data: address.
3. Payment data: card token.

See [how we share](#sharing) and [our partners](https://partners.example/list).

```
retention = 5
```

## II. Sharing {#sharing}

We share with carriers.

[^law]: See the *Civil Code*.
"""

RICH_REVISION = (
    RICH_POLICY.replace("[shop's terms]", "[shop's online terms]")
    .replace("**our old promise**", "**our new promise**")
    .replace("| Orders | 5 years |", "| Orders | 7 years |")
    .replace("| Logs | 90 days |", "| Logs | 90 days |\n| Chats | 1 year |")
    .replace("2. Order data: address.", "2. Order data: postal address and phone.")
    .replace("https://partners.example/list", "https://partners.example/current")
    .replace("retention = 5", "retention = 7")
    .replace("See the *Civil Code*.", "See the *Civil Code* and the *Tax Law*.")
)


ServerT = TypeVar("ServerT", bound=socketserver.BaseServer)


@contextmanager
def running(server: ServerT) -> Iterator[ServerT]:
    """``server`` (an HTTP server on loopback, say) serving on a thread of its own until
    the block ends; then shut down, closed and its thread joined."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
