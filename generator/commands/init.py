"""`policyctl init [DIR]`: a policy repository for a shop, ready for `check` and `build`.

It writes `mkdocs.yml` (the site and the settings: the plugin and the theme come from
the installed package, no path into a checkout of policy-publisher), the first policy
(`policy/privacy.md` from a template with section ids and `.core-rights` marks, or an
existing policy imported with `--from`), `.gitignore`, and CI for GitHub Actions and
GitLab CI; then, in a folder that is not yet in a git repository, `git init` and a first
commit. The values come from the flags; on a terminal it asks for those not given.
It never overwrites a file: it names those in the way and writes nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import TZPATH, ZoneInfo

from generator.commands import init_files
from generator.commands.init_files import Shop
from generator.core.errors import EXIT_OK, PolicyError, SettingsError
from generator.core.imported import ImportedPolicy, import_policy
from generator.settings import DEFAULT_COUNTRY, DEFAULT_TIMEZONE, DEFAULT_WORKING_DAYS, Settings, validated

DEFAULT_SITE_NAME = "Legal policies"
DEFAULT_LANGUAGE = "en"
DEFAULT_DOCUMENT = "privacy"
DEFAULT_TITLE = "Privacy Policy"
PACKAGE = "policy-publisher"
GITHUB_WORKFLOW = ".github/workflows/policy.yml"
GITLAB_CI = ".gitlab-ci.yml"
_DOCUMENT_ID = re.compile(r"[a-z0-9][a-z0-9_-]*")


def add_parser(subcommands: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subcommands.add_parser(
        "init",
        help="create a policy repository: mkdocs.yml, a first policy, .gitignore and CI files",
        description="Create a policy repository in DIR (default: the current folder). On a terminal it "
        "asks for the values not given as flags; otherwise --site-url and --answer-url are required. "
        "It never overwrites a file.",
    )
    parser.add_argument("dir", nargs="?", type=Path, default=Path("."), metavar="DIR")
    site = parser.add_argument_group("the site")
    site.add_argument("--site-name", help=f"the site's name (default: {DEFAULT_SITE_NAME})")
    site.add_argument("--site-url", help="where the site is deployed, e.g. https://legal.shop.example/")
    site.add_argument(
        "--answer-url",
        metavar="URL",
        help="the answer page (`policyctl answers serve`), e.g. https://shop.example/policy/answer",
    )
    site.add_argument(
        "--language", help=f"the policies' language, a BCP 47 tag (default: {DEFAULT_LANGUAGE})"
    )
    calendar = parser.add_argument_group("the publicity window's calendar")
    calendar.add_argument("--country", help=f"holidays country code (default: {DEFAULT_COUNTRY})")
    calendar.add_argument("--subdivision", help="holidays subdivision code, e.g. CA")
    calendar.add_argument("--timezone", help="IANA time zone (default: the country's, when it has one)")
    calendar.add_argument(
        "--working-days", metavar="N", help=f"the window in working days (default: {DEFAULT_WORKING_DAYS})"
    )
    policy = parser.add_argument_group("the first policy")
    policy.add_argument("--document", help=f"its id: policy/<id>.md and /<id>/ (default: {DEFAULT_DOCUMENT})")
    policy.add_argument("--title", help=f"its title (default: the imported one, else {DEFAULT_TITLE})")
    policy.add_argument(
        "--from",
        dest="source",
        type=Path,
        metavar="FILE",
        help="import an existing policy (Markdown or plain text): ids added to its headings, "
        ".core-rights marks proposed",
    )
    parser.add_argument(
        "--package",
        metavar="SPEC",
        help="what CI installs with pip (default: policy-publisher==<this version>)",
    )
    parser.set_defaults(needs_repository=False)
    return parser


# ------------------------------------------------------------------ the values


@dataclass(frozen=True)
class Question:
    """One value of the new repository: its flag, how it is asked, how it is read."""

    key: str
    flag: str
    prompt: str
    read: Callable[[str], Any]


def _url(text: str, what: str) -> str:
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(
            f"{what} must be an absolute http(s) URL, got {text!r}", remedy="e.g. https://legal.shop.example/"
        )
    return text.strip()


def _site_url(text: str) -> str:
    url = _url(text, "the site URL")
    return url if url.endswith("/") else url + "/"


def _answer_url(text: str) -> str:
    url = _url(text, "the answer page's URL")
    validated(Settings(answer_url=url))
    return url


def _language(text: str) -> str:
    validated(Settings(languages=(text.strip(),)))
    return text.strip()


def _country(text: str) -> str:
    country = text.strip().upper()
    validated(Settings(country=country))
    return country


def _timezone(text: str) -> str:
    validated(Settings(timezone=text.strip()))
    return text.strip()


def _working_days(text: str) -> int:
    try:
        days = int(text.strip())
    except ValueError:
        raise SettingsError(f"working days must be a number, got {text!r}", remedy="e.g. 7") from None
    validated(Settings(working_days=days))
    return days


def _name(text: str) -> str:
    name = " ".join(text.split())
    if not name:
        raise SettingsError("the site's name is empty", remedy="e.g. Example Shop policies")
    return name


QUESTIONS = (
    Question("site_name", "--site-name", "The site's name", _name),
    Question("site_url", "--site-url", "Where the site will be deployed (site_url)", _site_url),
    Question("answer_url", "--answer-url", "The answer page's URL (answer_url)", _answer_url),
    Question("language", "--language", "The policies' language", _language),
    Question("country", "--country", "The calendar's country (holidays code)", _country),
    Question("timezone", "--timezone", "The time zone", _timezone),
    Question("working_days", "--working-days", "The publicity window in working days", _working_days),
)
REQUIRED = ("site_url", "answer_url")


def country_zones(country: str) -> list[str]:
    """The time zones of `country` in the system's zone.tab (empty when there is none)."""
    for folder in TZPATH:
        table = Path(folder) / "zone.tab"
        if table.is_file():
            rows = (line.split("\t") for line in table.read_text(encoding="utf-8").splitlines())
            return [row[2] for row in rows if len(row) > 2 and row[0] == country]
    return []


