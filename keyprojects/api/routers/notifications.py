"""A user's own notifications: list, mark read."""

from ninja import Router

router = Router(tags=["notifications"])
