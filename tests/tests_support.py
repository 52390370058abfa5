"""Importable test data: a small policy and a front-matter writer."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

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


def policy_file(
    body: str = BASE_POLICY,
    *,
    version: str | None = "1.0",
    published: str | None = None,
    effective: str | None = None,
    summary: str | None = None,
    title: str = "Privacy Policy",
) -> str:
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


# A revision that inserts a core-rights section before "Contact" (III -> IV: renumbering,
# not a change) and changes the core-rights "Collection" section.
INSERTED_SECTION_REVISION = BASE_POLICY.replace(
    "## III. Contact {#contact}",
    "## III. Sharing {#sharing .core-rights}\n\nWe share your address with the carrier.\n\n## IV. Contact {#contact}",
).replace("name and email address", "name, email address and phone number")


@dataclass
class PolicyRepo:
    """A git repository in a temporary folder whose commits carry chosen dates."""

    path: Path

    def git(self, *args: str, date: str | None = None) -> str:
        env = dict(os.environ)
        env.update(
            GIT_AUTHOR_NAME="Legal Editor",
            GIT_AUTHOR_EMAIL="legal@example.com",
            GIT_COMMITTER_NAME="Legal Editor",
            GIT_COMMITTER_EMAIL="legal@example.com",
        )
        if date:
            env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
        return subprocess.run(
            ["git", *args], cwd=self.path, env=env, check=True, capture_output=True, text=True
        ).stdout

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