def one_clock(zones: list[str]) -> str | None:
    """The first of `zones` when they all keep the same time, winter and summer (Germany's
    Europe/Berlin and Europe/Busingen), else None: the operator must choose."""
    year = dt.date.today().year
    offsets = {
        tuple(dt.datetime(year, month, 1, 12, tzinfo=ZoneInfo(zone)).utcoffset() for month in (1, 7))
        for zone in zones
    }
    return zones[0] if len(offsets) == 1 else None


def _default(key: str, values: dict[str, Any]) -> str | None:
    """The value taken when neither a flag nor an answer gives one (None: required)."""
    if key == "timezone":
        if values["country"] == DEFAULT_COUNTRY:
            return DEFAULT_TIMEZONE
        return one_clock(country_zones(values["country"]))
    defaults = {
        "site_name": DEFAULT_SITE_NAME,
        "language": DEFAULT_LANGUAGE,
        "country": DEFAULT_COUNTRY,
        "working_days": str(DEFAULT_WORKING_DAYS),
    }
    return defaults.get(key)


Asker = Callable[[Question, str | None], Any]


def ask_on_terminal(question: Question, default: str | None) -> Any:
    """Ask until the answer reads (Enter takes the default)."""
    while True:
        suffix = f" [{default}]" if default is not None else ""
        try:
            answer = input(f"{question.prompt}{suffix}: ").strip()
        except EOFError:
            raise PolicyError(f"no answer for {question.flag}", remedy=f"pass {question.flag}") from None
        if not answer and default is None:
            print("  an answer is needed")
            continue
        try:
            return question.read(answer or default or "")
        except PolicyError as error:
            print(f"  {error.message}" + (f" ({error.remedy})" if error.remedy else ""))


def gather(args: argparse.Namespace, ask: Asker | None) -> dict[str, Any]:
    """The values of the new repository: flags first, then answers (`ask`, on a
    terminal), then defaults; without a terminal a missing required value is an error
    that names every missing flag."""
    if ask is None:
        missing = [q.flag for q in QUESTIONS if q.key in REQUIRED and getattr(args, q.key) is None]
        if missing:
            raise SettingsError(
                f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} needed",
                remedy=f"pass {', '.join(missing)} (or run policyctl init on a terminal: it asks)",
            )
    values: dict[str, Any] = {}
    for question in QUESTIONS:
        given = getattr(args, question.key)
        default = _default(question.key, values)
        if given is not None:
            values[question.key] = question.read(str(given))
        elif ask is not None:
            values[question.key] = ask(question, default)
        elif default is None:
            zones = ", ".join(country_zones(values.get("country", ""))[:6])
            raise SettingsError(
                f"{question.flag} is needed: {values.get('country')} has more than one time zone",
                remedy=f"pass {question.flag}, e.g. one of {zones}" if zones else f"pass {question.flag}",
            )
        else:
            values[question.key] = question.read(default)
    return values


