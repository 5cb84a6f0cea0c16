"""A failed job's dead-letter key: written at the job boundary (`tasks`), read back by the operator's retry.

"sync.customer:7:ann@x.example" is the job's name, then its positional arguments. They are read back by the
job service's own signature (from `tasks.JOBS`, the one job registry), so every registered job is retryable
without a second list of names and argument types.
"""
from __future__ import annotations

import inspect
import typing
from typing import Callable, Mapping


def job_key(name: str, args: tuple) -> str:
    return ":".join([name, *map(str, args)])


def _read(kind, text: str):
    if kind is bool:
        if text not in ("True", "False"):
            raise ValueError(f"not a bool: {text!r}")
        return text == "True"
    return int(text) if kind is int else text


def _kind(annotation) -> type:
    # `str | None` (an optional argument) reads as its non-None type.
    options = [a for a in typing.get_args(annotation) if a is not type(None)] or [annotation]
    return options[0] if options[0] in (int, bool) else str


def read_job_key(key: str, jobs: Mapping[str, Callable]) -> tuple[str, tuple] | None:
    """(job name, arguments) to enqueue again, or None when the key names no registered job or does not parse."""
    name, _, rest = key.partition(":")
    service = jobs.get(name)
    if service is None or not rest:
        return None
    params = [p for p in inspect.signature(service, eval_str=True).parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    kinds = [_kind(p.annotation) for p in params]
    parts = rest.split(":")
    if len(parts) > len(params) and kinds and kinds[-1] is str:  # the last text argument may hold ':' (emails)
        parts = parts[:len(params) - 1] + [":".join(parts[len(params) - 1:])]
    required = sum(p.default is p.empty for p in params)
    if not required <= len(parts) <= len(params):
        return None
    try:
        return name, tuple(_read(kind, part) for kind, part in zip(kinds, parts))
    except ValueError:
        return None
