"""`moulin-hubspot sandbox hubspot`: serve the HubSpot sandbox until Ctrl-C."""
from __future__ import annotations

from urllib.parse import urlsplit

import click

from . import sandbox


@sandbox.command("hubspot")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8090, show_default=True, type=int)
@click.option("--auto-approve", is_flag=True, help="Skip the approve page: /oauth/authorize redirects at once.")
@click.option("--client-id", default="sandbox-client-id", show_default=True)
@click.option("--client-secret", default="sandbox-client-secret", show_default=True)
@click.option("--app-id", default=1000, show_default=True, type=int)
@click.option("--rate-limit", default="110/10s", show_default=True, help="Requests per rolling window per portal.")
@click.option("--fault-rate", default=0.0, show_default=True, type=float, help="Share of requests failed at random.")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed for the random faults.")
@click.option("--webhook-target", metavar="URL",
              help="Deliver signed webhooks (signature v3, the client secret) for API changes and user actions to "
                   "this URL, e.g. the app's http://127.0.0.1:5000/webhooks/hubspot.")
@click.option("--lenient", is_flag=True,
              help="Guess where HubSpot's docs are silent (e.g. a search on a missing property matches nothing) "
                   "instead of refusing; the test suite runs strict.")
def hubspot_sandbox(host, port, auto_approve, client_id, client_secret, app_id, rate_limit, fault_rate, seed,
                    webhook_target, lenient):
    """A local stand-in for HubSpot's API (OAuth, CRM objects, search, associations, properties, pipelines)."""
    from sandbox.hubspot import create_sandbox_app, SandboxState
    from sandbox.hubspot.ratelimit import parse_rate
    from sandbox.hubspot.webhook_delivery import WebhookDelivery
    from werkzeug.serving import run_simple

    if webhook_target and urlsplit(webhook_target).scheme not in ("http", "https"):
        raise click.BadParameter("must be an http(s) URL", param_hint="--webhook-target")
    state = SandboxState(client_id=client_id, client_secret=client_secret, app_id=app_id,
                         auto_approve=auto_approve, rate_limit=parse_rate(rate_limit), fault_rate=fault_rate,
                         seed=seed, strict=not lenient)
    click.echo(f"HubSpot sandbox on http://{host}:{port}")
    click.echo(f"Act as a HubSpot user: http://{host}:{port}/_sandbox/portals/<portal id>/page")
    delivery = WebhookDelivery(state, webhook_target, client_secret, app_id).start() if webhook_target else None
    if delivery:
        click.echo(f"Webhooks delivered to {webhook_target}")
    try:
        run_simple(host, port, create_sandbox_app(state), threaded=True)
    finally:
        if delivery:
            delivery.stop()
