"""Where the app may send a store's API key: https to public addresses only (no SSRF).

Operators type a store's URL, so every request to it is a request to an
address a tenant chose. The check cannot be made once when the URL is saved:
a name can resolve to a public address then and to 127.0.0.1 or the cloud
metadata service later (DNS rebinding). So the transport adapter below
resolves the host itself at connect time, on every new connection, refuses
the host if ANY of its addresses is not public, and connects to the checked
address while keeping the URL's host for TLS (SNI, certificate) and `Host`.

`allow_private=True` (the `ALLOW_PRIVATE_STORE_URLS` development setting) lets
http and loopback/private stores through: the demo and the sample store run
on loopback.

No well-kept library does this for requests + urllib3 2 (`advocate`, the
usual answer, stopped in 2020 and predates urllib3 2), hence this small module.
"""
from __future__ import annotations

import ipaddress
import socket
from typing import Callable, Iterable
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util import connection

from .errors import MoulinError

# (host, port) -> getaddrinfo-shaped rows; tests give their own, so no test needs a real DNS.
Resolver = Callable[[str, int], Iterable[tuple]]

NAT64 = ipaddress.ip_network("64:ff9b::/96")
TEREDO = ipaddress.ip_network("2001::/32")


class StoreAddressRefused(MoulinError):
    """The store's URL points where the app never sends requests (http, private, loopback, metadata...)."""


def system_resolver(host: str, port: int) -> Iterable[tuple]:
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped ::ffff:a.b.c.d, 6to4, NAT64), which is where it goes."""
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip.sixtofour:
        return ip.sixtofour
    if ip in NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def refusal(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why a store may not live at this address, or None when it may (a public unicast address)."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in TEREDO:  # the client address inside is obfuscated: nothing to check
            return "a Teredo tunnel address"
        inner = _embedded_ipv4(ip)
        if inner is not None:
            return refusal(inner)
    if ip.is_multicast:
        return "a multicast address"
    # `is_global` is False for private, loopback, link-local (169.254.169.254: cloud metadata),
    # CGNAT (100.64/10), unspecified, reserved and documentation ranges.
    if not ip.is_global:
        return "a private, loopback, link-local or reserved address"
    return None


def check_store_url(url: str, *, allow_private: bool) -> None:
    """Refuse, with a message naming the problem, a URL the app will not call (scheme and literal address)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise StoreAddressRefused("api_url: an https URL is needed")
    if allow_private:
        return
    if parts.scheme != "https":
        raise StoreAddressRefused("api_url: the store's API must be reached over https")
    try:
        literal = ipaddress.ip_address(parts.hostname)
    except ValueError:
        return  # a name: checked at connect time, where it counts
    why = refusal(literal)
    if why:
        raise StoreAddressRefused(f"api_url: {parts.hostname} is {why}; a store must be on a public address")


class AddressPolicy:
    """Resolves a store's host once per connection and returns only addresses it may connect to."""

    def __init__(self, allow_private: bool, resolver: Resolver = system_resolver):
        self.allow_private = allow_private
        self.resolver = resolver

    def addresses(self, host: str, port: int) -> list[str]:
        try:
            candidates = [ipaddress.ip_address(host)]
        except ValueError:
            try:
                rows = list(self.resolver(host, port))
            except (socket.gaierror, UnicodeError):
                raise StoreAddressRefused(f"the store's host {host} does not resolve") from None
            candidates = [ipaddress.ip_address(row[4][0].split("%")[0]) for row in rows]
        if not candidates:
            raise StoreAddressRefused(f"the store's host {host} does not resolve")
        if not self.allow_private:
            for ip in candidates:
                why = refusal(ip)
                if why:  # one bad answer is enough: an attacker controls which one a client would pick
                    raise StoreAddressRefused(f"the store's host {host} resolves to {why}; refused")
        return [str(ip) for ip in candidates]


class _GuardedConnection:
    """Mixin for urllib3 connections: connect to a checked address; TLS and Host still use `self.host`."""

    policy: AddressPolicy

    def _new_conn(self) -> socket.socket:
        last_error: OSError | None = None
        for address in self.policy.addresses(self._dns_host, self.port):
            try:
                return connection.create_connection((address, self.port), self.timeout,
                                                    source_address=self.source_address,
                                                    socket_options=self.socket_options)
            except socket.timeout as error:
                raise ConnectTimeoutError(self, f"Connection to {self.host} timed out") from error
            except OSError as error:
                last_error = error
        raise NewConnectionError(self, f"Failed to establish a new connection: {last_error}")


def _pool_classes(policy: AddressPolicy) -> dict:
    http_conn = type("GuardedHTTPConnection", (_GuardedConnection, HTTPConnection), {"policy": policy})
    https_conn = type("GuardedHTTPSConnection", (_GuardedConnection, HTTPSConnection), {"policy": policy})
    return {"http": type("GuardedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http_conn}),
            "https": type("GuardedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https_conn})}


class GuardedAdapter(HTTPAdapter):
    def __init__(self, policy: AddressPolicy, **kwargs):
        self.policy = policy
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self.policy)

    def send(self, request, *args, **kwargs):
        check_store_url(request.url, allow_private=self.policy.allow_private)
        return super().send(request, *args, **kwargs)


def guarded_session(policy: AddressPolicy) -> requests.Session:
    """A session whose every request goes through the policy; no proxy from the environment
    (a proxy would make the checked address the proxy's, not the store's)."""
    session = requests.Session()
    session.trust_env = False
    adapter = GuardedAdapter(policy)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
