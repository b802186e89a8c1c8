"""Open data without log-in: OC4IDS project packages of the projects an office made public."""

from ninja import Router

router = Router(tags=["open data"])
