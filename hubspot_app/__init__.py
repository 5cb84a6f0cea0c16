"""Moulin x HubSpot: a HubSpot public app syncing the Moulin back office into HubSpot.

`create_app` is loaded on first use (PEP 562), so importing a pure module such as `hubspot_app.domain.mapping`
does not load Flask, SQLAlchemy or Huey (tests/unit/test_layers.py).
"""
from __future__ import annotations


def __getattr__(name: str):
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(f"module 'hubspot_app' has no attribute {name!r}")
