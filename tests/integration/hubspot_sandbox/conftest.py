"""One sandbox per test module (its state is per portal), a freshly installed portal per test."""
import pytest

from sandbox.hubspot.testing import install_portal, running_sandbox


@pytest.fixture(scope="module")
def sandbox():
    with running_sandbox() as running:
        yield running


@pytest.fixture
def hs(sandbox):
    return install_portal(*sandbox)
