"""Logs an operations team can read by machine and a child's report never reaches.

* ``JsonFormatter``: one JSON object per line (time, level, logger, message, and the request
  fields below when present). In production every log line goes through it (``LOGGING``), gunicorn's
  own lines included (``halte.core.gunicorn_conf``).
* ``RequestLogMiddleware``: one line per request on the ``halte.request`` logger with the method,
  the **route name** (``reports:step``, never the path: paths carry identifiers), the status and
  the duration in milliseconds. Never an address, a header, a query string or a body.
  The same measure feeds the latency histogram of the metrics (``halte.core.metrics``).
* Every message is masked (``halte.core.redact``: receipt-code-like numbers, emails, IP addresses), and
  a traceback keeps each exception's first line only: a database error's ``DETAIL`` quotes the row.
* ``RequestRedactionFilter``: Django's own ``django.request`` and ``django.security`` lines name the
  path and carry the request object; the filter keeps the route name and drops the rest.

Nothing here reads a form, a cookie or the client's address, so no reporter's name, text, receipt
code or IP address can end up in a log line (``tests/core/test_logs.py``).
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime

from django.conf import settings

from halte.core import metrics, redact

REQUEST_FIELDS = ("method", "route", "status", "duration_ms")


def route_of(request) -> str:
    """The name of the URL pattern that served ``request``: ``static`` for static files, ``-`` for no match."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "static" if request.path.startswith(settings.STATIC_URL or "/static/") else "-"
    return match.view_name or match.route or "-"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact.mask(record.getMessage()),
        }
        for field in REQUEST_FIELDS:
            if hasattr(record, field):
                entry[field] = getattr(record, field)
        if record.exc_info and record.exc_info[1] is not None:
            entry["exception"] = redact.exception_text(record.exc_info[1])
        return json.dumps(entry, ensure_ascii=False, default=str)


class PlainFormatter(logging.Formatter):
    """Text lines (LOG_FORMAT=plain), masked and with exceptions told like the JSON ones."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = redact.mask(record.message)
        return super().formatMessage(record)

    def formatException(self, ei) -> str:
        return redact.exception_text(ei[1]) if ei and ei[1] is not None else ""

    def format(self, record: logging.LogRecord) -> str:
        record.exc_text = None  # never a traceback another formatter cached, unmasked
        return super().format(record)


class RequestRedactionFilter(logging.Filter):
    """Replace the path in Django's request log lines by the route name; drop the request itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if request is not None:
            route = route_of(request)
            record.msg = f"{record.levelname.capitalize()} on route {route}"
            record.args = ()
            record.route = route
            delattr(record, "request")
        return True


class RequestLogMiddleware:
    """Log one line per request: method, route name, status, duration. Put it first."""

    logger = logging.getLogger("halte.request")

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        duration = round(elapsed * 1000, 1)
        route = route_of(request)
        metrics.observe_request(route, request.method or "-", response.status_code, elapsed)
        level = logging.ERROR if response.status_code >= 500 else logging.INFO
        self.logger.log(
            level,
            "%s %s %s %sms",
            request.method,
            route,
            response.status_code,
            duration,
            extra={"method": request.method, "route": route, "status": response.status_code, "duration_ms": duration},
        )
        return response
