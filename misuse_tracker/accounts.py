"""Accounts: a user who is deactivated is signed out everywhere at once."""

from django.contrib.sessions.models import Session
from django.utils import timezone


def remember_was_active(sender, instance, **kwargs) -> None:
    if instance.pk:
        instance._was_active = sender.objects.filter(pk=instance.pk, is_active=True).exists()


def end_sessions_of_deactivated(sender, instance, created, **kwargs) -> None:
    if created or instance.is_active or not getattr(instance, "_was_active", False):
        return
    user_sessions_end(user=instance)


def user_sessions_end(*, user) -> int:
    """Delete every live session of `user`; returns how many."""
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == str(user.pk):
            session.delete()
            ended += 1
    return ended
