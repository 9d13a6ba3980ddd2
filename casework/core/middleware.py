"""Request middleware: records where a request comes from for the audit trail."""

from django.http import JsonResponse

from casework.core.request_context import Origin, reset_origin, set_origin


def client_ip(meta) -> str | None:
    # REMOTE_ADDR is the proxy's address behind the compose proxy; the proxy sets
    # X-Real-IP, which is trusted only when TRUST_PROXY_HEADERS is on.
    from django.conf import settings

    if getattr(settings, "TRUST_PROXY_HEADERS", False) and meta.get("HTTP_X_REAL_IP"):
        return meta["HTTP_X_REAL_IP"]
    return meta.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = set_origin(
            Origin(client_ip(request.META), request.META.get("HTTP_USER_AGENT", "")[:256])
        )
        try:
            return self.get_response(request)
        finally:
            reset_origin(token)


class RejectNulMiddleware:
    """Refuse query parameters containing NUL characters with a 400: PostgreSQL cannot
    store or compare them, and every filter would otherwise fail with a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "%00" in request.META.get("QUERY_STRING", "") and any(
                "\x00" in value for _, values in request.GET.lists() for value in values):
            return JsonResponse({"detail": "Null characters are not allowed in query "
                                           "parameters."}, status=400)
        return self.get_response(request)
