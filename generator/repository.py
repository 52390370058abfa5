"""Reading policy files from git: the only module that talks to the repository."""

from __future__ import annotations

import datetime as dt
import subprocess
from dataclasses import dataclass
from pathlib import Path

import git

from generator.core.errors import RepositoryError
from generator.core.revisions import FileRevision


@dataclass(frozen=True)
class WorkingFile:
    """An uncommitted policy file in the working tree (for draft previews)."""

    path: str
    data: bytes


def open_repository(path: Path) -> git.Repo:
    try:
        repo = git.Repo(path)
    except git.NoSuchPathError:
        raise RepositoryError(
            "no such folder", file=str(path), remedy="pass --repo with the policy repository"
        ) from None
    except git.InvalidGitRepositoryError:
        raise RepositoryError(
            "not a git repository",
            file=str(path),
            remedy="run policyctl in (or pass --repo to) the git repository that holds policy/",
        ) from None
    if repo.bare:
        raise RepositoryError("bare repository", file=str(path), remedy="use a checkout with a working tree")
    if (Path(repo.git_dir) / "shallow").exists():
        raise RepositoryError(
            "this is a shallow clone: the published history needs every commit",
            file=str(path),
            remedy="fetch the full history with `git fetch --unshallow` "
            "(in GitHub Actions: actions/checkout with `fetch-depth: 0`)",
        )
    try:
        _ = repo.head.commit
    except ValueError:
        raise RepositoryError(
            "the repository has no commits yet",
            file=str(path),
            remedy="commit the policy documents first",
        ) from None
    return repo


def document_paths(repo: git.Repo, policy_dir: str) -> list[str]:
    """Policy documents at HEAD: `<policy_dir>/<id>.md`."""
    try:
        tree = repo.head.commit.tree / policy_dir
    except KeyError:
        return []
    return sorted(
        str(blob.path) for blob in tree.blobs if blob.name.endswith(".md") and blob.name != "README.md"
    )


def file_history(repo: git.Repo, path: str) -> list[FileRevision]:
    """Every commit that changed the file, oldest first, following renames."""
    marker = "\x1e"
    out = repo.git.log(
        "--follow",
        "--name-status",
        "-M",
        f"--format={marker}%H %cI",
        "--",
        path,
    )
    entries: list[tuple[str, dt.datetime, str]] = []
    for block in out.split(marker):
        lines = [line for line in block.splitlines() if line.strip()]
        if not lines:
            continue
        sha, when = lines[0].split(" ", 1)
        status = lines[1].split("\t") if len(lines) > 1 else ["M", path]
        if status[0].startswith("D"):
            continue
        entries.append((sha, dt.datetime.fromisoformat(when), status[-1]))
    entries.reverse()
    blobs = _read_blobs(repo, [f"{sha}:{at_path}" for sha, _, at_path in entries])
    return [
        FileRevision(sha, when, at_path, data)
        for (sha, when, at_path), data in zip(entries, blobs, strict=True)
        if data is not None
    ]


def _read_blobs(repo: git.Repo, specs: list[str]) -> list[bytes | None]:
    """Many `<commit>:<path>` blobs through one `git cat-file --batch` process."""
    if not specs:
        return []
    completed = subprocess.run(
        ["git", "cat-file", "--batch"],
        cwd=repo.git_dir,
        input=("\n".join(specs) + "\n").encode(),
        capture_output=True,
        check=True,
    )
    out, position = completed.stdout, 0
    blobs: list[bytes | None] = []
    for _ in specs:
        end = out.index(b"\n", position)
        header = out[position:end].split()
        position = end + 1
        if len(header) < 3 or header[-1] == b"missing":
            blobs.append(None)
            continue
        size = int(header[2])
        blobs.append(out[position : position + size])
        position += size + 1
    return blobs


def working_files(repo: git.Repo, policy_dir: str) -> list[WorkingFile]:
    """Policy files as they are on disk now, committed or not. Only regular files inside
    the repository's `policy_dir`: a symbolic link is never followed out of it."""
    root = Path(repo.working_tree_dir or ".").resolve()
    folder = root / policy_dir
    if folder.is_symlink() or not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.glob("*.md")):
        if path.name == "README.md" or path.name.startswith(".") or path.is_symlink() or not path.is_file():
            continue
        found.append(WorkingFile(f"{policy_dir}/{path.name}", path.read_bytes()))
    return found
