"""Structured JSON logs with stable event names.

Call `log_event(logger, "event.name", portal_id=..., ...)`. Values whose key
names a secret are masked here, as a second line of defence: the first is to
never pass a token to a log call.
"""
from __future__ import annotations

import logging
import re
import sys

from pythonjsonlogger.json import JsonFormatter

_SECRET_KEY = re.compile(r"(token|secret|password|authorization|api_key|code$)", re.I)


def _mask(fields: dict) -> dict:
    return {k: ("***" if _SECRET_KEY.search(k) and v not in (None, "") else v) for k, v in fields.items()}


def log_event(logger: logging.Logger, event: str, level: int = logging.INFO, **fields) -> None:
    logger.log(level, event, extra={"event": event, **_mask(fields)})


def configure_logging(level: int = logging.INFO, stream=None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    # Replace, not add: configure_logging may run once per create_app in tests.
    root.handlers = [h for h in root.handlers if not getattr(h, "_moulin", False)]
    handler._moulin = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
