"""Access log lines without query strings, for gunicorn (the Procfile's `--logger-class`) and the local server.

Query strings carry secrets on some paths (the operator link's `token`, the
OAuth callback's `code` and `state`) and personal data on others (the card's
`userEmail`), and a log drain keeps them for weeks, readable by more people
than the database. Method, path, status and timing are what the access log is
for; the query is dropped on every path, so a new sensitive one cannot be
forgotten.
"""
from __future__ import annotations

from gunicorn.glogging import Logger


def without_query(url: str) -> str:
    return url.split("?", 1)[0]


class AccessLogWithoutQueries(Logger):
    """gunicorn's logger with the query removed from every atom of the access-log format that carries one, and
    from the request URI gunicorn puts in its error log when a request fails outside the app."""

    def exception(self, msg, *args, **kwargs):
        super().exception(msg, *(without_query(arg) if isinstance(arg, str) else arg for arg in args), **kwargs)

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["r"] = f"{environ['REQUEST_METHOD']} {without_query(environ['RAW_URI'])} {environ['SERVER_PROTOCOL']}"
        atoms["q"] = ""
        # The Referer is the URL of the previous page, an operator link included.
        for key in ("f", "{referer}i", "{raw_uri}e", "{request_uri}e"):
            if key in atoms:
                atoms[key] = without_query(atoms[key])
        if "{query_string}e" in atoms:
            atoms["{query_string}e"] = ""
        return atoms


# What `gunicorn --logger-class` takes (the Procfile spells it out; the benchmarks use this).
GUNICORN_LOGGER_CLASS = f"{__name__}.{AccessLogWithoutQueries.__name__}"
