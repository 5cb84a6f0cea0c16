"""Browser fixtures for every e2e module: one Chromium per test session (per xdist worker)."""
from tests.browser_support import browser, page  # noqa: F401  (fixtures)