# ------------------------------------------------------------------ the files


def _package() -> str:
    try:
        return f"{PACKAGE}=={metadata.version(PACKAGE)}"
    except metadata.PackageNotFoundError:
        return PACKAGE


def shop_from(args: argparse.Namespace, values: dict[str, Any], imported: ImportedPolicy | None) -> Shop:
    subdivision = args.subdivision.strip() if args.subdivision else None
    settings = Settings(
        country=values["country"],
        subdivision=subdivision,
        timezone=values["timezone"],
        working_days=values["working_days"],
        answer_url=values["answer_url"],
        languages=(values["language"],),
    )
    validated(settings)
    document = (args.document or DEFAULT_DOCUMENT).strip()
    if not _DOCUMENT_ID.fullmatch(document):
        raise SettingsError(
            f"--document {document!r} cannot be a document id",
            remedy="use lower-case letters, digits, - and _, e.g. privacy or terms",
        )
    title = args.title or (imported.title if imported else None) or DEFAULT_TITLE
    return Shop(
        site_name=values["site_name"],
        site_url=values["site_url"],
        answer_url=values["answer_url"],
        language=values["language"],
        country=values["country"],
        subdivision=subdivision,
        timezone=values["timezone"],
        working_days=values["working_days"],
        document=document,
        title=" ".join(title.split()),
        published=dt.datetime.now(ZoneInfo(values["timezone"])).date(),
        package=args.package or _package(),
    )


