"""Helpers for tests that talk to the sandbox: a running sandbox with one installed portal, SDK clients."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

from . import SandboxState, start_sandbox


@dataclass
class SandboxPortal:
    state: SandboxState
    url: str
    portal_id: int
    tokens: dict

    @property
    def access_token(self) -> str:
        return self.tokens["access_token"]

    def sdk(self, access_token: str | None = None):
        """The official SDK pointed at the sandbox, with client-side validation on (a strict contract check)."""
        import hubspot

        return hubspot.Client.create(access_token=access_token or self.access_token, host=self.url,
                                     client_side_validation=True)

    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.access_token}"}


@contextmanager
def running_sandbox(**state_kwargs):
    """Start a sandbox; yields (state, base URL) and stops the server on exit."""
    state, server = start_sandbox(**state_kwargs)
    try:
        yield state, server.url
    finally:
        server.stop()


def install_portal(state: SandboxState, url: str) -> SandboxPortal:
    """A fresh portal with tokens, as after an install; portals never share records."""
    portal_id = state.create_portal()
    return SandboxPortal(state, url, portal_id, state.issue_tokens(portal_id))


@contextmanager
def sandbox_portal(**state_kwargs):
    """Start a sandbox with one installed portal; stop the server on exit."""
    with running_sandbox(**state_kwargs) as (state, url):
        yield install_portal(state, url)
