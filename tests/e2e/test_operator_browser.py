"""Onboarding in a real browser: the app on loopback, the sample Moulin store, headless Chromium.

The import itself belongs to the sync engine; here a stand-in task registered
under its name (`sync.backfill`) opens the checkpoint and holds the job's lease as the engine does, and
the test moves that checkpoint on, to see the page follow it live.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from hubspot_app import create_app
from hubspot_app.db.base import Base
from hubspot_app.db.models import BulkJob, MoulinStore, SyncCheckpoint
from hubspot_app.domain.store_settings import StoreSettings
from sandbox.moulin import start_sample_store
from sandbox.serving import serve_app_in_thread
from tests.browser_support import screenshot
from tests.operator_support import PORTAL_A, PORTAL_B, install_portals, operator_link

pytestmark = pytest.mark.e2e


@pytest.fixture
def live(make_config):
    """The app served on a loopback port, its APP_BASE_URL that very address."""
    app, server = serve_app_in_thread(lambda url: create_app(make_config(app_base_url=url)))
    database = app.extensions["moulin.db"]
    Base.metadata.drop_all(database.engine)
    database.create_all()
    install_portals(app, PORTAL_A, PORTAL_B)
    yield app, server.url
    server.stop()
    Base.metadata.drop_all(database.engine)
    database.dispose()


@pytest.fixture
def moulin():
    _store, server = start_sample_store(orders=5, api_key="right-key", store_code="b2c", name="Boutique Moulin")
    yield server.url
    server.stop()


def open_checkpoint(app):
    def backfill(portal_id: int, store_code: str) -> None:
        with app.extensions["moulin.db"].session() as session:
            session.add(SyncCheckpoint(portal_id=portal_id, store_code=store_code, mode="backfill", position=0,
                                       done=False))
            # As a slice does: it holds the job's lease while it runs.
            session.execute(update(BulkJob).values(state="running",
                                                   lease_until=datetime.now(timezone.utc) + timedelta(hours=1)))

    app.extensions["moulin.jobs"].register(backfill, name="sync.backfill")


def move_checkpoint(app, position: int, done: bool) -> None:
    with app.extensions["moulin.db"].session() as session:
        row = session.scalar(select(SyncCheckpoint))
        row.position, row.done = position, done


def unlabelled_inputs(page) -> list[str]:
    return page.eval_on_selector_all(
        "input:not([type=hidden]), select", "els => els.filter(e => e.labels.length === 0).map(e => e.name)")


def test_onboarding_end_to_end(live, moulin, page):
    app, base = live
    open_checkpoint(app)
    page.goto(operator_link(app, PORTAL_A))
    expect(page).to_have_url(f"{base}/operator/{PORTAL_A}/")
    expect(page.locator("#no-stores")).to_be_visible()
    assert unlabelled_inputs(page) == []
    screenshot(page, "operator-01-onboarding-empty")

    page.fill("#code", "b2c")
    page.fill("#name", "Boutique")
    page.fill("#api_url", moulin)
    page.fill("#api_key", "wrong-key")
    page.click("text=Test and connect")
    expect(page.locator("#form-error")).to_contain_text("Moulin refused the API key")
    expect(page.locator("#code")).to_have_value("b2c")
    expect(page.locator("#api_key")).to_have_value("")
    screenshot(page, "operator-02-connect-refused")

    page.fill("#api_key", "right-key")
    page.click("text=Test and connect")
    expect(page.get_by_role("heading", name=re.compile("connected"))).to_be_visible()
    secret = page.inner_text("#push-secret").strip()
    with app.extensions["moulin.db"].session() as session:
        store = session.scalar(select(MoulinStore))
        assert app.extensions["moulin.cipher"].decrypt(store.push_secret_enc) == secret
    expect(page.locator("#push-url")).to_have_text(f"{base}/moulin/push/{store.id}")
    screenshot(page, "operator-03-push-secret-once")

    page.goto(f"{base}/operator/{PORTAL_A}/")
    assert secret not in page.content()
    page.click("text=Test connection")
    expect(page.get_by_role("status").first).to_contain_text("Connected: Moulin answered and accepted the API key.")

    page.click("text=Mapping & settings")
    page.select_option("#stage-paid", "checkout_completed")
    page.check("#recreate_deleted_deals")
    page.check("#stage_source_hubspot")
    assert unlabelled_inputs(page) == []
    page.click("text=Save settings")
    expect(page.get_by_role("status").first).to_contain_text("Settings saved.")
    expect(page.locator("#stage-paid")).to_have_value("checkout_completed")
    screenshot(page, "operator-04-settings-saved")
    with app.extensions["moulin.db"].session() as session:
        store = session.scalar(select(MoulinStore))
        assert store.stage_mapping == {"paid": "checkout_completed"}
        assert StoreSettings.of(store.settings) == StoreSettings(recreate_deleted_deals=True, stage_source="hubspot")

    page.goto(f"{base}/operator/{PORTAL_A}/")
    page.click("text=Start import")
    progress = page.locator(f"#store-{store.id} .progress")
    expect(progress).to_contain_text("Importing… 0 orders so far")
    move_checkpoint(app, 3, done=False)
    expect(progress).to_contain_text("Importing… 3 orders so far")  # polled, no reload
    move_checkpoint(app, 5, done=True)
    expect(progress).to_contain_text("Done: 5 orders imported")
    screenshot(page, "operator-05-import-done")

    page.click("text=Sync health")
    expect(page.locator("#summary")).to_contain_text("Healthy")
    expect(page.locator("text=first import")).to_be_visible()
    screenshot(page, "operator-06-sync-health")


def test_form_without_csrf_token_is_refused(live, page):
    app, base = live
    page.goto(operator_link(app, PORTAL_A))
    page.goto(f"{base}/operator/{PORTAL_A}/settings")
    page.eval_on_selector("form[action$='/uninstall'] input[name=csrf_token]", "el => el.remove()")
    page.fill("#confirm", "uninstall")
    page.click("text=Uninstall the app")
    expect(page.locator("body")).to_contain_text("was not sent from our page")
    screenshot(page, "operator-07-csrf-refused")
    page.goto(f"{base}/operator/{PORTAL_A}/")  # still installed, still signed in
    expect(page.locator("#no-stores")).to_be_visible()


def test_session_of_portal_a_cannot_open_portal_b(live, page):
    app, base = live
    page.goto(operator_link(app, PORTAL_A))
    response = page.goto(f"{base}/operator/{PORTAL_B}/settings")
    assert response.status == 403
    expect(page.locator("body")).to_contain_text("signed in to another HubSpot account")
    assert page.locator("form[action$='/uninstall']").count() == 0
    screenshot(page, "operator-08-other-portal-refused")


def test_expired_or_missing_sign_in_shows_how_to_get_in(live, page):
    _app, base = live
    response = page.goto(f"{base}/operator/{PORTAL_A}/")
    assert response.status == 401
    expect(page.locator("body")).to_contain_text("Open these pages from the app in your HubSpot account")


def test_operator_pages_render_under_the_csp(live, page):
    """The CSP (hubspot_app/web/headers.py) leaves the pages working: their inline style and script carry the
    response's nonce, and Chromium reports no violation."""
    app, _base = live
    console = []
    page.on("console", lambda message: console.append(message.text))
    response = page.goto(operator_link(app, PORTAL_A))
    assert "nonce-" in response.headers["content-security-policy"]
    expect(page.locator("#no-stores")).to_be_visible()
    # base.html's inline <style> applied: the header's orange rule.
    assert page.eval_on_selector("header", "e => getComputedStyle(e).borderBottomColor") == "rgb(255, 122, 89)"
    page.goto(page.url + "health")
    assert [text for text in console if "Content Security Policy" in text] == []
