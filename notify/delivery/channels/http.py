"""The HTTP client of the channels that POST (the webhook, the SMS providers): one
keep-alive connection per session, no redirect followed (a signed body goes only where
the operator said), no proxy, netrc or cookie from the environment or the receiver,
and answers read to their end within a bound."""

from __future__ import annotations

import ssl
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx

CONNECT_TIMEOUT = 10.0  # seconds; every phase is also bounded by the message's deadline
MAX_BODY = 1 << 20  # bytes of a response read to keep the connection; beyond, it is closed


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
