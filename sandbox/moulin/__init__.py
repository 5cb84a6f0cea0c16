"""A sample Moulin back office: deterministic data at any size, editable, able to push signed events."""
from __future__ import annotations

from ..serving import RunningServer, serve_in_thread
from .app import create_moulin_app
from .pusher import PushSender, sign
from .store import SampleStore


def start_sample_store(host: str = "127.0.0.1", port: int = 0, **kwargs) -> tuple[SampleStore, RunningServer]:
    store = SampleStore(**kwargs)
    return store, serve_in_thread(create_moulin_app(store), host=host, port=port)


__all__ = ["SampleStore", "create_moulin_app", "start_sample_store", "PushSender", "sign", "RunningServer"]
