"""`make run` serves the gzipped copies collectstatic writes, as production does (plotly.js: 1.2 MB → 0.4 MB)."""

import pytest
from django.core.management import call_command
from django.test import Client

PLOTLY = "/static/vendor/plotly/plotly-basic-4.1.1.min.js"


@pytest.fixture
def development_static(settings, tmp_path):
    # What `make run` does: DEBUG=1 storage, collectstatic, WhiteNoise looking in STATIC_ROOT first.
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
    }
    settings.WHITENOISE_AUTOREFRESH = True
    call_command("collectstatic", "--no-input", verbosity=0)


def test_plotly_is_served_gzipped_to_browsers_that_accept_it(development_static):
    client = Client()
    zipped = client.get(PLOTLY, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert zipped.status_code == 200
    assert zipped["Content-Encoding"] == "gzip"
    body = b"".join(zipped.streaming_content)
    assert len(body) < 450_000
    plain = client.get(PLOTLY)
    assert "Content-Encoding" not in plain
    assert len(b"".join(plain.streaming_content)) > 1_000_000
