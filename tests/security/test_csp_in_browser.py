"""The CSP does not break the operator pages: in Chromium, their inline style and script run (they carry the
response's nonce) and the browser reports no CSP violation."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from hubspot_app import create_app
from hubspot_app.db.base import Base
from sandbox.serving import serve_app_in_thread
from tests.browser_support import browser, page  # noqa: F401  (fixtures)
from tests.operator_support import PORTAL_A, install_portals, operator_link

pytestmark = pytest.mark.e2e


@pytest.fixture
def live(make_config):
    app, server = serve_app_in_thread(lambda url: create_app(make_config(app_base_url=url)))
    database = app.extensions["moulin.db"]
    Base.metadata.drop_all(database.engine)
    database.create_all()
    install_portals(app, PORTAL_A)
    yield app
    server.stop()
    Base.metadata.drop_all(database.engine)
    database.dispose()


def test_operator_pages_render_under_the_csp(live, page):
    console = []
    page.on("console", lambda message: console.append(message.text))
    response = page.goto(operator_link(live, PORTAL_A))
    assert "nonce-" in response.headers["content-security-policy"]
    expect(page.locator("#no-stores")).to_be_visible()
    # base.html's inline <style> applied: the header's orange rule.
    assert page.eval_on_selector("header", "e => getComputedStyle(e).borderBottomColor") == "rgb(255, 122, 89)"
    page.goto(page.url.replace(f"/operator/{PORTAL_A}/", f"/operator/{PORTAL_A}/health"))
    assert [text for text in console if "Content Security Policy" in text] == []
