"""The link from an order to the store's back office, built from the operator's template.

The template is the operator's text, so it is never handed to `str.format`
(where `{0}` raises on every order and `{order_id:>20000000}` pads each link
to 20 MB): a fixed set of `{placeholder}`s is replaced literally, each value
URL-quoted, and the result must be an http(s) URL of bounded length. A stored
template that breaks these rules (saved before they existed) gives orders no
link, and the store's settings page says why; it never fails a sync.
"""
from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

PLACEHOLDERS = ("order_id", "order_number", "store")
MAX_TEMPLATE = 1024  # the column's size
MAX_LINK = 1024  # card_orders.order_url holds this much; a link, not a payload
_BRACES = re.compile(r"\{([^{}]*)\}")


def template_problem(template: str) -> str | None:
    """What is wrong with a template, in words for the settings form; None when it is usable."""
    if len(template) > MAX_TEMPLATE:
        return f"order_url_template: at most {MAX_TEMPLATE} characters"
    names = _BRACES.findall(template)
    unknown = sorted({name for name in names if name not in PLACEHOLDERS})
    if unknown:
        return (f"order_url_template: unknown placeholder {{{unknown[0]}}}; use "
                + ", ".join(f"{{{name}}}" for name in PLACEHOLDERS))
    rest = _BRACES.sub("", template)
    if "{" in rest or "}" in rest:
        return "order_url_template: a '{' or '}' that is not part of a placeholder"
    if "order_id" not in names:
        return "order_url_template: must contain {order_id}"
    parts = urlsplit(template)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "order_url_template: must start with http:// or https:// and a host"
    return None


def order_link(template: str | None, *, order_id: str, order_number: str | None, store: str) -> str | None:
    """The order's link, or None when there is no usable template or the link would be too long."""
    if not template or template_problem(template):
        return None
    values = {"order_id": order_id, "order_number": order_number or "", "store": store}
    link = _BRACES.sub(lambda match: quote(str(values[match.group(1)]), safe=""), template)
    return link if len(link) <= MAX_LINK else None
