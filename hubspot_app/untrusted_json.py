"""JSON from callers we do not trust: read it without crashing, and find what a database cannot store.

`json.loads` raises more than ValueError on hostile input (RecursionError on deep nesting) and accepts
what no database column takes: NaN/Infinity (PostgreSQL's json type refuses them), integers past 64 bits
(BIGINT, and SQLite's INTEGER, overflow), NUL characters (PostgreSQL text refuses them) and lone UTF-16
surrogates (`"\\ud800"` is valid JSON, but no UTF-8 text: orjson and PostgreSQL's json refuse it, and one
stored would stop every later batch of the webhook worker). Each entry point turns these into its own 4xx,
naming the place in the document.
"""
from __future__ import annotations

import json
import re
from typing import Any

INT64 = (-(2 ** 63), 2 ** 63 - 1)
# Far deeper than any real HubSpot or Moulin document, far below the interpreter's recursion limit.
MAX_DEPTH = 32
# `json.loads` joins an escaped pair into one character: a surrogate left in a string stands alone.
_SURROGATE = re.compile("[\ud800-\udfff]")


class UnreadableJson(ValueError):
    """The bytes are not a JSON document we can read; the message says why."""


def _refuse_constant(name: str):
    raise UnreadableJson(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise UnreadableJson(f"number {text[:20]} is out of range")
    return value


def loads(raw: bytes) -> Any:
    try:
        return json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite)
    except UnreadableJson:
        raise
    except UnicodeDecodeError:
        raise UnreadableJson("body is not UTF-8 text") from None
    except RecursionError:
        raise UnreadableJson("body is nested too deeply") from None
    except ValueError as error:  # JSONDecodeError, and int() refusing a number of thousands of digits
        raise UnreadableJson(f"body is not valid JSON: {error}") from None


def _not_text(text: str) -> str | None:
    if "\x00" in text:
        return "a NUL character"
    if not text.isascii() and _SURROGATE.search(text):
        return "a lone UTF-16 surrogate"
    return None


def unstorable(value: Any, where: str = "") -> str | None:
    """Where and why `value` cannot be stored (nesting, a NUL or a lone surrogate, a 64-bit overflow), or None
    when it can."""
    stack = [(value, where, 0)]
    while stack:
        item, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"{path or 'body'}: nested more than {MAX_DEPTH} levels deep"
        if isinstance(item, str) and (problem := _not_text(item)):
            return f"{path or 'body'}: contains {problem}"
        if isinstance(item, int) and not isinstance(item, bool) and not INT64[0] <= item <= INT64[1]:
            return f"{path or 'body'}: integer out of the 64-bit range"
        if isinstance(item, dict):
            for key, child in item.items():
                if problem := _not_text(key):
                    return f"{path or 'body'}: a key contains {problem}"
                stack.append((child, f"{path}.{key}" if path else key, depth + 1))
        elif isinstance(item, list):
            stack.extend((child, f"{path}[{i}]", depth + 1) for i, child in enumerate(item))
    return None
