"""Per-user language: a logged-in user sees every page in the language stored on their profile."""

from __future__ import annotations

from django.utils import translation


class UserLanguageMiddleware:
    """Runs after authentication; overrides what LocaleMiddleware guessed from cookie or browser."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
