"""The releases' own pages and files: stable addresses, served as they were made, forever."""

from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from reports import datapackage
from reports.models import Release, ReleaseFile
from reports.permalinks import citations
from reports.views import _busy, _download_slot, _Guarded, _release_download_slot

# A release's files never change: caches may keep them for a year without asking again.
IMMUTABLE = "public, max-age=31536000, immutable"
# A file of at least this many bytes is a large download: it takes one of the process's download
# slots (EXPORT_MAX_CONCURRENT, shared with /cases.*) while it streams. A smaller one goes in
# one chunk.
LARGE_FILE_BYTES = 64 * 1024


def release_list(request):
    releases = list(Release.objects.order_by("-cut_at", "-id"))
    return render(request, "reports/release_list.html", {"releases": releases})


def release_list_json(request):
    releases = Release.objects.order_by("-cut_at", "-id")
    return JsonResponse(
        {
            "releases": [
                {
                    "number": r.number,
                    "cut_at": r.cut_at.isoformat(),
                    "note": r.note,
                    "url": request.build_absolute_uri(r.get_absolute_url()),
                    "datapackage": request.build_absolute_uri(
                        reverse("release-file", args=[r.number, "datapackage.json"])
                    ),
                    "previous": r.changelog.get("previous"),
                }
                for r in releases
            ]
        },
        json_dumps_params={"indent": 1},
    )


def release_detail(request, number):
    release = get_object_or_404(Release, number=number)
    files = list(release.files.defer("content").order_by("name"))
    url = request.build_absolute_uri(release.get_absolute_url())
    browse = [
        (title, request.build_absolute_uri(reverse(name)) + f"?release={release.number}")
        for title, name in (
            ("Dashboard", "dashboard"),
            ("Case lines", "case-lines"),
            ("Forces", "force-list"),
            ("Requests and studies", "request-list"),
            ("Published figures", "figures"),
        )
    ]
    return render(
        request,
        "reports/release_detail.html",
        {
            "release": release,
            "files": files,
            "url": url,
            "browse": browse,
            "changes": [
                (name, release.changelog.get(name) or {})
                for name in ("figures", "lines", "returns", "requests", "sources", "forces", "workforce")
            ],
            "items": release.changelog.get("items", {}),
            "citation": citations(release=release, url=url),
            "datapackage_url": request.build_absolute_uri(
                reverse("release-file", args=[number, "datapackage.json"])
            ),
        },
    )


def _file(number: str, name: str) -> ReleaseFile:
    found = ReleaseFile.objects.filter(release__number=number, name=name).first()
    if found is None:
        raise Http404("No such file in this release.")
    return found


def release_file(request, number, name):
    found = _file(number, name)
    etag = f'"{found.sha256}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        content_type = found.media_type + ("; charset=utf-8" if found.media_type.startswith("text/") else "")
        chunks = datapackage.chunks_of(found)
        if found.size >= LARGE_FILE_BYTES:
            if not _download_slot():
                return _busy(request)
            stem, _dot, extension = name.rpartition(".")
            chunks = _Guarded(chunks, table=f"release {number} {stem or name}", fmt=extension)
        response = StreamingHttpResponse(chunks, content_type=content_type)
        response["Content-Length"] = str(found.size)
        if found.media_type == "text/csv":
            response["Content-Disposition"] = f'inline; filename="misuse-tracker-{number}-{name}"'
    response["ETag"] = etag
    response["Cache-Control"] = IMMUTABLE
    response["Access-Control-Allow-Origin"] = "*"  # pandas in a notebook on another site may read it
    return response


def release_zip(request, number):
    release = get_object_or_404(Release, number=number)
    if not _download_slot():
        return _busy(request)
    try:
        chunks = _Guarded(datapackage.zip_chunks(release), table=f"misuse-tracker-{number}", fmt="zip")
    except BaseException:
        _release_download_slot()
        raise
    response = StreamingHttpResponse(chunks, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="misuse-tracker-{number}.zip"'
    response["Cache-Control"] = IMMUTABLE
    response["Access-Control-Allow-Origin"] = "*"
    return response


def release_latest(request, name=""):
    """/releases/latest/…: the newest release's page or file (302: the numbered address is stable)."""
    release = Release.objects.order_by("-cut_at", "-id").first()
    if release is None:
        raise Http404("No release has been cut yet.")
    target = reverse("release-file", args=[release.number, name]) if name else release.get_absolute_url()
    response = HttpResponseRedirect(target)
    response["Cache-Control"] = "no-cache"
    return response
