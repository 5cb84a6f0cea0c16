"""HubSpot's error bodies, raised anywhere in the sandbox and turned into responses at the boundary."""
from __future__ import annotations

import json
import uuid


def correlation_id() -> str:
    return str(uuid.uuid4())


class HubSpotError(Exception):
    """An API error with HubSpot's body: `{status, message, correlationId, category, [context], ...}`."""

    def __init__(self, http_status: int, message: str, category: str = "VALIDATION_ERROR", *,
                 context: dict | None = None, extra: dict | None = None) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.message = message
        self.category = category
        self.context = context
        self.extra = extra or {}

    def body(self) -> dict:
        body = {"status": "error", "message": self.message, "correlationId": correlation_id()}
        if self.context is not None:
            body["context"] = self.context
        body["category"] = self.category
        body.update(self.extra)
        return body


def invalid_properties(problems: list[dict]) -> HubSpotError:
    """HubSpot's 400 for property values it refuses; `problems` are `{isValid, message, error, name}` items."""
    detail = json.dumps(problems, separators=(",", ":"))
    return HubSpotError(400, f"Property values were not valid: {detail}", "VALIDATION_ERROR")


def property_problem(name: str, message: str, error: str) -> dict:
    return {"isValid": False, "message": message, "error": error, "name": name,
            "localizedErrorMessage": message}


def batch_item_error(error: HubSpotError, context: dict | None = None) -> dict:
    """One entry of a batch response's `errors` (the SDK's StandardError needs every key below)."""
    return {
        "status": "error",
        "category": error.category,
        "message": error.message,
        "context": context if context is not None else (error.context or {}),
        "errors": [],
        "links": {},
    }


def not_found(message: str = "resource not found") -> HubSpotError:
    return HubSpotError(404, message, "OBJECT_NOT_FOUND")
