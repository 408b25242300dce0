"""Error tracking with Sentry (optional): the error and where it happened, never who or what.

Started by the settings when ``SENTRY_DSN`` (or ``SENTRY_DSN_FILE``) is set; ``SENTRY_ENVIRONMENT``
(default: ``HALTE_ENV``) and ``SENTRY_RELEASE`` name the installation. Nothing is sent otherwise.

What the SDK may collect is cut at the source (its ``data_collection`` option, which replaces the
deprecated ``send_default_pii=False``: no user, cookie, header, query string, body, SQL value or local
variable; no sessions, no performance tracing), and every event then goes through an allowlist
(:func:`scrub_event`) rather than a blocklist, because a report's text or a child's name can sit in
any field a blocklist did not think of:

* the request keeps its method only: no URL (a path can carry a receipt code), query string, body,
  cookie, header or client address; the route pattern stays as the event's transaction;
* no user (id, email, address) and no ``extra`` but the request line's route, method, status and duration;
* exceptions keep their type, their frames (file, function, line, source) without local variables,
  and the first line of their message (a database error's second line quotes the row's values);
* a log event keeps its logger's *template* (``"Job %s failed"``), never the formatted line or its
  arguments; breadcrumbs likewise, and SQL breadcrumbs are dropped whole;
* in what remains, anything shaped like a receipt code or another long run of digits (phone numbers),
  an email address or an IP address is masked.

``tests/core/test_sentry.py`` sends real events to a local collector and looks for the child's
name, the narrative, the receipt code, the email and the client's IP in every byte received.
"""

from __future__ import annotations

import logging
from typing import Any

from halte.core.redact import first_line, mask

# The only keys kept at the event's top level.
EVENT_KEYS = {
    "event_id",
    "timestamp",
    "level",
    "platform",
    "logger",
    "transaction",
    "transaction_info",
    "server_name",
    "release",
    "environment",
    "dist",
    "sdk",
    "exception",
    "threads",
    "logentry",
    "breadcrumbs",
    "tags",
    "contexts",
    "extra",
    "fingerprint",
    "modules",
    "request",
    "type",
}
CONTEXT_KEYS = {"runtime", "os", "trace"}
EXTRA_KEYS = {"route", "method", "status", "duration_ms"}
FRAME_KEYS = {
    "filename",
    "abs_path",
    "function",
    "module",
    "lineno",
    "colno",
    "in_app",
    "context_line",
    "pre_context",
    "post_context",
}
BREADCRUMB_DATA_KEYS = {"method", "status_code", "route", "status"}


def _frames(stacktrace: Any) -> dict | None:
    if not isinstance(stacktrace, dict):
        return None
    frames = [
        {key: value for key, value in frame.items() if key in FRAME_KEYS}
        for frame in stacktrace.get("frames") or []
        if isinstance(frame, dict)
    ]
    return {"frames": frames}


def _exception(exception: dict) -> dict:
    kept: dict[str, Any] = {"values": []}
    for value in exception.get("values") or []:
        if not isinstance(value, dict):
            continue
        entry = {key: value[key] for key in ("type", "module", "mechanism") if key in value}
        if "value" in value:
            entry["value"] = first_line(value["value"])
        stacktrace = _frames(value.get("stacktrace"))
        if stacktrace is not None:
            entry["stacktrace"] = stacktrace
        kept["values"].append(entry)
    return kept


def _threads(threads: dict) -> dict:
    kept: dict[str, Any] = {"values": []}
    for thread in threads.get("values") or []:
        if not isinstance(thread, dict):
            continue
        entry = {key: thread[key] for key in ("id", "crashed", "current") if key in thread}
        stacktrace = _frames(thread.get("stacktrace"))
        if stacktrace is not None:
            entry["stacktrace"] = stacktrace
        kept["values"].append(entry)
    return kept


def _log_template(record: logging.LogRecord | None, fallback: Any) -> str:
    template = record.msg if record is not None else fallback
    return mask(str(template or ""))[:500]


