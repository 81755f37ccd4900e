"""The client's address and scheme behind reverse proxies, believed only from the proxies themselves.

X-Forwarded-For and X-Forwarded-Proto are plain request headers: anyone can send them. A proxy
(nginx with `$proxy_add_x_forwarded_for`) appends the address it saw to X-Forwarded-For, so the
entries it added are the rightmost ones. Werkzeug's ProxyFix takes the Nth entry from the right
whoever sent the request; if the app can also be reached directly, every new invented
X-Forwarded-For is a new "client" and escapes the per-address rate limits. Here the headers are
used only while the address in hand is one of the configured proxies (server.proxy_addresses),
for at most server.trusted_proxies steps.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(addresses: Iterable[str]) -> tuple[Network, ...]:
    """Parse configured addresses or networks ("127.0.0.1", "10.0.0.0/8", "::1")."""
    return tuple(ipaddress.ip_network(address, strict=False) for address in addresses)


def is_proxy(address: str, proxies: tuple[Network, ...]) -> bool:
    """Whether an address (as a peer or an X-Forwarded-For entry) is one of the proxies."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in proxies)


def client_address(peer: str, forwarded_for: str, hops: int, proxies: tuple[Network, ...]) -> str:
    """Walk X-Forwarded-For from the right while the address in hand is a proxy, at most `hops` steps."""
    entries = [entry.strip() for entry in forwarded_for.split(",") if entry.strip()]
    address = peer
    for _ in range(hops):
        if not entries or not is_proxy(address, proxies):
            break
        address = entries.pop()
    return address


def client_scheme(peer: str, scheme: str, forwarded_proto: str, proxies: tuple[Network, ...]) -> str:
    """http or https as the client used it: the nearest proxy's X-Forwarded-Proto, from a proxy only."""
    values = [value.strip().lower() for value in forwarded_proto.split(",") if value.strip()]
    if values and values[-1] in ("http", "https") and is_proxy(peer, proxies):
        return values[-1]
    return scheme


class TrustedProxies:
    """WSGI middleware: REMOTE_ADDR and wsgi.url_scheme as the client had them, when a proxy says so."""

    def __init__(self, app: WSGIApplication, hops: int, addresses: Iterable[str]) -> None:
        self.app, self.hops, self.proxies = app, hops, networks(addresses)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Any:
        peer = environ.get("REMOTE_ADDR", "")
        environ["REMOTE_ADDR"] = client_address(peer, environ.get("HTTP_X_FORWARDED_FOR", ""), self.hops,
                                                self.proxies)
        environ["wsgi.url_scheme"] = client_scheme(peer, environ.get("wsgi.url_scheme", "http"),
                                                   environ.get("HTTP_X_FORWARDED_PROTO", ""), self.proxies)
        return self.app(environ, start_response)
