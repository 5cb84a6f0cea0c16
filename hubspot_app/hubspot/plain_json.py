"""Request bodies the CRM gateway builds itself, sent by the SDK as they are.

Before it JSON-encodes a body, the SDK's `ApiClient.sanitize_for_serialization` walks it value by value to turn
its models and dates into JSON types. A body of `PlainJson` holds JSON types only, so that walk changes
nothing, yet it was 7% of a backfill's CPU (py-spy, 10,000 orders): one Python call per value, nine per
association input and 2,000 inputs a call. The SDK lets a caller build its API objects (`api_factory`, a
`Client.create` option read by its `DiscoveryBase`); ours builds them as the SDK does and lets those bodies
through. Every other body (the set-up's SDK models) is still walked.
"""
from __future__ import annotations

from hubspot.discovery.discovery_base import DiscoveryBase


class PlainJson(dict):
    """A request body of str, int, float, bool, None, and lists and dicts of them, nothing else."""


def plain_json_api_factory(api_client_package, api_name: str, config: dict):
    """The SDK's own factory, then bodies of `PlainJson` skip the sanitizing walk."""
    api = DiscoveryBase._default_api_factory(api_client_package, api_name, config)
    client = api.api_client
    sanitize = client.sanitize_for_serialization  # the SDK's, bound; it recurses through the attribute below
    client.sanitize_for_serialization = lambda obj: obj if type(obj) is PlainJson else sanitize(obj)
    return api
