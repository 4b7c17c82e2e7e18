"""Citable releases: the approved data frozen under a number, readable forever.

A release is cut (`release_cut`) by copying every public row the pages read into its own
PostgreSQL schema. A request naming `?release=<number>` (any page, download, embed or API call)
is read from that schema by the same code as the live pages (ReleaseMiddleware sets the
connection's search_path), so it shows what the pages showed the day the release was cut.
"""

from contextvars import ContextVar

_active: ContextVar = ContextVar("active_release", default=None)


def active():
    """The Release the current request reads (`?release=`), or None for the live data."""
    return _active.get()


def dataset_meta() -> dict:
    """What every response says of the data it shows: the release, or the live dataset version."""
    from reports.selectors import dataset_version

    release = active()
    return {
        "release": release.number if release else None,
        "dataset_version": dataset_version(),
    }
