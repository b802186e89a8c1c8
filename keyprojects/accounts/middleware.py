"""Per-request context: the user's language, and the address every audit record of the request carries."""

from __future__ import annotations

from django.contrib.auth import logout
from django.utils import translation

from keyprojects.accounts.addresses import client_address
from keyprojects.accounts.twofactor import session_needs_code
from keyprojects.core.audit import acting_from


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


class RequestAddressMiddleware:
    """Every write made while serving a request records the client's address (a trusted proxy's word only)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with acting_from(client_address(request)):
            return self.get_response(request)


class TwoFactorMiddleware:
    """After OTPMiddleware: a session of a user with a two-factor device that never passed the second step
    (logged in before the device was set up, or through the Django admin's own log-in) is ended; the user logs
    in again, code included. API tokens never reach here as a session."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and session_needs_code(
            user, verified=user.is_authenticated and user.is_verified()
        ):
            logout(request)
        return self.get_response(request)