def read_source(path: Path) -> ImportedPolicy:
    """The policy to import (`--from`)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise PolicyError(
            f"cannot read the policy to import: {reason}",
            file=str(path),
            remedy="name a Markdown or plain-text file in UTF-8",
        ) from None
    return import_policy(text, file=str(path))


def planned_files(shop: Shop, imported: ImportedPolicy | None) -> dict[str, str]:
    """Each file of the new repository (path relative to it) and its text."""
    policy = (
        init_files.policy_front_matter(shop) + imported.body
        if imported is not None
        else init_files.privacy_md(shop)
    )
    return {
        "mkdocs.yml": init_files.mkdocs_yml(shop),
        f"policy/{shop.document}.md": policy,
        ".gitignore": init_files.GITIGNORE,
        GITHUB_WORKFLOW: init_files.github_workflow(shop),
        GITLAB_CI: init_files.gitlab_ci(shop),
    }


def refuse_existing(folder: Path, names: list[str]) -> None:
    """PolicyError naming every file that is in the way (nothing is written then)."""
    if folder.exists() and not folder.is_dir():
        raise PolicyError(
            f"{folder} is not a folder", remedy="name a folder, new or existing, for the repository"
        )
    taken = [name for name in names if (folder / name).exists() or (folder / name).is_symlink()]
    if taken:
        raise PolicyError(
            f"{folder} already has {', '.join(taken)}: policyctl init overwrites nothing",
            remedy="move those files away, or create the repository in another folder (policyctl init DIR)",
        )


def write_files(folder: Path, files: dict[str, str]) -> None:
    """Each file, created (never replaced); PolicyError naming what could not be written."""
    written: list[str] = []
    for name, text in files.items():
        path = folder / name
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("x", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
        except OSError as error:
            raise PolicyError(
                f"cannot write {name}: {error.strerror or error}",
                file=str(path),
                remedy=f"written so far: {', '.join(written) or 'nothing'}; remove them, fix the cause and run "
                "policyctl init again",
            ) from None
        written.append(name)


# ------------------------------------------------------------------ git


def _git(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise PolicyError(
            "git is not installed", remedy="install git: policyctl reads the policies' history with it"
        ) from None


def repository_of(folder: Path) -> Path | None:
    """The top of the git repository `folder` is in (or will be in, once created), or None."""
    existing = next((f for f in (folder, *folder.parents) if f.is_dir()), None)
    if existing is None:
        return None
    found = _git(existing, "rev-parse", "--show-toplevel")
    return Path(found.stdout.strip()) if found.returncode == 0 and found.stdout.strip() else None


def first_commit(folder: Path, names: list[str]) -> str:
    """`git init` (branch main) and the first commit of `names`; its short hash."""
    steps = (
        ("init", "-q"),
        ("symbolic-ref", "HEAD", "refs/heads/main"),
        ("add", "--", *names),
        ("commit", "-q", "-m", "Policy repository (policyctl init)"),
    )
    for step in steps:
        done = _git(folder, *step)
        if done.returncode != 0:
            raise PolicyError(
                f"the files are written, but `git {step[0]}` failed: {done.stderr.strip() or done.stdout.strip()}",
                file=str(folder),
                remedy="fix that (a commit needs git's user.name and user.email), then in the folder: "
                "git add -A && git commit -m 'Policy repository'",
            )
    return _git(folder, "rev-parse", "--short", "HEAD").stdout.strip()


# ------------------------------------------------------------------ the command


def run(args: argparse.Namespace, ctx: object = None) -> int:
    """Create the repository (`ctx` is None: init needs no repository)."""
    folder: Path = args.dir.expanduser().resolve()
    imported = read_source(args.source) if args.source else None
    ask = ask_on_terminal if sys.stdin.isatty() else None
    values = gather(args, ask)
    shop = shop_from(args, values, imported)
    files = planned_files(shop, imported)
    refuse_existing(folder, list(files))
    repository = repository_of(folder)
    write_files(folder, files)
    commit = first_commit(folder, list(files)) if repository is None else None
    print(_report(folder, shop, files, imported))
    if commit is not None:
        print(f"\nFirst commit {commit} on branch main.")
    else:
        print(
            f"\n{folder} is in the git repository {repository}: nothing is committed. Commit the files "
            f"today (policy/{shop.document}.md says published {shop.published.isoformat()}):\n"
            f"  git add {' '.join(files)}\n  git commit -m 'Policy repository'"
        )
    print(_next_steps(args.dir, shop))
    return EXIT_OK


def _report(folder: Path, shop: Shop, files: dict[str, str], imported: ImportedPolicy | None) -> str:
    calendar = shop.country + (f"-{shop.subdivision}" if shop.subdivision else "")
    _, local = init_files.daily_cron(shop.timezone, shop.published.year)
    what = {
        "mkdocs.yml": f"the site and its settings: {shop.working_days} working days in {calendar} "
        f"({shop.timezone}), answer page {shop.answer_url}",
        f"policy/{shop.document}.md": f"{shop.title} 1.0, published {shop.published.isoformat()}"
        + (", imported" if imported else ": fill in the parts in [square brackets], keep the {#ids}"),
        ".gitignore": "site/ and .policy/ stay out of git",
        GITHUB_WORKFLOW: f"GitHub Actions: check on pull requests; build and deploy daily ({local})",
        GITLAB_CI: "GitLab CI: check on merge requests; build and deploy (add a daily pipeline schedule)",
    }
    width = max(len(name) for name in files)
    lines = [f"Created a policy repository in {folder}:"]
    lines += [f"  {name.ljust(width)}  {what[name]}" for name in files]
    if imported is not None:
        lines += _import_report(shop, imported)
    elif shop.language.split("-")[0] != "en":
        lines.append(f"policy/{shop.document}.md is an English template: write it in {shop.language}.")
    lines.append(
        f"CI installs {shop.package} (POLICY_PUBLISHER in both CI files): change it to where you get it."
    )
    return "\n".join(lines)


def _import_report(shop: Shop, imported: ImportedPolicy) -> list[str]:
    path = f"policy/{shop.document}.md"
    lines = []
    if imported.recognised:
        lines.append(f"\nPlain-text lines made headings in {path} (check them):")
        lines += [f"  {text}" for text in imported.recognised]
    if imported.marked:
        lines.append(
            f"\nMarked .core-rights in {path}: review them (a change to such a section is e-mailed to every "
            "registered user):"
        )
        lines += [f"  {mark.heading}   ({mark.topic})" for mark in imported.marked]
    else:
        lines.append(
            f"\nNo heading of {path} names a core-rights topic: mark those sections `.core-rights` yourself."
        )
    if imported.unmarked:
        lines.append("Not marked (add `.core-rights` if the section defines users' rights):")
        lines += [f"  {heading}" for heading in imported.unmarked]
    return lines


def _next_steps(given: Path, shop: Shop) -> str:
    where = "" if given == Path(".") else f"  cd {given}\n"
    return (
        "\nNext:\n"
        f"{where}"
        "  policyctl check                 # the rules, as CI runs them on every pull request\n"
        "  policyctl build                 # the site, into site/\n"
        "  policyctl serve --drafts        # a live preview while you edit\n"
        f'  policyctl publish {shop.document} --version 2.0 --summary "..."   # stamp a revision'
    )
