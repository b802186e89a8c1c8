"""The path converter for a year in a URL: one within clock.MIN_YEAR–MAX_YEAR, else the route does not
match and the URL answers 404 before a view or a service sees the year."""

from __future__ import annotations

from keyprojects.core.clock import MAX_YEAR, MIN_YEAR


class YearConverter:
    regex = "[0-9]{4}"

    def to_python(self, value: str) -> int:
        year = int(value)
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise ValueError(value)  # Django's "no match"
        return year

    def to_url(self, value: int) -> str:
        return str(value)
