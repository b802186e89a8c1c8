"""What the page shell shows of problems: how many notices the user has not read yet."""

from __future__ import annotations

from django.http import HttpRequest

from keyprojects.problems.models import Notification


def unread_notices(request: HttpRequest) -> dict:
    """`shell_unread_count` for a logged-in user (one COUNT query); nothing at all for anonymous pages."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"shell_unread_count": Notification.objects.filter(user=user, read_at__isnull=True).count()}
