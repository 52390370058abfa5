"""Database URLs as messages show them: the password replaced by ``***``.

Plain text work, no SQLAlchemy: the recipients reader's child process
(:mod:`notify.delivery.recipients.sqlsource`) reports errors with it before, or without, importing
SQLAlchemy, and a URL SQLAlchemy cannot parse is still redacted.
"""

from __future__ import annotations

import re

# scheme://username:password@ read the way SQLAlchemy reads it (sqlalchemy.engine.url):
# the username has no ':' or '/', the password runs to the first '@'.
_CREDENTIALS = re.compile(r"(?P<head>[A-Za-z][\w+.-]*://[^:/]*:)[^@]*@")
_HOST_END = re.compile(r"[/?]")
# psycopg and other drivers also take the password as a query parameter.
_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&#]*", re.IGNORECASE)


def redact(url: str) -> str:
    """``url`` with its password hidden, e.g. ``postgresql+psycopg://user:***@host/db``."""
    match = _CREDENTIALS.search(url)
    if match is not None:
        at = match.end() - 1
        # With an unescaped '@' in the password SQLAlchemy ends the password at the first
        # '@' and reads the rest of it as part of the host name. No host name holds an '@':
        # hide everything up to the last '@' before the host name ends.
        host_end = _HOST_END.search(url, at)
        at = url.rfind("@", at, host_end.start() if host_end else len(url))
        url = f"{url[: match.start()]}{match['head']}***{url[at:]}"
    return _QUERY_PASSWORD.sub(r"\1***", url)
