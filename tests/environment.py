"""Loaded before Django (pytest -p, see pyproject.toml): the suite runs with development settings.

Production settings (DEBUG off) are tested in subprocesses with their own environment
(tests/test_settings.py, tests/test_production_server.py); pytest-django turns DEBUG off for the
test run itself, so pages are tested as the public sees them.
"""

import os

os.environ.setdefault("DEBUG", "1")
