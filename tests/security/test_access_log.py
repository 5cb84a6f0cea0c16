"""Access logs never carry query strings: the operator link's token and the OAuth code stay out of log drains."""
from __future__ import annotations

import logging

import pytest
import requests
from gunicorn.config import Config

from hubspot_app.web.access_log import AccessLogWithoutQueries
from sandbox.serving import serve_in_thread
from tests.procfile_support import free_port, healthz_answers, procfile, required_settings, start, stop, wait_for

TOKEN, CODE = "operator-link-token-SECRET", "oauth-code-SECRET"
SENSITIVE = (f"/operator/enter?token={TOKEN}", f"/oauth/callback?code={CODE}&state=s")


@pytest.mark.e2e
def test_the_procfile_web_access_log_has_paths_without_queries(tmp_path):
    port = free_port()
    log = tmp_path / "web.log"
    env = dict(required_settings(tmp_path, port), WEB_CONCURRENCY="1", QUEUE_PATH=str(tmp_path / "queue.sqlite3"))
    web = start(procfile()["web"], env, tmp_path, log)
    try:
        wait_for(lambda: healthz_answers(port), web, log, "web answers /healthz")
        for path in SENSITIVE:
            assert requests.get(f"http://127.0.0.1:{port}{path}", timeout=10).status_code in (400, 403)
    finally:
        stop(web)
    written = log.read_text()
    assert '"GET /operator/enter HTTP/1.1" 403' in written  # the access log is on, with the path
    assert '"GET /oauth/callback HTTP/1.1" 400' in written
    assert TOKEN not in written and CODE not in written


def test_the_local_server_logs_paths_without_queries(caplog):
    caplog.set_level(logging.INFO, logger="werkzeug")

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    server = serve_in_thread(app)
    try:
        for path in SENSITIVE:
            requests.get(server.url + path, timeout=10)
    finally:
        server.stop()
    assert '"GET /operator/enter HTTP/1.1" 200' in caplog.text
    assert TOKEN not in caplog.text and CODE not in caplog.text


def test_gunicorns_error_log_names_a_failed_request_without_its_query(tmp_path):
    config = Config()
    config.set("errorlog", str(tmp_path / "error.log"))
    logger = AccessLogWithoutQueries(config)
    try:
        raise ConnectionResetError("client went away")
    except ConnectionResetError:
        # What gunicorn's worker logs when handling a request fails outside the app (workers/base.py).
        logger.exception("Error handling request %s %s", "GET", f"/operator/enter?token={TOKEN}")
    written = (tmp_path / "error.log").read_text()
    assert "Error handling request GET /operator/enter" in written and TOKEN not in written
