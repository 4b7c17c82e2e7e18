"""A download that fails mid-stream is logged with its request's id, so it can be matched to its
access-log line (the body streams after the middleware has returned)."""

import logging

import pytest

from misuse_tracker.middleware import RequestIdFilter, current_request_id
from reports import exports

pytestmark = pytest.mark.django_db


class Records(logging.Handler):
    def __init__(self):
        super().__init__()
        self.addFilter(RequestIdFilter())  # as the stdout handler does
        self.seen: list[logging.LogRecord] = []

    def emit(self, record):
        self.seen.append(record)


@pytest.fixture
def records():
    handler = Records()
    logger = logging.getLogger("misuse_tracker.downloads")
    logger.addHandler(handler)
    yield handler.seen
    logger.removeHandler(handler)


def test_a_download_failing_mid_stream_is_logged_with_its_request_id(client, monkeypatch, records):
    def failing(export, *, result):
        yield b"line_id,request\r\n"
        raise OSError("the database went away")

    monkeypatch.setattr(exports, "csv_stream", failing)
    response = client.get("/cases.csv", HTTP_X_REQUEST_ID="dl-request-0001")
    assert response.status_code == 200 and response["X-Request-ID"] == "dl-request-0001"
    chunks = iter(response.streaming_content)
    assert next(chunks) == b"line_id,request\r\n"
    assert current_request_id() == "-"  # between chunks the thread carries no id
    with pytest.raises(OSError, match="the database went away"):
        next(chunks)
    response.close()
    assert [(r.levelname, r.getMessage(), r.request_id) for r in records] == [
        ("ERROR", "Download of cases.csv failed mid-stream; the transfer is aborted.", "dl-request-0001")
    ]
    assert current_request_id() == "-"


def test_a_complete_download_streams_as_before(client):
    response = client.get("/forces.csv", HTTP_X_REQUEST_ID="dl-request-0002")
    assert response["X-Request-ID"] == "dl-request-0002"
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body.startswith(b"force")
