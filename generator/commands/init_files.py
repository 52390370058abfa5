"""The files `policyctl init` writes into a new policy repository, as text.

They are kept here, in Python, so that they are installed with the package whatever
installs it (a wheel, `pip install .`, an editable install) and never published with a
site: unlike `site_templates/`, nothing here is a theme file. `@@NAME@@` marks a value
filled in by `render` (a YAML value is given quoted), so that the CI files keep their
`${{ ... }}` expressions and shell variables as they are.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

PYTHON_VERSION = "3.11"
BUILD_MINUTE = 5
"""The daily build runs this many minutes after midnight in the operator's time zone."""


@dataclass(frozen=True)
class Shop:
    """What the new repository is for: the values the files are made of."""

    site_name: str
    site_url: str
    answer_url: str
    language: str
    country: str
    subdivision: str | None
    timezone: str
    working_days: int
    document: str
    title: str
    published: dt.date
    package: str
    """What CI installs with pip: `policy-publisher==0.1.0`, a git URL, a wheel's URL."""


def quoted(value: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is YAML's)."""
    return json.dumps(value, ensure_ascii=False)


def render(template: str, **values: str) -> str:
    """`template` with each `@@NAME@@` replaced by values[name]."""

    def value(match: re.Match[str]) -> str:
        return values[match.group(1).lower()]

    return re.sub(r"@@([A-Z_]+)@@", value, template)


def daily_cron(timezone: str, year: int) -> tuple[str, str]:
    """A daily cron line in UTC that runs BUILD_MINUTE minutes after midnight in
    `timezone` or, under daylight saving time, an hour later (never before midnight),
    and the comment that says so."""
    zone = ZoneInfo(timezone)
    offsets = {dt.datetime(year, month, 1, tzinfo=zone).utcoffset() or dt.timedelta(0) for month in (1, 7)}
    smallest = min(offsets)
    utc = (dt.datetime(2000, 1, 2, 0, BUILD_MINUTE) - smallest).time()
    local = f"00:{BUILD_MINUTE:02d} in {timezone}"
    if len(offsets) > 1:
        local += f", 01:{BUILD_MINUTE:02d} under daylight saving time"
    return f"{utc.minute} {utc.hour} * * *", local


def mkdocs_yml(shop: Shop) -> str:
    subdivision = f"      subdivision: {quoted(shop.subdivision)}\n" if shop.subdivision else ""
    return render(
        MKDOCS_YML,
        site_name=quoted(shop.site_name),
        site_url=quoted(shop.site_url),
        answer_url=quoted(shop.answer_url),
        language=quoted(shop.language),
        country=quoted(shop.country),
        subdivision=subdivision,
        timezone=quoted(shop.timezone),
        working_days=str(shop.working_days),
    )


def policy_front_matter(shop: Shop) -> str:
    return (
        "---\n"
        f"title: {quoted(shop.title)}\n"
        'version: "1.0"\n'
        f"published: {shop.published.isoformat()}\n"
        f"summary: {quoted(f'First published version of the {shop.title}.')}\n"
        "---\n\n"
    )


def privacy_md(shop: Shop) -> str:
    calendar = shop.country + (f"-{shop.subdivision}" if shop.subdivision else "")
    return policy_front_matter(shop) + render(
        PRIVACY_MD,
        site_name=shop.site_name,
        site_url=shop.site_url,
        working_days=str(shop.working_days),
        calendar=calendar,
    )


def github_workflow(shop: Shop) -> str:
    cron, local = daily_cron(shop.timezone, shop.published.year)
    return render(
        GITHUB_WORKFLOW,
        cron=quoted(cron),
        local=local,
        package=quoted(shop.package),
        site_url=quoted(shop.site_url),
        python=quoted(PYTHON_VERSION),
    )


def gitlab_ci(shop: Shop) -> str:
    return render(
        GITLAB_CI,
        cron=f"{BUILD_MINUTE} 0 * * *",
        timezone=shop.timezone,
        package=quoted(shop.package),
        site_url=quoted(shop.site_url),
        python=PYTHON_VERSION,
    )


GITIGNORE = """\
# Written by `policyctl build` (the site) and by `policyctl build` and `notify` (.policy/:
# the build's cache, the delivery ledger, the outbox): never part of the history.
site/
.policy/
"""

MKDOCS_YML = """\
# The policy site and its settings, read by `policyctl` and by `mkdocs` (written by
# `policyctl init`). The theme's templates come with the installed policy-publisher;
# put your own overrides in a folder named by `custom_dir:` under `theme:`.
site_name: @@SITE_NAME@@
# The address where the site is deployed: feed.xml, notices.json, the sitemap and the
# e-mails to users link there, and CI reads the public record from it.
site_url: @@SITE_URL@@

# The `policy` plugin makes every page from the git history of policy/; docs_dir only
# has to exist.
docs_dir: policy

theme:
  name: material
  # No web fonts: a privacy policy page should not send visitors' addresses to a font host.
  font: false
  features:
    - announce.dismiss
    - navigation.footer

plugins:
  - search
  - policy:
      # The calendar the publicity window is counted in: a revision is shown for
      # the window's working days in `country` before it takes effect.
      country: @@COUNTRY@@
@@SUBDIVISION@@      timezone: @@TIMEZONE@@
      window: {working_days: @@WORKING_DAYS@@}
      # A document of its own period, in working days or calendar days, e.g.
      # documents: {terms: {window: {calendar_days: 30}}}
      # The language the policies are written in first, then translations (docs/editors.md).
      languages: [@@LANGUAGE@@]
      # The answer page, `policyctl answers serve`: every notice e-mailed to a user carries
      # a personal link to it (signed with $POLICYCTL_ANSWER_SECRET).
      answer_url: @@ANSWER_URL@@
"""

PRIVACY_MD = """\
This Privacy Policy explains how [the operator's legal name] ("we") processes personal
information when you use @@SITE_NAME@@.

The sections marked "core rights" define your rights over your personal information: when
a revision changes one of them, we tell every registered user by e-mail before it takes
effect.

## Who we are {#controller}

[The operator's legal name, registered address and registration number.] You can reach
us at [privacy@shop.example].

## The information we collect {#collection .core-rights}

[What you collect: the details a customer gives you (name, e-mail address, delivery
address, payment details), what is collected automatically (IP address, device and
browser, pages visited), and what you receive from others (payment providers, carriers).]

## Why we use it {#purposes .core-rights}

[Each purpose (taking and delivering orders, customer service, security, marketing with
consent, legal obligations) and the legal basis it rests on.]

## Who we share it with {#sharing .core-rights}

[Each kind of recipient (payment providers, carriers, hosting, analytics) and what they
receive. State whether you sell personal information.]

## How long and where we keep it {#storage .core-rights}

[How long each kind of information is kept, where it is stored, and how it is protected
when it is transferred to another country.]

## Your rights {#rights .core-rights}

[The rights you give customers (access, correction, deletion, objection, withdrawing
consent, complaints to a supervisory authority) and how to use them.]

## Cookies {#cookies .core-rights}

[The cookies and similar technologies the site uses, what each is for, and how to refuse
them.]

## Changes to this policy {#changes}

We publish every revision of this policy at @@SITE_URL@@ at least @@WORKING_DAYS@@ working
days before it takes effect (working days of the @@CALENDAR@@ calendar), with a summary of
what changes and a comparison with the version in force. Every earlier version stays
available there.

## Contact {#contact}

[How to contact you about this policy or your personal information.]
"""

GITHUB_WORKFLOW = """\
# The policy site's CI (written by `policyctl init`; see policy-publisher's docs/ci.md):
# - every pull request: `policyctl check` fails a revision whose window is too short, that
#   has no summary, is backdated, or edits a published text without a new version;
# - every push to main, every day just after midnight (a pending revision takes effect and
#   a scheduled one appears without anyone pushing) and by hand: check, build and deploy to
#   GitHub Pages (Settings > Pages > Source: GitHub Actions). The deployed site's
#   publication-log.jsonl is the previous public record each build appends to: run this
#   workflow by hand once, with "first deployment" ticked, to start it.
name: policy

on:
  pull_request:
  push:
    branches: [main]
  schedule:
    - cron: @@CRON@@  # @@LOCAL@@
  workflow_dispatch:
    inputs:
      first_deployment:
        description: "First deployment: nothing is published at site_url yet, start the public record"
        type: boolean
        default: false

permissions:
  contents: read

env:
  # What pip installs: policy-publisher from your package index, a git URL or a wheel's URL.
  POLICY_PUBLISHER: @@PACKAGE@@
  # site_url of mkdocs.yml: the deployed site, whose publication-log.jsonl is the record.
  SITE_URL: @@SITE_URL@@

jobs:
  check:
    if: github.event_name == 'pull_request'
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0  # policyctl reads the whole history
      - uses: actions/setup-python@v5
        with:
          python-version: @@PYTHON@@
      - run: python -m pip install "$POLICY_PUBLISHER"
      - run: policyctl check
      - run: policyctl status

  build:
    if: github.event_name != 'pull_request'
    runs-on: ubuntu-latest
    permissions:
      contents: read
      pages: write
      id-token: write
    environment:
      name: github-pages
      url: ${{ steps.deploy.outputs.page_url }}
    concurrency:
      group: pages
      cancel-in-progress: false
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: actions/setup-python@v5
        with:
          python-version: @@PYTHON@@
      - run: python -m pip install "$POLICY_PUBLISHER"
      - name: Check and build, the deployed site's log as the record
        env:
          FIRST_DEPLOYMENT: ${{ inputs.first_deployment && 'true' || 'false' }}
        run: |
          record=(--record "${SITE_URL%/}/publication-log.jsonl")
          if [ "$FIRST_DEPLOYMENT" = true ]; then
            echo "::warning::first deployment: a new public record starts"
            record=()
          fi
          policyctl check "${record[@]}"
          policyctl build --site-dir site "${record[@]}"
      - uses: actions/upload-pages-artifact@v3
        with:
          path: site
      - id: deploy
        uses: actions/deploy-pages@v4
"""

GITLAB_CI = """\
# The policy site's CI (written by `policyctl init`; see policy-publisher's docs/ci.md):
# - every merge request: `policyctl check` fails a revision whose window is too short, that
#   has no summary, is backdated, or edits a published text without a new version;
# - every push to the default branch, every day and by hand: check, build and deploy to
#   GitLab Pages. Add the daily run under Build > Pipeline schedules: "@@CRON@@", time
#   zone @@TIMEZONE@@ (a pending revision takes effect and a scheduled one appears without
#   anyone pushing). The deployed site's publication-log.jsonl is the previous public
#   record each build appends to: run the first pipeline by hand (Build > Pipelines >
#   Run pipeline) with the variable FIRST_DEPLOYMENT=true to start it.
variables:
  # What pip installs: policy-publisher from your package index, a git URL or a wheel's URL.
  POLICY_PUBLISHER: @@PACKAGE@@
  # site_url of mkdocs.yml: the deployed site, whose publication-log.jsonl is the record.
  SITE_URL: @@SITE_URL@@
  GIT_DEPTH: "0"  # policyctl reads the whole history
  FIRST_DEPLOYMENT: "false"

default:
  image: python:@@PYTHON@@  # with git, which policyctl runs
  before_script:
    - python -m pip install "$POLICY_PUBLISHER"

check:
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
  script:
    - policyctl check
    - policyctl status

pages:
  rules:
    - if: $CI_PIPELINE_SOURCE == "schedule"
    - if: $CI_PIPELINE_SOURCE == "web"
    - if: $CI_PIPELINE_SOURCE == "push" && $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
  resource_group: pages
  script:
    - |
      record="--record ${SITE_URL%/}/publication-log.jsonl"
      if [ "$FIRST_DEPLOYMENT" = true ]; then
        echo "first deployment: a new public record starts"
        record=""
      fi
      policyctl check $record
      policyctl build --site-dir public $record
  artifacts:
    paths:
      - public
"""
