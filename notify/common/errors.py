"""The error types of the notify package: the command line turns them into exit 2."""

from __future__ import annotations


class NotifyError(Exception):
    """Bad usage or unusable input; the message names the file/record and what to do."""


class ConfigurationError(NotifyError):
    """A fault of the operator's settings, not of one recipient: the campaign halts.

    A channel raises it from its send path when the answer says every recipient would
    fail the same way (SMTP: refused at connect or greeting, authentication required or
    refused, 5xx to MAIL FROM; webhook: 3xx, 401, 403, 404, 405, 410). The campaign
    stops, leaves the rows pending (never failed) and exits 2 with a message naming
    ``setting``, so the same command after the fix reaches everyone.

    ``setting`` is the command-line option to fix, e.g. ``"--from"``, ``"--smtp"``,
    ``"--webhook"``. ``str(error)`` is the message (what the server said and what to
    check); the campaign adds the setting and the rerun advice. It must not contain a
    recipient's address.
    """

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(message)
        self.setting = setting


class AuthenticationFailed(ConfigurationError):
    """The SMTP server rejected our credentials; nothing more is attempted."""

    def __init__(self, message: str, setting: str = "--smtp") -> None:
        super().__init__(setting, message)


class Paused(NotifyError):
    """A channel may not send now (a text in the operator's quiet hours): the campaign
    starts no further message, leaves the rest pending and ends with exit 1, not as an
    error; the same command run later sends them. ``str(error)`` says why and until when."""
