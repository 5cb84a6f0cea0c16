"""The sync world (HubSpot sandbox + sample stores on loopback) and the card's signed calls, shared with the
integration tests."""
from tests.integration.card.conftest import Card  # noqa: F401
from tests.integration.sync_flows.conftest import World, hubspot, sandbox_app, stores, world  # noqa: F401
