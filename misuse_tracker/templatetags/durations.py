"""A length of time in words, for people: "30 minutes", "1 hour 30 minutes", "2 days"."""

from datetime import timedelta

from django import template

register = template.Library()

UNITS = (("day", 86_400), ("hour", 3_600), ("minute", 60), ("second", 1))


@register.filter
def duration_words(value) -> str:
    """A timedelta as words ("30 minutes"); anything else (None, a string) as an empty string."""
    if not isinstance(value, timedelta):
        return ""
    seconds = round(value.total_seconds())
    if seconds <= 0:
        return ""
    parts = []
    for name, size in UNITS:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {name}{'' if count == 1 else 's'}")
    return " ".join(parts[:2])  # "1 day 2 hours", never down to the second of a long wait
