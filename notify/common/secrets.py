"""Every secret notify reads, each from its own environment variable, read here only.

Secrets never come from files in the repository nor from command lines that other users
of the machine can read: the operator exports them in the environment of the command
that needs them.
"""

from __future__ import annotations

import os

from notify.common.errors import NotifyError

ANSWER_SECRET_ENV = "POLICYCTL_ANSWER_SECRET"
"""Signs and checks the personal answer links (`policyctl notify`, `policyctl answers serve`)."""
ADDRESS_KEY_ENV = "POLICYCTL_ADDRESS_KEY"
"""Keys the hash that names a recipient without an id (``email-hmac:<hex>``); unset: the
answer secret does."""
ANSWER_API_KEY_ENV = "POLICYCTL_ANSWER_API_KEY"
"""The Bearer key of the answer service's API (`/api/answers`, `/api/applies`)."""
WEBHOOK_SECRET_ENV = "POLICYCTL_WEBHOOK_SECRET"
"""Signs the webhook channel's requests (HMAC), unless `--webhook-secret` gives it."""
SMTP_PASSWORD_ENV = "POLICYCTL_SMTP_PASSWORD"
"""The password of the user named in `--smtp`."""
SMS_TOKEN_ENV = "POLICYCTL_SMS_TOKEN"
"""The token of the SMS provider named by `--sms` (for Twilio, the Auth Token of the
account SID in the URL)."""
SMS_SECRET_ENV = "POLICYCTL_SMS_SECRET"
"""The secret that signs the requests of the SMS provider named by `--sms` (for Alibaba
Cloud, the AccessKey secret of the AccessKey ID in the URL): it is never sent."""


def read(name: str) -> str | None:
    """The value of the secret ``name`` (one of the names above), None when unset or empty."""
    return os.environ.get(name) or None


def answer_secret() -> str:
    """The secret of the personal answer links (``POLICYCTL_ANSWER_SECRET``), the one check
    that it is there: NotifyError naming the variable and what to do when it is not set."""
    secret = read(ANSWER_SECRET_ENV)
    if secret is None:
        raise NotifyError(
            f"{ANSWER_SECRET_ENV} is not set: `policyctl notify` signs the personal answer links "
            "(answer_url) with it and `policyctl answers serve` checks them with it. Export a long "
            "random value (e.g. the output of `openssl rand -hex 32`) in the environment of both, "
            "the same for both"
        )
    return secret


def address_key() -> str:
    """The key of the hash that names a recipient without an id: ``POLICYCTL_ADDRESS_KEY``,
    else ``POLICYCTL_ANSWER_SECRET``; NotifyError naming both when neither is set."""
    key = read(ADDRESS_KEY_ENV) or read(ANSWER_SECRET_ENV)
    if key is None:
        raise NotifyError(
            f"{ANSWER_SECRET_ENV} is not set: a user without an id is named by a keyed hash of their "
            f"address, keyed with {ADDRESS_KEY_ENV} or else {ANSWER_SECRET_ENV}. Export the same value "
            "as for `policyctl notify` and `policyctl answers serve`"
        )
    return key
