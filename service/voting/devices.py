"""Who a guess is counted against: the device, named for the guessing budget
(:mod:`service.voting.guesses`) and stored only as a keyed hash.

- a ballot tablet: its enrolment (``tablet:<random id>``), whatever network it shares;
- the kept ballots a tablet delivers after being offline: ``kept:<random id>``, a budget
  apart from the tablet's live code checks;
- anyone else: the client address (``address:<host>``) as uvicorn gives it, which honours
  ``X-Forwarded-For`` only from the proxies named in ``trusted_proxies``
  (:mod:`service.settings`). An IPv6 client counts with its whole /64 network, which one
  household or one attacker usually holds entirely.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
from typing import Final

_PURPOSE: Final = b"redbench guessing device\n"


def tablet(tablet_id: str) -> str:
    return f"tablet:{tablet_id}"


def kept(tablet_id: str) -> str:
    return f"kept:{tablet_id}"


def address(host: str) -> str:
    return f"address:{host}"


def is_kept(device: str) -> bool:
    """Whether ``device`` is a tablet's kept-ballot deliveries (a budget of their own)."""
    return device.startswith("kept:")


def _network(host: str) -> str:
    """The address a budget belongs to: an IPv4 address, or an IPv6 address's /64."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host[:100]  # not an address (a test client, a unix socket): as it is
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


@functools.lru_cache(maxsize=4096)
def device_key(secret_key: str, device: str) -> str:
    """The device as stored: a keyed BLAKE2b hash (32 hex digits) under the server's secret,
    so the database holds no address and no tablet id. Remembered for the devices seen
    lately: while some device is locked out, every cast asks for its own."""
    kind, _, name = device.partition(":")
    if kind == "address":
        name = _network(name)
    key = hashlib.sha256(_PURPOSE + secret_key.encode()).digest()
    return hashlib.blake2b(f"{kind}:{name}".encode(), key=key, digest_size=16).hexdigest()
