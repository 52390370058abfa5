"""Personal answer links: ``<answer_url>?token=<token>``.

A token is ``<payload>.<signature>``, both URL-safe base64 without padding. The payload
is compact JSON naming the document (``d``), the version (``v``), the recipient (``u``:
the operator's user id, else ``email-sha256:<hex>`` of the normalised address, so no
address travels in clear), the expiry (``x``, epoch seconds) and the recipient's locale
(``l``, optional). The signature is HMAC-SHA256 over a fixed prefix and the payload,
with the secret from ``POLICYCTL_ANSWER_SECRET``; it is compared in constant time.

The token is signed, not encrypted: whoever holds the link reads which document,
version and user id it names. It is also the form's CSRF token: a POST counts only with
a valid token, and a token only ever reaches its recipient.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode, urlsplit, urlunsplit

from notify.common import secrets
from notify.common.errors import NotifyError
from notify.common.secrets import ANSWER_SECRET_ENV
from notify.contract.revision import Revision

_DOMAIN = b"policy-answer-v1."
MAX_TOKEN = 2048  # characters; anything longer is not one of ours
MIN_SECRET = 16  # characters


class TokenError(NotifyError):
    """A token that does not count: missing, malformed, forged or expired."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason  # "missing", "malformed", "forged", "expired"


USER_LIMIT = 200  # characters of a user id (answers name users by it)


def user_key(recipient_id: str, address: str) -> str:
    """How answers name a recipient: their id, else a hash of the normalised address."""
    if recipient_id:
        return recipient_id
    return "email-sha256:" + hashlib.sha256(address.strip().casefold().encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Claim:
    """What a valid token says."""

    document: str
    version: str
    user: str
    expires: int  # epoch seconds
    locale: str = ""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    """Signs and checks tokens with one secret."""

    def __init__(self, secret: str) -> None:
        if len(secret) < MIN_SECRET:
            raise NotifyError(
                f"{ANSWER_SECRET_ENV} is shorter than {MIN_SECRET} characters; "
                "use a long random value, e.g. the output of `openssl rand -hex 32`"
            )
        self._key = secret.encode("utf-8")

    def _mac(self, payload: str) -> bytes:
        return hmac.new(self._key, _DOMAIN + payload.encode("ascii"), hashlib.sha256).digest()

    def sign(self, claim: Claim) -> str:
        data = {"d": claim.document, "v": claim.version, "u": claim.user, "x": int(claim.expires)}
        if claim.locale:
            data["l"] = claim.locale
        payload = _b64(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
        return f"{payload}.{_b64(self._mac(payload))}"

    def check(self, token: str | None, now: float) -> Claim:
        """The claim of a valid token; TokenError (with its reason) otherwise."""
        if not token:
            raise TokenError("no token: open the personal link from your notice", reason="missing")
        if len(token) > MAX_TOKEN or token.count(".") != 1 or not token.isascii():
            raise TokenError("this link is damaged: open it again from your notice", reason="malformed")
        payload, _, signature = token.partition(".")
        try:
            given = _unb64(signature)
        except (binascii.Error, ValueError):
            raise TokenError(
                "this link is damaged: open it again from your notice", reason="malformed"
            ) from None
        if not hmac.compare_digest(given, self._mac(payload)):
            raise TokenError("this link was not issued by us", reason="forged")
        try:
            data = json.loads(_unb64(payload))
            claim = Claim(
                document=str(data["d"]),
                version=str(data["v"]),
                user=str(data["u"]),
                expires=int(data["x"]),
                locale=str(data.get("l") or ""),
            )
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise TokenError(
                "this link is damaged: open it again from your notice", reason="malformed"
            ) from None
        if now >= claim.expires:
            raise TokenError("this link has expired", reason="expired")
        return claim


DEFAULT_DAYS = 90  # a link works until this many days after the revision takes effect


def signer_from_environment() -> Signer:
    """The signer of ``POLICYCTL_ANSWER_SECRET``; NotifyError (exit 2) when it is not set."""
    return Signer(secrets.answer_secret())


@dataclass(frozen=True)
class AnswerLinks:
    """The personal links of one revision's notices."""

    signer: Signer
    answer_url: str
    document: str
    version: str
    expires: datetime

    @classmethod
    def of(cls, revision: Revision) -> AnswerLinks | None:
        """The links of ``revision``'s notices; None when it has no answer page."""
        if not revision.answer_url:
            return None
        expires = revision.answer_expires or revision.effective + timedelta(days=DEFAULT_DAYS)
        return cls(
            signer_from_environment(), revision.answer_url, revision.document, revision.version, expires
        )

    def link(self, recipient_id: str, address: str, locale: str = "") -> str:
        claim = Claim(
            self.document,
            self.version,
            user_key(recipient_id, address),
            int(self.expires.timestamp()),
            locale,
        )
        return personal_url(self.answer_url, self.signer.sign(claim))


def personal_url(answer_url: str, token: str) -> str:
    """``<answer_url>?token=<token>`` (``&token=`` when the URL has a query already)."""
    parts = urlsplit(answer_url)
    query = f"{parts.query}&" if parts.query else ""
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query + urlencode({"token": token}), ""))
