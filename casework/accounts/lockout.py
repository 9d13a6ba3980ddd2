"""What a locked-out log-in sees (django-axes calls this): JSON for the API, a page
otherwise. Both 429."""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render

MESSAGE = "Too many failed log-in attempts; try again later."


def lockout_response(request, response=None, credentials=None, *args, **kwargs):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": MESSAGE}, status=429)
    return render(request, "registration/locked_out.html", status=429)
