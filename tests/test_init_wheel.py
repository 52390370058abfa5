"""A shop adopts policyctl (issue 24, "Done when"; items 1 and 2): policy-publisher built
as a wheel, installed in a fresh virtual environment, and used from an empty folder with
no file of this project: `init`, `check`, `build`, `publish` of a revision, `check`,
`notify` to an SMTP server on loopback, `answers serve`. Then the GitHub Action's steps
(action.yml) run through bash, and the pre-commit hook (.pre-commit-hooks.yaml) through
`pre-commit try-repo`.

The package is built once per module from a copy of its files (a git repository of
its own: what a clone of policy-publisher holds), so that nothing is built inside the
working tree: `pip wheel --no-deps` with build isolation, then `python -m venv` and
`pip install` of the wheel, its dependencies from the package index (pip's cache).
The copy is also the action's folder (`github.action_path`) and the hook's repository.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from aiosmtpd.controller import Controller
from tests_support import EDITOR, free_port

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_FILES = ("pyproject.toml", "README.md", "generator", "notify", "site_templates")
CI_FILES = ("action.yml", ".pre-commit-hooks.yaml")
SHOP_FILES = {
    "mkdocs.yml",
    "policy/privacy.md",
    ".gitignore",
    ".github/workflows/policy.yml",
    ".gitlab-ci.yml",
}
ZONE = ZoneInfo("Europe/Berlin")
SECRET = "answer-links-secret-of-the-test-shop"


@dataclass(frozen=True)
class Installed:
    """policy-publisher from its wheel in a fresh virtual environment."""

    source: Path
    """The copy of the project: the wheel's source, the action's folder, the hook's repository."""
    wheel: Path
    venv: Path
    seconds: dict[str, float]

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a shop's shell: this virtual environment first on PATH,
        nothing of this project's (no PYTHONPATH, not its .venv)."""
        keep = {k: v for k, v in os.environ.items() if k in ("HOME", "LANG", "LC_ALL", "TMPDIR", "USER")}
        path = [p for p in os.environ["PATH"].split(os.pathsep) if not p.startswith(str(ROOT))]
        return {**keep, **EDITOR, "PATH": os.pathsep.join([str(self.bin), *path]), **extra}

    def run(self, *args: str, cwd: Path, env: Mapping[str, str] | None = None, code: int = 0) -> str:
        """A command in the shop's shell; its output (standard output and error)."""
        done = subprocess.run(
            list(args),
            cwd=cwd,
            env=dict(env or self.env()),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=300,
        )
        output = done.stdout + done.stderr
        assert done.returncode == code, f"{' '.join(args)} exited {done.returncode}:\n{output}"
        assert "Traceback" not in output, output
        return output


def _copy_project(target: Path) -> None:
    """What a clone of policy-publisher holds of the package and its CI files, committed."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    target.mkdir(parents=True)
    for name in PACKAGE_FILES + CI_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=ignore)
        else:
            shutil.copy2(source, target / name)
    env = {**os.environ, **EDITOR}
    for step in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "policy-publisher"]):
        subprocess.run(["git", *step], cwd=target, env=env, check=True, capture_output=True)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("installed")
    source = base / "policy-publisher"
    _copy_project(source)
    seconds: dict[str, float] = {}
    start = time.monotonic()
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    subprocess.run([*pip, "wheel", "--no-deps", "-q", "-w", str(base / "dist"), str(source)], check=True)
    seconds["wheel"] = time.monotonic() - start
    (wheel,) = (base / "dist").glob("policy_publisher-*.whl")
    start = time.monotonic()
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin/python"), "-m", "pip", "install", "-q", str(wheel)], check=True)
    seconds["install"] = time.monotonic() - start
    print(f"wheel built in {seconds['wheel']:.0f} s, installed in {seconds['install']:.0f} s")
    return Installed(source, wheel, venv, seconds)


def installed_from(installed: Installed) -> str:
    """Where the environment's policy-publisher was installed from (pip's direct URL)."""
    pip = [str(installed.bin / "python"), "-m", "pip", "--disable-pip-version-check"]
    shown = subprocess.run([*pip, "inspect"], capture_output=True, text=True, check=True).stdout
    ours = next(p for p in json.loads(shown)["installed"] if p["metadata"]["name"] == "policy-publisher")
    return str(ours.get("direct_url", {}).get("url", ""))


def _from_the_wheel(installed: Installed) -> None:
    """The environment's policy-publisher is the wheel's (reinstalled if the action's
    test installed it from the folder)."""
    if installed_from(installed) != installed.wheel.as_uri():
        python = str(installed.bin / "python")
        subprocess.run(
            [python, "-m", "pip", "install", "-q", "--force-reinstall", "--no-deps", str(installed.wheel)],
            check=True,
        )
    assert installed_from(installed) == installed.wheel.as_uri()


# ------------------------------------------------------------------ a loopback SMTP server


class Inbox:
    """aiosmtpd's handler: every message accepted."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        data = envelope.original_content or envelope.content
        self.messages.append(email.message_from_bytes(data, policy=email.policy.default))  # type: ignore[arg-type]
        return "250 2.0.0 Queued"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8")


