"""Body caps per endpoint, enforced before and while the body is read, chunked bodies included.

Flask's per-request `max_content_length` makes Werkzeug refuse a declared
Content-Length over the cap at once (413), and wrap a chunked body (no
Content-Length) in a stream that never reads past the cap. This relies on the
server marking the input as terminated (`wsgi.input_terminated`), as gunicorn
and Werkzeug's server do. That stream stops *silently* at the cap, though, so
`read_body` asks it for one byte more: past a full cap it raises the 413.
"""
from __future__ import annotations

from flask import Flask, request

KB = 1024

# Sized far above any real request, far below what would hurt a worker.
BODY_LIMITS = {
    # HubSpot batches at most 100 events per delivery, each well under 1 kB.
    "hubspot_webhooks": 1024 * KB,
    # A 120-line order event is ~60 kB.
    "moulin_push": 2048 * KB,
    # `{"contactId", "perPage"}` and signed GETs.
    "card_api": 16 * KB,
    # The store settings form (stage mapping, templates) is the largest page form.
    "operator": 256 * KB,
}
# Everything else (OAuth redirects, health, metrics) takes no body at all.
DEFAULT_LIMIT = 16 * KB


def body_limit(blueprint: str | None) -> int:
    return BODY_LIMITS.get(blueprint or "", DEFAULT_LIMIT)


def read_body() -> bytes:
    """The request body, or a 413 (RequestEntityTooLarge) when it reaches the endpoint's cap."""
    body = request.get_data(cache=True)
    request.stream.read(1)  # b"" at the end of the body; a 413 when the cap stopped the reading
    return body


def register(app: Flask) -> None:
    @app.before_request
    def cap_body() -> None:
        request.max_content_length = body_limit(request.blueprint)
        request.max_form_memory_size = body_limit(request.blueprint)
