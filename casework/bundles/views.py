"""GET /api/cases/<id>/bundle/: the prosecution bundle as one zip download."""

from __future__ import annotations

import os

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.views import APIView

from casework.bundles.services import build_bundle


class _DeleteAfter:
    """A file object that removes its temporary file once the response is closed."""

    def __init__(self, path: str):
        self.path = path
        self.handle = open(path, "rb")  # noqa: SIM115

    def read(self, *args):
        return self.handle.read(*args)

    def close(self):
        self.handle.close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


class BundleView(APIView):
    """Every evidence file, a manifest of hashes, custody logs, timeline and entities."""

    @extend_schema(responses={(200, "application/zip"): OpenApiTypes.BINARY})
    def get(self, request, case_pk):
        bundle = build_bundle(actor=request.user, case_id=case_pk)
        response = FileResponse(_DeleteAfter(bundle.path), as_attachment=True,
                                filename=bundle.filename, content_type="application/zip")
        response["Content-Length"] = str(bundle.size)
        response["X-Content-SHA256"] = bundle.sha256
        return response
