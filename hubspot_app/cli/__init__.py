"""The `moulin-hubspot` command. Each area adds its sub-commands in a module of its own."""
from __future__ import annotations

import click

from .. import config as config_module


@click.group()
def main() -> None:
    """Moulin x HubSpot: sync the Moulin back office into HubSpot."""


@main.group()
def sandbox() -> None:
    """Local stand-ins for HubSpot and a Moulin store."""


def load_app():
    """Build the app from the environment, turning a settings error into a clear CLI error; the process is the
    app's from then on, so it gets the app's memory settings (`memory.tune`)."""
    from .. import create_app, memory

    try:
        app = create_app()
    except config_module.ConfigError as error:
        raise click.ClickException(f"configuration: {error}") from None
    memory.tune()
    return app


from . import worker as _worker  # noqa: E402,F401  (registers its commands on `main`)
from . import db as _db  # noqa: E402,F401
from . import install as _install  # noqa: E402,F401
from . import keys as _keys  # noqa: E402,F401
from . import sandbox_hubspot as _sandbox_hubspot  # noqa: E402,F401
from . import importer as _importer  # noqa: E402,F401
from . import sandbox_moulin as _sandbox_moulin  # noqa: E402,F401
from . import demo as _demo  # noqa: E402,F401
from . import sync as _sync  # noqa: E402,F401
from . import hubspot_project as _hubspot_project  # noqa: E402,F401
