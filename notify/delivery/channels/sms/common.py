"""What the Twilio and Alibaba Cloud providers share: reading their ``--sms`` URL, and
turning a provider's answer into a reply for the ledger that holds no phone number.

A provider URL names the provider by its scheme (``twilio://``, ``aliyun://``) and the
account by its user part; the secret is never in it (the environment holds it, see
:mod:`notify.common.secrets`). Requests go over HTTPS, except to a loopback host (a test
server, a local relay), which is spoken to in plain HTTP like the webhook channel does.
``<scheme>+http://`` asks for plain HTTP to another host, which ``--allow-insecure``
must allow.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote, urlsplit

from notify.common.errors import NotifyError
from notify.common.network import is_loopback
from notify.delivery.channels.sms.provider import SETTING

USER_AGENT = "policy-publisher-notify"
REPLY_CHARS = 200  # of a provider's message kept in the ledger's last reply
PLAIN_HTTP = "+http"  # the scheme's suffix that asks for plain HTTP to a host not loopback

# A phone number as providers echo it: E.164 ("+8613800138000", maybe spaced or dashed)
# or bare digits ("8613800138000", "13800138000"). Seven digits or more in a row: shorter
# runs (error codes, dates, counts) stay readable.
_NUMBER = re.compile(r"\+\d[\d ().-]{5,}\d|\d{7,}")


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where a provider's requests go and what its ``--sms`` URL says, checked."""

    base: str
    """``https://host[:port]``, or ``http://host:port`` to a loopback host."""
    host: str
    """The host (and port, when given) alone: for descriptions."""
    insecure: bool
    user: str
    """The URL's user part, decoded: the account (Twilio's SID, Alibaba Cloud's AccessKey ID)."""
    query: dict[str, str] = field(default_factory=dict)
    """The URL's parameters, decoded, each given once, each one the provider knows."""


def endpoint(
    url: str, scheme: str, *, allow_insecure: bool, known: frozenset[str], secret_env: str
) -> Endpoint:
    """Read a provider URL of ``scheme`` (or ``scheme+http``): NotifyError naming ``--sms``
    and what to write for anything the provider cannot use. A password in the URL is
    refused without echoing the URL, since it is the secret."""
    parts = urlsplit(url)
    if parts.password is not None:
        raise NotifyError(f"{SETTING}: do not put the secret in the URL; export {secret_env} instead")
    if parts.scheme not in (scheme, scheme + PLAIN_HTTP):
        raise NotifyError(f"{SETTING} {url!r}: this provider's URL starts with {scheme}://")
    if not parts.hostname:
        raise NotifyError(f"{SETTING} {url!r}: name the provider's host after the '@'")
    if parts.path not in ("", "/") or parts.fragment:
        raise NotifyError(
            f"{SETTING} {url!r}: a {scheme}:// URL has no path; write {scheme}://ACCOUNT@HOST?..."
        )
    try:
        _ = parts.port  # urlsplit checks the port only when it is read
    except ValueError:
        raise NotifyError(f"{SETTING} {url!r}: the port is not a number from 0 to 65535") from None
    netloc = parts.netloc.rpartition("@")[2]
    plain = parts.scheme.endswith(PLAIN_HTTP) or is_loopback(parts.hostname)
    if plain and not is_loopback(parts.hostname) and not allow_insecure:
        raise NotifyError(
            f"{SETTING} {url!r}: plain HTTP to a host that is not loopback; write {scheme}:// (HTTPS) "
            "or add --allow-insecure"
        )
    return Endpoint(
        base=f"{'http' if plain else 'https'}://{netloc}",
        host=netloc,
        insecure=plain,
        user=unquote(parts.username or ""),
        query=_query(url, parts.query, known),
    )


def _query(url: str, query: str, known: frozenset[str]) -> dict[str, str]:
    """The parameters of a provider URL. A '+' stays a '+' (``from=+15005550006`` is a
    number, not a space as HTML forms would read it); ``%XX`` escapes are UTF-8."""
    values: dict[str, str] = {}
    for piece in filter(None, query.split("&")):
        name, _, value = piece.partition("=")
        name = unquote(name)
        if name not in known:
            raise NotifyError(
                f"{SETTING} {url!r}: unknown parameter {name!r}; the parameters are "
                + ", ".join(sorted(known))
            )
        if name in values:
            raise NotifyError(f"{SETTING} {url!r}: {name}= is given twice")
        values[name] = unquote(value).strip()
    return values


def redact(text: str) -> str:
    """``text`` as one line for the ledger, without any phone number in it, cut to
    :data:`REPLY_CHARS`: providers quote the number they refused in their messages
    (Twilio: "The 'To' number +15005550001 is not a valid phone number")."""
    line = _NUMBER.sub("[number]", " ".join(text.split()))
    return line if len(line) <= REPLY_CHARS else line[: REPLY_CHARS - 1] + "…"


def status_line(status: int) -> str:
    """``HTTP 201 Created``: the status with its reason (the providers' own phrases are
    not in the answer the channel hands over)."""
    try:
        return f"HTTP {status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def json_object(body: bytes) -> dict[str, Any]:
    """The answer's JSON object, or {} when the body is not one (an HTML error page of a
    proxy, an empty body): the caller then goes by the status alone."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
