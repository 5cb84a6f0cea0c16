"""The suite is hermetic: no test reaches past this machine, and the test config points at nothing real."""
from __future__ import annotations

import socket
from urllib.parse import urlsplit

import pytest
import requests
from pytest_socket import SocketConnectBlockedError



def test_a_connection_past_loopback_is_refused_inside_the_suite():
    # 192.0.2.1 is TEST-NET-1 (RFC 5737): never routed, so only the suite's guard can make this fail fast.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(SocketConnectBlockedError):
        sock.settimeout(5)
        sock.connect(("192.0.2.1", 443))


def test_loopback_stays_open_for_the_sandboxes():
    with socket.create_server(("127.0.0.1", 0)) as server:
        with socket.create_connection(server.getsockname(), timeout=5):
            pass


def test_the_test_config_points_hubspot_at_a_loopback_sandbox_that_knows_no_token(make_config):
    config = make_config()
    for base in (config.hubspot_api_base, config.hubspot_auth_base):
        assert urlsplit(base).hostname == "127.0.0.1"
    answer = requests.get(f"{config.hubspot_api_base}/crm/v3/objects/deals", timeout=5,
                          headers={"Authorization": "Bearer not-issued-here"})
    assert answer.status_code == 401  # refused at once: nothing is retried, nothing leaves the machine
