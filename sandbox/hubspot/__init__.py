"""A stateful local stand-in for the parts of HubSpot's API the app uses, speaking HubSpot's contract."""
from __future__ import annotations

from sandbox.serving import RunningServer, serve_in_thread

from .app import create_sandbox_app
from .state import SandboxState

__all__ = ["SandboxState", "create_sandbox_app", "start_sandbox"]


def start_sandbox(host: str = "127.0.0.1", port: int = 0, **state_kwargs) -> tuple[SandboxState, RunningServer]:
    """Start a sandbox on a loopback port in a background thread; stop it with `server.stop()`."""
    state = SandboxState(**state_kwargs)
    server = serve_in_thread(create_sandbox_app(state), host=host, port=port)
    return state, server
