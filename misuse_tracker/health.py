"""/healthz: 200 when the app can reach its database, 503 when it cannot (for load balancers)."""

from django.db import connections
from django.http import HttpResponse
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request):
    try:
        for alias in connections:
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT 1")
    except Exception as error:  # any failure to reach a database is "not healthy"
        return HttpResponse(
            f"database unavailable: {type(error).__name__}\n", status=503, content_type="text/plain"
        )
    return HttpResponse("ok\n", content_type="text/plain")
