"""Personal answer links: ``<answer_url>?token=<token>``.

A token is ``<payload>.<signature>``, both URL-safe base64 without padding. The payload
is compact JSON naming the document (``d``), the version (``v``), the recipient (``u``:
the operator's user id, else :func:`user_key`'s keyed hash of the address, so no address
travels in clear nor can be confirmed by guessing), the expiry (``x``, epoch seconds) and
the recipient's locale (``l``, optional). The signature is HMAC-SHA256 over a fixed prefix
and the payload, with the secret from ``POLICYCTL_ANSWER_SECRET``; it is compared in
constant time. Both parts must be canonical (re-encoding them gives the same text), so a
link altered in any character does not count.

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
import re
import string
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
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
ADDRESS_KEY = "email-hmac:"
"""How the id of a recipient without one begins: ``email-hmac:<hex>``, the HMAC-SHA256 of
their normalised address with :func:`notify.common.secrets.address_key`. Such ids were
``email-sha256:<hex>`` before, the unkeyed SHA-256 (anyone could confirm a guessed
address): answers recorded under those stay readable under that id; none is made now."""
_ADDRESS_DOMAIN = b"policy-user-v1."


class UserKeys:
    """How answers name a recipient: their id, else the keyed hash of their address."""

    def __init__(self, key: str) -> None:
        if len(key) < MIN_SECRET:
            raise NotifyError(f"the key of the users' ids is shorter than {MIN_SECRET} characters")
        self._mac = hmac.new(key.encode("utf-8"), _ADDRESS_DOMAIN, hashlib.sha256)

    def __call__(self, recipient_id: str, address: str) -> str:
        if recipient_id:
            return recipient_id
        mac = self._mac.copy()
        mac.update(address.strip().casefold().encode("utf-8", "surrogatepass"))
        return ADDRESS_KEY + mac.hexdigest()


def user_keys() -> UserKeys:
    """The :class:`UserKeys` of the environment's key; NotifyError (exit 2) naming the
    variables when neither is set."""
    return UserKeys(secrets.address_key())


def user_key(recipient_id: str, address: str) -> str:
    """How answers name one recipient (:class:`UserKeys`, with the environment's key)."""
    return recipient_id or user_keys()(recipient_id, address)


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


_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
SIGNATURE_CHARS = len(_b64(bytes(hashlib.sha256().digest_size)))  # 43
MAX_EXPIRES = int(datetime(9998, 12, 31, tzinfo=UTC).timestamp())  # a link's expiry is before this


def _unb64(text: str) -> bytes:
    """The bytes of canonical unpadded URL-safe base64 (what `_b64` writes), else ValueError:
    no other character, no padding, no unused bits set."""
    if not _BASE64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not canonical base64")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(data) != text:
        raise ValueError("not canonical base64")
    return data


def _claim_of(data: Any) -> Claim:
    """The claim of a token's decoded payload; ValueError unless each field has its type and
    range (a signed payload is ours, but is read as strictly as any input)."""
    if not isinstance(data, dict):
        raise ValueError("not an object")
    document, version, user, locale = (data.get(k, "") for k in ("d", "v", "u", "l"))
    expires = data.get("x")
    texts = (document, version, user, locale)
    if not all(isinstance(t, str) for t in texts) or not (document and version and user):
        raise ValueError("a field is missing or not text")
    if len(user) > USER_LIMIT or isinstance(expires, bool) or not isinstance(expires, int):
        raise ValueError("a field is out of range")
    if not 0 < expires <= MAX_EXPIRES:
        raise ValueError("the expiry is out of range")
    return Claim(document, version, user, expires, locale)


class Signer:
    """Signs and checks tokens with one secret."""

    def __init__(self, secret: str) -> None:
        if len(secret) < MIN_SECRET:
            raise NotifyError(
                f"{ANSWER_SECRET_ENV} is shorter than {MIN_SECRET} characters; "
                "use a long random value, e.g. the output of `openssl rand -hex 32`"
            )
        self._key = secret.encode("utf-8")

    def short_code(self, token: str) -> str:
        """The short code of ``token`` under this secret (`code_for`): the secret stays in
        the signer, out of every repr."""
        return code_for(self._key.decode("utf-8"), token)

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
            if len(signature) != SIGNATURE_CHARS:
                raise ValueError("a signature has 43 characters")
            given = _unb64(signature)
        except (binascii.Error, ValueError):
            raise TokenError(
                "this link is damaged: open it again from your notice", reason="malformed"
            ) from None
        if not hmac.compare_digest(given, self._mac(payload)):
            raise TokenError("this link was not issued by us", reason="forged")
        try:
            claim = _claim_of(json.loads(_unb64(payload)))
        except (ValueError, binascii.Error, RecursionError):
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
    keys: UserKeys

    @classmethod
    def of(cls, revision: Revision) -> AnswerLinks | None:
        """The links of ``revision``'s notices; None when it has no answer page."""
        if not revision.answer_url:
            return None
        expires = revision.answer_expires or revision.effective + timedelta(days=DEFAULT_DAYS)
        return cls(
            signer_from_environment(),
            revision.answer_url,
            revision.document,
            revision.version,
            expires,
            user_keys(),
        )

    def token(self, recipient_id: str, address: str, locale: str = "") -> str:
        """The signed token of one recipient's link (their answer names them by it)."""
        claim = Claim(
            self.document,
            self.version,
            self.keys(recipient_id, address),
            int(self.expires.timestamp()),
            locale,
        )
        return self.signer.sign(claim)

    def link(self, recipient_id: str, address: str, locale: str = "") -> str:
        """``<answer_url>?token=<token>``: the personal link of an email or a webhook."""
        return personal_url(self.answer_url, self.token(recipient_id, address, locale))

    def short(self, recipient_id: str, address: str, locale: str = "") -> tuple[str, str, str]:
        """(short url, code, token) of the same recipient's link for a text message:
        ``<answer_url path>/<code>``, which the answer service resolves to the token once
        (code, token, document, version) is saved (:func:`notify.common.shortlinks.save_codes`;
        a code it reports held by another token must not be sent: send `link` instead)."""
        token = self.token(recipient_id, address, locale)
        code = self.signer.short_code(token)
        return short_url(self.answer_url, code), code, token


CODE_LENGTH = 10
CODE_ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase
"""The characters of a short link's code: base 62 (URL-safe, and unchanged by any SMS encoding)."""
_SHORT_DOMAIN = b"policy-short-v1."
_CODE = re.compile(f"[0-9A-Za-z]{{{CODE_LENGTH}}}")


def _base62(number: int) -> str:
    digits: list[str] = []
    while number:
        number, digit = divmod(number, 62)
        digits.append(CODE_ALPHABET[digit])
    return "".join(reversed(digits))


_DIGEST_WIDTH = len(_base62(2**256 - 1))  # the base-62 digits of the largest digest: 43


def code_for(secret: str, token: str) -> str:
    """The short code of ``token`` (:mod:`notify.common.shortlinks`): HMAC-SHA256 keyed with
    ``secret`` (the answer secret) over ``policy-short-v1.`` and the token, the digest read
    as a big-endian integer, written in base 62 zero-padded to the width of the largest
    digest (43 digits), its first `CODE_LENGTH` characters. Deterministic, so that a
    campaign run again makes the same code; unguessable without the secret."""
    digest = hmac.new(secret.encode("utf-8"), _SHORT_DOMAIN + token.encode("utf-8"), hashlib.sha256).digest()
    return _base62(int.from_bytes(digest, "big")).rjust(_DIGEST_WIDTH, "0")[:CODE_LENGTH]


def is_code(text: str) -> bool:
    """Whether ``text`` is shaped like a short code: exactly `CODE_LENGTH` base-62 characters."""
    return _CODE.fullmatch(text) is not None


def short_url(answer_url: str, code: str) -> str:
    """``<answer_url>/<code>``: the answer URL without its query or fragment, its path
    without a trailing slash (``https://a.example/`` gives ``https://a.example/<code>``).
    ValueError when ``code`` is not one (`is_code`)."""
    if not is_code(code):
        raise ValueError(f"not a short code: {code!r}")
    parts = urlsplit(answer_url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/") + "/" + code, "", ""))


def personal_url(answer_url: str, token: str) -> str:
    """``<answer_url>?token=<token>`` (``&token=`` when the URL has a query already)."""
    parts = urlsplit(answer_url)
    query = f"{parts.query}&" if parts.query else ""
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query + urlencode({"token": token}), ""))


ANSWER_API = "/api"
"""The paths of the answer service's API: ``/api/answers`` and ``/api/applies``."""


def answer_url_problem(answer_url: str) -> str | None:
    """Why ``answer_url`` cannot be the answer page, or None: a path of the API (the page
    would shadow it), one with ``{`` or ``}`` (a route pattern: a wildcard), a port that
    is not one."""
    parts = urlsplit(answer_url)
    try:
        _ = parts.port  # reading it checks it
    except ValueError:
        return f"answer_url {answer_url!r}: its port is not a number from 0 to 65535"
    path = parts.path or "/"
    if path == ANSWER_API or path.startswith(ANSWER_API + "/"):
        return (
            f"answer_url {answer_url!r}: its path {path!r} is the answer service's API "
            f"({ANSWER_API}/answers, {ANSWER_API}/applies); give the page a path of its own, "
            "e.g. /policy/answer"
        )
    if "{" in path or "}" in path:
        return (
            f"answer_url {answer_url!r}: its path {path!r} contains {{ or }}, which the service "
            "would read as a pattern matching other paths; give a plain path, e.g. /policy/answer"
        )
    return None
