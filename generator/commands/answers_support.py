"""What `policyctl answers`, `applies` and `notify` share about users' answers (a support
module, not a command: commands do not import each other)."""

from __future__ import annotations

from generator.core.errors import SettingsError


def answer_secret(remedy: str | None = None) -> str:
    """The secret of the personal answer links (`notify.common.secrets.answer_secret`, the
    one check); SettingsError (exit 2) with its message, and `remedy`, when it is not set."""
    from notify.common.errors import NotifyError
    from notify.common.secrets import answer_secret

    try:
        return answer_secret()
    except NotifyError as error:
        raise SettingsError(str(error), remedy=remedy) from None
