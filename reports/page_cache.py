"""Public pages cached whole, keyed by the dataset version: any change to the data makes a new key.

Every public page is the same for every visitor and changes only when the data does, so a page
is computed once per dataset version and query, then served from the cache (one small query: the
version). Nothing is ever invalidated by hand: the version changes with every write (a history
row, or the stamp the line triggers leave), so an old page can no longer be found. A page
computed while a write commits is not kept: the version is read before and after, and the page
is kept only if they agree, so a page computed anew costs two queries more than its own.

The cache is Django's (settings.CACHES, "pages"): in memory per process by default, bounded by
PAGE_CACHE_ENTRIES; PAGE_CACHE_DIR shares it between processes on one machine (docs/deploy.md).
"""

import hashlib
from functools import wraps
from urllib.parse import urlencode

from django.core.cache import caches
from django.http import HttpResponse

from reports import releases
from reports.selectors import dataset_version, page_version

CACHE = "pages"


def _key(request, version: str) -> str:
    # The same filters in any order are the same page; the path names the page.
    # Encoded, so a value holding "&" or "=" can never read as other parameters.
    query = urlencode(sorted((name, value) for name, values in request.GET.lists() for value in values))
    # A release (`?release=`, taken out of request.GET by its middleware) is another page: its
    # links and captions name it.
    release = releases.active()
    if release is not None:
        query += f"#release={release.number}"
    digest = hashlib.sha256(f"{request.path}?{query}".encode()).hexdigest()
    return f"page:{version}:{digest}"


def by_dataset_version(view):
    """Serve a public GET page from the cache, or compute and keep it (only a 200 is kept)."""

    @wraps(view)
    def cached(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        cache = caches[CACHE]
        version = dataset_version()
        key = _key(request, version)
        kept = cache.get(key)
        if kept is not None:
            content, content_type = kept
            response = HttpResponse(content, content_type=content_type)
            response["X-Page-Cache"] = "hit"
            response["X-Dataset-Version"] = version
            return response
        token = page_version.set(version)
        try:
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and callable(response.render):
                response = response.render()
        finally:
            page_version.reset(token)
        if response.status_code == 200 and not response.streaming and dataset_version() == version:
            cache.set(key, (response.content, response["Content-Type"]), None)
        response["X-Page-Cache"] = "miss"
        response["X-Dataset-Version"] = version
        return response

    return cached
