"""Which hosts are this machine: plain connections (SMTP without TLS, a webhook over http)
are allowed to them without ``--allow-insecure``."""

from __future__ import annotations

import ipaddress


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
