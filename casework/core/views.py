"""/healthz: each component's state; 503 naming the failed ones."""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse
from django.utils.module_loading import import_string
from django.views.defaults import page_not_found


def healthz(request):
    body: dict = {}
    failed: list[str] = []
    for name, path in settings.HEALTH_CHECKS.items():
        ok, detail = import_string(path)()
        body[name] = detail
        if not ok:
            failed.append(name)
    if failed:
        body["failed"] = failed
        return JsonResponse(body, status=503)
    return JsonResponse(body)


def not_found(request, exception=None):
    """404s under /api/ are JSON like every other API answer; pages get the HTML page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)
