"""Reading policy files from git: the only module that talks to the repository."""

from __future__ import annotations

import datetime as dt
import subprocess
from dataclasses import dataclass
from pathlib import Path

import git

from generator.core.clock import CommitDates
from generator.core.errors import EmptyRepositoryError, RepositoryError
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
        raise EmptyRepositoryError(
            "the repository has no commits yet",
            file=str(path),
            remedy="commit the policy documents first",
        ) from None
    return repo


def is_document_path(path: str, policy_dir: str) -> bool:
    """`<policy_dir>/<id>.md`, not hidden, not a README: a policy document."""
    folder, _, name = path.rpartition("/")
    return folder == policy_dir and name.endswith(".md") and not name.startswith(".") and name != "README.md"


@dataclass
class _Change:
    mode: str
    blob: str
    status: str
    path: str
    old_path: str | None = None


def _first_parent_git_log(repo: git.Repo, *args: str) -> str:
    """`git log` of the built branch's first-parent chain, each merge against its first
    parent, NUL-separated and unquoted (any file name survives)."""
    return subprocess.run(
        [
            "git",
            "-c",
            "core.quotepath=false",
            "log",
            "--first-parent",
            "--diff-merges=first-parent",
            "-z",
            *args,
        ],
        cwd=repo.working_tree_dir,
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8", errors="surrogateescape")


def _first_parent_log(repo: git.Repo, policy_dir: str) -> list[tuple[str, dt.datetime, list[_Change]]]:
    """The commits of the built branch's first-parent chain that touch `policy_dir`, oldest
    first, each with its changes against its first parent (renames detected, copies not).

    Paths are read NUL-separated, never quoted, so any file name survives."""
    out = _first_parent_git_log(
        repo, "--raw", "-M", "--no-abbrev", "--format=%x01%H %cI", "HEAD", "--", f"{policy_dir}/"
    )
    commits: list[tuple[str, dt.datetime, list[_Change]]] = []
    for chunk in out.split("\x01")[1:]:
        header, _, rest = chunk.partition("\0")
        sha, when = header.split(" ", 1)
        tokens = rest.lstrip("\n").split("\0")
        changes: list[_Change] = []
        index = 0
        while index < len(tokens):
            meta = tokens[index].strip("\n")
            index += 1
            if not meta.startswith(":"):
                continue
            _old_mode, new_mode, _old_blob, new_blob, status = meta[1:].split(" ")
            if status[0] in "RC":
                changes.append(_Change(new_mode, new_blob, status[0], tokens[index + 1], tokens[index]))
                index += 2
            else:
                changes.append(_Change(new_mode, new_blob, status[0], tokens[index]))
                index += 1
        commits.append((sha, dt.datetime.fromisoformat(when), changes))
    commits.reverse()
    return commits


def policy_histories(repo: git.Repo, policy_dir: str) -> dict[str, list[FileRevision]]:
    """Every policy document at HEAD (its path) and the revisions of its file along the
    first-parent chain of the built branch, oldest first, following renames.

    What the built branch showed is what was published: the intermediate commits of a
    merged branch never were, so they are not revisions; a merge, squash or rebase
    counts at the moment it reached the branch. A symbolic link is refused."""
    lineages: dict[str, list[tuple[str, dt.datetime, str, str]]] = {}
    for sha, when, changes in _first_parent_log(repo, policy_dir):
        # Deletions and renames first: a file may be renamed onto a deleted one's name.
        moved = {c.old_path: lineages.pop(c.old_path, []) for c in changes if c.status == "R" and c.old_path}
        for change in changes:
            if change.status == "D":
                lineages.pop(change.path, None)
        for change in changes:
            if change.status == "D":
                continue
            if change.status == "R" and change.old_path is not None:
                lineage = moved.get(change.old_path, [])
            elif change.status in "AC":
                lineage = []
            else:
                lineage = lineages.get(change.path, [])
            lineage.append((sha, when, change.path, change.blob if change.mode != "120000" else "symlink"))
            lineages[change.path] = lineage
    documents = {path: lineage for path, lineage in lineages.items() if is_document_path(path, policy_dir)}
    for path, lineage in documents.items():
        if lineage[-1][3] == "symlink":
            raise RepositoryError(
                "a symbolic link is not a policy document",
                file=path,
                remedy="commit the policy text itself as a regular file, or remove the link",
            )
    specs = sorted({blob for lineage in documents.values() for *_, blob in lineage if blob != "symlink"})
    blobs = dict(zip(specs, _read_blobs(repo, specs), strict=True))
    return {
        path: [
            FileRevision(sha, when, at_path, data)
            for sha, when, at_path, blob in lineage
            if (data := blobs.get(blob)) is not None
        ]
        for path, lineage in sorted(documents.items())
    }


def first_parent_dates(repo: git.Repo, policy_dir: str) -> list[CommitDates]:
    """Every commit of the built branch's first-parent chain, oldest first, with its
    committer date, its parents' dates and whether it changes `policy_dir` against its
    first parent: what the clock rules (`generator.core.clock`) read.

    One `git log` for the chain; the parents off the chain (the merged commits of the
    merges that change `policy_dir`) get their dates from a second one, all at once."""
    out = _first_parent_git_log(
        repo, f"--relative={policy_dir}/", "--name-only", "--format=%x01%H %cI %P", "HEAD"
    )
    chain: list[tuple[str, dt.datetime, list[str], bool]] = []
    for chunk in out.split("\x01")[1:]:
        header, _, names = chunk.partition("\0")
        sha, when, *parents = header.split()
        touches = any(name.strip("\n") for name in names.split("\0"))
        chain.append((sha, dt.datetime.fromisoformat(when), parents, touches))
    dates = {sha: when for sha, when, _, _ in chain}
    off_chain = sorted({p for _, _, parents, touches in chain if touches for p in parents if p not in dates})
    if off_chain:
        listed = subprocess.run(
            ["git", "log", "--no-walk=unsorted", "--stdin", "--format=%H %cI"],
            cwd=repo.working_tree_dir,
            input="\n".join(off_chain) + "\n",
            capture_output=True,
            check=True,
            text=True,
        ).stdout
        for line in listed.splitlines():
            sha, when = line.split(" ", 1)
            dates[sha] = dt.datetime.fromisoformat(when)
    chain.reverse()
    return [
        CommitDates(sha, when, tuple((p, dates[p]) for p in parents if p in dates), touches)
        for sha, when, parents, touches in chain
    ]


def _read_blobs(repo: git.Repo, specs: list[str]) -> list[bytes | None]:
    """Many blobs (by object name) through one `git cat-file --batch` process."""
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
        relative = f"{policy_dir}/{path.name}"
        if not is_document_path(relative, policy_dir) or path.is_symlink() or not path.is_file():
            continue
        found.append(WorkingFile(relative, path.read_bytes()))
    return found


def head_commit(path: Path) -> str | None:
    """The commit the repository's HEAD names (what a build reads), None when there is
    none yet or `path` is no repository."""
    try:
        return git.Repo(path).head.commit.hexsha
    except (git.NoSuchPathError, git.InvalidGitRepositoryError, ValueError):
        return None
