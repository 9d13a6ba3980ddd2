"""DRF glue shared by every app: the exception handler, error shapes, and JSON errors
for views that also answer in a download format."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from casework.core.errors import Conflict, NotFound, NotPermitted


class ConflictError(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "This change is not allowed in the object's current state."
    default_code = "conflict"


def exception_handler(exc, context):
    """Map service-layer errors to HTTP: NotFound → 404 (the same answer whether the
    object is missing or hidden), Conflict → 409, NotPermitted → 403,
    Django ValidationError → 400 with field messages."""
    if isinstance(exc, NotFound):
        return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, Conflict):
        exc = ConflictError(detail=str(exc))
    elif isinstance(exc, NotPermitted):
        return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
    elif isinstance(exc, DjangoValidationError):
        exc = ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        )
    return drf_exception_handler(exc, context)


class JSONErrorsMixin:
    """For an APIView with a download format as well (CSV, GraphML): errors stay JSON
    whatever format was asked for (as the schema documents them)."""

    def handle_exception(self, exc):
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)
