"""Client address and scheme behind proxies: the forwarded headers count only when a proxy sent them."""

from __future__ import annotations

import pytest

from app.web.proxy import client_address, client_scheme, networks

PROXIES = networks(["127.0.0.1", "10.0.0.0/8"])


@pytest.mark.parametrize(("peer", "forwarded_for", "hops", "client"), [
    ("127.0.0.1", "198.51.100.7", 1, "198.51.100.7"),                 # nginx on the same host
    ("127.0.0.1", "1.2.3.4, 198.51.100.7", 1, "198.51.100.7"),        # the client's own header is ignored
    ("203.0.113.9", "198.51.100.7", 1, "203.0.113.9"),                # reached directly: its own address
    ("203.0.113.9", "", 1, "203.0.113.9"),
    ("127.0.0.1", "", 1, "127.0.0.1"),                                 # the proxy itself (a health check)
    ("127.0.0.1", "198.51.100.7, 10.1.2.3", 2, "198.51.100.7"),        # load balancer, then nginx
    ("127.0.0.1", "198.51.100.7, 203.0.113.5", 2, "203.0.113.5"),      # the second hop is not a proxy: stop
    ("127.0.0.1", "198.51.100.7", 0, "127.0.0.1"),                     # no proxies configured
    ("127.0.0.1", " , 198.51.100.7 ,", 1, "198.51.100.7"),
    ("not-an-ip", "198.51.100.7", 1, "not-an-ip"),
])
def test_the_client_address(peer: str, forwarded_for: str, hops: int, client: str) -> None:
    assert client_address(peer, forwarded_for, hops, PROXIES) == client


@pytest.mark.parametrize(("peer", "forwarded_proto", "scheme"), [
    ("127.0.0.1", "https", "https"),
    ("127.0.0.1", "http, https", "https"),   # the nearest proxy's value
    ("127.0.0.1", "", "http"),
    ("127.0.0.1", "gopher", "http"),
    ("203.0.113.9", "https", "http"),       # not from a proxy: the connection's own scheme
])
def test_the_client_scheme(peer: str, forwarded_proto: str, scheme: str) -> None:
    assert client_scheme(peer, "http", forwarded_proto, PROXIES) == scheme
