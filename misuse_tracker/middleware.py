"""Request-wide plumbing: a request id on every log line, a clear 503 when the database is down,
no caching of admin pages, and a cap on request bodies."""

import io
import logging
import re
import uuid
from contextvars import ContextVar

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse

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


class RequestBodyLimitMiddleware:
    """Refuse a request body larger than REQUEST_MAX_BODY_BYTES with a 413, before anything reads
    it (CSRF, forms, uploads). Django's DATA_UPLOAD_MAX_MEMORY_SIZE leaves file parts out and
    gunicorn has no body limit, so without this anyone could post gigabytes to any form (written
    to temporary files). The admin's import upload alone may send up to IMPORT_MAX_UPLOAD_BYTES
    plus the form around it. A body sent without a length (chunked) is read up to the same cap
    and refused past it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        cap = body_cap(request.path)
        declared = request.META.get("CONTENT_LENGTH", "").strip()
        if declared:
            if not declared.isdigit():
                return HttpResponseBadRequest(
                    "The Content-Length header is not a number.", content_type="text/plain"
                )
            if int(declared) > cap:
                return _too_large(request, cap)
        elif "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            body = request.META["wsgi.input"].read(cap + 1) if "wsgi.input" in request.META else b""
            if len(body) > cap:
                return _too_large(request, cap)
            # Django reads a body by its length: give it the one that arrived.
            request.META["CONTENT_LENGTH"] = str(len(body))
            request._stream = LimitedStream(io.BytesIO(body), len(body))
        return self.get_response(request)


def _is_import_upload(path: str) -> bool:
    return path == reverse("admin:cases_importbatch_import")


def body_cap(path: str) -> int:
    if _is_import_upload(path):
        return settings.IMPORT_MAX_UPLOAD_BYTES + IMPORT_FORM_ALLOWANCE_BYTES
    return settings.REQUEST_MAX_BODY_BYTES


# The import form's own fields, boundaries and headers around the file, at most.
IMPORT_FORM_ALLOWANCE_BYTES = 64 * 1024


def _too_large(request, cap: int):
    logger.warning("Request body over %s bytes refused: %s %s", cap, request.method, request.path)
    response = render(
        request,
        "413.html",
        {
            "limit": filesizeformat(cap),
            "import_limit": filesizeformat(settings.IMPORT_MAX_UPLOAD_BYTES)
            if _is_import_upload(request.path)
            else None,
            "request_id": current_request_id(),
        },
        status=413,
    )
    response["Cache-Control"] = "no-store"
    return response
