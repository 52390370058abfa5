"""The HTTP client of the channels that POST (the webhook, the SMS providers): one
keep-alive connection per session, no redirect followed (a signed body goes only where
the operator said), no proxy, netrc or cookie from the environment or the receiver,
and answers read to their end within a bound."""

from __future__ import annotations

import ssl
from http.cookiejar import CookieJar, DefaultCookiePolicy
from urllib.parse import SplitResult, urlsplit

import httpx

from notify.common.errors import NotifyError
from notify.common.network import is_loopback

CONNECT_TIMEOUT = 10.0  # seconds; every phase is also bounded by the message's deadline
MAX_BODY = 1 << 20  # bytes of a response read to keep the connection; beyond, it is closed


def post_url(url: str, flag: str, *, allow_insecure: bool, secret: str, others: str = "") -> SplitResult:
    """The parts of the URL a channel POSTs to, checked: http(s) with a host, plain http
    only to loopback (or with --allow-insecure), no credentials in it (``secret`` names
    where they go); NotifyError naming ``flag`` otherwise. ``others``: the other kinds of
    URL the flag takes, for the message."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise NotifyError(f"{flag} {url!r}: give an http:// or https:// URL{others}")
    if parts.scheme == "http" and not is_loopback(parts.hostname) and not allow_insecure:
        raise NotifyError(
            f"{flag} {url!r}: plain HTTP to a host that is not loopback; use https:// or --allow-insecure"
        )
    if parts.username or parts.password:
        raise NotifyError(f"{flag}: do not put credentials in the URL; use {secret}")
    return parts


def new_client(verify: ssl.SSLContext | bool) -> httpx.AsyncClient:
    """A client of one connection, kept alive (``verify``: False for plain http://)."""
    return httpx.AsyncClient(
        verify=verify,
        follow_redirects=False,
        trust_env=False,
        cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
        limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
    )


def timeouts(seconds: float) -> httpx.Timeout:
    """Every phase within ``seconds``, the connection within CONNECT_TIMEOUT too."""
    return httpx.Timeout(seconds, connect=min(CONNECT_TIMEOUT, seconds))


async def read_body(response: httpx.Response, keep: int) -> bytes:
    """Read the body to its end (the connection is then clean for the next request) and
    return its first ``keep`` bytes. A body longer than MAX_BODY is not read further:
    leaving the stream unfinished makes httpx close the connection instead."""
    kept = bytearray()
    async for chunk in response.aiter_raw():
        if len(kept) < keep:
            kept += chunk[: keep - len(kept)]
        if response.num_bytes_downloaded > MAX_BODY:
            break
    return bytes(kept)
