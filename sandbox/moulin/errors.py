"""Errors of the sample store's HTTP face: the JSON error body of docs/moulin-api.yaml and its handlers."""
from __future__ import annotations

from flask import Flask, jsonify

from .paging import CursorError


class BadParameter(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def error(status: int, code: str, message: str, field: str | None = None):
    body = {"code": code, "message": message}
    if field:
        body["field"] = field
    return jsonify(error=body), status


def not_found(message: str = "no such resource"):
    return error(404, "not_found", message)


def _bad_parameter(exc: BadParameter):
    return error(400, "invalid_parameter", str(exc), exc.field)


def _bad_cursor(exc: CursorError):
    return error(400, "invalid_parameter", str(exc), "cursor")


def _no_route(_exc):
    return not_found()


def _not_allowed(exc):
    body, status = error(405, "method_not_allowed", "method not allowed on this resource")
    return body, status, {"Allow": ", ".join(exc.valid_methods or ())}


def register(app: Flask) -> None:
    """App-wide, not per blueprint: an unknown path or method matches no blueprint and must still answer JSON."""
    app.register_error_handler(BadParameter, _bad_parameter)
    app.register_error_handler(CursorError, _bad_cursor)
    app.register_error_handler(404, _no_route)
    app.register_error_handler(405, _not_allowed)
