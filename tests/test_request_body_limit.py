"""Request bodies are capped before anything reads them: a 413 page, with the site's CSP."""

import io

import pytest
from django.conf import settings
from django.test import Client

from cases.models import ImportBatch

pytestmark = pytest.mark.django_db
LOGIN = "/admin/login/"
IMPORT = "/admin/cases/importbatch/import/"


class Endless(io.RawIOBase):
    """A body that never ends, as a client streaming gigabytes would send: counts what is read."""

    def __init__(self):
        self.read_bytes = 0

    def readable(self):
        return True

    def read(self, size=-1):
        size = 65536 if size is None or size < 0 else size
        self.read_bytes += size
        return b"x" * size


def _refused_page(response, limit: str) -> str:
    body = response.content.decode()
    assert response.status_code == 413
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "no-store"
    assert "<title>Request too large — Misuse Tracker</title>" in body
    assert f"<p>This address accepts at most {limit} in one request, and nothing was saved.</p>" in body
    return body


def test_a_body_declared_over_the_cap_is_refused_unread(settings):
    settings.REQUEST_MAX_BODY_BYTES = 1000
    stream = Endless()
    response = Client().generic(
        "POST", LOGIN, b"", content_type="multipart/form-data; boundary=x", CONTENT_LENGTH="300000000",
    )  # fmt: skip
    _refused_page(response, "1000\xa0bytes")
    # Nothing of it was read: the view never ran, no temporary file was written.
    environ_response = Client().generic(
        "POST", LOGIN, b"", CONTENT_LENGTH="300000000", **{"wsgi.input": stream}
    )
    assert environ_response.status_code == 413 and stream.read_bytes == 0


def test_the_default_cap_is_one_megabyte_and_a_login_under_it_works():
    assert settings.REQUEST_MAX_BODY_BYTES == 1024 * 1024
    client = Client()
    response = client.post(LOGIN, {"username": "x", "password": "y", "pad": "p" * (1024 * 1024 + 1)})
    _refused_page(response, "1.0\xa0MB")
    assert client.post(LOGIN, {"username": "x", "password": "y"}).status_code == 200  # the form again


def test_a_chunked_body_is_read_only_up_to_the_cap(settings):
    settings.REQUEST_MAX_BODY_BYTES = 1000
    stream = Endless()
    response = Client().generic(
        "POST", LOGIN, b"", CONTENT_LENGTH="", HTTP_TRANSFER_ENCODING="chunked", **{"wsgi.input": stream}
    )
    _refused_page(response, "1000\xa0bytes")
    assert stream.read_bytes == 1001
    # A short chunked body is read whole and handled as usual.
    small = io.BytesIO(b"username=x&password=y")
    response = Client().generic(
        "POST",
        LOGIN,
        b"",
        CONTENT_TYPE="application/x-www-form-urlencoded",
        CONTENT_LENGTH="",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": small},
    )
    assert response.status_code == 200
    assert response.context["form"].data["username"] == "x"


def test_a_content_length_that_is_not_a_number_is_a_400():
    response = Client().generic("POST", LOGIN, b"", CONTENT_LENGTH="12abc")
    assert (response.status_code, response.content) == (400, b"The Content-Length header is not a number.")


def test_the_import_upload_may_send_its_own_larger_cap(settings):
    settings.REQUEST_MAX_BODY_BYTES = 1000
    settings.IMPORT_MAX_UPLOAD_BYTES = 5000
    allowed = settings.IMPORT_MAX_UPLOAD_BYTES + 64 * 1024
    # Anonymous: past the cap check, the admin sends it to the login page (nothing imported).
    response = Client().generic("POST", IMPORT, b"", CONTENT_LENGTH=str(allowed))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    refused = Client().generic("POST", IMPORT, b"", CONTENT_LENGTH=str(allowed + 1))
    body = refused.content.decode()
    assert refused.status_code == 413 and "<title>Request too large — Misuse Tracker</title>" in body
    assert (
        "<p>An import takes a file of at most 4.9\xa0KB, and nothing was saved. Split the file into smaller "
        'ones, or save it as Excel .xlsx (smaller than CSV), and <a href="/admin/cases/importbatch/import/">'
        "choose it again</a>.</p>"
    ) in body
    _refused_page(
        Client().generic("POST", "/admin/cases/importbatch/import/confirm/", b"", CONTENT_LENGTH="1001"),
        "1000\xa0bytes",
    )
    assert ImportBatch.objects.count() == 0