def _clean_breadcrumb(crumb: dict, record: logging.LogRecord | None = None) -> dict | None:
    category = str(crumb.get("category") or "")
    if category == "query" or category.startswith("django.db"):
        return None  # SQL carries values
    kept = {key: crumb[key] for key in ("type", "category", "level", "timestamp") if key in crumb}
    if "message" in crumb or record is not None:
        kept["message"] = _log_template(record, crumb.get("message")) if crumb.get("type") == "log" else ""
    data = crumb.get("data")
    if isinstance(data, dict):
        kept["data"] = {key: value for key, value in data.items() if key in BREADCRUMB_DATA_KEYS}
    return kept


def scrub_breadcrumb(crumb: Any, hint: Any) -> Any:
    """``before_breadcrumb``: a log breadcrumb keeps its template, others only their kind."""
    record = (hint or {}).get("log_record")
    return _clean_breadcrumb(crumb, record if isinstance(record, logging.LogRecord) else None)


def scrub_event(event: Any, hint: Any) -> Any:
    """``before_send``: keep only what says what failed and where, masked again for good measure."""
    hint = hint or {}
    kept: dict[str, Any] = {key: value for key, value in event.items() if key in EVENT_KEYS}
    request = event.get("request")
    kept["request"] = {"method": request["method"]} if isinstance(request, dict) and "method" in request else {}
    if "exception" in kept:
        kept["exception"] = _exception(kept["exception"])
    if "threads" in kept:
        kept["threads"] = _threads(kept["threads"])
    if "logentry" in kept:
        record = hint.get("log_record")
        record = record if isinstance(record, logging.LogRecord) else None
        kept["logentry"] = {"message": _log_template(record, (kept["logentry"] or {}).get("message"))}
    if "breadcrumbs" in kept:
        crumbs = kept["breadcrumbs"]
        values = crumbs.get("values", []) if isinstance(crumbs, dict) else crumbs or []
        cleaned = [_clean_breadcrumb(crumb) for crumb in values if isinstance(crumb, dict)]
        kept["breadcrumbs"] = {"values": [crumb for crumb in cleaned if crumb is not None]}
    if "contexts" in kept:
        kept["contexts"] = {key: value for key, value in (kept["contexts"] or {}).items() if key in CONTEXT_KEYS}
    if "extra" in kept:
        kept["extra"] = {key: value for key, value in (kept["extra"] or {}).items() if key in EXTRA_KEYS}
    for key in ("transaction", "server_name"):
        if isinstance(kept.get(key), str):
            kept[key] = mask(kept[key])
    if isinstance(kept.get("tags"), dict):
        kept["tags"] = {str(key): mask(str(value)) for key, value in kept["tags"].items()}
    return kept


def drop(event: Any, hint: Any) -> None:
    return None


def start(dsn: str, *, environment: str, release: str | None = None) -> None:
    """Start the SDK with the scrubbing above; called once by the settings."""
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration
    from sentry_sdk.integrations.logging import LoggingIntegration, ignore_logger

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        # What send_default_pii=False used to say (that option is deprecated), stricter: it still
        # collected headers and bodies. Here nothing about the person or the request is collected.
        data_collection={
            "user_info": False,
            "cookies": {"mode": "off"},
            "http_headers": {"request": {"mode": "off"}},
            "http_bodies": [],
            "url_query_params": {"mode": "off"},
            "graphql": {"document": False, "variables": False},
            "gen_ai": {"inputs": False, "outputs": False},
            "database_query_data": False,
            "queues": False,
            "stack_frame_variables": False,
        },
        max_request_body_size="never",
        attach_stacktrace=False,
        traces_sample_rate=None,
        auto_session_tracking=False,
        auto_enabling_integrations=False,
        send_client_reports=False,
        in_app_include=["halte"],
        integrations=[
            DjangoIntegration(transaction_style="url", middleware_spans=False, signals_spans=False, cache_spans=False),
            LoggingIntegration(level=logging.INFO, event_level=logging.ERROR),
        ],
        before_send=scrub_event,
        before_breadcrumb=scrub_breadcrumb,
        before_send_transaction=drop,
    )
    # Django's "Internal Server Error: <path>" line repeats the exception the Django integration
    # already reports, with the path (a receipt code can be in it): not sent.
    ignore_logger("django.request")
    ignore_logger("django.server")
