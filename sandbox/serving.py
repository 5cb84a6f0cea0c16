"""Run a WSGI app on a loopback port in a background thread (tests, demo, benchmarks)."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from hubspot_app.web.access_log import without_query


@dataclass
class RunningServer:
    url: str
    server: BaseWSGIServer
    thread: threading.Thread

    @property
    def port(self) -> int:
        return self.server.server_port

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


class RequestHandlerWithoutQueries(WSGIRequestHandler):
    """Logs as the Procfile's gunicorn does: never a query string (the demo's app.log gets these lines)."""

    def log_request(self, code="-", size="-") -> None:
        line = f"{self.command} {without_query(self.path)} {self.request_version}" if hasattr(self, "path") else "-"
        self.log("info", '"%s" %s %s', line, code, size)


def serve_in_thread(wsgi_app, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    server = make_server(host, port, wsgi_app, threaded=True, request_handler=RequestHandlerWithoutQueries)
    # A short poll: `stop()` waits for the loop to see the shutdown flag, up to half a second with the default.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name=f"wsgi-{server.server_port}", daemon=True)
    thread.start()
    return RunningServer(url=f"http://{host}:{server.server_port}", server=server, thread=thread)


def serve_app_in_thread(build: Callable[[str], object], host: str = "127.0.0.1",
                        port: int = 0) -> tuple[object, RunningServer]:
    """Serve an app that must know its own URL (its APP_BASE_URL) to be built: bind the port, build, serve."""
    holder: dict = {}
    server = serve_in_thread(lambda environ, start_response: holder["app"](environ, start_response), host, port)
    try:
        holder["app"] = build(server.url)
    except BaseException:
        server.stop()
        raise
    return holder["app"], server
