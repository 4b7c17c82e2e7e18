"""Shared fixtures: the real reference data, loaded once into the real PostgreSQL test database."""

from pathlib import Path

import pytest
from django.conf import settings

from cases.services import reference_data_load

FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures"


def pytest_collection_modifyitems(config, items):
    # Browser tests need a live server, whose transactional tests flush the database when they
    # end; run them last so the other tests keep the data loaded once per session.
    for item in items:
        if "/browser/" in str(item.path):
            item.add_marker(pytest.mark.browser)
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # Manifest storage needs collectstatic; tests serve static files as they are.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        reference_data_load(fixtures_dir=FIXTURES_DIR)


@pytest.fixture(autouse=True)
def _fresh_page_cache():
    """Each test starts with no cached page or aggregate (both live as long as the process)."""
    from django.core.cache import caches

    from reports import releases, selectors

    releases.reset_after_request()  # no test starts reading a release another left open
    caches["pages"].clear()
    selectors._datasets.clear()
