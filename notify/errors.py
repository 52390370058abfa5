"""The one error type of the notify package: the command line turns it into exit 2."""

from __future__ import annotations


class NotifyError(Exception):
    """Bad usage or unusable input; the message names the file/record and what to do."""


class AuthenticationFailed(NotifyError):
    """The SMTP server rejected our credentials; nothing more is attempted."""
