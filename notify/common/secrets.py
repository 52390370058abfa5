"""Every secret notify reads, each from its own environment variable, read here only.

Secrets never come from files in the repository nor from command lines that other users
of the machine can read: the operator exports them in the environment of the command
that needs them.
"""

from __future__ import annotations

import os

ANSWER_SECRET_ENV = "POLICYCTL_ANSWER_SECRET"
"""Signs and checks the personal answer links (`policyctl notify`, `policyctl answers serve`)."""
ANSWER_API_KEY_ENV = "POLICYCTL_ANSWER_API_KEY"
"""The Bearer key of the answer service's API (`/api/answers`, `/api/applies`)."""
WEBHOOK_SECRET_ENV = "POLICYCTL_WEBHOOK_SECRET"
"""Signs the webhook channel's requests (HMAC), unless `--webhook-secret` gives it."""
SMTP_PASSWORD_ENV = "POLICYCTL_SMTP_PASSWORD"
"""The password of the user named in `--smtp`."""


def read(name: str) -> str | None:
    """The value of the secret ``name`` (one of the names above), None when unset or empty."""
    return os.environ.get(name) or None
