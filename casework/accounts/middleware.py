"""On pages, a logged-in user's language preference (User.language) wins over the
browser's Accept-Language until they pick another one (which sets Django's language
cookie). The API follows Accept-Language (default: LANGUAGE_CODE)."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation


class UserLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        # pages only: API clients say what they want in Accept-Language
        if (not request.path.startswith("/api/")
                and user is not None and user.is_authenticated
                and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
                and user.language):
            translation.activate(user.language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
