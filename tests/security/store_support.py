"""Loopback stand-ins for a hostile "store": a TCP trap, a recording HTTP server, and a DNS we answer ourselves."""
from __future__ import annotations

import socket
import threading

from werkzeug.wrappers import Request, Response

from sandbox.serving import serve_in_thread


class TcpTrap:
    """A loopback port that only counts the connections it gets (http or https alike) and closes them."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self):
        self.sock.close()


class FakeDns:
    """Answers names from a table, as getaddrinfo would; a name not in it does not resolve (no real DNS)."""

    def __init__(self, table: dict[str, list[str]]):
        self.table = table
        self.asked: list[str] = []

    def __call__(self, host: str, port: int):
        self.asked.append(host)
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "not in the test's table")
        return [(socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                 (ip, port) if ":" not in ip else (ip, port, 0, 0)) for ip in self.table[host]]


class Recorder:
    """An HTTP server on loopback answering every request with one fixed response, and keeping the requests."""

    def __init__(self, status: int = 200, body: str = '{"store": "b2c"}', headers: dict | None = None):
        self.requests: list[Request] = []
        self.status, self.body, self.headers = status, body, headers or {}

        @Request.application
        def app(request: Request) -> Response:
            self.requests.append(request)
            return Response(self.body, self.status, {"Content-Type": "application/json", **self.headers})

        self.server = serve_in_thread(app)
        self.url = self.server.url

    def stop(self):
        self.server.stop()
