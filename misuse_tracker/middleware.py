"""Request-wide plumbing: a request id on every log line, a clear 503 when the database is down,
and no caching of admin pages."""

import logging
import re
import uuid
from contextvars import ContextVar

from django.db import DatabaseError, InterfaceError, OperationalError
from django.shortcuts import render

logger = logging.getLogger("misuse_tracker")

_request_id: ContextVar[str] = ContextVar("request_id", default="-")
# A proxy's id is kept only if it looks like one: it ends up in every log line.
INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
RETRY_AFTER_SECONDS = 30


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


def current_request_id() -> str:
    return _request_id.get()


class RequestIdMiddleware:
    """Give each request an id (the proxy's X-Request-ID if sane), log with it, send it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if INCOMING_ID.match(incoming) else uuid.uuid4().hex
        token = _request_id.set(request_id)
        try:
            request.request_id = request_id
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            # The body streams after this returns: its log lines (a download failing mid-stream)
            # keep the request's id too. A plain file is left to the server's sendfile.
            plain_file = getattr(response, "file_to_stream", None) is not None
            if response.streaming and not response.is_async and not plain_file:
                response.streaming_content = _with_request_id(response.streaming_content, request_id)
            return response
        finally:
            _request_id.reset(token)


def _with_request_id(chunks, request_id: str):
    """Yield the chunks, each produced with the request's id set (and unset again before it is
    handed to the server, so nothing else in the thread is logged under it)."""
    iterator = iter(chunks)
    while True:
        token = _request_id.set(request_id)
        try:
            chunk = next(iterator)
        except StopIteration:
            return
        finally:
            _request_id.reset(token)
        yield chunk


def database_unavailable(request):
    response = render(request, "503.html", {"request_id": current_request_id()}, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """The database is down or unreachable: say so with a 503 page instead of a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)
        except (OperationalError, InterfaceError) as error:
            # Raised by middleware that reads the database (sessions, auth) before any view.
            logger.error("Database unavailable: %s", error)
            return database_unavailable(request)

    def process_exception(self, request, exception):
        if isinstance(exception, (OperationalError, InterfaceError)) or (
            isinstance(exception, DatabaseError) and _connection_lost(exception)
        ):
            logger.error("Database unavailable: %s", exception)
            return database_unavailable(request)
        return None


def _connection_lost(error: DatabaseError) -> bool:
    text = str(error).lower()
    return "server closed the connection" in text or "connection already closed" in text


class NoStoreMiddleware:
    """Admin and import pages (they show drafts and private notes) are never cached."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/admin/"):
            response["Cache-Control"] = "no-store"
        return response
