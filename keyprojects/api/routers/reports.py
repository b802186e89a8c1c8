"""Annual plans, planned months and monthly reports with their workflow actions."""

from ninja import Router

router = Router(tags=["monthly reports"])
