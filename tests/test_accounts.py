"""Abuse of the login: throttled after repeated failures; a deactivated user is signed out at once."""

import logging

import pytest
from axes.models import AccessAttempt
from django.contrib.sessions.models import Session

from tests.cases.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db
LOGIN = "/admin/login/?next=/admin/"


def attempt(client, username, password, address="203.0.113.7"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_a_user_is_locked_out_after_five_failures_even_with_the_right_password(
    client, settings, caplog, monkeypatch
):
    monkeypatch.setattr(logging.getLogger("axes"), "propagate", True)  # let caplog see the log line
    make_user("vic", "Viewer")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, "vic", "wrong").status_code == 200  # the form again, with its error
    locked = attempt(client, "vic", "wrong")
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    # The right password, from another address, is refused too while the name is locked.
    assert attempt(client, "vic", PASSWORD, address="198.51.100.9").status_code == 429
    assert "_auth_user_id" not in client.session
    assert any(m.startswith("AXES: Locking out") and "vic" in m for m in caplog.messages), caplog.messages


def test_one_address_trying_many_names_is_locked_out(client, settings):
    make_user("wes", "Viewer")
    for n in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, f"guess{n}", "wrong")
    assert attempt(client, "wes", PASSWORD).status_code == 429
    assert attempt(client, "wes", PASSWORD, address="198.51.100.10").status_code == 302


def test_a_successful_login_clears_earlier_failures(client):
    make_user("xena", "Viewer")
    attempt(client, "xena", "wrong")
    assert attempt(client, "xena", PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username="xena").exists()


def test_deactivating_a_user_ends_their_sessions(client):
    user = make_user("yuri", "Editor")
    client.force_login(user)
    assert client.get("/admin/").status_code == 200
    other = make_user("zoe", "Editor")
    client_b = client.__class__()
    client_b.force_login(other)
    user.is_active = False
    user.save()
    assert client.get("/admin/").status_code == 302
    assert Session.objects.count() == 1  # zoe's stays
    assert client_b.get("/admin/").status_code == 200


def test_passwords_are_checked_and_sessions_expire(settings):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="This password is too short"):
        validate_password("abc123")
    assert settings.SESSION_COOKIE_AGE == 8 * 60 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True


def test_the_lockout_page_says_how_long_in_words_under_a_proper_title(client, settings):
    make_user("una", "Viewer")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, "una", "wrong")
    locked = attempt(client, "una", "wrong")
    body = locked.content.decode()
    assert locked.status_code == 429
    assert "<title>Too many failed sign-ins | Misuse Tracker admin</title>" in body
    assert (
        "<p>This account, or this address, is locked for 30 minutes after too many wrong passwords. "
        "Try again later, or ask an administrator to unlock it.</p>"
    ) in body
    assert "PT30M" not in body and "Django" not in body


def test_durations_read_as_words():
    from datetime import timedelta

    from misuse_tracker.templatetags.durations import duration_words

    assert duration_words(timedelta(minutes=30)) == "30 minutes"
    assert duration_words(timedelta(hours=1)) == "1 hour"
    assert duration_words(timedelta(hours=1, minutes=30)) == "1 hour 30 minutes"
    assert duration_words(timedelta(days=2, hours=3, minutes=4)) == "2 days 3 hours"
    assert duration_words(timedelta(0)) == duration_words(None) == ""
