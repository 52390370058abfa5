"""The delivery ledger as `check` and `build` read it: when each revision was first
notified, and the texts it announced (exit 2 when the ledger cannot be read)."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from generator.core.announced import announced_text_violations
from generator.core.errors import PolicyError, Violation
from generator.core.history import History
from generator.settings import PRIVATE_FOLDER

DEFAULT_LEDGER = f"sqlite:///<repo>/{PRIVATE_FOLDER}/ledger.sqlite3"
"""Where `policyctl notify` keeps its ledger unless told otherwise, as help texts say it."""


def add_ledger_argument(
    parser: argparse.ArgumentParser, purpose: str = "SQLAlchemy URL of the ledger", *, if_there: bool = False
) -> None:
    """`--ledger URL`, with the default every command shares (`if_there`: only read when
    that file exists)."""
    default = f"{DEFAULT_LEDGER} when it exists" if if_there else DEFAULT_LEDGER
    parser.add_argument("--ledger", metavar="URL", help=f"{purpose} (default: {default})")


def default_ledger(repo: Path) -> str | None:
    """The ledger `policyctl notify` writes by default, when the repository has one."""
    from notify.common.resources import default_path, default_url

    return default_url(repo) if default_path(repo).is_file() else None


def ledger_url(given: str | None, repo: Path) -> str:
    """The ledger `--ledger` names, else the one `policyctl notify` writes by default."""
    from notify.common.resources import default_url

    return given or default_url(repo)


def read_first_notices(url: str) -> dict[str, dict[str, dt.datetime]]:
    """When each revision was first notified, from the delivery ledger (exit 2 when it
    cannot be read)."""
    from notify.delivery.ledger.ledger import notified_versions

    return _from_ledger(url, notified_versions)


def ledger_text_violations(ledger_url: str, history: History) -> list[Violation]:
    """The notified texts the history holds with other words (rule notified-text-changed):
    the sha256 of each text the ledger at `ledger_url` recorded as announced, per
    language, against the history's. PolicyError (exit 2) when the ledger cannot be
    read; none when there is no ledger there yet."""
    from notify.delivery.ledger.ledger import announced_texts

    return announced_text_violations(history, _from_ledger(ledger_url, announced_texts), history.languages[0])


_T = TypeVar("_T")


def _from_ledger(url: str, read: Callable[[str], _T]) -> _T:
    """What `read` finds in the delivery ledger at `url` (exit 2 when it cannot be read)."""
    from notify.common.errors import NotifyError
    from notify.common.redaction import redact

    try:
        return read(url)
    except NotifyError as error:
        raise PolicyError(str(error), remedy="pass --ledger the ledger `policyctl notify` wrote to") from None
    except Exception as error:  # a database the driver cannot open or query
        raise PolicyError(
            f"cannot read the ledger {redact(url)}: {error.__class__.__name__}",
            remedy="check the URL and that the database is reachable",
        ) from None
