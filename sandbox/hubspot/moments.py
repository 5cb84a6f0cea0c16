"""Date and datetime property values as HubSpot accepts them (epoch ms, ISO 8601) and returns them."""
from __future__ import annotations

import re
from datetime import datetime, timezone

from .clock import iso_timestamp

EPOCH_MS = re.compile(r"^-?\d+$")


def parse_moment(text: str) -> datetime | None:
    """Epoch milliseconds or ISO 8601 (a bare date is midnight UTC); None if neither."""
    if EPOCH_MS.match(text):
        return datetime.fromtimestamp(int(text) / 1000, tz=timezone.utc)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def canonical(prop_type: str, text: str) -> tuple[str, str | None]:
    """(value as HubSpot returns it, problem message or None) for a `date` or `datetime` property."""
    moment = parse_moment(text)
    if moment is None:
        return text, f"{text} is not a valid date or date-time value"
    moment = moment.astimezone(timezone.utc)
    if prop_type == "date":
        # Date properties hold a day: HubSpot refuses anything but midnight UTC.
        if (moment.hour, moment.minute, moment.second, moment.microsecond) != (0, 0, 0, 0):
            clock = f"{moment.hour}:{moment.minute}:{moment.second}.{moment.microsecond // 1000}"
            return text, f"{text} is at {clock} UTC, not midnight!"
        return moment.strftime("%Y-%m-%d"), None
    return iso_timestamp(moment.timestamp()), None
