"""Request middleware: records where a request comes from for the audit trail."""

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
