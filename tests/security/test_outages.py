"""Finding: with Redis or the database down, the card got an HTML 500 (it expects JSON) and webhooks a 500.

Now the card API and the webhook receiver answer JSON 503 with Retry-After (HubSpot retries), and pages a
plain error page. The outages are real: a database URL nothing answers, a Redis URL nothing listens on.
"""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from hubspot_app import create_app
from hubspot_app.db.models.webhooks import ReceivedDelivery, WebhookEvent
from hubspot_app.webhooks.processing import sweep_stale
from tests.operator_support import operator_link
from tests.procfile_support import free_port
from tests.security.conftest import card_query, hubspot_signed
from tests.webhook_support import event


def _closed_port() -> int:
    return free_port()  # bound, then released: nothing listens there


@pytest.fixture(params=["postgresql", "sqlite"])
def database_down(request, make_config, tmp_path):
    url = {"postgresql": f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/none",
           "sqlite": f"sqlite:///{tmp_path}"}[request.param]  # a folder: SQLite cannot open it
    app = create_app(make_config(database_url=url))
    yield app
    app.extensions["moulin.db"].dispose()


def _assert_retry_later_json(response):
    assert response.status_code == 503, response.data
    assert response.is_json and response.get_json()["error"] == "unavailable"
    assert int(response.headers["Retry-After"]) > 0


WEBHOOK_BODY = json.dumps([event("contact.deletion", 1, 1_000)]).encode()


def test_card_and_webhooks_answer_json_503_when_the_database_is_down(database_down):
    client = database_down.test_client()
    path = "/card/orders" + card_query(contactId=5)
    _assert_retry_later_json(client.get(path, headers=hubspot_signed("GET", path)))
    refresh = "/card/orders/refresh" + card_query()
    _assert_retry_later_json(client.post(refresh, data=b'{"contactId": 5}',
                                         headers=hubspot_signed("POST", refresh, b'{"contactId": 5}')))
    webhook = client.post("/webhooks/hubspot", data=WEBHOOK_BODY,
                          headers=hubspot_signed("POST", "/webhooks/hubspot", WEBHOOK_BODY))
    if database_down.extensions["moulin.webhook_inbox"] is database_down.extensions["moulin.db"]:
        _assert_retry_later_json(webhook)
    else:  # SQLite: the inbox is a file of its own, the delivery waits there until the worker can store it
        assert webhook.status_code == 200
        with database_down.extensions["moulin.webhook_inbox"].session() as session:
            assert session.scalar(select(func.count()).select_from(ReceivedDelivery)) == 1


def test_pages_show_an_error_page_when_the_database_is_down(database_down):
    client = database_down.test_client()
    response = client.get(operator_link(database_down, 101), follow_redirects=True)
    assert response.status_code == 503
    assert response.mimetype == "text/html" and b"Temporarily unavailable" in response.data
    assert b"Traceback" not in response.data


@pytest.mark.db
def test_webhooks_answer_503_when_redis_is_down_and_lose_nothing(make_config):
    app = create_app(make_config(redis_url=f"redis://127.0.0.1:{_closed_port()}/15", queue_immediate=False))
    database = app.extensions["moulin.db"]
    from hubspot_app.db.base import Base

    Base.metadata.drop_all(database.engine)
    database.create_all()
    from tests.webhook_support import install

    with database.session() as session:
        install(session)
    try:
        response = app.test_client().post("/webhooks/hubspot", data=WEBHOOK_BODY,
                                          headers=hubspot_signed("POST", "/webhooks/hubspot", WEBHOOK_BODY))
        _assert_retry_later_json(response)
        # In the inbox before the enqueue failed: the stale-delivery sweep processes it (HubSpot's retry dedupes).
        assert sweep_stale(database, app.extensions["moulin.webhook_inbox"], 4242, older_than=timedelta(0)) == 1
        with database.session() as session:
            assert session.scalar(select(func.count()).select_from(WebhookEvent)) == 1
    finally:
        Base.metadata.drop_all(database.engine)
        database.dispose()
