"""The address a request comes from, the one rule used by the log-in lockout and the API's throttle.

A client can put anything in `X-Forwarded-For`; only a proxy we run may vouch for it. So the header is read
only when the connection itself comes from an address in KEYPROJECTS_TRUSTED_PROXIES, and then from the
right: the nearest hop not itself a trusted proxy is the client (entries further left were written by the
client and prove nothing).
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _address(value: str) -> str | None:
    """The address in canonical form, or None if it is not one."""
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str:
    """The client's IP address: REMOTE_ADDR, or what a trusted proxy forwarded. Empty if unknown."""
    peer = _address(request.META.get("REMOTE_ADDR", "")) or ""
    trusted = {_address(proxy) for proxy in settings.KEYPROJECTS_TRUSTED_PROXIES} - {None}
    if peer not in trusted:
        return peer
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for hop in reversed(forwarded.split(",")):
        address = _address(hop)
        if address is None:
            return peer  # a garbled header: trust none of it rather than a part
        if address not in trusted:
            return address
    return peer