def _wait_for(url: str, server: subprocess.Popen[str]) -> tuple[int, str]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, server.communicate()
        try:
            return _get(url)
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    raise AssertionError(f"nothing answered at {url}")


# ------------------------------------------------------------------ the operator's first day


SHARING = "## Who we share it with {#sharing .core-rights}\n"
NEW_CARRIER = "We give your delivery address to our carriers, Parcel One and Parcel Two.\n\n"


def test_a_shop_adopts_policyctl_from_the_wheel(
    installed: Installed, tmp_path: Path, smtp: tuple[Inbox, int]
) -> None:
    _from_the_wheel(installed)
    work = tmp_path / "work"
    work.mkdir()
    answer_port = free_port()
    answer_url = f"http://127.0.0.1:{answer_port}/policy/answer"
    init = installed.run(
        "policyctl", "init", "shop",
        "--site-name", "Example Shop",
        "--site-url", "https://legal.shop.test/",
        "--answer-url", answer_url,
        "--country", "DE", "--timezone", "Europe/Berlin", "--working-days", "7",
        cwd=work,
    )  # fmt: skip
    shop = work / "shop"
    assert "First commit" in init
    # Nothing of this project: the repository holds what init wrote, the code is the wheel's.
    assert set(installed.run("git", "ls-files", cwd=shop).split()) == SHOP_FILES
    imported = installed.run("python", "-c", "import generator; print(generator.__file__)", cwd=shop)
    assert imported.startswith(str(installed.venv)), imported

    assert "privacy: 1 version; in force 1.0" in installed.run("policyctl", "check", cwd=shop)
    assert "Public record started" in installed.run("policyctl", "build", cwd=shop)
    assert (shop / "site/privacy/index.html").is_file()

    # A revision of a core-rights section, stamped and committed on its publication day.
    policy = shop / "policy/privacy.md"
    policy.write_text(
        policy.read_text(encoding="utf-8").replace(SHARING, SHARING + "\n" + NEW_CARRIER), encoding="utf-8"
    )
    summary = "We now give delivery addresses to a second carrier."
    published = installed.run(
        "policyctl", "publish", "privacy", "--version", "2.0", "--summary", summary, cwd=shop
    )
    assert "policy/privacy.md: version 2.0" in published and "Effective:" in published
    installed.run("git", "commit", "-q", "-am", "Privacy Policy 2.0", cwd=shop)
    checked = installed.run("policyctl", "check", cwd=shop)
    assert "2.0" in checked and "error" not in checked
    installed.run("policyctl", "build", cwd=shop)
    assert (shop / "site/privacy/versions/2.0/index.html").is_file()

    # The notices, during the window (the day after publication), over SMTP on loopback.
    inbox, smtp_port = smtp
    (shop / "users.csv").write_text(
        "id,email,name\n1,ann@users.test,Ann\n2,bo@users.test,Bo\n", encoding="utf-8"
    )
    tomorrow = (dt.datetime.now(ZONE) + dt.timedelta(days=1)).date().isoformat()
    env = installed.env(POLICYCTL_ANSWER_SECRET=SECRET)
    installed.run(
        "policyctl", "notify", "--recipients", "users.csv", "--smtp", f"smtp://127.0.0.1:{smtp_port}",
        "--from", "Example Shop <privacy@shop.test>", "--as-of", f"{tomorrow}T12:00",
        cwd=shop, env=env,
    )  # fmt: skip
    assert sorted(m["To"] for m in inbox.messages) == ["Ann <ann@users.test>", "Bo <bo@users.test>"]
    text = inbox.messages[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert summary in " ".join(text.split())
    link = re.search(rf"{re.escape(answer_url)}\?token=[^\s<>\"]+", text)
    assert link is not None, text

    # The answer page, on loopback, for the link in the message.
    server = subprocess.Popen(
        ["policyctl", "answers", "serve", "--listen", f"127.0.0.1:{answer_port}"],
        cwd=shop,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        status, page = _wait_for(answer_url, server)
        assert status == 200, page
        status, page = _get(link.group(0))
        assert status == 200 and "2.0" in page, page
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert "Serving the answer page" in output and "Traceback" not in output


# ------------------------------------------------------------------ the GitHub Action


def _init_shop(installed: Installed, folder: Path) -> Path:
    installed.run(
        "policyctl", "init", str(folder), "--site-url", "https://legal.shop.test/",
        "--answer-url", "https://shop.test/policy/answer", "--country", "DE",
        cwd=folder.parent,
    )  # fmt: skip
    return folder


_EXPRESSION = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")


def _action_values(inputs: Mapping[str, str], action_path: Path) -> dict[str, str]:
    return {**{f"inputs.{k}": v for k, v in inputs.items()}, "github.action_path": str(action_path)}


def _substituted(text: str, values: Mapping[str, str]) -> str:
    """`${{ inputs.x }}` and `${{ github.action_path }}` replaced as the runner does."""
    return _EXPRESSION.sub(lambda m: values[m.group(1)], text)


def _condition(expression: str, values: Mapping[str, str]) -> bool:
    """The `if:` forms action.yml uses: `inputs.x == 'v'` and `inputs.x != 'v'`."""
    match = re.fullmatch(r"(\S+)\s*(==|!=)\s*'([^']*)'", expression.strip())
    assert match is not None, f"unsupported condition {expression!r}"
    equal = values[match.group(1)] == match.group(3)
    return equal if match.group(2) == "==" else not equal


def run_action(installed: Installed, workspace: Path, given: Mapping[str, str]) -> dict[str, str]:
    """action.yml's steps as a runner takes them: inputs with their defaults, the
    expressions substituted, each `run:` through `bash --noprofile --norc -eo pipefail`
    (its shell) in the workspace. `uses:` steps (actions/setup-python) are the runner's:
    the virtual environment's Python stands for it. Returns the step outputs."""
    action = yaml.safe_load((installed.source / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    assert set(given) <= set(inputs), set(given) - set(inputs)
    values = _action_values({**inputs, **given}, installed.source)
    outputs = workspace.parent / "github_output"
    outputs.write_text("", encoding="utf-8")
    for step in action["runs"]["steps"]:
        if "if" in step and not _condition(step["if"], values):
            continue
        if "uses" in step:
            assert step["uses"].startswith("actions/setup-python@")
            continue
        assert step["shell"] == "bash"
        env = installed.env(
            GITHUB_OUTPUT=str(outputs),
            GITHUB_ACTION_PATH=str(installed.source),
            **{k: _substituted(str(v), values) for k, v in step.get("env", {}).items()},
        )
        script = _substituted(step["run"], values)
        installed.run(
            "bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script, cwd=workspace, env=env
        )
    lines = outputs.read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines)


def test_the_github_action_checks_and_builds_with_the_record(installed: Installed, tmp_path: Path) -> None:
    shop = _init_shop(installed, tmp_path / "shop")
    day = (dt.datetime.now(ZONE) + dt.timedelta(days=1)).date().isoformat()
    # The first deployment: no record yet.
    first = run_action(installed, shop, {"as-of": day, "site-dir": "deployed"})
    assert first == {"site-dir": "deployed"}
    assert (shop / "deployed/privacy/index.html").is_file()
    # The next day's build into a fresh folder, the deployed site as the record: it grows.
    record = shop / "deployed/publication-log.jsonl"
    before = record.read_text(encoding="utf-8").splitlines()
    run_action(
        installed, shop, {"as-of": f"{day}T23:00", "site-dir": "next", "record": str(shop / "deployed")}
    )
    after = (shop / "next/publication-log.jsonl").read_text(encoding="utf-8").splitlines()
    assert after[: len(before)] == before
    # Check only (a pull request): no site.
    assert run_action(installed, shop, {"build": "false", "site-dir": "unused"}) == {}
    assert not (shop / "unused").exists()
    # The action installed policy-publisher from its own folder.
    assert installed_from(installed) == installed.source.as_uri()


# ------------------------------------------------------------------ the pre-commit hook


def test_the_pre_commit_hook_runs_policyctl_check(installed: Installed, tmp_path: Path) -> None:
    shop = _init_shop(installed, tmp_path / "shop")
    (hook,) = yaml.safe_load((installed.source / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert (hook["id"], hook["entry"], hook["language"]) == ("policyctl-check", "policyctl check", "python")
    try:
        import pre_commit  # noqa: F401  (the `test` extra installs it)
    except ImportError:  # not installable here: the hook's entry in the shop's shell
        installed.run("bash", "-c", hook["entry"], cwd=shop)
    else:
        # pre-commit installs the hook's repository (the project's copy) in an environment
        # of its own, as for a user, and runs it on the shop's repository.
        env = installed.env(PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"))
        output = installed.run(
            sys.executable, "-m", "pre_commit", "try-repo", str(installed.source), "policyctl-check", "--all-files",
            cwd=shop, env=env,
        )  # fmt: skip
        assert re.search(r"policyctl check\.+Passed", output), output
    # What the hook stops: a misspelled core-rights mark committed.
    policy = shop / "policy/privacy.md"
    policy.write_text(
        policy.read_text(encoding="utf-8").replace("{#cookies .core-rights}", "{#cookies .core-right}")
    )
    installed.run("git", "commit", "-q", "-am", "Typo", cwd=shop)
    failed = installed.run("bash", "-c", hook["entry"], cwd=shop, code=1)
    assert "looks like a misspelling of `.core-rights`" in failed
